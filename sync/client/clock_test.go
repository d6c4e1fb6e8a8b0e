package client

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/clock"
	"github.com/govkiosk/govkiosk/sync/hub"
	"github.com/govkiosk/govkiosk/sync/queue"
)

var epoch = time.Unix(0, 0).UTC()

// syncBuffer is a log sink safe for the client's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestKioskClockAt1970DeliversEverything is finding 1 of the reliability review: a kiosk
// booted with a dead clock battery (the wall clock and so the queue's Now hook read 1970,
// or 1999-12-31) takes submissions; on delivery the hub would refuse their created_at.
// They must reach the hub stamped with the trusted time (the hub's, from the handshake,
// carried on the monotonic clock), keep their own time in the outbox, and never be marked
// failed. Before the fix each was marked failed for good.
func TestKioskClockAt1970DeliversEverything(t *testing.T) {
	for _, wall := range []time.Time{epoch, time.Date(1999, 12, 31, 23, 59, 0, 0, time.UTC)} {
		t.Run(wall.Format(time.DateOnly), func(t *testing.T) {
			lh := startHub(t, hub.Options{})
			cr := lh.enroll(t)
			q, err := queue.Open(t.TempDir(), queue.Options{TerminalCode: cr.TerminalCode,
				KeyFile: filepath.Join(t.TempDir(), "queue.key"), CreateKey: true, MinFreeBytes: -1,
				Now: func() time.Time { return wall }})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { q.Close() })
			subs := []*queue.Submission{enqueue(t, q, "", 2000), enqueue(t, q, "")}
			rt, err := q.Rate(t.Context(), queue.RatingInput{SubmissionID: subs[0].ID, TrackingCode: subs[0].TrackingCode, Stars: 5})
			if err != nil {
				t.Fatal(err)
			}

			clk := clock.New(clock.Options{Wall: func() time.Time { return wall }})
			opt := fast(cr, q)
			opt.Now, opt.Clock = clk.Now, clk
			before := time.Now()
			c := run(t, opt)
			waitFor(t, 10*time.Second, "delivery", func() bool { return delivered(q) == 3 })
			if st, _ := q.Stats(); st.Failed != 0 {
				t.Fatalf("%d items failed", st.Failed)
			}
			if c.Stats().Failed != 0 {
				t.Errorf("client counted %d failed", c.Stats().Failed)
			}
			for _, s := range subs {
				got, err := lh.Submissions(hub.SubmissionQuery{TrackingCode: s.TrackingCode})
				if err != nil || len(got) != 1 {
					t.Fatalf("hub has %v, %v for %s", got, err, s.TrackingCode)
				}
				if at := got[0].CreatedAt; at.Before(before.Add(-time.Second)) || at.After(time.Now().Add(time.Second)) {
					t.Errorf("hub got created_at %v, want the trusted time (about %v)", at, before)
				}
				it, err := q.Get(s.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !it.Submission.CreatedAt.Equal(wall) || !it.Submission.Stamped.Equal(got[0].CreatedAt) {
					t.Errorf("outbox keeps created %v stamped %v; want %v and the time sent", it.Submission.CreatedAt, it.Submission.Stamped, wall)
				}
			}
			if it, _ := q.Get(rt.ID); it.Rating.Stamped.IsZero() {
				t.Error("rating sent without a stamp")
			}
			if src := func() clock.Source { _, s := clk.Trusted(); return s }(); src != clock.SourceHub {
				t.Errorf("trusted time from %s after a handshake, want hub", src)
			}
		})
	}
}

// A hub whose own clock reads 1970 still lets an enrolled terminal connect and deliver;
// the terminal records why it does not take the hub's time. Before the fix the terminal
// refused the hub's welcome ("hub_time: year out of range") and never connected.
func TestHubClockAt1970StillConnects(t *testing.T) {
	lh := startHub(t, hub.Options{Now: func() time.Time { return epoch.Add(time.Hour) }})
	cr := lh.enroll(t)
	q := openQueue(t, cr)
	enqueue(t, q, "", 500)
	logs := &syncBuffer{}
	opt := fast(cr, q)
	opt.Logger = slog.New(slog.NewTextHandler(logs, nil))
	clk := clock.New(clock.Options{})
	opt.Clock = clk
	c := run(t, opt)
	waitFor(t, 10*time.Second, "delivery through a hub at 1970", func() bool { return delivered(q) == 1 })
	if !c.State().Online {
		t.Error("not online")
	}
	if !strings.Contains(logs.String(), "hub clock implausible") {
		t.Errorf("no reason recorded:\n%s", logs.String())
	}
	if _, src := clk.Trusted(); src == clock.SourceHub {
		t.Error("took the 1970 hub time")
	}
}
