package queue

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestReopenRecovers(t *testing.T) {
	env := newEnv(t)
	q := env.open(t)
	sending := mustEnqueue(t, q, sampleSubmission(1, 100))
	missing := mustEnqueue(t, q, sampleSubmission(2, 100, 200))
	truncated := mustEnqueue(t, q, sampleSubmission(3, 100))
	intact := mustEnqueue(t, q, sampleSubmission(4, 100))
	if err := q.MarkSending(sending.ID); err != nil {
		t.Fatal(err)
	}
	files := map[string][]string{}
	q.db.View(func(tx *bolt.Tx) error {
		for _, id := range []string{missing.ID, truncated.ID} {
			r, _ := getByID(tx, id)
			for _, f := range r.Files {
				files[id] = append(files[id], filepath.Join(env.dir, filesDir, f.Name))
			}
		}
		return nil
	})
	q.Close()

	// What a crash (or a technician) can leave behind.
	os.Remove(files[missing.ID][1])
	os.Truncate(files[truncated.ID][0], 10)
	orphan := filepath.Join(env.dir, filesDir, "gone-0.1.deadbeef.att")
	temp := filepath.Join(env.dir, filesDir, tmpPrefix+"123")
	writeFile(t, orphan, "x", 0o600)
	writeFile(t, temp, "partial", 0o600)

	q = env.open(t)
	tests := []struct {
		id     string
		state  State
		reason string
	}{
		{sending.ID, Queued, ""},
		{missing.ID, Failed, "attachment file 1 missing"},
		{truncated.ID, Failed, "attachment file 0 has 10 bytes"},
		{intact.ID, Queued, ""},
	}
	for _, tt := range tests {
		it, err := q.Get(tt.id)
		if err != nil {
			t.Fatal(err)
		}
		if it.Submission.State != tt.state || !strings.Contains(it.Submission.Reason, tt.reason) {
			t.Errorf("%s: state %s reason %q, want %s %q", tt.id, it.Submission.State, it.Submission.Reason, tt.state, tt.reason)
		}
	}
	for _, p := range []string{orphan, temp} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s not removed", filepath.Base(p))
		}
	}
	st, _ := q.Stats()
	if st.Queued != 2 || st.Failed != 2 || st.Sending != 0 {
		t.Errorf("Stats = %+v", st)
	}
	// The intact attachment of the failed item is still there for a technician.
	if _, err := q.ReadAttachment(missing.ID, 0); err != nil {
		t.Errorf("intact attachment of a failed item: %v", err)
	}
}

func TestCountersRecountedAtOpen(t *testing.T) {
	env := newEnv(t)
	q := env.open(t)
	mustEnqueue(t, q, sampleSubmission(1, 100))
	want, _ := q.Stats()
	// Damage the counters behind the queue's back.
	q.db.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bktMeta)
		writeCount(m, countKey(Queued), 17)
		return writeCount(m, metaBytes, 5)
	})
	rep, err := q.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 2 {
		t.Errorf("Check problems = %v, want the two counters", rep.Problems)
	}
	q.Close()
	q = env.open(t)
	got, _ := q.Stats()
	if got != want {
		t.Errorf("Stats after reopen = %+v, want %+v", got, want)
	}
}

func TestCheckHealthy(t *testing.T) {
	env := newEnv(t)
	q := env.open(t)
	for i := 0; i < 5; i++ {
		s := mustEnqueue(t, q, sampleSubmission(i, 1000, 2000))
		if i%2 == 0 {
			q.MarkDelivered(s.ID, "h")
		}
	}
	q.Rate(context.Background(), RatingInput{Stars: 3})
	rep, err := q.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 0 || rep.Items != 6 || rep.Files != 4 || rep.Verified != 4 {
		t.Errorf("Check = %+v", rep)
	}
}

func TestReadOnly(t *testing.T) {
	env := newEnv(t)
	if _, err := Open(env.dir, Options{ReadOnly: true}); !errors.Is(err, ErrNotFound) {
		t.Errorf("read-only open of nothing = %v, want ErrNotFound", err)
	}
	q := env.open(t)
	s := mustEnqueue(t, q, sampleSubmission(1, 100))

	// The writer holds the lock: a reader waits, then gives up with ErrLocked.
	if _, err := Open(env.dir, Options{ReadOnly: true, LockTimeout: 50 * time.Millisecond}); !errors.Is(err, ErrLocked) {
		t.Errorf("read-only open while the kiosk runs = %v, want ErrLocked", err)
	}
	q.Close()

	ro, err := Open(env.dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ro.Close() })
	st, err := ro.Stats()
	if err != nil || st.Queued != 1 {
		t.Errorf("Stats = %+v, %v", st, err)
	}
	entries, err := ro.List(0)
	if err != nil || len(entries) != 1 || entries[0].TrackingCode != s.TrackingCode || entries[0].Files != 1 {
		t.Errorf("List = %+v, %v", entries, err)
	}
	if _, err := ro.Get(s.ID); !errors.Is(err, ErrKey) {
		t.Errorf("Get without key = %v, want ErrKey", err)
	}
	if err := ro.MarkSending(s.ID); !errors.Is(err, ErrReadOnly) {
		t.Errorf("MarkSending read-only = %v, want ErrReadOnly", err)
	}
	if _, err := ro.Enqueue(context.Background(), sampleSubmission(2)); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Enqueue read-only = %v, want ErrReadOnly", err)
	}
	rep, err := ro.Check(context.Background())
	if err != nil || len(rep.Problems) != 0 || rep.Verified != 0 {
		t.Errorf("Check without key = %+v, %v", rep, err)
	}
	// With the key, the read-only check opens everything.
	ro2, err := Open(env.dir, Options{ReadOnly: true, KeyFile: env.keyFile})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ro2.Close() })
	rep, err = ro2.Check(context.Background())
	if err != nil || len(rep.Problems) != 0 || rep.Verified != 1 {
		t.Errorf("Check with key = %+v, %v", rep, err)
	}
}

func TestCorruptDatabaseFile(t *testing.T) {
	env := newEnv(t)
	q := env.open(t)
	mustEnqueue(t, q, sampleSubmission(1))
	q.Close()
	path := filepath.Join(env.dir, dbName)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Wreck both meta pages (bbolt keeps two; either alone is recoverable).
	pageSize := os.Getpagesize()
	for _, off := range []int{0, pageSize} {
		for i := 16; i < 64; i++ {
			data[off+i] ^= 0xff
		}
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(env.dir, env.options()); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Open of a wrecked file = %v, want ErrCorrupt", err)
	}
}

func TestSeqFloor(t *testing.T) {
	env := newEnv(t)
	q := env.open(t, func(o *Options) { o.SeqFloor = 5000 })
	s := mustEnqueue(t, q, sampleSubmission(1))
	if s.Seq != 5001 {
		t.Errorf("Seq = %d, want 5001", s.Seq)
	}
	q.Close()
	// A lower floor later never moves the sequence back.
	q = env.open(t, func(o *Options) { o.SeqFloor = 10 })
	if s := mustEnqueue(t, q, sampleSubmission(2)); s.Seq != 5002 {
		t.Errorf("Seq = %d, want 5002", s.Seq)
	}
}

func TestRetention(t *testing.T) {
	env := newEnv(t)
	q := env.open(t, func(o *Options) { o.Retention = 48 * time.Hour })
	delivered := mustEnqueue(t, q, sampleSubmission(1))
	failed := mustEnqueue(t, q, sampleSubmission(2, 500))
	waiting := mustEnqueue(t, q, sampleSubmission(3, 500))
	q.MarkDelivered(delivered.ID, "h")
	q.MarkFailed(failed.ID, "rejected")

	env.clock.Advance(47 * time.Hour)
	if n, err := q.Prune(); err != nil || n != 0 {
		t.Fatalf("Prune before retention = %d, %v", n, err)
	}
	if _, err := q.Lookup(delivered.TrackingCode); err != nil {
		t.Errorf("receipt gone early: %v", err)
	}
	env.clock.Advance(2 * time.Hour)
	if n, err := q.Prune(); err != nil || n != 1 {
		t.Fatalf("Prune after retention = %d, %v", n, err)
	}
	if _, err := q.Lookup(delivered.TrackingCode); !errors.Is(err, ErrNotFound) {
		t.Errorf("Lookup after prune = %v", err)
	}
	// What waits, and what failed, is never pruned, however old: the hub does not have
	// it, and the resident holds a receipt.
	if _, err := q.Get(waiting.ID); err != nil {
		t.Errorf("waiting item pruned: %v", err)
	}
	if it, err := q.Get(failed.ID); err != nil || len(it.Submission.Attachments) != 1 {
		t.Errorf("failed item pruned: %v", err)
	}
	if names := listFiles(t, env.dir); len(names) != 2 {
		t.Errorf("files = %v, want the waiting and the failed item's", names)
	}
	st, _ := q.Stats()
	if st != (Stats{Queued: 1, Failed: 1, OldestQueued: waiting.CreatedAt, Bytes: st.Bytes}) || st.Bytes <= 1000 {
		t.Errorf("Stats = %+v", st)
	}
	rep, _ := q.Check(context.Background())
	if len(rep.Problems) != 0 {
		t.Errorf("Check after prune: %v", rep.Problems)
	}
}
