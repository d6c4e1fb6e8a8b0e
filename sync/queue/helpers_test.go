package queue

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/identity"
)

// testTerminal is a terminal code for tests.
const testTerminal = "T3ST"

// fakeClock is a settable clock for retention tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// logBuffer collects log output so tests can assert nothing personal reaches it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// testEnv is a data directory and key file, separate as in production.
type testEnv struct {
	dir, keyFile string
	logs         *logBuffer
	clock        *fakeClock
}

func newEnv(t testing.TB) *testEnv {
	t.Helper()
	root := t.TempDir()
	return &testEnv{
		dir:     filepath.Join(root, "data"),
		keyFile: filepath.Join(root, "queue.key"),
		logs:    &logBuffer{},
		clock:   newFakeClock(),
	}
}

func (e *testEnv) options() Options {
	return Options{
		TerminalCode: testTerminal,
		KeyFile:      e.keyFile,
		CreateKey:    true,
		MinFreeBytes: -1,
		Logger:       slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:          e.clock.Now,
	}
}

// open opens the queue with the environment's options (edited by edit) and closes it at
// the end of the test.
func (e *testEnv) open(t testing.TB, edit ...func(*Options)) *Queue {
	t.Helper()
	opt := e.options()
	for _, f := range edit {
		f(&opt)
	}
	q, err := Open(e.dir, opt)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

// syntheticID returns a synthetic resident ID number in the non-existent region 99xxxx,
// with a correct check digit.
func syntheticID(n int) string {
	first17 := fmt.Sprintf("99%04d19900101%03d", n%10000, n%1000)
	c, ok := identity.CheckDigit(first17)
	if !ok {
		panic("check digit for " + first17)
	}
	return first17 + string(c)
}

// syntheticData returns deterministic bytes for attachment i of a submission, so a
// reader can tell intact data from damaged data without keeping a copy.
func syntheticData(seed string, size int) []byte {
	out := make([]byte, size)
	var x uint32 = 2166136261
	for i := 0; i < len(seed); i++ {
		x = (x ^ uint32(seed[i])) * 16777619
	}
	for i := range out {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		out[i] = byte(x)
	}
	return out
}

// sampleSubmission is a synthetic submission with a fictional name and a synthetic ID.
func sampleSubmission(n int, attachments ...int) NewSubmission {
	s := NewSubmission{
		Item:      "hukou-move",
		ItemTitle: "户口迁移",
		Fields: map[string]string{
			"name":      "测试甲",
			"id_number": syntheticID(n),
			"phone":     "19900000000",
			"address":   "样例市样例路1号",
		},
		IdentityNumber: syntheticID(n),
	}
	for i, size := range attachments {
		s.Attachments = append(s.Attachments, NewAttachment{
			Name: fmt.Sprintf("scan-%d.jpg", i), ContentType: "image/jpeg",
			Data: syntheticData(fmt.Sprintf("%d/%d", n, i), size),
		})
	}
	return s
}

func mustEnqueue(t testing.TB, q *Queue, s NewSubmission) *Submission {
	t.Helper()
	got, err := q.Enqueue(context.Background(), s)
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	return got
}
