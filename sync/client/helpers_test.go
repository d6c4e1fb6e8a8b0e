package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/sync/hub"
	"github.com/govkiosk/govkiosk/sync/queue"
)

func testLogger() *slog.Logger {
	if os.Getenv("SYNC_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// liveHub is a real hub on a loopback port; restart keeps its directory.
type liveHub struct {
	*hub.Hub
	dir  string
	addr string
	opt  hub.Options
}

func startHub(t testing.TB, opt hub.Options) *liveHub {
	t.Helper()
	return listenHub(t, opt, "127.0.0.1:0")
}

func listenHub(t testing.TB, opt hub.Options, addr string) *liveHub {
	t.Helper()
	if opt.Dir == "" {
		opt.Dir = t.TempDir()
	}
	if opt.Logger == nil {
		opt.Logger = testLogger().With("side", "hub")
	}
	h, err := hub.New(opt)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		h.Close()
		t.Fatal(err)
	}
	go h.Serve(ln)
	t.Cleanup(func() { h.Close() })
	return &liveHub{Hub: h, dir: opt.Dir, addr: ln.Addr().String(), opt: opt}
}

// restart closes the hub and opens a new one on the same directory and address.
func (lh *liveHub) restart(t testing.TB) *liveHub {
	t.Helper()
	lh.Close()
	return listenHub(t, lh.opt, lh.addr)
}

func (lh *liveHub) url() string { return "ws://" + lh.addr }

// enroll enrolls a terminal the way a technician does, over HTTP.
func (lh *liveHub) enroll(t testing.TB) Credentials {
	t.Helper()
	code, _, err := lh.CreateEnrollCode(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cr, err := Enroll(context.Background(), lh.url(), code)
	if err != nil {
		t.Fatal(err)
	}
	return cr
}

// openQueue opens a real outbox for the terminal, with the key outside the data
// directory as in production.
func openQueue(t testing.TB, cr Credentials) *queue.Queue {
	t.Helper()
	q, err := queue.Open(t.TempDir(), queue.Options{TerminalCode: cr.TerminalCode,
		KeyFile: filepath.Join(t.TempDir(), "queue.key"), CreateKey: true, MinFreeBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

// fast are client options for tests: short timers so failures show in milliseconds.
func fast(cr Credentials, ob Outbox) Options {
	return Options{
		Credentials: cr, Outbox: ob, App: "test-1.0", Logger: testLogger().With("side", "client"),
		PingInterval: 200 * time.Millisecond, PongWait: time.Second, WriteWait: time.Second,
		RequestTimeout: 5 * time.Second, BackoffMin: 10 * time.Millisecond, BackoffMax: 200 * time.Millisecond,
	}
}

// run starts a client and stops it when the test ends.
func run(t testing.TB, opt Options) *Client {
	t.Helper()
	c, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := c.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return c
}

// enqueue adds a synthetic submission: fictional name, an ID number from region 990101
// (not assigned in GB/T 2260) with a correct check digit, and random attachment bytes.
func enqueue(t testing.TB, q *queue.Queue, id string, sizes ...int) *queue.Submission {
	t.Helper()
	ns := queue.NewSubmission{ID: id, Item: "hukou.move", ItemTitle: "户口迁移",
		Fields: map[string]string{"name": "测试甲", "id_number": "990101199003071237"}}
	for i, n := range sizes {
		ns.Attachments = append(ns.Attachments, queue.NewAttachment{Name: fmt.Sprintf("scan%d.jpg", i),
			ContentType: "image/jpeg", Data: randomBytes(n, uint64(n+i))})
	}
	s, err := q.Enqueue(context.Background(), ns)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func randomBytes(n int, seed uint64) []byte {
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	b := make([]byte, n)
	rand.NewChaCha8(s).Read(b)
	return b
}

func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func delivered(q *queue.Queue) int {
	st, _ := q.Stats()
	return st.Delivered
}

// sameBytes checks what the hub stored against the SHA-256 the outbox recorded.
func sameBytes(t testing.TB, lh *liveHub, s *queue.Submission, i int) {
	t.Helper()
	got, err := lh.ReadAttachment(s.TrackingCode, i)
	if err != nil {
		t.Fatalf("attachment %d at the hub: %v", i, err)
	}
	sum := sha256.Sum256(got)
	if hex.EncodeToString(sum[:]) != s.Attachments[i].SHA256 || int64(len(got)) != s.Attachments[i].Size {
		t.Errorf("attachment %d at the hub (%d bytes) differs from what was enqueued", i, len(got))
	}
}
