package queue

import (
	"fmt"
	"runtime/debug"

	bolt "go.etcd.io/bbolt"
)

// bbolt trusts its pages: a damaged branch page makes it panic (in Tx.Check, in a
// cursor) rather than return an error. The queue must not take the kiosk and every
// technician tool down with it, so each transaction runs under a recover that turns the
// panic into ErrCorrupt. bbolt rolls the transaction back on the way out, so the
// database is left as it was.

// view runs fn in a read transaction; a panic inside is ErrCorrupt.
func (q *Queue) view(fn func(*bolt.Tx) error) (err error) {
	// A page pointer past the end of the file faults rather than panics; let it panic.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverCorrupt(&err)
	return q.db.View(fn)
}

// update runs fn in a write transaction; a panic inside is ErrCorrupt, and nothing
// is committed.
func (q *Queue) update(fn func(*bolt.Tx) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverCorrupt(&err)
	return q.db.Update(fn)
}

// walkAll reads every page of every bucket through cursors, in the caller's goroutine.
// bbolt's Tx.Check runs in a goroutine of its own, where a panic cannot be recovered:
// walking first finds the damage where it can be.
func walkAll(tx *bolt.Tx) error {
	return tx.ForEach(func(_ []byte, b *bolt.Bucket) error { return walkBucket(b) })
}

func walkBucket(b *bolt.Bucket) error {
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v == nil {
			if nb := b.Bucket(k); nb != nil {
				if err := walkBucket(nb); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func recoverCorrupt(err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("%w: database damaged (bbolt: %v); run kioskctl queue salvage", ErrCorrupt, p)
	}
}
