package queue

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/govkiosk/govkiosk/kiosk/tracking"
)

// TestTrackingCodesNotConsecutive is the kiosk half of finding 8 (unmasking tracking
// codes): codes printed one after another used to carry consecutive sequence numbers, so
// one receipt gave away its neighbours. A new queue shuffles them with a key derived from
// its own; reopening keeps the same shuffle, and codes stay unique.
func TestTrackingCodesNotConsecutive(t *testing.T) {
	env := newEnv(t)
	q := env.open(t)
	var vals []uint64
	seen := map[string]bool{}
	for i := range 12 {
		s := mustEnqueue(t, q, sampleSubmission(i))
		c, err := tracking.Parse(s.TrackingCode)
		if err != nil {
			t.Fatal(err)
		}
		if seen[s.TrackingCode] {
			t.Fatalf("code %s issued twice", s.TrackingCode)
		}
		seen[s.TrackingCode] = true
		vals = append(vals, c.Seq)
	}
	near := 0
	for i := 1; i < len(vals); i++ {
		if d := int64(vals[i]) - int64(vals[i-1]); d >= -1024 && d <= 1024 {
			near++
		}
	}
	if near > 1 {
		t.Errorf("%d of 11 consecutive codes lie within 1024 of each other: %v", near, vals)
	}
	// The same key after a reopen: the next code continues the same shuffle.
	q.Close()
	q = env.open(t)
	s := mustEnqueue(t, q, sampleSubmission(99))
	c, _ := tracking.Parse(s.TrackingCode)
	if s.Seq != 13 || c.Seq != q.perm.Permute(13) || seen[s.TrackingCode] {
		t.Errorf("after reopen: seq %d code %s", s.Seq, s.TrackingCode)
	}
}

// TestLegacyQueueKeepsRunningCodes: a queue that issued running codes before the shuffle
// existed keeps issuing them, so no new code can meet one already printed.
func TestLegacyQueueKeepsRunningCodes(t *testing.T) {
	env := newEnv(t)
	q := env.open(t)
	mustEnqueue(t, q, sampleSubmission(1))
	q.Close()
	// Make it look like a queue from before: no permutation mark.
	db, err := bolt.Open(filepath.Join(env.dir, dbName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bktMeta).Delete(metaCodePerm) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	q = env.open(t)
	s := mustEnqueue(t, q, sampleSubmission(2))
	if want, _ := tracking.New(testTerminal, 2); s.TrackingCode != want {
		t.Errorf("legacy queue issued %s, want the running code %s", s.TrackingCode, want)
	}
}

// TestHeldSubmissionIsKeptAndResolved: a submission the hub refused for a conflict the
// terminal did not cause is held — out of the outbox, counted, never pruned — until an
// operator re-issues its code or releases it.
func TestHeldSubmissionIsKeptAndResolved(t *testing.T) {
	env := newEnv(t)
	q := env.open(t, func(o *Options) { o.Retention = time.Hour })
	a := mustEnqueue(t, q, sampleSubmission(1, 1000))
	b := mustEnqueue(t, q, sampleSubmission(2))
	if err := q.MarkSending(a.ID); err != nil {
		t.Fatal(err)
	}
	if err := q.MarkHeld(a.ID, "conflict: tracking code already used"); err != nil {
		t.Fatal(err)
	}
	// A late transient-failure note does not un-hold it.
	var te *TransitionError
	if err := q.NoteAttempt(a.ID, errors.New("link cut")); !errors.As(err, &te) {
		t.Errorf("NoteAttempt on a held item = %v", err)
	}
	st, _ := q.Stats()
	if st.Held != 1 || st.Queued != 1 || st.Failed != 0 {
		t.Errorf("stats %+v", st)
	}
	if p, _ := q.Pending(0); len(p) != 1 || p[0].ID() != b.ID {
		t.Errorf("pending %v", p)
	}
	// Never pruned, whatever the age.
	env.clock.Advance(30 * 24 * time.Hour)
	if _, err := q.Prune(); err != nil {
		t.Fatal(err)
	}
	held, _ := q.Held()
	if len(held) != 1 || held[0].ID != a.ID || held[0].Reason == "" {
		t.Fatalf("held %+v", held)
	}
	if _, err := q.ReadAttachment(a.ID, 0); err != nil {
		t.Errorf("held item lost its attachment: %v", err)
	}
	// Re-issue: a new code, never issued before, and back in the outbox first.
	code, err := q.Reissue(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if code == a.TrackingCode || code == b.TrackingCode || !tracking.Valid(code) {
		t.Errorf("re-issued code %s (old %s)", code, a.TrackingCode)
	}
	if _, err := q.Lookup(code); err != nil {
		t.Errorf("lookup of the new code: %v", err)
	}
	p, _ := q.Pending(0)
	if len(p) != 2 || p[0].ID() != a.ID || p[0].Submission.TrackingCode != code {
		t.Errorf("after reissue pending %+v", p)
	}
	if _, err := q.Reissue(a.ID); !errors.As(err, &te) {
		t.Errorf("reissue of a queued item = %v", err)
	}
	// Release: back as it is.
	if err := q.MarkHeld(a.ID, "conflict"); err != nil {
		t.Fatal(err)
	}
	if err := q.Release(a.ID); err != nil {
		t.Fatal(err)
	}
	if st, _ := q.Stats(); st.Held != 0 || st.Queued != 2 {
		t.Errorf("after release %+v", st)
	}
	if rep, err := q.Check(context.Background()); err != nil || len(rep.Problems) != 0 {
		t.Errorf("check: %+v %v", rep, err)
	}
}
