package fleet

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The scale run: SYNC_SCALE=N terminals (5000 for docs/PERFORMANCE.md) connect to one real
// kiosk-hub process and stay idle; the hub's memory per connection is read from its
// /metrics; then the hub is restarted twice, once cleanly (SIGTERM) and once killed
// (SIGKILL), with its default handshake limits, and the time until every terminal is
// back is measured together with how many were told to try again later. Skipped unless
// SYNC_SCALE is set; it takes a few minutes.
func TestScaleIdleAndReconnect(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("SYNC_SCALE"))
	if n <= 0 {
		t.Skip("set SYNC_SCALE=5000 for the scale run (docs/PERFORMANCE.md)")
	}
	raiseNoFile(t, uint64(3*n+1000))
	bin := buildHubBinary(t)
	hp := &scaleHub{t: t, bin: bin, dir: t.TempDir(), token: filepath.Join(t.TempDir(), "token")}
	if err := os.WriteFile(hp.token, []byte(testToken), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hp.addr = ln.Addr().String()
	ln.Close()
	url := "ws://" + hp.addr
	ctx := context.Background()

	// Enrolling thousands is setup, not the measurement: a generous handshake budget.
	hp.start("-handshake-rate", "5000", "-handshake-burst", "5000")
	start := time.Now()
	f, err := Open(ctx, Options{HubURL: url, Kiosks: n, OperatorToken: testToken, Dir: t.TempDir(), Concurrency: 32})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	t.Logf("enrolled %d terminals and opened their queues in %v", n, time.Since(start).Round(time.Millisecond))
	time.Sleep(2 * time.Second)
	before := hp.metrics()

	start = time.Now()
	if err := f.Start(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Minute, func() bool { return f.Online() == n })
	t.Logf("%d terminals connected in %v", n, time.Since(start).Round(time.Millisecond))
	time.Sleep(15 * time.Second) // first heartbeats answered, buffers settled
	after := hp.metrics()
	per := func(name string) float64 { return (after[name] - before[name]) / float64(n) }
	t.Logf("hub per idle terminal: RSS %.1f KB, heap in use %.1f KB, stacks %.1f KB, heap+stacks %.1f KB, goroutines %.2f",
		per("process_resident_memory_bytes")/1000, per("go_memstats_heap_inuse_bytes")/1000,
		per("go_memstats_stack_inuse_bytes")/1000,
		(per("go_memstats_heap_inuse_bytes")+per("go_memstats_stack_inuse_bytes"))/1000, per("go_goroutines"))
	t.Logf("hub totals: RSS %.1f MB before, %.1f MB with %d terminals online",
		before["process_resident_memory_bytes"]/1e6, after["process_resident_memory_bytes"]/1e6, int(after["govkiosk_hub_terminals_online"]))

	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		down := time.Now()
		hp.stop(sig)
		hp.start() // the defaults: 100 handshakes/s, burst 200
		up := time.Now()
		deadline := 3 * time.Minute
		waitUntil(t, deadline, func() bool { return f.onlineSince(down) == n })
		times := f.reconnectTimes(down)
		l := Summarise(times)
		within := 0
		for _, d := range times {
			if d <= 60*time.Second {
				within++
			}
		}
		m := hp.metrics()
		t.Logf("restart by %v: hub down %v; %d/%d back: p50 %v, p99 %v, max %v after the stop; %.2f%% within 60 s; "+
			"hub: %d handshakes, %d told to try again later",
			sig, up.Sub(down).Round(time.Millisecond), len(times), n, l.P50.Round(time.Millisecond),
			l.P99.Round(time.Millisecond), l.Max.Round(time.Millisecond), 100*float64(within)/float64(n),
			int(m["govkiosk_hub_handshakes_total"]), int(m["govkiosk_hub_handshakes_refused_total"]))
		if !hp.alive() {
			t.Fatal("the hub crashed")
		}
	}
}

// onlineSince counts terminals online whose last change happened after t.
func (f *Fleet) onlineSince(t time.Time) int {
	n := 0
	for _, k := range f.Kiosks {
		if on, at := k.Online(); on && at.After(t) {
			n++
		}
	}
	return n
}

// reconnectTimes returns, for terminals back online since t, how long after t they came.
func (f *Fleet) reconnectTimes(t time.Time) []time.Duration {
	var out []time.Duration
	for _, k := range f.Kiosks {
		if on, at := k.Online(); on && at.After(t) {
			out = append(out, at.Sub(t))
		}
	}
	return out
}

func waitUntil(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func raiseNoFile(t *testing.T, n uint64) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur < n {
		lim.Cur = min(lim.Max, n)
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			t.Fatal(err)
		}
	}
	if lim.Cur < n {
		t.Skipf("needs %d open files; the hard limit is %d", n, lim.Max)
	}
}

func buildHubBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kiosk-hub")
	out, err := exec.Command("go", "build", "-o", bin,
		"github.com/govkiosk/govkiosk/cmd/kiosk-hub").CombinedOutput()
	if err != nil {
		t.Fatalf("build kiosk-hub: %v\n%s", err, out)
	}
	return bin
}

// scaleHub is a kiosk-hub process on a fixed address and data directory.
type scaleHub struct {
	t     *testing.T
	bin   string
	dir   string
	addr  string
	token string
	cmd   *exec.Cmd
	done  chan struct{}
}

func (hp *scaleHub) start(extra ...string) {
	hp.t.Helper()
	args := append([]string{"-data", hp.dir, "-listen", hp.addr, "-operator-token-file", hp.token, "-log-level", "error"}, extra...)
	cmd := exec.Command(hp.bin, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		hp.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		hp.t.Fatal(err)
	}
	hp.cmd, hp.done = cmd, make(chan struct{})
	listening := make(chan struct{})
	go func(done chan struct{}) {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "listening on") {
				close(listening)
			}
		}
		cmd.Wait()
		close(done)
	}(hp.done)
	hp.t.Cleanup(func() { hp.stop(syscall.SIGKILL) })
	select {
	case <-listening:
	case <-hp.done:
		hp.t.Fatal("kiosk-hub ended at start")
	case <-time.After(30 * time.Second):
		hp.t.Fatal("kiosk-hub did not start listening")
	}
}

func (hp *scaleHub) stop(sig syscall.Signal) {
	if hp.cmd == nil {
		return
	}
	select {
	case <-hp.done:
	default:
		hp.cmd.Process.Signal(sig)
		select {
		case <-hp.done:
		case <-time.After(30 * time.Second):
			hp.cmd.Process.Kill()
			<-hp.done
		}
	}
}

func (hp *scaleHub) alive() bool {
	select {
	case <-hp.done:
		return false
	default:
	}
	resp, err := http.Get("http://" + hp.addr + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func (hp *scaleHub) metrics() Metrics {
	hp.t.Helper()
	m, err := ScrapeMetrics(context.Background(), nil, "http://"+hp.addr)
	if err != nil {
		hp.t.Fatal(fmt.Errorf("scrape: %w", err))
	}
	return m
}
