package ipp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	log      *slog.Logger
	tracker  *health.Tracker
	poller   *health.Poller
	printing sync.Mutex // one job at a time from this kiosk
}

// NewDevice wraps c; poll is the status interval (0: 5 s).
func NewDevice(name string, c *Client, poll time.Duration, log *slog.Logger) *Device {
	if poll <= 0 {
		poll = 5 * time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Device{name: name, c: c, log: log.With("device", name),
		tracker: health.NewTracker(name, health.A4Printer)}
	d.poller = health.NewPoller(d.tracker, health.ProbeFunc(d.probe), poll,
		"no answer from the printer", map[string]string{"url": c.URL()}, d.log)
	return d
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

// probe asks the printer's state once.
func (d *Device) probe(ctx context.Context) (health.State, string, map[string]string, error) {
	st, err := d.c.Status(ctx)
	if err != nil {
		return "", "", nil, err
	}
	state, reason, details := StatusHealth(st)
	details["url"] = d.c.URL()
	return state, reason, details, nil
}

// check polls the status once and records it.
func (d *Device) check(ctx context.Context) { d.poller.Check(ctx) }

// Run polls the printer's state until ctx ends or Close; it returns nil then.
func (d *Device) Run(ctx context.Context) error { return d.poller.Run(ctx) }

// Print prints a PDF and waits for the job to end, showing the device busy meanwhile, and
// checks the state afterwards so paper out or a jam shows at once. Errors are those of
// Client.Print.
func (d *Device) Print(ctx context.Context, jobName string, pdf []byte) (*JobStatus, error) {
	d.printing.Lock()
	defer d.printing.Unlock()
	d.poller.Begin()
	js, err := d.c.Print(ctx, jobName, pdf)
	d.poller.End(ctx)
	if err != nil {
		d.log.Info("ipp: print failed", "err", err)
		return js, fmt.Errorf("%s: %w", d.name, err)
	}
	return js, nil
}

// Close stops Run.
func (d *Device) Close() error { return d.poller.Close() }
