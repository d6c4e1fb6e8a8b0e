package ipp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/govkiosk/govkiosk/drivers/health"
)

// Device is the A4 printer as the kiosk's device registry manages it: a Client whose health
// is kept by polling the printer's state, plus Print that shows busy while it runs.
type Device struct {
	name     string
	c        *Client
	poll     time.Duration
	log      *slog.Logger
	tracker  *health.Tracker
	printing sync.Mutex // one job at a time from this kiosk

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
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Device{name: name, c: c, poll: poll, log: log.With("device", name),
		tracker: health.NewTracker(name, health.A4Printer)}
}

// Name is the configured name.
func (d *Device) Name() string { return d.name }

// Kind is health.A4Printer.
func (d *Device) Kind() health.Kind { return health.A4Printer }

// Health is the current status.
func (d *Device) Health() health.Status { return d.tracker.Current() }

// Subscribe follows health changes.
func (d *Device) Subscribe() (<-chan health.Status, func()) { return d.tracker.Subscribe() }

// Client is the device's IPP client.
func (d *Device) Client() *Client { return d.c }

// StatusHealth maps a printer's state to the health model: paper out, jam and door open
// need a person's hand (user error); no toner or a stopped printer need service (hardware
// error); toner low and paper low are details of a printer that still works.
func StatusHealth(st *PrinterStatus) (health.State, string, map[string]string) {
	details := map[string]string{}
	if len(st.Reasons) > 0 {
		details["reasons"] = strings.Join(st.Reasons, ",")
	}
	if st.Has("toner-low") || st.Has("marker-supply-low") {
		details["toner"] = "low"
	}
	if st.Has("media-low") {
		details["paper"] = "low"
	}
	switch err := st.Fault(); {
	case errors.Is(err, ErrMediaEmpty):
		details["paper"] = "out"
		return health.UserError, "paper out", details
	case errors.Is(err, ErrMediaJam):
		details["paper"] = "jam"
		return health.UserError, "paper jam", details
	case errors.Is(err, ErrDoorOpen):
		details["door"] = "open"
		return health.UserError, "door open", details
	case errors.Is(err, ErrTonerEmpty):
		details["toner"] = "empty"
		return health.HardwareError, "toner empty", details
	case err != nil:
		return health.HardwareError, "printer stopped", details
	case !st.AcceptingJobs:
		return health.HardwareError, "printer not accepting jobs", details
	case st.State == PrinterProcessing:
		return health.Busy, "", details
	}
	reason := ""
	if details["toner"] == "low" {
		reason = "toner low"
	}
	return health.Online, reason, details
}

// check polls the status once and records it.
func (d *Device) check(ctx context.Context) {
	st, err := d.c.Status(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.tracker.Set(health.Offline, "no answer from the printer", map[string]string{"url": d.c.URL()})
			d.log.Debug("ipp: status failed", "err", err)
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

// Run polls the printer's state until ctx ends or Close; it returns nil then.
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

// Print prints a PDF and waits for the job to end, showing the device busy meanwhile, and
// checks the state afterwards so paper out or a jam shows at once. Errors are those of
// Client.Print.
func (d *Device) Print(ctx context.Context, jobName string, pdf []byte) (*JobStatus, error) {
	d.printing.Lock()
	defer d.printing.Unlock()
	d.mu.Lock()
	d.busy = true
	d.mu.Unlock()
	cur := d.tracker.Current()
	if cur.State == health.Online {
		d.tracker.Set(health.Busy, "", maps.Clone(cur.Details))
	}
	js, err := d.c.Print(ctx, jobName, pdf)
	d.mu.Lock()
	d.busy = false
	d.mu.Unlock()
	d.check(context.WithoutCancel(ctx))
	if err != nil {
		d.log.Info("ipp: print failed", "err", err)
		return js, fmt.Errorf("%s: %w", d.name, err)
	}
	return js, nil
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
