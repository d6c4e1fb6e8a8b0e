package client

import (
	"bytes"
	"context"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/sync/hub"
	"github.com/govkiosk/govkiosk/sync/queue"
)

// fleet runs n terminals in this process, each with its own outbox, against one hub.
type fleet struct {
	lh      *liveHub
	queues  []*queue.Queue
	clients []*Client
	subs    [][]*queue.Submission
}

func newFleet(t *testing.T, lh *liveHub, n int, hubURL string, tune func(*Options)) *fleet {
	t.Helper()
	f := &fleet{lh: lh}
	for range n {
		cr := lh.enroll(t)
		q := openQueue(t, cr)
		opt := fast(cr, q)
		if hubURL != "" {
			opt.HubURL = hubURL
		}
		if tune != nil {
			tune(&opt)
		}
		f.queues = append(f.queues, q)
		f.clients = append(f.clients, run(t, opt))
		f.subs = append(f.subs, nil)
	}
	return f
}

func (f *fleet) enqueue(t *testing.T, i int, sizes ...int) {
	t.Helper()
	s := enqueue(t, f.queues[i], "", sizes...)
	f.subs[i] = append(f.subs[i], s)
	if _, err := f.queues[i].Rate(context.Background(), queue.RatingInput{SubmissionID: s.ID, Stars: 5}); err != nil {
		t.Fatal(err)
	}
}

// check asserts every item of every terminal reached the hub exactly once.
func (f *fleet) check(t *testing.T, lh *liveHub) {
	t.Helper()
	total := 0
	for i, q := range f.queues {
		st, _ := q.Stats()
		want := 2 * len(f.subs[i])
		if st.Delivered != want || st.Failed != 0 {
			t.Errorf("terminal %d: %+v, want %d delivered", i, st, want)
		}
		for _, s := range f.subs[i] {
			got, err := lh.Submissions(hub.SubmissionQuery{TrackingCode: s.TrackingCode})
			if err != nil || len(got) != 1 || got[0].ID != s.ID || got[0].Attachments != len(s.Attachments) {
				t.Errorf("terminal %d, %s at the hub: %+v %v", i, s.TrackingCode, got, err)
			}
			total++
		}
	}
	all, _ := lh.Submissions(hub.SubmissionQuery{Limit: 1000})
	if len(all) != total {
		t.Errorf("hub holds %d submissions, terminals sent %d", len(all), total)
	}
}

func (f *fleet) delivered() int {
	n := 0
	for _, q := range f.queues {
		n += delivered(q)
	}
	return n
}

// Eight terminals in one process share two upload slots: the hub answers try_later, the
// terminals wait and come back, and everything arrives once.
func TestFleetSharesUploadSlots(t *testing.T) {
	lh := startHub(t, hub.Options{MaxUploads: 2, RetryAfter: 30 * time.Millisecond})
	f := newFleet(t, lh, 8, "", nil)
	for i := range f.queues {
		f.enqueue(t, i, 300<<10)
		f.enqueue(t, i)
		f.enqueue(t, i, 50<<10, 20<<10)
	}
	waitFor(t, 30*time.Second, "the fleet delivered", func() bool { return f.delivered() == 8*6 })
	f.check(t, lh)
	t.Logf("hub: %+v", lh.Stats())
}

// TestSoakFleet is the long run: SYNC_SOAK=N terminals (default 50), ten submissions each
// with 100 KB–3 MB of scans, through 1 MB/s links cut every two seconds, and a hub restart in
// the middle. Skipped unless SYNC_SOAK is set.
func TestSoakFleet(t *testing.T) {
	env := os.Getenv("SYNC_SOAK")
	if env == "" {
		t.Skip("set SYNC_SOAK=1 (or a terminal count) for the soak run")
	}
	n, _ := strconv.Atoi(env)
	if n < 2 {
		n = 50
	}
	lh := startHub(t, hub.Options{MaxUploads: 16})
	px := newProxy(t, lh.addr, 1<<20) // 1 MB/s per terminal: uploads span several cuts
	f := newFleet(t, lh, n, "ws://"+px.addr(), func(o *Options) { o.BackoffMax = 2 * time.Second })
	r := rand.New(rand.NewPCG(1, 2))
	for i := range f.queues {
		for range 10 {
			f.enqueue(t, i, 100<<10+r.IntN(3<<20))
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				px.cut()
			}
		}
	}()
	waitFor(t, 5*time.Minute, "a third delivered", func() bool { return f.delivered() >= n*20/3 })
	lh2 := lh.restart(t)
	px.setTarget(lh2.addr)
	waitFor(t, 10*time.Minute, "everything delivered", func() bool { return f.delivered() == n*20 })
	close(stop)
	wg.Wait()
	f.check(t, lh2)
	t.Logf("cuts %d; hub after restart: %+v", px.cuts.Load(), lh2.Stats())
}

// lockedBuffer collects log output from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestLogsCarryNoPersonalData(t *testing.T) {
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	lh := startHub(t, hub.Options{Logger: log})
	cr := lh.enroll(t)
	q := openQueue(t, cr)
	secrets := []string{"测试甲", "990101199003071237", "样例市样例路1号", "样例乙的意见"}
	s, err := q.Enqueue(context.Background(), queue.NewSubmission{Item: "hukou.move",
		Fields:      map[string]string{"name": secrets[0], "id_number": secrets[1], "address": secrets[2]},
		Attachments: []queue.NewAttachment{{Name: "scan.jpg", ContentType: "image/jpeg", Data: randomBytes(200<<10, 1)}}})
	if err != nil {
		t.Fatal(err)
	}
	q.Rate(context.Background(), queue.RatingInput{SubmissionID: s.ID, Stars: 2, Comment: secrets[3]})
	// One that the protocol refuses, with personal data in the offending field.
	q.Enqueue(context.Background(), queue.NewSubmission{Item: "x", Fields: map[string]string{"note": strings.Repeat(secrets[0], 3000)}})
	opt2 := fast(cr, q)
	opt2.Logger = log
	run(t, opt2)
	waitFor(t, 10*time.Second, "delivered", func() bool { st, _ := q.Stats(); return st.Delivered == 2 && st.Failed == 1 })
	lh.PostStatus(s.TrackingCode, "processing", secrets[2])
	time.Sleep(100 * time.Millisecond)
	out := logs.String()
	if !strings.Contains(out, "delivered") && !strings.Contains(out, "submission stored") {
		t.Fatalf("the logger saw nothing: %q", out)
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("logs contain %q", s)
		}
	}
}

// heldClock stands still until released, then runs with real time: the hub's token
// bucket refills only when the test says so, however slow the machine is.
type heldClock struct {
	mu      sync.Mutex
	at      time.Time
	running bool
	since   time.Time
}

func (c *heldClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running {
		return c.at
	}
	return c.at.Add(time.Since(c.since))
}

func (c *heldClock) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.running, c.since = true, time.Now()
}

// The hub turns away handshakes over its rate with 503 and a delay; the terminal waits
// that long (plus jitter) instead of hammering, then gets in.
//
// The hub's clock stands still until the second terminal has been turned away twice:
// on the real clock the bucket refilled (4/s) while a loaded machine was still opening
// the second terminal's outbox, and the terminal got in at once.
func TestHandshakeRateLimitedThenAdmitted(t *testing.T) {
	clock := &heldClock{at: time.Now()}
	lh := startHub(t, hub.Options{HandshakeRate: 4, HandshakeBurst: 1, RetryAfter: 100 * time.Millisecond, Now: clock.now})
	a := lh.enroll(t) // enrollment has its own budget: the handshake token is still there
	ca := run(t, fast(a, openQueue(t, a)))
	waitFor(t, 5*time.Second, "first terminal online", func() bool { return ca.State().Online })
	// The first terminal took the only token, and the clock stands still.
	b := lh.enroll(t)
	qb := openQueue(t, b)
	enqueue(t, qb, "", 1000)
	cb, err := New(fast(b, qb))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	start := time.Now()
	go func() { done <- cb.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitFor(t, 10*time.Second, "the second terminal dialling a third time", func() bool { return cb.Stats().Dials >= 3 })
	elapsed := time.Since(start)
	if st := cb.State(); !strings.Contains(st.LastError, "try_later") || st.Online || lh.Stats().HandshakesRefused < 2 {
		t.Fatalf("the second terminal was not turned away: state %+v, hub %+v", st, lh.Stats())
	}
	// Each refusal asks for at least 350 ms (250 ms until a token, plus RetryAfter).
	// A terminal that ignored it would redial within its 10-20 ms backoff.
	if elapsed < 700*time.Millisecond {
		t.Errorf("two refusals and a third dial within %v: the terminal did not wait as asked", elapsed)
	}
	clock.release()
	waitFor(t, 10*time.Second, "second terminal delivered", func() bool { return delivered(qb) == 1 })
}
