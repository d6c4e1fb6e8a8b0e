package queue

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// recover repairs what a crash can leave behind. Called by Open before anyone else can
// use the queue.
func (q *Queue) recover() error {
	// 1. Items a crash left "sending" go back to "queued"; gather which files are ours.
	referenced := make(map[string]fileRef)
	var held []*record
	requeued := 0
	quarantined, err := q.quarantineUndecodable()
	if err != nil {
		return err
	}
	err = q.update(func(tx *bolt.Tx) error {
		c := tx.Bucket(bktItems).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			r, err := decodeRecord(v)
			if err != nil {
				return fmt.Errorf("record %x: %w", k, err)
			}
			if r.State == Sending {
				prev := *r
				r.State = Queued
				if err := putRecord(tx, &prev, r); err != nil {
					return err
				}
				requeued++
			}
			for _, f := range r.Files {
				referenced[f.Name] = f
			}
			if r.Sealed != nil || len(r.Files) > 0 {
				held = append(held, r)
			}
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrCorrupt) {
			return err
		}
		return diskErr("recover", err)
	}

	// 1b. The identity index against the records: only a version older than the index
	// (which neither kept nor pruned its entries) can have made them disagree.
	var reindexed int
	if err := q.update(func(tx *bolt.Tx) error {
		var err error
		reindexed, err = repairIdentityIndex(tx)
		return err
	}); err != nil {
		if errors.Is(err, ErrCorrupt) {
			return err
		}
		return diskErr("recover identity index", err)
	}
	if reindexed > 0 {
		q.log.Warn("queue: identity index disagreed with the records, repaired", "entries", reindexed)
	}

	// 2. Orphans: temporary files and files no record names.
	entries, err := os.ReadDir(q.filesDir)
	if err != nil {
		return fmt.Errorf("queue: recover: %w", err)
	}
	// A temporary file was never renamed, so its Enqueue never returned: delete it. A
	// finished file no record names may belong to a record a damaged meta page rolled
	// back, whose resident holds a receipt: never delete it, set it aside for the
	// technician, and move the sequence past any number the lost record may have had.
	orphans := 0
	for _, e := range entries {
		if _, ok := referenced[e.Name()]; ok && !isTemp(e.Name()) {
			continue
		}
		if isTemp(e.Name()) {
			if err := os.RemoveAll(filepath.Join(q.filesDir, e.Name())); err != nil {
				return fmt.Errorf("queue: remove unfinished file: %w", err)
			}
			continue
		}
		if err := q.quarantineFile(e.Name()); err != nil {
			return err
		}
		orphans++
	}
	if orphans > 0 {
		if err := q.skipSequence(); err != nil {
			return err
		}
		q.log.Error("queue: attachment files no record names were moved to the quarantine folder (a record may have been lost)",
			"count", orphans, "folder", filepath.Join(q.dir, quarantineDir))
	}

	// 3. Items whose files are missing or whose sealed data does not open are failed:
	// they can never be sent as they are, and a technician must see them.
	damaged := 0
	for _, r := range held {
		reason := ""
		for i, f := range r.Files {
			fi, err := os.Stat(filepath.Join(q.filesDir, f.Name))
			switch {
			case errors.Is(err, os.ErrNotExist):
				reason = fmt.Sprintf("attachment file %d missing (%s)", i, f.Name)
			case err != nil:
				return fmt.Errorf("queue: recover: %w", err)
			case fi.Size() != f.Size:
				reason = fmt.Sprintf("attachment file %d has %d bytes, want %d (%s)", i, fi.Size(), f.Size, f.Name)
			}
			if reason != "" {
				break
			}
		}
		if reason == "" {
			if _, err := q.openPersonal(r); err != nil {
				reason = "stored data cannot be read: " + err.Error()
			}
		}
		if reason == "" || r.State == Failed || r.State == Delivered {
			continue
		}
		if _, err := q.transition(r.ID, Failed, func(r *record) error {
			r.Reason = truncReason(reason)
			return nil
		}); err != nil {
			return err
		}
		q.log.Error("queue: item damaged on disk, marked failed", "id", r.ID,
			"tracking_code", r.TrackingCode, "reason", reason)
		damaged++
	}

	// 4. Counters are kept transactionally; recount anyway so that no bug can leave the
	// status screen lying for ever.
	if err := q.recount(); err != nil {
		return err
	}
	pruned, err := q.prune()
	if err != nil {
		return err
	}
	st, _ := q.stats()
	q.log.Info("queue: opened", "dir", q.dir, "queued", st.Queued, "delivered", st.Delivered,
		"failed", st.Failed, "requeued_from_sending", requeued, "orphan_files_quarantined", orphans,
		"records_quarantined", quarantined,
		"damaged", damaged, "pruned", pruned)
	return nil
}

// recount recomputes the counters from the records and fixes them if they drifted.
func (q *Queue) recount() error {
	return q.update(func(tx *bolt.Tx) error {
		counts := map[State]int64{}
		var heldBytes int64
		err := tx.Bucket(bktItems).ForEach(func(k, v []byte) error {
			r, err := decodeRecord(v)
			if err != nil {
				return err
			}
			counts[r.State]++
			heldBytes += r.fileBytes()
			return nil
		})
		if err != nil {
			return err
		}
		m := tx.Bucket(bktMeta)
		for _, s := range []State{Queued, Sending, Delivered, Failed, Held} {
			if got := readCount(m, countKey(s)); got != counts[s] {
				q.log.Warn("queue: counter drifted, fixed", "state", s, "was", got, "is", counts[s])
				if err := writeCount(m, countKey(s), counts[s]); err != nil {
					return err
				}
			}
		}
		if got := readCount(m, metaBytes); got != heldBytes {
			q.log.Warn("queue: byte counter drifted, fixed", "was", got, "is", heldBytes)
			return writeCount(m, metaBytes, heldBytes)
		}
		return nil
	})
}

// Prune deletes receipt records delivered more than Options.Retention ago. Nothing the
// kiosk accepted is pruned before the hub has it: failed items stay, with their data and
// files, until a technician requeues them (or the hub turns out to have them), however
// old they are or however far the clock jumps. It runs at Open and,
// at most every pruneInterval, after a delivery; callers may also run it on a timer.
// It returns how many records it deleted.
func (q *Queue) Prune() (int, error) {
	if err := q.enter(true); err != nil {
		return 0, err
	}
	defer q.leave()
	return q.prune()
}

// prune does Prune's work; the caller holds q.mu for reading.
func (q *Queue) prune() (int, error) {
	q.pruneMu.Lock()
	defer q.pruneMu.Unlock()
	now := q.now()
	cutoff := now.Add(-q.opt.Retention)
	var files []fileRef
	n := 0
	err := q.update(func(tx *bolt.Tx) error {
		var doomed []*record
		c := tx.Bucket(bktDone).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if len(k) != 16 {
				return fmt.Errorf("%w: done index key %x", ErrCorrupt, k)
			}
			if int64(binary.BigEndian.Uint64(k)) >= cutoff.UnixNano() {
				break // the index is in time order: everything after is younger
			}
			r, err := getBySeq(tx, binary.BigEndian.Uint64(k[8:]))
			if err != nil {
				return err
			}
			if !bytes.Equal(r.doneKey(), k) {
				// Never prune on a stale entry: only the record says when it was done.
				return fmt.Errorf("%w: retention index entry %x does not match item %s", ErrCorrupt, k, r.ID)
			}
			if r.State != Delivered {
				continue // undelivered: an operator decides, never the calendar
			}
			doomed = append(doomed, r)
		}
		for _, r := range doomed {
			if err := deleteRecord(tx, r); err != nil {
				return err
			}
			files = append(files, r.Files...)
		}
		n = len(doomed)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("queue: prune: %w", err)
	}
	q.lastPrune = now
	for _, f := range files {
		os.Remove(filepath.Join(q.filesDir, f.Name))
	}
	if n > 0 {
		q.log.Info("queue: pruned expired records", "count", n)
		q.changed()
	}
	return n, nil
}

// pruneInterval is how often deliveries trigger a prune: a tenth of the retention,
// at most an hour.
func (q *Queue) pruneInterval() time.Duration {
	return min(q.opt.Retention/10, time.Hour)
}

// maybePrune prunes when the last prune is older than pruneInterval, so a kiosk that
// runs for months without restarting still forgets old receipts. The caller holds q.mu
// for reading.
func (q *Queue) maybePrune() {
	q.pruneMu.Lock()
	due := q.now().Sub(q.lastPrune) >= q.pruneInterval()
	q.pruneMu.Unlock()
	if !due {
		return
	}
	if _, err := q.prune(); err != nil {
		q.log.Warn("queue: prune", "err", err)
	}
}

// CheckReport is what Check found. Problems are one line each, without personal data.
type CheckReport struct {
	Items    int
	Files    int
	Verified int // attachment files decrypted and checked against their SHA-256
	Problems []string
}

// Check verifies the queue without changing it: bbolt's consistency check, the indexes
// against the records, the counters, every attachment file's presence and size, files no
// record names, and, when the queue was opened with its key, that every sealed record and
// every attachment file opens and matches its SHA-256. It is what `kioskctl queue check`
// runs. The error is for a check that could not run; what it found is in the report.
func (q *Queue) Check(ctx context.Context) (CheckReport, error) {
	var rep CheckReport
	if err := q.enter(false); err != nil {
		return rep, err
	}
	defer q.leave()
	if err := q.checkDB(); err != nil {
		rep.Problems = append(rep.Problems, err.Error())
		return rep, nil
	}
	problem := func(format string, a ...any) {
		rep.Problems = append(rep.Problems, fmt.Sprintf(format, a...))
	}
	var recs []*record
	err := q.view(func(tx *bolt.Tx) error {
		items := tx.Bucket(bktItems)
		if items == nil {
			return nil
		}
		counts := map[State]int64{}
		var heldBytes int64
		ids := map[string]uint64{}
		err := items.ForEach(func(k, v []byte) error {
			r, err := decodeRecord(v)
			if err != nil {
				problem("record %x: %v", k, err)
				return nil
			}
			if len(k) != 8 || binary.BigEndian.Uint64(k) != r.Seq {
				problem("record %x holds seq %d", k, r.Seq)
			}
			recs = append(recs, r)
			counts[r.State]++
			heldBytes += r.fileBytes()
			ids[r.ID] = r.Seq
			if seq, ok := indexSeq(tx, bktIDs, r.ID); !ok || seq != r.Seq {
				problem("item %s: id index wrong", r.ID)
			}
			if r.Kind == kindSubmission {
				if seq, ok := indexSeq(tx, bktCodes, r.TrackingCode); !ok || seq != r.Seq {
					problem("item %s: tracking code index wrong for %s", r.ID, r.TrackingCode)
				}
			}
			inPending := tx.Bucket(bktPending).Get(k) != nil
			if inPending != r.State.pending() {
				problem("item %s (%s): pending index says %v", r.ID, r.State, inPending)
			}
			if dk := r.doneKey(); dk != nil && tx.Bucket(bktDone).Get(dk) == nil {
				problem("item %s (%s): missing from the retention index", r.ID, r.State)
			}
			if r.State == Delivered && (r.Sealed != nil || len(r.Files) > 0) {
				problem("item %s: delivered but personal data still held", r.ID)
			}
			if r.IdentityTag != nil {
				if len(r.IdentityTag) != tagSize || r.Kind != kindSubmission {
					problem("item %s: identity tag of %d bytes on a %s", r.ID, len(r.IdentityTag), r.Kind)
				} else if idx := tx.Bucket(bktIdentity); idx == nil || idx.Get(identityIndexKey(r.IdentityTag, r.Seq)) == nil {
					problem("item %s: missing from the identity index", r.ID)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := tx.Bucket(bktDone).ForEach(func(k, _ []byte) error {
			if len(k) != 16 || items.Get(k[8:]) == nil {
				problem("retention index: entry %x points at no record", k)
				return nil
			}
			if r, err := decodeRecord(items.Get(k[8:])); err == nil && !bytes.Equal(r.doneKey(), k) {
				problem("retention index: entry %x is stale for item %s", k, r.ID)
			}
			return nil
		}); err != nil {
			return err
		}
		// A database last written by a version without the identity index has no bucket.
		if idx := tx.Bucket(bktIdentity); idx != nil {
			if err := idx.ForEach(func(k, _ []byte) error {
				if len(k) != tagSize+8 || items.Get(k[tagSize:]) == nil {
					problem("identity index: an entry points at no record (removed at next start)")
					return nil
				}
				if r, err := decodeRecord(items.Get(k[tagSize:])); err == nil && !bytes.Equal(r.IdentityTag, k[:tagSize]) {
					problem("identity index: an entry is stale for item %s (removed at next start)", r.ID)
				}
				return nil
			}); err != nil {
				return err
			}
		}
		for _, idx := range [][]byte{bktIDs, bktCodes, bktPending} {
			err := tx.Bucket(idx).ForEach(func(k, v []byte) error {
				key := v
				if string(idx) == string(bktPending) {
					key = k
				}
				if len(key) != 8 || items.Get(key) == nil {
					problem("index %s: entry %q points at no record", idx, k)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		m := tx.Bucket(bktMeta)
		for _, s := range []State{Queued, Sending, Delivered, Failed, Held} {
			if got := readCount(m, countKey(s)); got != counts[s] {
				problem("counter %s is %d, records say %d", s, got, counts[s])
			}
		}
		if got := readCount(m, metaBytes); got != heldBytes {
			problem("byte counter is %d, records say %d", got, heldBytes)
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("queue: check: %w", err)
	}
	rep.Items = len(recs)

	referenced := map[string]bool{}
	for _, r := range recs {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		var p *personal
		if q.seal != nil {
			var err error
			if p, err = q.openPersonal(r); err != nil {
				problem("item %s: %v", r.ID, err)
			}
		}
		for i, f := range r.Files {
			referenced[f.Name] = true
			path := filepath.Join(q.filesDir, f.Name)
			fi, err := os.Stat(path)
			if err != nil {
				problem("item %s: attachment %d: %v", r.ID, i, errors.Unwrap(err))
				continue
			}
			if fi.Size() != f.Size {
				problem("item %s: attachment %d has %d bytes, want %d", r.ID, i, fi.Size(), f.Size)
				continue
			}
			if p == nil || i >= len(p.Attachments) {
				continue
			}
			sealed, err := os.ReadFile(path)
			if err != nil {
				problem("item %s: attachment %d: %v", r.ID, i, err)
				continue
			}
			plain, err := q.seal.open(sealed, fileAAD(r.ID, i))
			if err != nil {
				problem("item %s: attachment %d: %v", r.ID, i, err)
				continue
			}
			sum := sha256.Sum256(plain)
			if hex.EncodeToString(sum[:]) != p.Attachments[i].SHA256 {
				problem("item %s: attachment %d: SHA-256 mismatch", r.ID, i)
				continue
			}
			rep.Verified++
		}
	}
	entries, err := os.ReadDir(q.filesDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return rep, fmt.Errorf("queue: check: %w", err)
	}
	for _, e := range entries {
		rep.Files++
		if !referenced[e.Name()] {
			what := "orphan file"
			if strings.HasPrefix(e.Name(), tmpPrefix) {
				what = "unfinished temporary file"
			}
			if what == "orphan file" {
				problem("%s %s (moved to the quarantine folder at next start)", what, e.Name())
			} else {
				problem("%s %s (removed at next start)", what, e.Name())
			}
		}
	}
	return rep, nil
}

func indexSeq(tx *bolt.Tx, bkt []byte, key string) (uint64, bool) {
	v := tx.Bucket(bkt).Get([]byte(key))
	if len(v) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(v), true
}
