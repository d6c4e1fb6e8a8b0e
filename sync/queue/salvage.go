package queue

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SalvageReport is what Salvage copied and what it could not. Nothing in it is personal.
type SalvageReport struct {
	// Records were copied with their index entries; Unreadable records (damaged bytes,
	// or lost behind a damaged page) were not, though their raw bytes, where readable,
	// went to the new queue's quarantine bucket.
	Records, Unreadable int
	// Files were copied for their records; MissingFiles were named but absent or the
	// wrong size (their items open as failed, for a technician); Orphans are files no
	// readable record names, copied to the new queue's quarantine folder.
	Files, MissingFiles, Orphans int
	// Problems are one line each.
	Problems []string
}

// Salvage copies every readable record and attachment file of the queue in srcDir,
// which may be damaged, into a new queue in dstDir, and leaves srcDir as it was. opt are
// the options of the new queue (its terminal code and key: the queue's own key, so the
// records stay readable). Records that cannot be read and files no readable record names
// are kept in the new queue's quarantine, never dropped. The new queue's sequence starts
// past every number the old one may have issued.
func Salvage(srcDir, dstDir string, opt Options) (rep SalvageReport, err error) {
	if _, err := os.Stat(filepath.Join(dstDir, dbName)); err == nil {
		return rep, fmt.Errorf("%w: %s already holds a queue", ErrInvalid, dstDir)
	}
	problem := func(format string, a ...any) { rep.Problems = append(rep.Problems, fmt.Sprintf(format, a...)) }

	raw, seq, rerr := readRecords(filepath.Join(srcDir, dbName), opt.LockTimeout)
	if rerr != nil {
		if errors.Is(rerr, ErrLocked) {
			return rep, rerr
		}
		// Nothing readable: still keep every file.
		problem("database unreadable: %v", rerr)
	}

	opt.ReadOnly = false
	opt.CreateKey = false
	if opt.SeqFloor < seq+seqSkip {
		opt.SeqFloor = seq + seqSkip
	}
	dst, err := Open(dstDir, opt)
	if err != nil {
		return rep, fmt.Errorf("queue: salvage: new queue: %w", err)
	}
	defer func() {
		if dst == nil {
			return
		}
		if cerr := dst.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()

	referenced := map[string]bool{}
	keys := make([]uint64, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	var recs []*record
	err = dst.update(func(tx *bolt.Tx) error {
		for _, k := range keys {
			v := raw[k]
			r, derr := decodeRecord(v.value)
			if derr != nil || r.Seq != k || v.quarantined {
				rep.Unreadable++
				if !v.quarantined {
					problem("record %d: %v", k, derr)
				}
				if err := tx.Bucket(bktQuarantine).Put(seqKey(k), v.value); err != nil {
					return err
				}
				continue
			}
			if tx.Bucket(bktIDs).Get([]byte(r.ID)) != nil {
				rep.Unreadable++
				problem("record %d: id %s appears twice; the second is in quarantine", k, r.ID)
				if err := tx.Bucket(bktQuarantine).Put(seqKey(k), v.value); err != nil {
					return err
				}
				continue
			}
			if err := importRecord(tx, r); err != nil {
				return err
			}
			recs = append(recs, r)
			rep.Records++
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("queue: salvage: %w", err)
	}

	srcFiles := filepath.Join(srcDir, filesDir)
	for _, r := range recs {
		for _, f := range r.Files {
			referenced[f.Name] = true
			if err := copyFileDurably(filepath.Join(srcFiles, f.Name), dst.filesDir, f.Name, f.Size); err != nil {
				rep.MissingFiles++
				problem("item %s: attachment %s: %v", r.ID, f.Name, err)
				continue
			}
			rep.Files++
		}
	}
	// Everything else that could be someone's scan goes to quarantine.
	quarantine := filepath.Join(dstDir, quarantineDir)
	for _, dir := range []string{srcFiles, filepath.Join(srcDir, quarantineDir)} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if referenced[e.Name()] || isTemp(e.Name()) || !e.Type().IsRegular() {
				continue
			}
			if err := mkdirDurable(quarantine); err != nil {
				return rep, fmt.Errorf("queue: salvage: %w", err)
			}
			if err := copyFileDurably(filepath.Join(dir, e.Name()), quarantine, e.Name(), -1); err != nil {
				problem("file %s: %v", e.Name(), err)
				continue
			}
			rep.Orphans++
		}
	}
	if err := syncDir(dst.filesDir); err != nil {
		return rep, fmt.Errorf("queue: salvage: %w", err)
	}
	// Reopen: recovery marks items whose files are missing as failed and recounts.
	cerr := dst.Close()
	dst = nil
	if cerr != nil {
		return rep, cerr
	}
	if dst, err = Open(dstDir, opt); err != nil {
		dst = nil
		return rep, fmt.Errorf("queue: salvage: reopen: %w", err)
	}
	return rep, nil
}

type rawRecord struct {
	value       []byte
	quarantined bool // from the old queue's quarantine bucket
}

// readRecords reads every item record it can from a possibly damaged database, walking
// the items from the front and, when damage stops that, from the back; and the records
// an earlier Open set aside. It returns them by key, and the highest sequence seen.
func readRecords(path string, timeout time.Duration) (map[uint64]rawRecord, uint64, error) {
	if timeout <= 0 {
		timeout = defaultLockTimeout
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: timeout})
	if err != nil {
		return nil, 0, openErr(path, err)
	}
	defer db.Close()
	out := map[uint64]rawRecord{}
	var maxSeq uint64
	walk := func(bucket []byte, backward, quarantined bool) error {
		return safeRead(db, func(tx *bolt.Tx) error {
			b := tx.Bucket(bucket)
			if b == nil {
				return nil
			}
			if string(bucket) == string(bktItems) {
				maxSeq = max(maxSeq, b.Sequence())
			}
			c := b.Cursor()
			k, v := c.First()
			if backward {
				k, v = c.Last()
			}
			for ; k != nil; k, v = step(c, backward) {
				if len(k) != 8 {
					continue
				}
				s := seqOf(k)
				maxSeq = max(maxSeq, s)
				if _, seen := out[s]; !seen {
					out[s] = rawRecord{value: bytes.Clone(v), quarantined: quarantined}
				}
			}
			return nil
		})
	}
	ferr := walk(bktItems, false, false)
	if ferr != nil {
		_ = walk(bktItems, true, false)
	}
	_ = walk(bktQuarantine, false, true)
	if ferr != nil && len(out) == 0 {
		return nil, maxSeq, ferr
	}
	return out, maxSeq, nil
}

func step(c *bolt.Cursor, backward bool) ([]byte, []byte) {
	if backward {
		return c.Prev()
	}
	return c.Next()
}

// safeRead runs fn in a read transaction of db, a damaged page being ErrCorrupt.
func safeRead(db *bolt.DB, fn func(*bolt.Tx) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverCorrupt(&err)
	return db.View(fn)
}

// importRecord stores a salvaged record with all its index entries.
func importRecord(tx *bolt.Tx, r *record) error {
	if err := putRecord(tx, nil, r); err != nil {
		return err
	}
	key := seqKey(r.Seq)
	if err := tx.Bucket(bktIDs).Put([]byte(r.ID), key); err != nil {
		return err
	}
	switch r.Kind {
	case kindSubmission:
		if r.TrackingCode != "" {
			if err := tx.Bucket(bktCodes).Put([]byte(r.TrackingCode), key); err != nil {
				return err
			}
		}
		if k := identityIndexKey(r.IdentityTag, r.Seq); k != nil {
			if err := tx.Bucket(bktIdentity).Put(k, nil); err != nil {
				return err
			}
		}
	case kindRating:
		if r.SubmissionID != "" {
			if err := tx.Bucket(bktRated).Put([]byte(r.SubmissionID), key); err != nil {
				return err
			}
		}
	}
	return nil
}

// copyFileDurably copies src to dir/name and fsyncs it; size >= 0 must match.
func copyFileDurably(src, dir, name string, size int64) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if size >= 0 {
		fi, err := in.Stat()
		if err != nil {
			return err
		}
		if fi.Size() != size {
			return fmt.Errorf("%d bytes, the record says %d", fi.Size(), size)
		}
	}
	out, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
