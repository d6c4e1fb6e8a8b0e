package idcard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/drivers/transport"
	"github.com/govkiosk/govkiosk/kiosk/config"
	"github.com/govkiosk/govkiosk/kiosk/identity"
)

// Event is what a Reader reports: CardRead, CardRemoved or Fault.
type Event interface{ event() }

// CardRead is a card read once after it was placed. The Identity belongs to the receiver,
// who must Wipe it when the session ends; the reader keeps no copy.
type CardRead struct{ Identity *identity.Identity }

// CardRemoved says the card that was on the reader is gone, or that the reader lost track
// of it (the reader went offline with a card on it).
type CardRemoved struct{}

// Fault is a problem the UI may want to explain: a card that could not be read (errors
// matching ErrCardFault), a faulty security module (ErrSAMFault), a reader that stopped
// answering (ErrNoResponse, ErrNoise, ErrChecksum, ErrLength) or went away
// (transport.ErrGone, transport.ErrNoDevice). A fault of the reader itself is reported
// once when it starts, not on every retry; Health says when it is over.
type Fault struct{ Err error }

func (CardRead) event()    {}
func (CardRemoved) event() {}
func (Fault) event()       {}

// Opener opens the reader's port; the Reader calls it again after the port fails.
type Opener func(ctx context.Context) (transport.Port, error)

// SerialOpener opens a serial port at the given line speed (0 means DefaultBaud).
func SerialOpener(path string, baud int) Opener {
	return func(context.Context) (transport.Port, error) {
		return transport.OpenSerial(transport.SerialConfig{Path: path, Baud: baud})
	}
}

// Config is a Reader's configuration. Open is required; zero values elsewhere take the
// defaults given.
type Config struct {
	// Name is the device's name in health reports (default "idcard").
	Name string
	// Open opens the port.
	Open Opener
	// Baud is the line speed the port is opened at, to size timeouts (default 115200).
	Baud int
	// PollInterval is the pause between looks for a card (default 300ms).
	PollInterval time.Duration
	// RemoveAfter is how many looks in a row must find no card before the card counts as
	// removed (default 2), so one missed look does not end a session.
	RemoveAfter int
	// Fingerprint reads fingerprint data too.
	Fingerprint bool
	// AdditionalAddress reads the latest address endorsement too.
	AdditionalAddress bool
	// Processing is the allowance for the reader's own work on top of wire time
	// (default DefaultProcessing).
	Processing time.Duration
	// MaxSilent is how many commands in a row may go unanswered (or be answered with
	// garbage) before the reader counts as gone: the port is closed and reopened
	// (default 2).
	MaxSilent int
	// MaxAttempts is how many times a placed card is tried before the reader gives up on
	// it until it is removed (default 3).
	MaxAttempts int
	// BackoffMin and BackoffMax bound the wait between attempts to reopen a reader that
	// is gone (defaults 250ms and 5s; the wait doubles up to the maximum).
	BackoffMin, BackoffMax time.Duration
	// Logger receives technician-level messages, never card data (default: discard).
	Logger *slog.Logger
}

func (c *Config) defaults() {
	if c.Name == "" {
		c.Name = "idcard"
	}
	if c.Baud <= 0 {
		c.Baud = DefaultBaud
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 300 * time.Millisecond
	}
	if c.RemoveAfter <= 0 {
		c.RemoveAfter = 2
	}
	if c.Processing <= 0 {
		c.Processing = DefaultProcessing
	}
	if c.MaxSilent <= 0 {
		c.MaxSilent = 2
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 3
	}
	if c.BackoffMin <= 0 {
		c.BackoffMin = 250 * time.Millisecond
	}
	if c.BackoffMax < c.BackoffMin {
		c.BackoffMax = max(5*time.Second, c.BackoffMin)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

var (
	// ErrRunning is returned by Run when the Reader is already running.
	ErrRunning = errors.New("idcard: reader already running")
	// ErrReaderClosed is returned by Run after Close.
	ErrReaderClosed = errors.New("idcard: reader closed")
)

// Reader watches one ID-card reader: it opens the port, checks the security module,
// looks for a card every PollInterval, reads each placed card once, notices its removal,
// and when the reader goes away keeps trying to reopen it until it is back.
//
// It is a device for the device registry (Name, Kind, Health, Subscribe, Run, Close), and
// reports cards on Events.
type Reader struct {
	cfg     Config
	log     *slog.Logger
	health  *health.Tracker
	events  chan Event
	running atomic.Bool
	closed  atomic.Bool

	// Loop state, owned by Run's goroutine.
	placed bool // a card is on the reader (found, and read or given up on)
	down   bool // a fault of the reader itself has been reported and not yet cleared
	port   string
}

// NewReader returns a Reader; call Run to start it.
func NewReader(cfg Config) (*Reader, error) {
	if cfg.Open == nil {
		return nil, errors.New("idcard: reader config has no Open")
	}
	cfg.defaults()
	return &Reader{
		cfg:    cfg,
		log:    cfg.Logger.With("device", cfg.Name),
		health: health.NewTracker(cfg.Name, health.IDCard),
		events: make(chan Event, 8),
	}, nil
}

// Events is where the Reader reports. Read it all the time: the reader waits for the
// receiver to take a CardRead or CardRemoved (a Fault it drops when the receiver is
// behind). It is never closed, since Run may be started again: stop reading when your
// context ends.
func (r *Reader) Events() <-chan Event { return r.events }

// Name is the device's configured name.
func (r *Reader) Name() string { return r.cfg.Name }

// Kind is health.IDCard.
func (r *Reader) Kind() health.Kind { return health.IDCard }

// Health is the reader's current health: online, busy while reading, offline while gone,
// hardware error when its security module is faulty. Details: "sam" (ok, fault), "card"
// (absent, present, reading), "port".
func (r *Reader) Health() health.Status { return r.health.Current() }

// Subscribe follows health changes until the returned function is called.
func (r *Reader) Subscribe() (<-chan health.Status, func()) { return r.health.Subscribe() }

// Close ends the Reader for good: Run refuses to start afterwards. The port is closed by
// Run when its context ends.
func (r *Reader) Close() error {
	r.closed.Store(true)
	return nil
}

// Run watches the reader until ctx is done, then closes the port and returns nil. It may
// be called again after it returned, not while it runs.
func (r *Reader) Run(ctx context.Context) error {
	if r.closed.Load() {
		return ErrReaderClosed
	}
	if !r.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer r.running.Store(false)
	defer func() { r.placed = false }()
	backoff := r.cfg.BackoffMin
	for {
		if ctx.Err() != nil {
			return nil
		}
		port, err := r.cfg.Open(ctx)
		if err == nil {
			r.port = port.Name()
			var online bool
			online, err = r.session(ctx, port)
			port.Close()
			if online {
				backoff = r.cfg.BackoffMin
			}
		}
		if ctx.Err() != nil {
			return nil
		}
		r.fail(ctx, err)
		if !sleep(ctx, backoff) {
			return nil
		}
		backoff = min(2*backoff, r.cfg.BackoffMax)
	}
}

// fail records why the reader is not usable and reports it once per outage.
func (r *Reader) fail(ctx context.Context, err error) {
	state, reason, details := health.Offline, "", map[string]string{}
	if r.port != "" {
		details["port"] = r.port
	}
	switch {
	case errors.Is(err, ErrSAMFault):
		state, reason, details["sam"] = health.HardwareError, "security module fault", "fault"
		var se *StatusError
		if errors.As(err, &se) {
			reason = "security module fault: status " + se.Status.String()
		}
	case errors.Is(err, transport.ErrNoDevice):
		reason = "not connected"
	case errors.Is(err, transport.ErrGone), errors.Is(err, transport.ErrClosed):
		reason = "disconnected"
	case errors.Is(err, ErrNoise), errors.Is(err, ErrChecksum), errors.Is(err, ErrLength):
		reason = "garbled answers"
	case errors.Is(err, ErrNoResponse):
		reason = "no answer"
	default:
		reason = "cannot use the port"
	}
	r.health.Set(state, reason, details)
	if r.placed {
		r.placed = false
		r.emit(ctx, CardRemoved{})
	}
	if !r.down {
		r.down = true
		r.log.Warn("reader unusable", "state", state, "reason", reason, "err", err)
		r.emit(ctx, Fault{Err: err})
	}
}

// session works the reader on an open port until the port fails; it reports whether the
// reader was online meanwhile.
func (r *Reader) session(ctx context.Context, port transport.Port) (bool, error) {
	c := NewConn(port, r.cfg.Baud)
	c.SetProcessing(r.cfg.Processing)
	defer c.Wipe()
	if err := c.SAMStatus(ctx); err != nil {
		return false, err
	}
	if r.down {
		r.log.Info("reader back", "port", r.port)
	}
	r.down = false
	r.setOnline("absent")
	var misses, silent, attempts int
	for {
		err := c.FindCard(ctx)
		switch {
		case err == nil:
			misses, silent = 0, 0
			if r.placed {
				break
			}
			if err := r.read(ctx, c); err != nil {
				if lineFault(err) {
					r.setOnline("absent")
					if r.giveUp(ctx, &silent, err) {
						return true, err
					}
					break
				}
				attempts++
				r.log.Info("card not read", "attempt", attempts, "err", err)
				r.emit(ctx, Fault{Err: err})
				if attempts >= r.cfg.MaxAttempts {
					r.placed = true // give up until it is removed
					r.setOnline("present")
				} else {
					r.setOnline("absent")
				}
				break
			}
			attempts = 0
			r.placed = true
		case errors.Is(err, ErrNoCard):
			silent = 0
			if misses++; misses >= r.cfg.RemoveAfter {
				if r.placed {
					r.placed = false
					r.log.Info("card removed")
					r.emit(ctx, CardRemoved{})
					r.setOnline("absent")
				}
				attempts = 0
			}
		case errors.Is(err, ErrSAMFault):
			return true, err
		case lineFault(err):
			if r.giveUp(ctx, &silent, err) {
				return true, err
			}
		default:
			// Another status for find card (the reader refused it, or an error
			// it cannot classify): no card for now.
			r.log.Debug("look for card failed", "err", err)
			misses++
		}
		if !sleep(ctx, r.cfg.PollInterval) {
			return true, ctx.Err()
		}
	}
}

// giveUp counts a command the line failed and reports whether the port must be closed:
// the device went away, or MaxSilent commands in a row got no usable answer.
func (r *Reader) giveUp(ctx context.Context, silent *int, err error) bool {
	if ctx.Err() != nil || errors.Is(err, transport.ErrGone) || errors.Is(err, transport.ErrClosed) {
		return true
	}
	*silent++
	r.log.Debug("command failed", "in_a_row", *silent, "err", err)
	return *silent >= r.cfg.MaxSilent
}

// read reads the card just found and hands it to the receiver.
func (r *Reader) read(ctx context.Context, c *Conn) error {
	r.health.Set(health.Busy, "reading card", r.details("ok", "reading"))
	id, err := c.ReadIdentity(ctx, ReadOptions{Fingerprint: r.cfg.Fingerprint, AdditionalAddress: r.cfg.AdditionalAddress})
	if err != nil {
		return err
	}
	r.log.Info("card read", "type", id.CardType, "number", id.Masked())
	r.setOnline("present")
	r.emit(ctx, CardRead{Identity: id})
	return nil
}

// lineFault reports whether err means the line or the reader failed, rather than the card.
func lineFault(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return false
	}
	return !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnknownCardType)
}

func (r *Reader) details(sam, card string) map[string]string {
	d := map[string]string{"sam": sam, "card": card}
	if r.port != "" {
		d["port"] = r.port
	}
	return d
}

func (r *Reader) setOnline(card string) {
	r.health.Set(health.Online, "", r.details("ok", card))
}

// emit hands ev to the receiver, waiting for it unless ctx ends first; an identity that
// cannot be delivered is wiped. A Fault is dropped rather than waited for when the
// receiver is behind: Health carries the same news, and a receiver that reads no events
// must not stop the reader from polling.
func (r *Reader) emit(ctx context.Context, ev Event) {
	if f, ok := ev.(Fault); ok {
		select {
		case r.events <- ev:
		default:
			r.log.Debug("fault not delivered: receiver behind", "err", f.Err)
		}
		return
	}
	select {
	case r.events <- ev:
	case <-ctx.Done():
		if cr, ok := ev.(CardRead); ok {
			cr.Identity.Wipe()
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// String describes the reader for messages.
func (r *Reader) String() string { return fmt.Sprintf("idcard reader %q", r.cfg.Name) }

// ErrUnsupported means a device configuration this driver cannot work with.
var ErrUnsupported = errors.New("idcard: unsupported configuration")

// FromConfig builds a Reader for a configured device: serial (and simulated, whose Path
// is the simulator's terminal) at Path and Baud, or tcp to a serial-over-IP converter at
// Address. PollInterval and Fingerprint are taken from the configuration.
func FromConfig(d config.Device, log *slog.Logger) (*Reader, error) {
	if d.Kind != config.KindIDCard {
		return nil, fmt.Errorf("%w: device %q is a %s", ErrUnsupported, d.Name, d.Kind)
	}
	cfg := Config{Name: d.Name, Baud: d.Baud, PollInterval: d.PollInterval.Duration,
		Fingerprint: d.Fingerprint, Logger: log}
	switch d.Transport {
	case config.TransportSerial, config.TransportSim:
		if d.Path == "" {
			return nil, fmt.Errorf("%w: device %q has no path", ErrUnsupported, d.Name)
		}
		cfg.Open = SerialOpener(d.Path, d.Baud)
	case config.TransportTCP:
		if d.Address == "" {
			return nil, fmt.Errorf("%w: device %q has no address", ErrUnsupported, d.Name)
		}
		addr := d.Address
		cfg.Open = func(context.Context) (transport.Port, error) { return transport.DialTCP(addr, 3*time.Second) }
	default:
		// USB readers split each frame over two pipe pairs; the ones sold for kiosks also
		// offer a serial (CDC) interface, which is what this driver uses.
		return nil, fmt.Errorf("%w: transport %q (use the reader's serial interface)", ErrUnsupported, d.Transport)
	}
	return NewReader(cfg)
}
