package queue

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// quarantineDir is where Open moves attachment files no record names, inside the queue
// directory. Nothing there is ever deleted by the queue.
const quarantineDir = "quarantine"

// seqSkip is how far Open moves the sequence when a record may have been lost: more
// than the records one rolled-back transaction can hold, so no tracking code a resident
// may hold on paper is issued again.
const seqSkip = 64

// quarantineUndecodable moves records that cannot be decoded (no id or kind, not JSON)
// out of the items bucket, with the index entries that point at them, so the rest of
// the queue opens and keeps serving. It returns how many it moved.
func (q *Queue) quarantineUndecodable() (int, error) {
	n := 0
	err := q.update(func(tx *bolt.Tx) error {
		items := tx.Bucket(bktItems)
		var bad [][]byte
		c := items.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if _, err := decodeRecord(v); err != nil {
				if err := tx.Bucket(bktQuarantine).Put(bytes.Clone(k), bytes.Clone(v)); err != nil {
					return err
				}
				bad = append(bad, bytes.Clone(k))
				q.log.Error("queue: record cannot be read; set aside, the rest of the queue goes on",
					"seq", seqOf(k), "err", err)
			}
		}
		for _, k := range bad {
			if err := items.Delete(k); err != nil {
				return err
			}
			if err := tx.Bucket(bktPending).Delete(k); err != nil {
				return err
			}
			for _, idx := range [][]byte{bktIDs, bktCodes, bktRated} {
				if err := deleteWhereValue(tx.Bucket(idx), k); err != nil {
					return err
				}
			}
			if err := deleteWhereKeySuffix(tx.Bucket(bktDone), k); err != nil {
				return err
			}
		}
		n = len(bad)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("queue: quarantine damaged records: %w", err)
	}
	return n, nil
}

func seqOf(k []byte) uint64 {
	if len(k) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(k)
}

func deleteWhereValue(b *bolt.Bucket, v []byte) error {
	return deleteWhere(b, func(_, val []byte) bool { return bytes.Equal(val, v) })
}

func deleteWhereKeySuffix(b *bolt.Bucket, suffix []byte) error {
	return deleteWhere(b, func(k, _ []byte) bool { return bytes.HasSuffix(k, suffix) })
}

// deleteWhere deletes the entries of b that match, after the walk: bbolt's cursor skips
// entries when the bucket changes under it.
func deleteWhere(b *bolt.Bucket, match func(k, v []byte) bool) error {
	var keys [][]byte
	if err := b.ForEach(func(k, v []byte) error {
		if match(k, v) {
			keys = append(keys, bytes.Clone(k))
		}
		return nil
	}); err != nil {
		return err
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// quarantineFile moves an attachment file no record names into the quarantine folder,
// durably: it is sealed with the queue key, and its name starts with the submission id.
func (q *Queue) quarantineFile(name string) error {
	dir := filepath.Join(q.dir, quarantineDir)
	if err := mkdirDurable(dir); err != nil {
		return fmt.Errorf("queue: quarantine: %w", err)
	}
	if err := os.Rename(filepath.Join(q.filesDir, name), filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("queue: quarantine %s: %w", name, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("queue: quarantine: %w", err)
	}
	return syncDir(q.filesDir)
}

// skipSequence moves the item sequence seqSkip ahead.
func (q *Queue) skipSequence() error {
	return q.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bktItems)
		return b.SetSequence(b.Sequence() + seqSkip)
	})
}

// Quarantined returns how many records Open has set aside as unreadable and how many
// files are in the quarantine folder.
func (q *Queue) Quarantined() (records, files int, err error) {
	if err := q.enter(false); err != nil {
		return 0, 0, err
	}
	defer q.leave()
	err = q.view(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bktQuarantine); b != nil {
			return b.ForEach(func(_, _ []byte) error { records++; return nil })
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	entries, rerr := os.ReadDir(filepath.Join(q.dir, quarantineDir))
	if rerr != nil && !os.IsNotExist(rerr) {
		return records, 0, fmt.Errorf("queue: %w", rerr)
	}
	return records, len(entries), nil
}
