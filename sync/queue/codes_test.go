package queue

import (
	"path/filepath"
	"testing"

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
