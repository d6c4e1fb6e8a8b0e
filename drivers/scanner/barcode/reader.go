package barcode

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/drivers/transport"
)

// Protocol is how a scanner hands over its scans.
type Protocol string

const (
	// Lines: text lines on a serial line (RS-232, USB CDC, USB-serial).
	Lines Protocol = "lines"
	// HIDPOS: USB HID-POS input reports (usage page 0x8C).
	HIDPOS Protocol = "hidpos"
)

// Config configures a Reader.
type Config struct {
	// Name is the device's configured name, for health and logs; "" means "barcode".
	Name string
	// Protocol is Lines (default) or HIDPOS.
	Protocol Protocol
	// Frame frames Lines; for HIDPOS only MaxLine and Charset apply.
	Frame FrameConfig
	// HID is the report layout for HIDPOS; the zero value means LayoutHIDPOS.
	HID HIDLayout
	// Open opens the scanner's port; it is called again after every disconnect. See
	// SerialOpener.
	Open func(ctx context.Context) (transport.Port, error)
	// Trigger and Stop are the scanner's serial trigger commands, if it is in serial
	// trigger mode, e.g. 16 54 0D and 16 55 0D (ParseHex).
	Trigger, Stop []byte
	// Retrigger sends Trigger on connecting and after every scan, so a scanner in
	// serial trigger mode is always ready (a kiosk's "present a code" window).
	Retrigger bool
	// MinBackoff and MaxBackoff bound the wait between reconnection attempts; zero means
	// 200 ms and 5 s.
	MinBackoff, MaxBackoff time.Duration
}

// SerialOpener opens path at baud (0: 9600, the factory setting of most serial
// scanners) each time it is called.
func SerialOpener(path string, baud int) func(context.Context) (transport.Port, error) {
	if baud == 0 {
		baud = 9600
	}
	return func(context.Context) (transport.Port, error) {
		return transport.OpenSerial(transport.SerialConfig{Path: path, Baud: baud})
	}
}

// Trigger commands of serial command-mode scanners: SYN 'T' CR activates, SYN 'U' CR
// deactivates (Honeywell/Hand Held Products 2020/4820 user's guide, "Trigger Commands";
// Datalogic and Canmax engines document the same bytes, ASCII 22,84,13 and 22,85,13).
var (
	SYNTrigger = []byte{0x16, 'T', '\r'}
	SYNStop    = []byte{0x16, 'U', '\r'}
)

// ParseHex reads bytes written in hexadecimal as configuration files and technicians
// write them: "16 54 0D", "16540d", "0x16,0x54,0x0d".
func ParseHex(s string) ([]byte, error) {
	f := strings.NewReplacer("0x", "", "0X", "", ",", " ", ":", " ", "-", " ").Replace(s)
	b, err := hex.DecodeString(strings.Join(strings.Fields(f), ""))
	if err != nil {
		return nil, fmt.Errorf("barcode: hex bytes %q: %w", s, err)
	}
	return b, nil
}

// Event is what a Reader reports per line or report: a scan, or a rejected line
// (Err is a *LineError).
type Event struct {
	Scan Scan
	Err  error
}

// decoder is the Framer or the HIDAssembler.
type decoder interface {
	Feed(p []byte, at time.Time, emit func(Scan, error))
	Reset()
}

// Reader drives one barcode scanner: it keeps the port open, reopens it after an unplug,
// turns its bytes into Events and keeps its health. It implements the device registry's
// Device interface.
type Reader struct {
	cfg     Config
	log     *slog.Logger
	tracker *health.Tracker
	events  chan Event
	dec     decoder

	mu     sync.Mutex
	port   transport.Port
	cancel context.CancelFunc
	closed bool
}

// ErrNoOpen is a Config without an Open function.
var ErrNoOpen = errors.New("barcode: no port opener configured")

// ErrNotConnected is a trigger command while the scanner is not connected.
var ErrNotConnected = errors.New("barcode: scanner not connected")

// New checks cfg and makes a Reader; nothing is opened until Run.
func New(cfg Config, log *slog.Logger) (*Reader, error) {
	if cfg.Open == nil {
		return nil, ErrNoOpen
	}
	if cfg.Name == "" {
		cfg.Name = "barcode"
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 200 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(5*time.Second, cfg.MinBackoff)
	}
	r := &Reader{cfg: cfg, log: log.With("device", cfg.Name),
		tracker: health.NewTracker(cfg.Name, health.Barcode), events: make(chan Event, 32)}
	switch cfg.Protocol {
	case "", Lines:
		r.cfg.Protocol = Lines
		f := NewFramer(cfg.Frame)
		if err := f.Check(); err != nil {
			return nil, err
		}
		r.dec = f
	case HIDPOS:
		l := cfg.HID
		if l == (HIDLayout{}) {
			l = LayoutHIDPOS
		}
		a, err := NewHIDAssembler(l, cfg.Frame.MaxLine, cfg.Frame.Charset)
		if err != nil {
			return nil, err
		}
		r.dec = a
	default:
		return nil, fmt.Errorf("barcode: protocol %q: want lines or hidpos", cfg.Protocol)
	}
	return r, nil
}

// Name is the configured device name.
func (r *Reader) Name() string { return r.cfg.Name }

// Kind is health.Barcode.
func (r *Reader) Kind() health.Kind { return health.Barcode }

// Health is the scanner's current status.
func (r *Reader) Health() health.Status { return r.tracker.Current() }

// Subscribe follows the scanner's health changes; call the function to stop.
func (r *Reader) Subscribe() (<-chan health.Status, func()) { return r.tracker.Subscribe() }

// Events delivers scans and rejected lines. It is never closed. When nobody reads, the
// oldest unread events are dropped: a scan nobody took in time is stale.
func (r *Reader) Events() <-chan Event { return r.events }

// Run keeps the scanner connected and reading until ctx ends or Close is called, and then
// returns nil. An unplugged or absent scanner makes it wait and retry, reporting offline.
func (r *Reader) Run(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	r.cancel = cancel
	r.mu.Unlock()
	defer cancel()

	wait := r.cfg.MinBackoff
	for ctx.Err() == nil {
		p, err := r.cfg.Open(ctx)
		if err != nil {
			r.tracker.Set(health.Offline, "cannot open port", map[string]string{"error": err.Error()})
			r.log.Debug("barcode: open failed", "err", err, "retry_in", wait)
		} else {
			wait = r.cfg.MinBackoff
			err = r.serve(ctx, p)
			if ctx.Err() != nil {
				break
			}
			reason := "connection lost"
			if errors.Is(err, transport.ErrGone) {
				reason = "unplugged"
			}
			r.tracker.Set(health.Offline, reason, map[string]string{"port": p.Name()})
			r.log.Warn("barcode: scanner lost", "port", p.Name(), "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(wait*2, r.cfg.MaxBackoff)
	}
	r.tracker.Set(health.Offline, "stopped", nil)
	return nil
}

// serve reads from p until it fails or ctx ends, and always closes p.
func (r *Reader) serve(ctx context.Context, p transport.Port) error {
	stop := context.AfterFunc(ctx, func() { p.Close() })
	defer stop()
	defer p.Close()
	r.mu.Lock()
	r.port = p
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.port = nil
		r.mu.Unlock()
	}()
	r.dec.Reset()
	if err := p.SetReadDeadline(time.Time{}); err != nil {
		return err
	}
	r.tracker.Set(health.Online, "", map[string]string{"port": p.Name(), "protocol": string(r.cfg.Protocol)})
	r.log.Info("barcode: scanner connected", "port", p.Name())
	if r.cfg.Retrigger && len(r.cfg.Trigger) > 0 {
		if err := writeCmd(p, r.cfg.Trigger); err != nil {
			return err
		}
	}
	buf := make([]byte, 512)
	for {
		n, err := p.Read(buf)
		if n > 0 {
			scanned := false
			r.dec.Feed(buf[:n], time.Now(), func(s Scan, err error) {
				if err != nil {
					var le *LineError
					if errors.As(err, &le) {
						r.log.Warn("barcode: line rejected", "reason", le.Err, "len", le.Len)
					}
				} else {
					scanned = true
					r.log.Debug("barcode: scan", "symbology", s.Symbology, "len", len(s.Data))
				}
				r.deliver(Event{Scan: s, Err: err})
			})
			if scanned && r.cfg.Retrigger && len(r.cfg.Trigger) > 0 {
				if err := writeCmd(p, r.cfg.Trigger); err != nil {
					return err
				}
			}
		}
		if err != nil {
			return err
		}
	}
}

// deliver queues ev, dropping the oldest queued event when the queue is full.
func (r *Reader) deliver(ev Event) {
	for {
		select {
		case r.events <- ev:
			return
		default:
		}
		select {
		case <-r.events:
			r.log.Warn("barcode: nobody reads scans, dropped the oldest")
		default:
		}
	}
}

func writeCmd(p transport.Port, cmd []byte) error {
	if err := p.SetWriteDeadline(time.Now().Add(time.Second)); err != nil {
		return err
	}
	_, err := p.Write(cmd)
	return err
}

// Trigger sends the configured trigger command to the connected scanner.
func (r *Reader) Trigger() error { return r.command(r.cfg.Trigger, "trigger") }

// StopTrigger sends the configured stop command to the connected scanner.
func (r *Reader) StopTrigger() error { return r.command(r.cfg.Stop, "stop") }

func (r *Reader) command(cmd []byte, what string) error {
	if len(cmd) == 0 {
		return fmt.Errorf("barcode: no %s command configured", what)
	}
	r.mu.Lock()
	p := r.port
	r.mu.Unlock()
	if p == nil {
		return ErrNotConnected
	}
	if err := writeCmd(p, cmd); err != nil {
		return fmt.Errorf("barcode: send %s: %w", what, err)
	}
	return nil
}

// Close stops Run for good and closes the port.
func (r *Reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	if r.cancel != nil {
		r.cancel()
	}
	return nil
}
