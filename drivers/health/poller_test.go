package health

import (
	"context"
	"errors"
	"testing"
	"time"
)

// answer is one reply of a scriptedProber.
type answer struct {
	state  State
	reason string
	err    error
}

// scriptedProber answers each probe with the next answer the test sends, so the test knows
// exactly which probe has run.
type scriptedProber chan answer

func (p scriptedProber) Probe(ctx context.Context) (State, string, map[string]string, error) {
	select {
	case a := <-p:
		return a.state, a.reason, map[string]string{"url": "ipp://printer"}, a.err
	case <-ctx.Done():
		return "", "", nil, ctx.Err()
	}
}

// manualTicker is a ticker the test ticks by hand.
type manualTicker struct {
	interval time.Duration
	ticks    chan time.Time
	stopped  chan struct{}
}

func newManualTicker(p *Poller) *manualTicker {
	m := &manualTicker{ticks: make(chan time.Time), stopped: make(chan struct{})}
	p.newTicker = func(d time.Duration) (<-chan time.Time, func()) {
		m.interval = d
		return m.ticks, func() { close(m.stopped) }
	}
	return m
}

// TestPollerRun: Run probes at once and at each tick of the configured interval, reports a
// state change once however often the device repeats it, and stops (ticker too) on cancel
// without a cancelled probe counting as the device going offline.
func TestPollerRun(t *testing.T) {
	tr := NewTracker("a4", A4Printer)
	probe := make(scriptedProber)
	p := NewPoller(tr, probe, 7*time.Second, "no answer", map[string]string{"url": "ipp://printer"}, nil)
	tick := newManualTicker(p)
	changes, unsubscribe := tr.Subscribe()
	defer unsubscribe()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()

	probe <- answer{state: Online} // the first probe needs no tick
	if got := <-changes; got.State != Online || got.Details["url"] != "ipp://printer" {
		t.Fatalf("first change %+v", got)
	}
	tick.ticks <- time.Time{}
	probe <- answer{state: Online}
	tick.ticks <- time.Time{}
	probe <- answer{state: Online}
	tick.ticks <- time.Time{}
	probe <- answer{err: errors.New("connection refused")}
	tick.ticks <- time.Time{}
	probe <- answer{state: UserError, reason: "paper out"}
	// The repeated Online answers must not have been reported again.
	if got := <-changes; got.State != Offline || got.Reason != "no answer" {
		t.Fatalf("after three online answers and a failure, change %+v; want offline", got)
	}
	if got := <-changes; got.State != UserError || got.Reason != "paper out" {
		t.Fatalf("change %+v; want paper out", got)
	}
	if tick.interval != 7*time.Second {
		t.Errorf("ticker interval %v; want 7s", tick.interval)
	}

	tick.ticks <- time.Time{} // Run is now in a probe that the cancel ends
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v; want nil on cancel", err)
	}
	<-tick.stopped
	if got := tr.Current(); got.State != UserError {
		t.Errorf("a probe cut short by the cancel changed the state to %+v", got)
	}
	select {
	case got := <-changes:
		t.Errorf("a change after cancel: %+v", got)
	default:
	}
}

// TestPollerClose: Close stops a running Run, and a Run after Close returns at once.
func TestPollerClose(t *testing.T) {
	tr := NewTracker("doc", DocScanner)
	probe := make(scriptedProber)
	p := NewPoller(tr, probe, time.Second, "no answer", nil, nil)
	tick := newManualTicker(p)
	done := make(chan error)
	go func() { done <- p.Run(context.Background()) }()
	probe <- answer{state: Online}
	tick.ticks <- time.Time{}
	// Run is now waiting in its second probe.
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("Run = %v after Close", err)
	}
	if err := p.Run(context.Background()); err != nil {
		t.Errorf("Run after Close = %v", err)
	}
}

// TestPollerBusy: a job of the kiosk's own shows Busy while the device reads Online, and
// End probes at once even when the job's context has ended.
func TestPollerBusy(t *testing.T) {
	tr := NewTracker("a4", A4Printer)
	probe := make(scriptedProber, 1)
	p := NewPoller(tr, probe, time.Hour, "no answer", nil, nil)
	probe <- answer{state: Online}
	p.Check(context.Background())

	p.Begin()
	if got := tr.Current(); got.State != Busy || got.Details["url"] != "ipp://printer" {
		t.Fatalf("after Begin %+v; want busy with the details kept", got)
	}
	probe <- answer{state: Online}
	p.Check(context.Background())
	if got := tr.Current(); got.State != Busy {
		t.Errorf("a poll during the job shows %s; want busy", got.State)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	probe <- answer{state: UserError, reason: "paper jam"}
	p.End(ctx)
	if got := tr.Current(); got.State != UserError || got.Reason != "paper jam" {
		t.Errorf("after End %+v; want the jam the job left", got)
	}
	probe <- answer{state: Online}
	p.Check(context.Background())
	if got := tr.Current(); got.State != Online {
		t.Errorf("after the job %s; want online", got.State)
	}
}

// TestPollerBeginKeepsFaults: Begin does not hide a fault the device already reports.
func TestPollerBeginKeepsFaults(t *testing.T) {
	tr := NewTracker("a4", A4Printer)
	p := NewPoller(tr, make(scriptedProber), time.Hour, "no answer", nil, nil)
	tr.Set(UserError, "paper out", nil)
	p.Begin()
	if got := tr.Current(); got.State != UserError {
		t.Errorf("Begin turned %s into busy", got.State)
	}
}
