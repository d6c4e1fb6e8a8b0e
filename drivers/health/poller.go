package health

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Prober asks a device for its state once. An error means the device did not answer; what
// Probe returns with an error is ignored.
type Prober interface {
	Probe(ctx context.Context) (State, string, map[string]string, error)
}

// ProbeFunc lets a function (often a device's method value) be a Prober.
type ProbeFunc func(ctx context.Context) (State, string, map[string]string, error)

// Probe calls f.
func (f ProbeFunc) Probe(ctx context.Context) (State, string, map[string]string, error) {
	return f(ctx)
}

// Poller keeps a Tracker up to date for a device that only tells its state when asked
// (a network printer or scanner): Run probes at once and then every interval, and a job of
// the kiosk's own (Begin, End) shows as Busy while the device itself still reads Online.
// It is safe for concurrent use.
type Poller struct {
	tracker  *Tracker
	probe    Prober
	interval time.Duration
	// offline is recorded when the probe fails.
	offlineReason  string
	offlineDetails map[string]string
	log            *slog.Logger
	// newTicker is time.NewTicker but for tests, which tick by hand.
	newTicker func(time.Duration) (<-chan time.Time, func())

	mu     sync.Mutex
	busy   bool
	cancel context.CancelFunc
	closed bool
}

// NewPoller polls p every interval into t. When p fails the device is recorded Offline with
// offlineReason and offlineDetails, and the error is logged at debug level (a device that
// is off is expected; its state says so).
func NewPoller(t *Tracker, p Prober, interval time.Duration, offlineReason string,
	offlineDetails map[string]string, log *slog.Logger) *Poller {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Poller{tracker: t, probe: p, interval: interval, offlineReason: offlineReason,
		offlineDetails: offlineDetails, log: log, newTicker: realTicker}
}

func realTicker(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}

// Interval is the time between two probes.
func (p *Poller) Interval() time.Duration { return p.interval }

// Check probes once and records the result. A probe that fails because ctx ended records
// nothing: the device did not go offline, the kiosk stopped asking.
func (p *Poller) Check(ctx context.Context) {
	state, reason, details, err := p.probe.Probe(ctx)
	if err != nil {
		if ctx.Err() == nil {
			p.tracker.Set(Offline, p.offlineReason, p.offlineDetails)
			p.log.Debug("health: status failed", "err", err)
		}
		return
	}
	p.mu.Lock()
	busy := p.busy
	p.mu.Unlock()
	if busy && state == Online {
		state = Busy
	}
	p.tracker.Set(state, reason, details)
}

// Run probes at once and then every interval until ctx ends or Close; it returns nil then.
func (p *Poller) Run(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	p.cancel = cancel
	p.mu.Unlock()
	defer cancel()
	tick, stop := p.newTicker(p.interval)
	defer stop()
	for {
		p.Check(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-tick:
		}
	}
}

// Begin marks a job of the kiosk's own: the device shows Busy until End, at once if it
// was Online.
func (p *Poller) Begin() {
	p.mu.Lock()
	p.busy = true
	p.mu.Unlock()
	if cur := p.tracker.Current(); cur.State == Online {
		p.tracker.Set(Busy, "", cur.Details)
	}
}

// End ends the job Begin marked and probes at once, so a fault the job left (a jam, paper
// out) shows without waiting for the next poll. It probes even when ctx has ended: the job
// is over, the device's state is still wanted.
func (p *Poller) End(ctx context.Context) {
	p.mu.Lock()
	p.busy = false
	p.mu.Unlock()
	p.Check(context.WithoutCancel(ctx))
}

// Close stops Run, and any Run started later returns at once.
func (p *Poller) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.cancel != nil {
		p.cancel()
	}
	return nil
}
