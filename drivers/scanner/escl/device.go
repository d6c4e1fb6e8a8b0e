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
	log      *slog.Logger
	tracker  *health.Tracker
	poller   *health.Poller
	scanning sync.Mutex // one scan at a time, as the scanner takes one job at a time
}

// NewDevice wraps c; poll is the status interval (0: 5 s).
func NewDevice(name string, c *Client, poll time.Duration, log *slog.Logger) *Device {
	if poll <= 0 {
		poll = 5 * time.Second
	}
	d := &Device{name: name, c: c, log: log.With("device", name),
		tracker: health.NewTracker(name, health.DocScanner)}
	d.poller = health.NewPoller(d.tracker, health.ProbeFunc(d.probe), poll,
		"no answer from the scanner", map[string]string{"url": c.URL()}, d.log)
	return d
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

// probe asks the scanner's status once.
func (d *Device) probe(ctx context.Context) (health.State, string, map[string]string, error) {
	st, err := d.c.Status(ctx)
	if err != nil {
		return "", "", nil, err
	}
	state, reason, details := StatusHealth(st)
	details["url"] = d.c.URL()
	return state, reason, details, nil
}

// Run polls the scanner's status until ctx ends or Close; it returns nil then.
func (d *Device) Run(ctx context.Context) error { return d.poller.Run(ctx) }

// Scan scans with the device's client, showing the device busy meanwhile, and checks
// the status afterwards so a jam or an empty feeder shows at once.
func (d *Device) Scan(ctx context.Context, s Settings) ([]Page, error) {
	d.scanning.Lock()
	defer d.scanning.Unlock()
	d.poller.Begin()
	pages, err := d.c.Scan(ctx, s)
	d.poller.End(ctx)
	return pages, err
}

// Close stops Run.
func (d *Device) Close() error { return d.poller.Close() }
