package escl

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/govkiosk/govkiosk/drivers/health"
)

// Device is a document scanner as the kiosk's device registry manages it: a Client whose
// health is kept by polling ScannerStatus, plus Scan that reports busy while it runs.
type Device struct {
	name     string
	c        *Client
	poll     time.Duration
	log      *slog.Logger
	tracker  *health.Tracker
	scanning sync.Mutex // one scan at a time, as the scanner takes one job at a time

	mu     sync.Mutex
	busy   bool
	cancel context.CancelFunc
	closed bool
}

// NewDevice wraps c; poll is the status interval (0: 5 s).
func NewDevice(name string, c *Client, poll time.Duration, log *slog.Logger) *Device {
	if poll <= 0 {
		poll = 5 * time.Second
	}
	return &Device{name: name, c: c, poll: poll, log: log.With("device", name),
		tracker: health.NewTracker(name, health.DocScanner)}
}

// Name is the configured name.
func (d *Device) Name() string { return d.name }

// Kind is health.DocScanner.
func (d *Device) Kind() health.Kind { return health.DocScanner }

// Health is the current status.
func (d *Device) Health() health.Status { return d.tracker.Current() }

// Subscribe follows health changes.
func (d *Device) Subscribe() (<-chan health.Status, func()) { return d.tracker.Subscribe() }

// StatusHealth maps a ScannerStatus to the health model. An empty feeder is no fault:
// the glass still works, and the feeder state is in the details.
func StatusHealth(st *Status) (health.State, string, map[string]string) {
	details := map[string]string{"state": strings.ToLower(st.State)}
	if st.AdfState != "" {
		details["feeder"] = strings.ToLower(strings.TrimPrefix(st.AdfState, "ScannerAdf"))
	}
	err := StatusError(st)
	switch {
	case errors.Is(err, ErrJammed):
		return health.UserError, "paper jam in the document feeder", details
	case errors.Is(err, ErrCoverOpen):
		return health.UserError, "scanner cover open", details
	case errors.Is(err, ErrStopped):
		return health.HardwareError, "scanner stopped", details
	case st.State == StateProcessing:
		return health.Busy, "", details
	}
	return health.Online, "", details
}

// check polls the status once and records it.
func (d *Device) check(ctx context.Context) {
	st, err := d.c.Status(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.tracker.Set(health.Offline, "no answer from the scanner", map[string]string{"url": d.c.URL()})
			d.log.Debug("escl: status failed", "err", err)
		}
		return
	}
	state, reason, details := StatusHealth(st)
	d.mu.Lock()
	busy := d.busy
	d.mu.Unlock()
	if busy && state == health.Online {
		state = health.Busy
	}
	details["url"] = d.c.URL()
	d.tracker.Set(state, reason, details)
}

// Run polls the scanner's status until ctx ends or Close; it returns nil then.
func (d *Device) Run(ctx context.Context) error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	d.cancel = cancel
	d.mu.Unlock()
	defer cancel()
	t := time.NewTicker(d.poll)
	defer t.Stop()
	for {
		d.check(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Scan scans with the device's client, showing the device busy meanwhile, and checks
// the status afterwards so a jam or an empty feeder shows at once.
func (d *Device) Scan(ctx context.Context, s Settings) ([]Page, error) {
	d.scanning.Lock()
	defer d.scanning.Unlock()
	d.mu.Lock()
	d.busy = true
	d.mu.Unlock()
	cur := d.tracker.Current()
	if cur.State == health.Online {
		d.tracker.Set(health.Busy, "", cur.Details)
	}
	pages, err := d.c.Scan(ctx, s)
	d.mu.Lock()
	d.busy = false
	d.mu.Unlock()
	d.check(context.WithoutCancel(ctx))
	return pages, err
}

// Close stops Run.
func (d *Device) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	if d.cancel != nil {
		d.cancel()
	}
	return nil
}
