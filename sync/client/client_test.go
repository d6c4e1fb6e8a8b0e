package client

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/sync/hub"
	"github.com/govkiosk/govkiosk/sync/protocol"
	"github.com/govkiosk/govkiosk/sync/queue"
)

func TestDeliversEverythingOnceInOrder(t *testing.T) {
	lh := startHub(t, hub.Options{})
	cr := lh.enroll(t)
	q := openQueue(t, cr)
	s1 := enqueue(t, q, "", 700<<10, 10<<10)
	s2 := enqueue(t, q, "")
	if _, err := q.Rate(context.Background(), queue.RatingInput{SubmissionID: s1.ID, TrackingCode: s1.TrackingCode,
		Item: s1.Item, Stars: 4, Comment: "样例乙：很快"}); err != nil {
		t.Fatal(err)
	}
	s3 := enqueue(t, q, "", 300<<10)

	c := run(t, fast(cr, q))
	waitFor(t, 10*time.Second, "4 items delivered", func() bool { return delivered(q) == 4 })

	subs, err := lh.Submissions(hub.SubmissionQuery{})
	if err != nil || len(subs) != 3 {
		t.Fatalf("hub has %d submissions (%v), want 3", len(subs), err)
	}
	// Newest first at the hub; enqueue order on the wire.
	for i, s := range []*queue.Submission{s3, s2, s1} {
		if subs[i].TrackingCode != s.TrackingCode || subs[i].Attachments != len(s.Attachments) || subs[i].Item != s.Item {
			t.Errorf("hub submission %d = %+v, want %s", i, subs[i], s.TrackingCode)
		}
	}
	if !(subs[2].HubRef < subs[1].HubRef && subs[1].HubRef < subs[0].HubRef) {
		t.Errorf("not delivered in enqueue order: %s %s %s", subs[2].HubRef, subs[1].HubRef, subs[0].HubRef)
	}
	sameBytes(t, lh, s1, 0)
	sameBytes(t, lh, s1, 1)
	it, _ := q.Get(s1.ID)
	if it.Submission.HubRef != subs[2].HubRef {
		t.Errorf("queue recorded hub ref %q, hub says %q", it.Submission.HubRef, subs[2].HubRef)
	}
	if st := lh.Stats(); st.Submissions != 3 || st.Ratings != 1 || st.Duplicates != 0 {
		t.Errorf("hub stats %+v", st)
	}

	// A new submission while connected is sent without waiting for a timer.
	s4 := enqueue(t, q, "", 1000)
	waitFor(t, 5*time.Second, "new item delivered", func() bool { return delivered(q) == 5 })
	if subs, _ := lh.Submissions(hub.SubmissionQuery{TrackingCode: s4.TrackingCode}); len(subs) != 1 {
		t.Errorf("new submission not at the hub")
	}
	waitFor(t, 5*time.Second, "state caught up", func() bool { return c.State().Queued == 0 })
	st := c.State()
	if !st.Online || st.LastSync.IsZero() || st.LastError != "" {
		t.Errorf("client state %+v", st)
	}
}

func TestPoisonedItemsDoNotBlockTheRest(t *testing.T) {
	lh := startHub(t, hub.Options{})
	a, b := lh.enroll(t), lh.enroll(t)
	qa, qb := openQueue(t, a), openQueue(t, b)

	// Terminal b delivers a submission first; terminal a then holds one with the same id.
	enqueue(t, qb, "shared-id-1", 100)
	run(t, fast(b, qb))
	waitFor(t, 5*time.Second, "b delivered", func() bool { return delivered(qb) == 1 })

	ok1 := enqueue(t, qa, "", 2000)
	enqueue(t, qa, "shared-id-1", 100)
	tooBig := queue.NewSubmission{Item: "x", Fields: map[string]string{"note": strings.Repeat("长", protocol.MaxFieldValue)}}
	big, err := qa.Enqueue(context.Background(), tooBig)
	if err != nil {
		t.Fatal(err)
	}
	ok2 := enqueue(t, qa, "", 3000)
	run(t, fast(a, qa))
	waitFor(t, 10*time.Second, "the good ones delivered", func() bool { return delivered(qa) == 2 })
	st, _ := qa.Stats()
	if st.Failed != 1 || st.Held != 1 || st.Queued+st.Sending != 0 {
		t.Errorf("queue stats %+v, want 2 delivered, 1 failed, 1 held", st)
	}
	// The id clash is not a's doing: a resident's submission is held for an operator,
	// never failed; the one that cannot be sent at all is failed.
	for id, want := range map[string]struct {
		state  queue.State
		reason string
	}{"shared-id-1": {queue.Held, "conflict"}, big.ID: {queue.Failed, "fields"}} {
		it, _ := qa.Get(id)
		if it.Submission.State != want.state || !strings.Contains(it.Submission.Reason, want.reason) {
			t.Errorf("%s: state %s reason %q, want %s with %q", id, it.Submission.State, it.Submission.Reason, want.state, want.reason)
		}
	}
	for _, s := range []*queue.Submission{ok1, ok2} {
		if subs, _ := lh.Submissions(hub.SubmissionQuery{TrackingCode: s.TrackingCode}); len(subs) != 1 {
			t.Errorf("%s not at the hub", s.TrackingCode)
		}
	}
	// b's submission is untouched by a's attempt.
	if subs, _ := lh.Submissions(hub.SubmissionQuery{TerminalID: b.TerminalID}); len(subs) != 1 {
		t.Errorf("b's submissions: %+v", subs)
	}
}

// An attachment of 5 MB through a link that is cut again and again: after every second
// stored chunk, a few milliseconds into the next one, so the cuts land mid-chunk whatever
// the machine's speed. Every cut costs at most the one chunk in flight, and the hub stores
// each chunk exactly once. SYNC_SOAK=1 cuts by the clock instead, every two seconds, on a
// slower link.
func TestLinkCutsResumeAttachment(t *testing.T) {
	const size = 5 << 20
	soak := os.Getenv("SYNC_SOAK") != ""
	lh := startHub(t, hub.Options{})
	cr := lh.enroll(t)
	q := openQueue(t, cr)
	s := enqueue(t, q, "", size)

	rate := 4 << 20
	if soak {
		rate = 512 << 10 // 10 s for 5 MB
	}
	px := newProxy(t, lh.addr, rate)
	opt := fast(cr, q)
	opt.HubURL = "ws://" + px.addr()
	c := run(t, opt)

	stop := make(chan struct{})
	var cutter sync.WaitGroup
	cutter.Add(1)
	go func() {
		defer cutter.Done()
		tick := time.NewTicker(time.Millisecond)
		if soak {
			tick.Reset(2 * time.Second)
		}
		defer tick.Stop()
		last := int64(0)
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			if soak {
				px.cut()
				continue
			}
			if n := lh.Stats().ChunksStored; n >= last+2 && n < size/protocol.MaxChunkData {
				last = n
				time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
				px.cut()
			}
		}
	}()
	waitFor(t, 30*time.Second, "5 MB delivered", func() bool { return delivered(q) == 1 })
	close(stop)
	cutter.Wait()

	chunks := int64(size / protocol.MaxChunkData)
	cuts := px.cuts.Load()
	hs, cs := lh.Stats(), c.Stats()
	t.Logf("cuts %d, client sent %d chunks, hub began %d frames and stored %d, connects %d",
		cuts, cs.ChunksSent, hs.ChunkFrames, hs.ChunksStored, cs.Connects)
	if cuts < 4 || cs.Connects < 4 {
		t.Fatalf("%d cuts, %d connections: the link was not cut during the upload", cuts, cs.Connects)
	}
	if hs.ChunksStored != chunks {
		t.Errorf("hub stored %d chunks, want exactly %d", hs.ChunksStored, chunks)
	}
	if cs.ChunksSent > chunks+cuts {
		t.Errorf("client sent %d chunks for %d cuts: more than one resend per cut", cs.ChunksSent, cuts)
	}
	if hs.ChunkFrames > chunks+cuts {
		t.Errorf("hub began %d frames for %d cuts", hs.ChunkFrames, cuts)
	}
	sameBytes(t, lh, s, 0)
	if hs.Submissions != 1 {
		t.Errorf("hub committed %d submissions", hs.Submissions)
	}
}

func TestHubRestartMidUpload(t *testing.T) {
	const size = 5 << 20
	lh := startHub(t, hub.Options{})
	cr := lh.enroll(t)
	q := openQueue(t, cr)
	s := enqueue(t, q, "", size)
	px := newProxy(t, lh.addr, 4<<20)
	opt := fast(cr, q)
	opt.HubURL = "ws://" + px.addr()
	run(t, opt)

	waitFor(t, 10*time.Second, "a few chunks stored", func() bool { return lh.Stats().ChunksStored >= 5 })
	lh.Close()
	before := lh.Stats().ChunksStored
	lh2 := lh.restart(t)
	waitFor(t, 30*time.Second, "delivered after the restart", func() bool { return delivered(q) == 1 })

	chunks := int64(size / protocol.MaxChunkData)
	if after := lh2.Stats().ChunksStored; before+after != chunks {
		t.Errorf("first hub stored %d chunks, second %d: want %d in all (none twice)", before, after, chunks)
	}
	sameBytes(t, lh2, s, 0)
}

func TestSilentlyDeadLinkIsNoticed(t *testing.T) {
	lh := startHub(t, hub.Options{})
	cr := lh.enroll(t)
	q := openQueue(t, cr)
	px := newProxy(t, lh.addr, 0)
	opt := fast(cr, q)
	opt.HubURL = "ws://" + px.addr()
	opt.PingInterval, opt.PongWait = 100*time.Millisecond, 500*time.Millisecond
	c := run(t, opt)
	states, stop := c.Subscribe()
	defer stop()
	waitFor(t, 5*time.Second, "online", func() bool { return c.State().Online })

	px.stall() // nothing more gets through, nothing is closed
	stalledAt := time.Now()
	var sawDead bool
	deadline := time.After(10 * time.Second)
	for !sawDead {
		select {
		case st := <-states:
			sawDead = !st.Online && strings.Contains(st.LastError, ErrDeadLink.Error())
		case <-deadline:
			t.Fatalf("dead link not noticed; state %+v", c.State())
		}
	}
	t.Logf("dead link noticed after %v (PongWait %v)", time.Since(stalledAt).Round(time.Millisecond), opt.PongWait)
	waitFor(t, 5*time.Second, "reconnected", func() bool { return c.State().Online && c.Stats().Connects >= 2 })
	s := enqueue(t, q, "", 1000)
	waitFor(t, 5*time.Second, "delivered on the new link", func() bool { return delivered(q) == 1 })
	if subs, _ := lh.Submissions(hub.SubmissionQuery{TrackingCode: s.TrackingCode}); len(subs) != 1 {
		t.Error("submission not at the hub")
	}
}

// flakyOutbox loses the first acknowledgement of each item, as a power cut between the
// hub's ack and the local commit would.
type flakyOutbox struct {
	*queue.Queue
	mu   sync.Mutex
	lost map[string]bool
}

func (f *flakyOutbox) MarkDelivered(id, hubRef string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.lost[id] {
		f.lost[id] = true
		return errors.New("simulated crash before the local commit")
	}
	return f.Queue.MarkDelivered(id, hubRef)
}

func TestLostAckGetsTheOriginalResult(t *testing.T) {
	lh := startHub(t, hub.Options{})
	cr := lh.enroll(t)
	q := openQueue(t, cr)
	s := enqueue(t, q, "", 400<<10)
	c := run(t, fast(cr, &flakyOutbox{Queue: q, lost: map[string]bool{}}))
	waitFor(t, 5*time.Second, "first ack lost", func() bool { return lh.Stats().Submissions == 1 })
	c.SyncNow()
	waitFor(t, 10*time.Second, "delivered", func() bool { return delivered(q) == 1 })
	subs, _ := lh.Submissions(hub.SubmissionQuery{})
	it, _ := q.Get(s.ID)
	if len(subs) != 1 || it.Submission.HubRef != subs[0].HubRef {
		t.Errorf("hub has %+v, queue recorded %q", subs, it.Submission.HubRef)
	}
	if st := lh.Stats(); st.Submissions != 1 || st.Duplicates < 1 || st.ChunksStored != 2 {
		t.Errorf("hub stats %+v: want one commit, a duplicate answer and no re-upload", st)
	}
}

func TestPushesReachTheKiosk(t *testing.T) {
	lh := startHub(t, hub.Options{})
	if _, err := lh.SetCatalog("cat-7", []byte(`{"items":[{"id":"hukou.move"}]}`)); err != nil {
		t.Fatal(err)
	}
	cr := lh.enroll(t)
	q := openQueue(t, cr)
	s := enqueue(t, q, "")

	var mu sync.Mutex
	got := map[string]string{}
	var statuses []protocol.Status
	var logCalls atomic.Int32
	opt := fast(cr, q)
	opt.OnCatalog = func(v string, p json.RawMessage) error {
		mu.Lock()
		defer mu.Unlock()
		got["catalog"] = v + " " + string(p)
		return nil
	}
	opt.OnConfig = func(v string, p json.RawMessage) error {
		mu.Lock()
		defer mu.Unlock()
		got["config"] = v
		return nil
	}
	opt.OnAnnouncements = func(v string, items []protocol.Announcement) error {
		mu.Lock()
		defer mu.Unlock()
		got["announcements"] = items[0].Title
		return nil
	}
	opt.OnStatus = func(st protocol.Status) {
		mu.Lock()
		defer mu.Unlock()
		statuses = append(statuses, st)
	}
	opt.OnCommand = func(ctx context.Context, cmd protocol.Command) (string, error) {
		logCalls.Add(1)
		return "collected " + cmd.Args["since"], nil
	}
	opt.Health = func() []health.Status {
		return []health.Status{{Device: "printer", Kind: health.Printer, State: health.UserError, Reason: "paper out",
			Details: map[string]string{"paper": "out"}, Since: time.Now()}}
	}
	opt.HeartbeatInterval = 50 * time.Millisecond
	c := run(t, opt)
	waitFor(t, 5*time.Second, "delivered", func() bool { return delivered(q) == 1 })
	lh.SetConfig("cfg-2", []byte(`{"idle_timeout":"90s"}`))
	lh.SetAnnouncements("", []protocol.Announcement{{ID: "n1", Title: "春节办公时间", Body: "正常", Level: protocol.LevelInfo}})
	if _, err := lh.PostStatus(s.TrackingCode, "completed", ""); err != nil {
		t.Fatal(err)
	}
	cmdID, err := lh.SendCommand(cr.TerminalID, protocol.CommandCollectLogs, map[string]string{"since": "1h"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "pushes applied", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == 3 && len(statuses) == 1
	})
	if got["catalog"] != `cat-7 {"items":[{"id":"hukou.move"}]}` || got["config"] != "cfg-2" || got["announcements"] != "春节办公时间" {
		t.Errorf("pushes: %v", got)
	}
	rc, err := q.Lookup(s.TrackingCode)
	if err != nil || rc.Status != "completed" {
		t.Errorf("receipt %+v, %v", rc, err)
	}
	waitFor(t, 5*time.Second, "command result", func() bool { _, ok := lh.CommandResult(cmdID); return ok })
	if res, _ := lh.CommandResult(cmdID); !res.OK || res.Output != "collected 1h" {
		t.Errorf("command result %+v", res)
	}
	waitFor(t, 5*time.Second, "heartbeat with versions and devices", func() bool {
		ts := lh.Terminals()
		return len(ts) == 1 && ts[0].Config == "cfg-2" && len(ts[0].Devices) == 1
	})
	if ts := lh.Terminals(); ts[0].Devices[0].State != protocol.DeviceUserError || ts[0].Catalog != "cat-7" || ts[0].App != "test-1.0" {
		t.Errorf("terminal at the hub %+v", ts[0])
	}
	// Reconnecting does not re-run the command or re-apply what the kiosk holds.
	lh2 := lh.restart(t)
	waitFor(t, 5*time.Second, "reconnected", func() bool { return c.Stats().Connects >= 2 && lh2.Stats().Online == 1 })
	if n := logCalls.Load(); n != 1 {
		t.Errorf("command ran %d times", n)
	}
}

func TestStateAndSubscribe(t *testing.T) {
	lh := startHub(t, hub.Options{})
	cr := lh.enroll(t)
	q := openQueue(t, cr)
	c, err := New(fast(cr, q))
	if err != nil {
		t.Fatal(err)
	}
	ch, stop := c.Subscribe()
	if st := <-ch; st.Online {
		t.Errorf("initial state %+v", st)
	}
	enqueue(t, q, "")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Run(ctx) }()
	sawQueued, sawOnline := false, false
	for !(sawOnline && c.State().Queued == 0) {
		select {
		case st := <-ch:
			sawQueued = sawQueued || st.Queued == 1
			sawOnline = sawOnline || st.Online
		case <-time.After(5 * time.Second):
			t.Fatalf("state stuck at %+v", c.State())
		}
	}
	if !sawQueued {
		t.Error("never reported the queued item")
	}
	if err := c.Run(ctx); err == nil {
		t.Error("a second Run was allowed")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
	if c.State().Online {
		t.Error("online after Run returned")
	}
	stop()
	for range ch { // drains what was buffered; ends only if stop closed the channel
	}
}

func TestBackoffFullJitter(t *testing.T) {
	c := &Client{opt: Options{BackoffMin: 100 * time.Millisecond, BackoffMax: 2 * time.Second}}
	tests := []struct {
		failures int
		ceil     time.Duration
	}{
		{0, 100 * time.Millisecond},
		{1, 200 * time.Millisecond},
		{3, 800 * time.Millisecond},
		{5, 2 * time.Second},
		{50, 2 * time.Second},
	}
	for _, tt := range tests {
		var biggest time.Duration
		for range 2000 {
			d := c.backoff(tt.failures)
			if d < 0 || d > tt.ceil {
				t.Fatalf("backoff(%d) = %v, outside [0, %v]", tt.failures, d, tt.ceil)
			}
			biggest = max(biggest, d)
		}
		if biggest < tt.ceil/2 {
			t.Errorf("backoff(%d) never above %v in 2000 draws: not spread over [0, %v]", tt.failures, biggest, tt.ceil)
		}
	}
}
