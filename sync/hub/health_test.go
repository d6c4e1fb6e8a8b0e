package hub

import (
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/sync/protocol"
)

// failingStorage is the hub's real storage whose writes fail, as on a full disk, while
// fail is set.
type failingStorage struct {
	storage
	fail atomic.Bool
}

var errNoSpace = &net.OpError{Op: "write", Err: syscall.ENOSPC} // any wrapped ENOSPC

func (f *failingStorage) openSubmission(rec *submissionRecord) (*submissionRecord, openOutcome, error) {
	if f.fail.Load() {
		return nil, 0, errors.Join(errors.New("store: open submission"), errNoSpace)
	}
	return f.storage.openSubmission(rec)
}

// lockedBuffer is a log sink for the hub's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
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

// TestStorageFailureIsReportedNotHidden is finding 4 of the reliability review at the
// hub: while its storage fails, /readyz and /healthz answer 503 with the reason (/livez
// stays 200: a restart cures no full disk), a metric counts each failure, every refusal
// carries retry_after_ms, and the journal gets one ERROR line per run of failures, not
// one per attempt. Before the fix /healthz answered 200 throughout and each failure was
// its own ERROR line.
func TestStorageFailureIsReportedNotHidden(t *testing.T) {
	logs := &lockedBuffer{}
	opt := Options{Dir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(logs, nil)), RetryAfter: 1500 * time.Millisecond}
	h, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	fs := &failingStorage{storage: h.st}
	h.st = fs // before Serve: no connection has seen the old one
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go h.Serve(ln)
	t.Cleanup(func() { h.Close() })
	th := &testHub{Hub: h, dir: opt.Dir, addr: ln.Addr().String(), opt: opt}

	for _, path := range []string{"/healthz", "/readyz", "/livez"} {
		if code, b, _ := th.do(t, "GET", path, "", nil); code != 200 {
			t.Errorf("%s before any failure: %d %q", path, code, b)
		}
	}

	tk := th.enroll(t)
	r := th.connect(t, tk)
	fs.fail.Store(true)
	const attempts = 20
	for range attempts {
		r.send(synthetic(t, tk, randomBytes(100, 1)))
		e := r.expectErr(protocol.CodeInternal)
		if e.RetryAfterMS != 1500 {
			t.Fatalf("internal without the delay: %+v", e)
		}
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		code, b, _ := th.do(t, "GET", path, "", nil)
		if code != 503 || !strings.Contains(string(b), "storage failing") {
			t.Errorf("%s while storage fails: %d %q, want 503 with the reason", path, code, b)
		}
	}
	if code, _, _ := th.do(t, "GET", "/livez", "", nil); code != 200 {
		t.Errorf("/livez while storage fails: %d", code)
	}
	_, metrics, _ := th.do(t, "GET", "/metrics", "", nil)
	if !strings.Contains(string(metrics), "govkiosk_hub_storage_failures_total 20") {
		t.Errorf("metrics lack storage_failures_total 20:\n%s", grepLines(string(metrics), "storage"))
	}
	if n := strings.Count(logs.String(), "level=ERROR"); n != 1 {
		t.Errorf("%d ERROR lines for %d failures in a burst, want 1:\n%s", n, attempts, logs.String())
	}

	// The disk has room again: the next write succeeds and the hub is ready again.
	fs.fail.Store(false)
	files := [][]byte{randomBytes(100, 2)}
	if ack := r.upload(synthetic(t, tk, files...), files); ack == nil {
		t.Fatal("no ack after storage recovered")
	}
	if code, b, _ := th.do(t, "GET", "/readyz", "", nil); code != 200 {
		t.Errorf("/readyz after recovery: %d %q", code, b)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
