package queue

import (
	"errors"
	"testing"
	"time"
)

// TestClockAt1970NeverLosesSubmissions is finding 1 of the reliability review at the
// queue: a kiosk whose clock read 1970 at boot takes submissions; one is refused (as the
// old client marked it failed), then the clock comes right, 56 years "later". Nothing
// the kiosk accepted may be pruned before the hub has it: both items keep their records,
// their personal data and their scans.
func TestClockAt1970NeverLosesSubmissions(t *testing.T) {
	env := newEnv(t)
	env.clock.Advance(time.Unix(0, 0).Sub(env.clock.Now())) // a dead RTC
	q := env.open(t)
	failed := mustEnqueue(t, q, sampleSubmission(1, 300))
	waiting := mustEnqueue(t, q, sampleSubmission(2, 300))
	if failed.CreatedAt.Year() != 1970 {
		t.Fatalf("CreatedAt = %v, want the 1970 clock", failed.CreatedAt)
	}
	if err := q.MarkFailed(failed.ID, "hub error bad_message: created_at year out of range"); err != nil {
		t.Fatal(err)
	}

	env.clock.Advance(time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC).Sub(env.clock.Now()))
	if n, err := q.Prune(); err != nil || n != 0 {
		t.Fatalf("Prune after the clock came right = %d, %v; want nothing pruned", n, err)
	}
	q.Close()
	q = env.open(t) // Open prunes too
	for _, s := range []*Submission{failed, waiting} {
		it, err := q.Get(s.ID)
		if err != nil {
			t.Fatalf("%s lost: %v", s.TrackingCode, err)
		}
		if it.Submission.Fields == nil {
			t.Errorf("%s: personal data gone", s.TrackingCode)
		}
		if _, err := q.ReadAttachment(s.ID, 0); err != nil {
			t.Errorf("%s: scan gone: %v", s.TrackingCode, err)
		}
	}
	if names := listFiles(t, env.dir); len(names) != 2 {
		t.Errorf("files = %v, want both scans", names)
	}
}

// Restamp keeps the first trusted time for every later attempt (the hub identifies a
// submission by its content), leaves CreatedAt as read, and refuses delivered items.
func TestRestamp(t *testing.T) {
	env := newEnv(t)
	q := env.open(t)
	s := mustEnqueue(t, q, sampleSubmission(1))
	first := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	for _, at := range []time.Time{first, first.Add(time.Hour)} {
		got, err := q.Restamp(s.ID, at)
		if err != nil || !got.Equal(first) {
			t.Fatalf("Restamp(%v) = %v, %v; want the first stamp %v", at, got, err, first)
		}
	}
	it, _ := q.Get(s.ID)
	if !it.Submission.Stamped.Equal(first) || !it.Submission.CreatedAt.Equal(s.CreatedAt) || it.Submission.State != Queued {
		t.Errorf("after Restamp: %+v", it.Submission)
	}
	d := mustEnqueue(t, q, sampleSubmission(2))
	q.MarkDelivered(d.ID, "h")
	var te *TransitionError
	if _, err := q.Restamp(d.ID, first); !errors.As(err, &te) {
		t.Errorf("Restamp of a delivered item = %v, want a TransitionError", err)
	}
	checkClean(t, q)
}
