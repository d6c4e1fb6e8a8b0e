package queue

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Finding 3 of the reliability review: each test builds a real queue, damages a copy of
// its database file the way a failing disk or a power cut does (bytes flipped in place),
// and opens the copy.

const pageSize = 4096 // bbolt uses the OS page size; the tests run where it is 4 KiB

// copyQueue copies the queue directory (database and files) to a fresh environment
// sharing the key.
func copyQueue(t *testing.T, env *testEnv) *testEnv {
	t.Helper()
	dst := newEnv(t)
	dst.keyFile, dst.clock = env.keyFile, env.clock
	if err := os.CopyFS(dst.dir, os.DirFS(env.dir)); err != nil {
		t.Fatal(err)
	}
	return dst
}

func editDB(t *testing.T, env *testEnv, edit func(b []byte)) {
	t.Helper()
	path := filepath.Join(env.dir, dbName)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edit(b)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// pages calls fn for each page of a bbolt file with its flags.
func pages(b []byte, fn func(p []byte, flags uint16)) {
	for off := 0; off+pageSize <= len(b); off += pageSize {
		fn(b[off:off+pageSize], binary.LittleEndian.Uint16(b[off+8:]))
	}
}

// TestDamagedBranchPagesAreErrCorruptNotACrash: branch pages whose children point at a
// meta page made bbolt panic inside Tx.Check's own goroutine, which took down the kiosk
// and every kioskctl queue command. Open must return ErrCorrupt, writable or read-only.
func TestDamagedBranchPagesAreErrCorruptNotACrash(t *testing.T) {
	env := newEnv(t)
	q := env.open(t)
	for i := range 400 {
		mustEnqueue(t, q, sampleSubmission(i))
	}
	q.Close()
	bad := copyQueue(t, env)
	branches := 0
	editDB(t, bad, func(b []byte) {
		pages(b, func(p []byte, flags uint16) {
			if flags != 0x01 {
				return
			}
			branches++
			for e := range int(binary.LittleEndian.Uint16(p[10:])) {
				binary.LittleEndian.PutUint64(p[16+e*16+8:], 1) // child → meta page 1
			}
		})
	})
	if branches == 0 {
		t.Fatal("no branch page to damage: the queue is too small")
	}
	for _, ro := range []bool{false, true} {
		opt := bad.options()
		opt.ReadOnly = ro
		q, err := Open(bad.dir, opt)
		if !errors.Is(err, ErrCorrupt) {
			if q != nil {
				q.Close()
			}
			t.Errorf("Open(read-only %v) of damaged branch pages = %v, want ErrCorrupt", ro, err)
		}
	}
	// The original is untouched and fine.
	checkClean(t, env.open(t))
}

// TestUndecodableRecordIsSetAside: one record whose kind was damaged made the writable
// Open refuse the whole queue. Open must set that record aside and serve the others.
func TestUndecodableRecordIsSetAside(t *testing.T) {
	env := newEnv(t)
	q := env.open(t)
	var subs []*Submission
	for i := range 3 {
		subs = append(subs, mustEnqueue(t, q, sampleSubmission(i, 200)))
	}
	q.Close()
	bad := copyQueue(t, env)
	editDB(t, bad, func(b []byte) {
		// The middle record's kind, in every copy of its page (bbolt copies on write,
		// so older copies linger in freed pages); same length, so pages stay well formed.
		id := []byte(`"id":"` + subs[1].ID + `"`)
		n := 0
		for off := 0; ; {
			i := bytes.Index(b[off:], id)
			if i < 0 {
				break
			}
			i += off
			if start := bytes.LastIndex(b[:i], []byte(`"kind":"submission"`)); start >= 0 && i-start < 64 {
				copy(b[start:], `"kind":"xxxxxxxxxx"`)
				n++
			}
			off = i + len(id)
		}
		if n == 0 {
			t.Fatal("record not found in the file")
		}
	})
	q = bad.open(t)
	items, err := q.Pending(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].ID() != subs[0].ID || items[1].ID() != subs[2].ID {
		t.Errorf("pending after a damaged record = %d items, want the other two", len(items))
	}
	if recs, _, err := q.Quarantined(); err != nil || recs != 1 {
		t.Errorf("Quarantined = %d, %v; want 1 record", recs, err)
	}
	if _, err := q.ReadAttachment(subs[2].ID, 0); err != nil {
		t.Errorf("the others' scans: %v", err)
	}
	if _, err := q.Enqueue(t.Context(), sampleSubmission(9)); err != nil {
		t.Errorf("the queue takes no new submission: %v", err)
	}
	checkCleanExceptOrphans(t, q)
}

// TestRolledBackRecordKeepsItsScan: a damaged newest meta page makes bbolt fall back on
// the other one, silently rolling back the last transaction: the last acknowledged
// submission's record is gone while its scan is on disk. Open deleted the scan as an
// orphan and then issued the lost tracking code again. The scan must be kept (in the
// quarantine folder) and the code never issued twice.
func TestRolledBackRecordKeepsItsScan(t *testing.T) {
	env := newEnv(t)
	q := env.open(t)
	mustEnqueue(t, q, sampleSubmission(1, 300))
	last := mustEnqueue(t, q, sampleSubmission(2, 400))
	q.Close()
	bad := copyQueue(t, env)
	editDB(t, bad, func(b []byte) {
		// The meta page with the higher txid is the newest; break its checksum.
		txid := func(p int) uint64 { return binary.LittleEndian.Uint64(b[p*pageSize+64:]) }
		newest := 0
		if txid(1) > txid(0) {
			newest = 1
		}
		b[newest*pageSize+72] ^= 0xFF
	})
	q = bad.open(t)
	if _, err := q.Get(last.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the rollback did not happen (Get = %v): the test damages the wrong page", err)
	}
	kept, err := os.ReadDir(filepath.Join(bad.dir, quarantineDir))
	if err != nil || len(kept) != 1 {
		t.Fatalf("quarantine folder holds %d files (%v), want the lost submission's scan", len(kept), err)
	}
	if _, files, _ := q.Quarantined(); files != 1 {
		t.Errorf("Quarantined files = %d, want 1", files)
	}
	next := mustEnqueue(t, q, sampleSubmission(3))
	if next.TrackingCode == last.TrackingCode {
		t.Errorf("tracking code %s issued twice", next.TrackingCode)
	}
}

// checkCleanExceptOrphans is checkClean for a queue whose quarantine folder is in use.
func checkCleanExceptOrphans(t *testing.T, q *Queue) {
	t.Helper()
	rep, err := q.Check(t.Context())
	if err != nil || len(rep.Problems) != 0 {
		t.Errorf("Check = %v, %v", rep.Problems, err)
	}
}
