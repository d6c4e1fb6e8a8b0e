package watchdog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// manager is the service manager's end of the notify protocol: a unixgram socket that,
// like systemd's, asks the kernel for the sender's credentials.
type manager struct {
	t    *testing.T
	conn *net.UnixConn
}

func listen(t *testing.T, name string) *manager {
	t.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatalf("listen %s: %v", name, err)
	}
	t.Cleanup(func() { conn.Close() })
	raw, err := conn.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_PASSCRED, 1)
	}); err != nil || serr != nil {
		t.Fatalf("SO_PASSCRED: %v %v", err, serr)
	}
	return &manager{t: t, conn: conn}
}

// recv returns the next datagram and its sender's pid, or fails the test after wait.
func (m *manager) recv(wait time.Duration) (string, int) {
	m.t.Helper()
	msg, pid, err := m.tryRecv(wait)
	if err != nil {
		m.t.Fatalf("no notification within %v: %v", wait, err)
	}
	return msg, pid
}

func (m *manager) tryRecv(wait time.Duration) (string, int, error) {
	buf := make([]byte, 4096)
	oob := make([]byte, syscall.CmsgSpace(syscall.SizeofUcred))
	if err := m.conn.SetReadDeadline(time.Now().Add(wait)); err != nil {
		return "", 0, err
	}
	n, oobn, _, _, err := m.conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return "", 0, err
	}
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return "", 0, fmt.Errorf("control messages: %v (%d)", err, len(msgs))
	}
	cred, err := syscall.ParseUnixCredentials(&msgs[0])
	if err != nil {
		return "", 0, err
	}
	return string(buf[:n]), int(cred.Pid), nil
}

// drain counts the datagrams that arrive within wait.
func (m *manager) drain(wait time.Duration) int {
	n := 0
	for {
		if _, _, err := m.tryRecv(wait); err != nil {
			return n
		}
		n++
	}
}

func newNotifier(t *testing.T, cfg Config, log *slog.Logger) *Notifier {
	t.Helper()
	n, err := New(cfg, log)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

func TestMessagesReachTheManager(t *testing.T) {
	for _, tc := range []struct{ name, socket string }{
		{"path", filepath.Join(t.TempDir(), "notify")},
		{"abstract", fmt.Sprintf("@govkiosk-watchdog-test-%d-%d", os.Getpid(), time.Now().UnixNano())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := listen(t, tc.socket)
			n := newNotifier(t, Config{Socket: tc.socket, WatchdogTimeout: 30 * time.Second}, nil)
			if !n.Managed() {
				t.Fatal("Managed() = false with a socket configured")
			}
			steps := []struct {
				send func() error
				want string
			}{
				{func() error { return n.Ready("idle") }, "READY=1\nSTATUS=idle"},
				{n.Alive, "WATCHDOG=1"},
				// A status on several lines would smuggle extra assignments in.
				{func() error { return n.Status("printer:\nout of paper\nREADY=1") }, "STATUS=printer: out of paper READY=1"},
				{n.Stopping, "STOPPING=1\nSTATUS=stopping"},
			}
			for i, s := range steps {
				if err := s.send(); err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				got, pid := m.recv(2 * time.Second)
				if got != s.want {
					t.Errorf("step %d: got %q, want %q", i, got, s.want)
				}
				if pid != os.Getpid() {
					t.Errorf("step %d: sender pid %d, want %d (systemd attributes messages by pid)", i, pid, os.Getpid())
				}
			}
		})
	}
}

func TestRedialsWhenTheSocketIsReplaced(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	m := listen(t, sock)
	n := newNotifier(t, Config{Socket: sock}, nil)
	if err := n.Alive(); err != nil {
		t.Fatal(err)
	}
	m.recv(2 * time.Second)

	// systemd re-executing itself binds a new socket under the same name.
	m.conn.Close()
	os.Remove(sock)
	m2 := listen(t, sock)
	if err := n.Alive(); err != nil {
		t.Fatalf("Alive after the socket was replaced: %v", err)
	}
	if got, _ := m2.recv(2 * time.Second); got != "WATCHDOG=1" {
		t.Errorf("got %q on the new socket", got)
	}
}

// lockedBuffer is an io.Writer safe for the logger's concurrent use.
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

func TestNoListenerIsAnErrorLoggedOnce(t *testing.T) {
	dir := t.TempDir()
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	hb := filepath.Join(dir, "heartbeat")
	n := newNotifier(t, Config{Socket: filepath.Join(dir, "nobody-listens"), HeartbeatFile: hb}, log)
	for i := 0; i < 3; i++ {
		if err := n.Alive(); err == nil {
			t.Fatal("Alive with nobody listening returned nil")
		}
	}
	if c := strings.Count(logs.String(), "cannot notify"); c != 1 {
		t.Errorf("logged %d times, want once:\n%s", c, logs.String())
	}
	// The heartbeat file is kept regardless.
	if _, err := ReadHeartbeat(hb); err != nil {
		t.Errorf("heartbeat not written while the socket fails: %v", err)
	}
	// When the manager comes, sending works again and says so.
	m := listen(t, filepath.Join(dir, "nobody-listens"))
	if err := n.Alive(); err != nil {
		t.Fatalf("Alive once a manager listens: %v", err)
	}
	m.recv(2 * time.Second)
	if !strings.Contains(logs.String(), "works again") {
		t.Errorf("recovery not logged:\n%s", logs.String())
	}
}

func TestUnsupportedSocket(t *testing.T) {
	for _, s := range []string{"vsock:2:1234", "relative/path"} {
		if _, err := New(Config{Socket: s}, nil); !errors.Is(err, ErrUnsupportedSocket) {
			t.Errorf("New(%q) = %v, want ErrUnsupportedSocket", s, err)
		}
	}
}

func TestNotManagedSendsNothingAndSucceeds(t *testing.T) {
	n := newNotifier(t, Config{}, nil)
	if n.Managed() {
		t.Fatal("Managed() = true without a socket")
	}
	for _, f := range []func() error{func() error { return n.Ready("x") }, n.Alive, n.Stopping} {
		if err := f(); err != nil {
			t.Errorf("without systemd or heartbeat: %v", err)
		}
	}
}

func TestWatchdogTimeout(t *testing.T) {
	for _, tc := range []struct {
		usec, pid string
		want      time.Duration
	}{
		{"", "", 0},
		{"30000000", "", 30 * time.Second},
		{"30000000", "4242", 30 * time.Second}, // our pid below is 4242
		{"30000000", "1", 0},                   // meant for another process
		{"30000000", "nope", 0},
		{"0", "", 0},
		{"-5", "", 0},
		{"many", "", 0},
	} {
		if got := watchdogTimeout(tc.usec, tc.pid, 4242); got != tc.want {
			t.Errorf("watchdogTimeout(%q, %q) = %v, want %v", tc.usec, tc.pid, got, tc.want)
		}
	}
}

func TestFromEnv(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "@sock")
	t.Setenv("WATCHDOG_USEC", "9000000")
	t.Setenv("WATCHDOG_PID", fmt.Sprint(os.Getpid()))
	cfg := FromEnv("/run/govkiosk/heartbeat")
	want := Config{Socket: "@sock", WatchdogTimeout: 9 * time.Second, HeartbeatFile: "/run/govkiosk/heartbeat"}
	if cfg != want {
		t.Errorf("FromEnv = %+v, want %+v", cfg, want)
	}
	n := newNotifier(t, cfg, nil)
	if got := n.Interval(); got != 3*time.Second {
		t.Errorf("Interval = %v, want a third of the timeout", got)
	}
	t.Setenv("WATCHDOG_USEC", "")
	n = newNotifier(t, FromEnv(""), nil)
	if got := n.Interval(); got != DefaultHeartbeatInterval {
		t.Errorf("Interval without watchdog = %v, want %v", got, DefaultHeartbeatInterval)
	}
}

func TestDefaultHeartbeatFile(t *testing.T) {
	t.Setenv("RUNTIME_DIRECTORY", "/run/govkiosk:/run/other")
	if got := DefaultHeartbeatFile("/var/lib/govkiosk"); got != "/run/govkiosk/heartbeat" {
		t.Errorf("with RUNTIME_DIRECTORY: %q", got)
	}
	t.Setenv("RUNTIME_DIRECTORY", "")
	if got := DefaultHeartbeatFile("/var/lib/govkiosk"); got != "/var/lib/govkiosk/heartbeat" {
		t.Errorf("without RUNTIME_DIRECTORY: %q", got)
	}
}

// ui is a stand-in for Fyne's UI thread: posted functions run one at a time on its own
// goroutine until it hangs.
type ui struct {
	work  chan func()
	hang  chan struct{}
	mu    sync.Mutex
	posts int
}

func newUI(t *testing.T) *ui {
	u := &ui{work: make(chan func(), 100), hang: make(chan struct{})}
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	go func() {
		for {
			select {
			case <-done:
				return
			case <-u.hang:
				<-done // hung: never runs posted work again
				return
			case f := <-u.work:
				f()
			}
		}
	}()
	return u
}

func (u *ui) post(f func()) {
	u.mu.Lock()
	u.posts++
	u.mu.Unlock()
	u.work <- f
}

func (u *ui) postCount() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.posts
}

func TestRunBeatsOnlyWhileTheUIThreadRuns(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	m := listen(t, sock)
	n := newNotifier(t, Config{Socket: sock, WatchdogTimeout: 60 * time.Millisecond}, nil)
	u := newUI(t)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { n.Run(ctx, u.post); close(ran) }()
	t.Cleanup(func() { cancel(); <-ran })

	// Healthy: a beat about every 20 ms.
	for i := 0; i < 5; i++ {
		if got, _ := m.recv(time.Second); got != "WATCHDOG=1" {
			t.Fatalf("beat %d: %q", i, got)
		}
	}

	// The UI thread hangs: the beats stop, and Run posts no more than the one beat that
	// is stuck in the queue.
	close(u.hang)
	m.drain(100 * time.Millisecond) // beats already under way
	before := u.postCount()
	if n := m.drain(300 * time.Millisecond); n != 0 {
		t.Errorf("%d beats while the UI thread hung", n)
	}
	if after := u.postCount(); after-before > 1 {
		t.Errorf("Run posted %d beats to a hung UI thread; want at most 1", after-before)
	}
}

func TestRunWithoutPostAndStopsOnCancel(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	m := listen(t, sock)
	n := newNotifier(t, Config{Socket: sock, WatchdogTimeout: 30 * time.Millisecond}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { n.Run(ctx, nil); close(ran) }()
	m.recv(time.Second)
	m.recv(time.Second)
	cancel()
	select {
	case <-ran:
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	m.drain(50 * time.Millisecond)
	if k := m.drain(100 * time.Millisecond); k != 0 {
		t.Errorf("%d beats after Run returned", k)
	}
}

func TestHeartbeatFile(t *testing.T) {
	hb := filepath.Join(t.TempDir(), "heartbeat")
	n := newNotifier(t, Config{HeartbeatFile: hb}, nil)
	if err := n.Ready("idle screen"); err != nil {
		t.Fatal(err)
	}
	h, err := ReadHeartbeat(hb)
	if err != nil {
		t.Fatal(err)
	}
	if h.PID != os.Getpid() || h.State != "ready" || h.Status != "idle screen" {
		t.Errorf("heartbeat = %+v", h)
	}

	// Alive moves the modification time, which is what a supervisor reads.
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(hb, old, old); err != nil {
		t.Fatal(err)
	}
	if err := n.Alive(); err != nil {
		t.Fatal(err)
	}
	h, err = ReadHeartbeat(hb)
	if err != nil {
		t.Fatal(err)
	}
	if age := h.Age(time.Now()); age > time.Minute || age < -time.Minute {
		t.Errorf("age after Alive = %v, want about zero", age)
	}

	// Removed behind the kiosk's back: the next beat writes it anew, state included.
	os.Remove(hb)
	if err := n.Alive(); err != nil {
		t.Fatal(err)
	}
	if h, err = ReadHeartbeat(hb); err != nil || h.State != "ready" {
		t.Errorf("after removal: %+v, %v", h, err)
	}

	if err := n.Stopping(); err != nil {
		t.Fatal(err)
	}
	if h, _ = ReadHeartbeat(hb); h.State != "stopping" {
		t.Errorf("state after Stopping = %q", h.State)
	}
	if _, err := ReadHeartbeat(filepath.Join(t.TempDir(), "none")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadHeartbeat of a missing file: %v", err)
	}
}

func TestHeartbeatDirectoryMissingIsAnError(t *testing.T) {
	n := newNotifier(t, Config{HeartbeatFile: filepath.Join(t.TempDir(), "no", "such", "heartbeat")}, nil)
	if err := n.Alive(); err == nil {
		t.Error("Alive into a missing directory returned nil")
	}
}
