package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/govkiosk/govkiosk/drivers/devices"
	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/drivers/idcard"
	"github.com/govkiosk/govkiosk/drivers/ipp"
	"github.com/govkiosk/govkiosk/drivers/printer"
	"github.com/govkiosk/govkiosk/drivers/scanner/barcode"
	"github.com/govkiosk/govkiosk/drivers/scanner/escl"
	"github.com/govkiosk/govkiosk/kiosk/config"
	"github.com/govkiosk/govkiosk/kiosk/identity"
	"github.com/govkiosk/govkiosk/kiosk/receipt"
	"github.com/govkiosk/govkiosk/ui"
)

// newRegistry registers every driver this kiosk knows under its kind and transports.
// "simulated" devices never reach it: -simulate rewrites them to the serial line or eSCL
// address of their simulator.
func newRegistry(log *slog.Logger) *devices.Registry {
	r := devices.NewRegistry(log, devices.Options{})
	idc := func(d config.Device, l *slog.Logger) (devices.Device, error) { return idcard.FromConfig(d, l) }
	prn := func(d config.Device, l *slog.Logger) (devices.Device, error) { return printer.FromConfig(d, l) }
	bar := func(d config.Device, l *slog.Logger) (devices.Device, error) { return barcode.Open(d, l) }
	doc := func(d config.Device, l *slog.Logger) (devices.Device, error) { return escl.Open(d, l) }
	for _, t := range []string{config.TransportSerial, config.TransportTCP} {
		r.Register(config.KindIDCard, t, idc)
	}
	for _, t := range []string{config.TransportSerial, config.TransportTCP, config.TransportUSB} {
		r.Register(config.KindPrinter, t, prn)
	}
	for _, t := range []string{config.TransportSerial, config.TransportUSB} {
		r.Register(config.KindBarcode, t, bar)
	}
	r.Register(config.KindDocScanner, config.TransportESCL, doc)
	r.Register(config.KindA4Printer, config.TransportIPP, func(d config.Device, l *slog.Logger) (devices.Device, error) {
		return ipp.Open(d, l)
	})
	return r
}

// deviceOfKind returns the first configured device of a kind, as its concrete type.
func deviceOfKind[T any](r *devices.Registry, cfg *config.Config, kind string) (T, string, bool) {
	var zero T
	for _, d := range cfg.Devices {
		if d.Kind != kind {
			continue
		}
		dev, ok := r.Device(d.Name)
		if !ok {
			continue
		}
		if t, ok := dev.(T); ok {
			return t, d.Name, true
		}
	}
	return zero, "", false
}

// healthFeed adapts a device's health to ui.Feed; a device that is not configured reads as
// offline, so the screens offer their way around it.
type healthFeed struct {
	dev  devices.Device
	name string
	kind health.Kind
}

func (h healthFeed) Current() health.Status {
	if h.dev == nil {
		return health.Status{Device: h.name, Kind: h.kind, State: health.Offline, Reason: "not configured", Since: time.Now()}
	}
	return h.dev.Health()
}

func (h healthFeed) Subscribe() (<-chan health.Status, func()) {
	if h.dev == nil {
		ch := make(chan health.Status)
		var once sync.Once
		return ch, func() { once.Do(func() { close(ch) }) }
	}
	return h.dev.Subscribe()
}

// cardSource hands card reads to whoever waits in ReadCard. A card read while nobody waits
// is wiped at once: an identity is only ever taken by the screen that asked for it, so a
// card left on the reader by one resident never flows into the next resident's visit.
type cardSource struct {
	feed healthFeed
	log  *slog.Logger

	mu      sync.Mutex
	waiters []chan *identity.Identity
}

func newCardSource(ctx context.Context, r *idcard.Reader, name string, log *slog.Logger) *cardSource {
	c := &cardSource{log: log, feed: healthFeed{name: "idcard", kind: health.IDCard}}
	if r == nil {
		return c
	}
	c.feed.dev = r
	go c.dispatch(ctx, r.Events())
	return c
}

func (c *cardSource) dispatch(ctx context.Context, events <-chan idcard.Event) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-events:
			read, ok := ev.(idcard.CardRead)
			if !ok {
				continue
			}
			c.mu.Lock()
			var w chan *identity.Identity
			if len(c.waiters) > 0 {
				w, c.waiters = c.waiters[0], c.waiters[1:]
			}
			c.mu.Unlock()
			if w == nil {
				read.Identity.Wipe()
				c.log.Debug("card read with no screen waiting: wiped")
				continue
			}
			w <- read.Identity // buffered: never blocks
		}
	}
}

// ReadCard waits for the next card placed on the reader.
func (c *cardSource) ReadCard(ctx context.Context) (*identity.Identity, error) {
	if c.feed.dev == nil {
		return nil, errors.New("no ID-card reader configured")
	}
	w := make(chan *identity.Identity, 1)
	c.mu.Lock()
	c.waiters = append(c.waiters, w)
	c.mu.Unlock()
	select {
	case id := <-w:
		return id, nil
	case <-ctx.Done():
		c.mu.Lock()
		for i, x := range c.waiters {
			if x == w {
				c.waiters = append(c.waiters[:i], c.waiters[i+1:]...)
				break
			}
		}
		c.mu.Unlock()
		// A read may have been handed over between ctx ending and the removal above.
		select {
		case id := <-w:
			id.Wipe()
		default:
		}
		return nil, ctx.Err()
	}
}

func (c *cardSource) Health() ui.Feed[health.Status] { return c.feed }

// codeSource hands barcode scans to whoever waits in ReadCode; scans nobody waits for are
// dropped (a code is not personal data, but a stale one must not answer a later question).
type codeSource struct {
	feed  healthFeed
	codes chan string
}

func newCodeSource(ctx context.Context, r *barcode.Reader) *codeSource {
	c := &codeSource{feed: healthFeed{name: "barcode", kind: health.Barcode}, codes: make(chan string)}
	if r == nil {
		return c
	}
	c.feed.dev = r
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-r.Events():
				if ev.Err != nil || ev.Scan.Data == "" {
					continue
				}
				select {
				case c.codes <- ev.Scan.Data:
				default:
				}
			}
		}
	}()
	return c
}

func (c *codeSource) ReadCode(ctx context.Context) (string, error) {
	if c.feed.dev == nil {
		return "", errors.New("no barcode scanner configured")
	}
	select {
	case s := <-c.codes:
		return s, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (c *codeSource) Health() ui.Feed[health.Status] { return c.feed }

// printerSink adapts the ESC/POS printer to the screens, turning its status errors into
// the faults the screens explain to residents.
type printerSink struct {
	p    *printer.Printer
	feed healthFeed
}

func newPrinterSink(p *printer.Printer) *printerSink {
	s := &printerSink{p: p, feed: healthFeed{name: "printer", kind: health.Printer}}
	if p != nil {
		s.feed.dev = p
	}
	return s
}

func (s *printerSink) Print(ctx context.Context, doc receipt.Document) error {
	if s.p == nil {
		return &ui.PrinterError{Fault: ui.FaultOffline, Err: errors.New("no printer configured")}
	}
	err := s.p.Print(ctx, &doc)
	if err == nil {
		return nil
	}
	var se *printer.StatusError
	switch {
	case errors.As(err, &se) && se.PaperOut:
		return &ui.PrinterError{Fault: ui.FaultPaperOut, Err: err}
	case errors.As(err, &se) && se.CoverOpen:
		return &ui.PrinterError{Fault: ui.FaultCoverOpen, Err: err}
	case errors.Is(err, printer.ErrOffline), errors.Is(err, context.DeadlineExceeded):
		return &ui.PrinterError{Fault: ui.FaultOffline, Err: err}
	}
	return &ui.PrinterError{Fault: ui.FaultOther, Err: err}
}

func (s *printerSink) Health() ui.Feed[health.Status] { return s.feed }

// docScanner scans one A4 page at 200 dpi as JPEG: legible for a clerk, about 100–400 KB.
type docScanner struct {
	d    *escl.Device
	feed healthFeed
}

func newDocScanner(d *escl.Device) *docScanner {
	s := &docScanner{d: d, feed: healthFeed{name: "docscanner", kind: health.DocScanner}}
	if d != nil {
		s.feed.dev = d
	}
	return s
}

func (s *docScanner) Scan(ctx context.Context) ([]byte, error) {
	if s.d == nil {
		return nil, errors.New("no document scanner configured")
	}
	pages, err := s.d.Scan(ctx, escl.Settings{DPI: 200, Format: escl.FormatJPEG})
	if err != nil {
		return nil, err
	}
	if len(pages) == 0 {
		return nil, fmt.Errorf("scanner returned no page")
	}
	return pages[0].Data, nil
}

func (s *docScanner) Health() ui.Feed[health.Status] { return s.feed }
