package watchdog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultHeartbeatInterval is how often Run beats when systemd asked for no watchdog: the
// heartbeat file is then the only witness, and ten seconds is fine-grained enough for a
// person or a script looking at it.
const DefaultHeartbeatInterval = 10 * time.Second

// sendTimeout bounds one datagram to the service manager. Beats are sent from the UI
// thread, which must never wait on systemd for long.
const sendTimeout = 250 * time.Millisecond

// ErrUnsupportedSocket means $NOTIFY_SOCKET names an address this package cannot send to
// (it speaks filesystem and abstract unix sockets, not vsock).
var ErrUnsupportedSocket = errors.New("watchdog: unsupported NOTIFY_SOCKET address")

// Config says where the notifications go. FromEnv fills it the way systemd hands it over;
// tests fill it by hand.
type Config struct {
	// Socket is the service manager's notify socket: a path, or "@name" for an abstract
	// socket. Empty means the process does not run under systemd: only the heartbeat file
	// is kept.
	Socket string
	// WatchdogTimeout is the unit's WatchdogSec= as seen by this process; zero means no
	// watchdog is armed for it.
	WatchdogTimeout time.Duration
	// HeartbeatFile, when not empty, is rewritten on Ready, Status and Stopping and has its
	// modification time set on every Alive. Put it on tmpfs (see DefaultHeartbeatFile):
	// a beat every few seconds is needless wear on a kiosk's flash storage.
	HeartbeatFile string
}

// FromEnv reads the notify protocol's environment ($NOTIFY_SOCKET, $WATCHDOG_USEC,
// $WATCHDOG_PID) and pairs it with heartbeatFile ("" for none).
//
// Like sd_watchdog_enabled, a watchdog whose $WATCHDOG_PID names another process is not
// this process's to feed and is ignored. The kiosk's session script unsets $WATCHDOG_PID
// because it runs the kiosk as a grandchild of the unit's main process (xinit) and the
// unit allows notifications from every process in it (NotifyAccess=all).
func FromEnv(heartbeatFile string) Config {
	return Config{
		Socket:          os.Getenv("NOTIFY_SOCKET"),
		WatchdogTimeout: watchdogTimeout(os.Getenv("WATCHDOG_USEC"), os.Getenv("WATCHDOG_PID"), os.Getpid()),
		HeartbeatFile:   heartbeatFile,
	}
}

// watchdogTimeout interprets $WATCHDOG_USEC and $WATCHDOG_PID for the process pid.
// Anything malformed means "no watchdog": a bad variable must not stop the kiosk.
func watchdogTimeout(usec, wpid string, pid int) time.Duration {
	if usec == "" {
		return 0
	}
	u, err := strconv.ParseUint(usec, 10, 63)
	if err != nil || u == 0 {
		return 0
	}
	if wpid != "" {
		p, err := strconv.Atoi(wpid)
		if err != nil || p != pid {
			return 0
		}
	}
	return time.Duration(u) * time.Microsecond
}

// DefaultHeartbeatFile is where the kiosk keeps its heartbeat: under the unit's
// RuntimeDirectory= (tmpfs, gone at reboot) when systemd provides one, else in dataDir.
func DefaultHeartbeatFile(dataDir string) string {
	if rd := os.Getenv("RUNTIME_DIRECTORY"); rd != "" {
		// systemd separates several runtime directories with colons; the first is ours.
		first, _, _ := strings.Cut(rd, ":")
		return filepath.Join(first, "heartbeat")
	}
	return filepath.Join(dataDir, "heartbeat")
}

// Notifier sends the kiosk's state to the service manager and keeps the heartbeat file.
// Its methods are safe for concurrent use. The zero value is not usable; call New.
type Notifier struct {
	cfg  Config
	addr *net.UnixAddr // nil when not under systemd
	log  *slog.Logger

	mu      sync.Mutex
	conn    *net.UnixConn
	state   string // "starting", "ready", "stopping": written to the heartbeat file
	status  string
	failing bool // the last send failed; logged once until it works again
	closed  bool
}

// New returns a Notifier for cfg. It fails only when cfg.Socket is an address it cannot
// speak to; it does not connect yet, so a service manager that is not listening makes
// the sends fail (logged once), not New.
func New(cfg Config, log *slog.Logger) (*Notifier, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := &Notifier{cfg: cfg, log: log, state: "starting"}
	if cfg.Socket != "" {
		if !strings.HasPrefix(cfg.Socket, "/") && !strings.HasPrefix(cfg.Socket, "@") {
			return nil, fmt.Errorf("%w: %q", ErrUnsupportedSocket, cfg.Socket)
		}
		// Go maps a leading "@" to Linux's abstract namespace itself.
		n.addr = &net.UnixAddr{Name: cfg.Socket, Net: "unixgram"}
	}
	return n, nil
}

// Managed reports whether a service manager listens for notifications.
func (n *Notifier) Managed() bool { return n.addr != nil }

// Interval is how often Alive must be called: a third of the watchdog timeout, which leaves
// room for a busy UI thread and a late timer before systemd gives up, or
// DefaultHeartbeatInterval when no watchdog is armed.
func (n *Notifier) Interval() time.Duration {
	if n.cfg.WatchdogTimeout > 0 {
		return n.cfg.WatchdogTimeout / 3
	}
	return DefaultHeartbeatInterval
}

// Ready tells the service manager that start-up is complete (READY=1) with a short status
// line. Under Type=notify the unit counts as started only from here on, so call it once
// the first screen is on display (in safe mode too).
func (n *Notifier) Ready(status string) error {
	return n.notify("ready", status, "READY=1")
}

// Status replaces the status line "systemctl status" shows. No personal data: see the
// package documentation.
func (n *Notifier) Status(status string) error {
	return n.notify("", status)
}

// Stopping tells the service manager that the kiosk is shutting down on purpose.
func (n *Notifier) Stopping() error {
	return n.notify("stopping", "stopping", "STOPPING=1")
}

// Alive proves liveness: WATCHDOG=1 to the service manager and a fresh modification time
// on the heartbeat file. Call it from the UI thread (Run does).
func (n *Notifier) Alive() error {
	var errs []error
	if n.addr != nil {
		errs = append(errs, n.send("WATCHDOG=1"))
	}
	if n.cfg.HeartbeatFile != "" {
		now := time.Now()
		err := os.Chtimes(n.cfg.HeartbeatFile, now, now)
		if errors.Is(err, os.ErrNotExist) {
			// Removed behind our back (tmpfs cleaned, a technician): write it anew.
			n.mu.Lock()
			err = n.writeHeartbeat()
			n.mu.Unlock()
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("watchdog: heartbeat: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Run beats every Interval until ctx is done. post must run its argument on the UI thread
// (pass fyne.Do); the beat is sent from there, so a UI thread that stops executing posted
// work stops the beats and the watchdog restarts the session. A beat is posted only after
// the previous one ran, so a hung UI does not pile up work. A nil post runs beats on Run's
// own goroutine, which proves only that the process lives.
func (n *Notifier) Run(ctx context.Context, post func(func())) {
	if post == nil {
		post = func(f func()) { f() }
	}
	var pending atomic.Bool
	beat := func() {
		// Errors are logged by send; the UI thread has nothing to do about them.
		_ = n.Alive()
		pending.Store(false)
	}
	tick := time.NewTicker(n.Interval())
	defer tick.Stop()
	for {
		if pending.CompareAndSwap(false, true) {
			post(beat)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Close releases the socket. Later calls send nothing and return nil.
func (n *Notifier) Close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.closed = true
	if n.conn == nil {
		return nil
	}
	err := n.conn.Close()
	n.conn = nil
	return err
}

// notify records state and status, rewrites the heartbeat file and sends the STATUS line
// together with extra assignments in one datagram, as sd_notify does.
func (n *Notifier) notify(state, status string, extra ...string) error {
	status = oneLine(status)
	n.mu.Lock()
	if state != "" {
		n.state = state
	}
	n.status = status
	var errs []error
	if n.cfg.HeartbeatFile != "" {
		if err := n.writeHeartbeat(); err != nil {
			errs = append(errs, fmt.Errorf("watchdog: heartbeat: %w", err))
		}
	}
	n.mu.Unlock()
	if n.addr != nil {
		msg := append(extra, "STATUS="+status)
		errs = append(errs, n.send(strings.Join(msg, "\n")))
	}
	return errors.Join(errs...)
}

// send writes one datagram, dialling on first use and once more when the socket broke
// (systemd re-executing itself replaces the socket under the same name).
func (n *Notifier) send(msg string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil
	}
	err := n.write(msg)
	if err != nil && n.conn != nil {
		n.conn.Close()
		n.conn = nil
		err = n.write(msg)
	}
	if err != nil {
		err = fmt.Errorf("watchdog: notify %s: %w", n.cfg.Socket, err)
		if !n.failing {
			n.log.Warn("cannot notify the service manager; if this lasts, the watchdog will restart the kiosk", "err", err)
		}
		n.failing = true
		return err
	}
	if n.failing {
		n.log.Info("notifying the service manager works again")
		n.failing = false
	}
	return nil
}

func (n *Notifier) write(msg string) error {
	if n.conn == nil {
		c, err := net.DialUnix("unixgram", nil, n.addr)
		if err != nil {
			return err
		}
		n.conn = c
	}
	if err := n.conn.SetWriteDeadline(time.Now().Add(sendTimeout)); err != nil {
		return err
	}
	_, err := n.conn.Write([]byte(msg))
	return err
}

// writeHeartbeat replaces the heartbeat file atomically. Callers hold n.mu.
func (n *Notifier) writeHeartbeat() error {
	hb := Heartbeat{PID: os.Getpid(), State: n.state, Status: n.status}
	dir, base := filepath.Split(n.cfg.HeartbeatFile)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*")
	if err != nil {
		return err
	}
	_, err = f.WriteString(hb.encode())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), n.cfg.HeartbeatFile)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// oneLine keeps a status on one line: the protocol separates assignments with newlines.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
