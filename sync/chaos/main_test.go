package chaos

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/internal/pgtest"
	"github.com/govkiosk/govkiosk/sync/client"
	"github.com/govkiosk/govkiosk/sync/fleet"
	"github.com/govkiosk/govkiosk/sync/queue"
)

// Environment of a re-executed test binary playing the kiosk.
const (
	envRole  = "CHAOS_CHILD"       // "kiosk" enqueues and syncs until killed; "drain" only syncs, then exits
	envDir   = "CHAOS_KIOSK_DIR"   // credentials and queue/
	envKey   = "CHAOS_KIOSK_KEY"   // the queue's key file, outside the data directory
	envCycle = "CHAOS_KIOSK_CYCLE" // makes the cycle's submission ids unique
	envSeed  = "CHAOS_KIOSK_SEED"
)

func TestMain(m *testing.M) {
	role := os.Getenv(envRole)
	if role == "" {
		code := m.Run()
		pgtest.StopShared()
		os.Exit(code)
	}
	if err := kioskChild(role); err != nil {
		fmt.Fprintln(os.Stderr, "kiosk child:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// childSize is the attachment size of a kiosk child's i-th submission: forms alone, small
// scans and scans of several chunks, so kills land in every phase of a delivery.
func childSize(i int) int {
	return []int{0, 30_000, 300_000, 700_000}[i%4]
}

// quickClient are client timers that make a test's reconnects take milliseconds.
func quickClient(o *client.Options) {
	o.BackoffMin, o.BackoffMax = 10*time.Millisecond, 250*time.Millisecond
	o.PingInterval, o.PongWait = time.Second, 5*time.Second
	o.RequestTimeout = 10 * time.Second
}

// kioskChild is a kiosk: its outbox and its sync client in one process. As "kiosk" it
// enqueues synthetic submissions until it is killed and writes "D id code size" (one
// write per line) after each Enqueue returned: from then on the resident holds a
// receipt and the parent may rely on the submission. As "drain" it enqueues nothing,
// waits until its outbox is empty, writes "DRAINED" and exits.
func kioskChild(role string) error {
	dir := os.Getenv(envDir)
	cr, err := client.LoadCredentials(dir)
	if err != nil {
		return err
	}
	q, err := queue.Open(filepath.Join(dir, "queue"), queue.Options{TerminalCode: cr.TerminalCode,
		KeyFile: os.Getenv(envKey), CreateKey: true, MinFreeBytes: -1})
	if err != nil {
		return err
	}
	defer q.Close()
	opt := client.Options{Credentials: cr, Outbox: q, App: "chaos-kiosk", Logger: slog.New(slog.DiscardHandler)}
	quickClient(&opt)
	c, err := client.New(opt)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	os.Stdout.WriteString("READY\n")

	if role == "drain" {
		for {
			st, err := q.Stats()
			if err != nil {
				return err
			}
			if st.Queued+st.Sending == 0 {
				cancel()
				<-done
				os.Stdout.WriteString(fmt.Sprintf("DRAINED %d %d\n", st.Delivered, st.Failed))
				return nil
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	cycle, _ := strconv.Atoi(os.Getenv(envCycle))
	seed, _ := strconv.ParseUint(os.Getenv(envSeed), 10, 64)
	r := rand.New(rand.NewPCG(seed, uint64(cycle)))
	for i := 0; ; i++ {
		id := fmt.Sprintf("k%03d-%05d", cycle, i)
		size := childSize(i)
		s, err := q.Enqueue(ctx, fleet.Synthetic(id, i, size))
		if err != nil {
			return err
		}
		os.Stdout.WriteString(fmt.Sprintf("D %s %s %d\n", s.ID, s.TrackingCode, size))
		time.Sleep(time.Duration(r.IntN(40)) * time.Millisecond)
	}
}

// cycles is how many kill cycles a test runs: a few in CI, SYNC_CHAOS_CYCLES for the
// long run.
func cycles(t *testing.T, ci int) int {
	if s := os.Getenv("SYNC_CHAOS_CYCLES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("SYNC_CHAOS_CYCLES=%q: want a positive number", s)
		}
		return n
	}
	return ci
}

// seed returns the run's random seed, logged so a failure can be repeated.
func seed(t *testing.T) uint64 {
	s := uint64(time.Now().UnixNano())
	if v := os.Getenv("SYNC_CHAOS_SEED"); v != "" {
		var err error
		if s, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("SYNC_CHAOS_SEED=%q", v)
		}
	}
	t.Logf("SYNC_CHAOS_SEED=%d", s)
	return s
}

// proc is a child process whose stdout lines the test reads.
type proc struct {
	cmd   *exec.Cmd
	lines chan string
	done  chan struct{}
	mu    sync.Mutex
	all   []string
}

// startProc starts cmd and reads its stdout line by line. It is killed at cleanup if it
// still runs.
func startProc(t testing.TB, cmd *exec.Cmd) *proc {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, lines: make(chan string, 4096), done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.mu.Lock()
			p.all = append(p.all, sc.Text())
			p.mu.Unlock()
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
		io.Copy(io.Discard, out)
	}()
	t.Cleanup(func() { p.kill() })
	return p
}

// waitLine waits for a line starting with prefix.
func (p *proc) waitLine(t testing.TB, prefix string, d time.Duration) string {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case l := <-p.lines:
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-p.done:
			t.Fatalf("%s ended without printing %q (output: %q)", p.cmd.Path, prefix, p.output())
		case <-deadline:
			t.Fatalf("no %q from %s within %v", prefix, p.cmd.Path, d)
		}
	}
}

// kill sends SIGKILL and waits until the process and its output are gone.
func (p *proc) kill() {
	if p.cmd.ProcessState == nil {
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
		p.cmd.Wait()
	}
}

// wait waits for the process to end by itself.
func (p *proc) wait(t *testing.T, d time.Duration) error {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		t.Fatalf("%s still running after %v", p.cmd.Path, d)
	}
	return p.cmd.Wait()
}

func (p *proc) output() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.all...)
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
