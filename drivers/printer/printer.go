package printer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/drivers/printer/escpos"
	"github.com/govkiosk/govkiosk/drivers/transport"
	"github.com/govkiosk/govkiosk/kiosk/receipt"
)

// StatusError says why the printer will not print (paper out, cover open, cutter
// error...). Callers branch on it with errors.As.
type StatusError = escpos.StatusError

// Errors the driver returns; callers compare with errors.Is.
var (
	// ErrOffline means the printer cannot be reached: the port does not open, the
	// device went away, or it does not answer status requests.
	ErrOffline = errors.New("printer: offline")
	// ErrInterrupted means a job was sent but did not finish: the paper ran out, the
	// cover was opened or the printer went away while printing. Part of the receipt may
	// have come out. It comes together with the cause (a *StatusError or ErrOffline).
	ErrInterrupted = errors.New("printer: job interrupted")
	// ErrNotESCPOS means the device answered, but not as an ESC/POS printer does.
	ErrNotESCPOS = errors.New("printer: not an ESC/POS printer")
)

// Opener opens the port to the printer. The driver calls it again after the device went
// away, so it reconnects by itself when the printer comes back.
type Opener func(ctx context.Context) (transport.Port, error)

// Config sets up a Printer.
type Config struct {
	// Name is the device's name in health reports; "" means "printer".
	Name string
	// Open opens the port (see SerialOpener, TCPOpener, USBOpener, ParsePort).
	Open Opener
	// Paper is the roll width; the zero value means 80 mm.
	Paper Paper
	// PollInterval is how often Run checks the status; 0 means 2 s.
	PollInterval time.Duration
	// ReplyTimeout bounds the wait for an answer to a status request; 0 means 1 s.
	ReplyTimeout time.Duration
	// JobTimeout bounds the wait for a job to be printed; 0 means 20 s plus the time
	// the bytes take at 9600 baud.
	JobTimeout time.Duration
	// Log receives state changes (never receipt content); nil discards.
	Log *slog.Logger
}

// Printer is one receipt printer. Its methods are safe for concurrent use; they take
// turns on the port.
type Printer struct {
	cfg    Config
	log    *slog.Logger
	health *health.Tracker

	mu     sync.Mutex // one conversation with the device at a time
	port   transport.Port
	render Renderer
	buf    [64]byte
	// recovery is where the driver is with the current recoverable error (DLE EOT 3
	// bit 2): tried once with DLE ENQ, and whether that failed. It resets when the
	// error is gone.
	recoveryTried, recoveryFailed bool
}

// New makes a printer driver. It opens nothing until first used.
func New(cfg Config) (*Printer, error) {
	if cfg.Open == nil {
		return nil, errors.New("printer: Config.Open is nil")
	}
	if cfg.Name == "" {
		cfg.Name = "printer"
	}
	if cfg.Paper.Dots == 0 {
		cfg.Paper = Paper80
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 2 * time.Second
	}
	if cfg.ReplyTimeout <= 0 {
		cfg.ReplyTimeout = time.Second
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Printer{cfg: cfg, log: log.With("device", cfg.Name),
		health: health.NewTracker(cfg.Name, health.Printer)}
	p.render.Paper = cfg.Paper
	return p, nil
}

// Name is the device's configured name.
func (p *Printer) Name() string { return p.cfg.Name }

// Kind is health.Printer.
func (p *Printer) Kind() health.Kind { return health.Printer }

// Health is the printer's current health: online, offline, user error ("paper out",
// "cover open"), hardware error, busy while printing; details "paper" (ok, near_end,
// out), "cover" (closed, open) and "port".
func (p *Printer) Health() health.Status { return p.health.Current() }

// Subscribe follows health changes until the returned function is called.
func (p *Printer) Subscribe() (<-chan health.Status, func()) { return p.health.Subscribe() }

// Paper is the roll width the printer renders for.
func (p *Printer) Paper() Paper { return p.cfg.Paper }

// Close closes the port. The printer can still be used: it opens the port again.
func (p *Printer) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.drop()
}

// drop closes the port; call with mu held.
func (p *Printer) drop() error {
	if p.port == nil {
		return nil
	}
	err := p.port.Close()
	p.port = nil
	return err
}

// ensure opens the port if needed; call with mu held.
func (p *Printer) ensure(ctx context.Context) error {
	if p.port != nil {
		return nil
	}
	port, err := p.cfg.Open(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrOffline, err)
	}
	p.port = port
	p.log.Info("port open", "port", port.Name())
	return nil
}

// fail turns an I/O error into ErrOffline and closes a port that went away or stopped
// answering, so the next call opens it again; call with mu held.
func (p *Printer) fail(what string, err error) error {
	name := "?"
	if p.port != nil {
		name = p.port.Name()
	}
	p.drop()
	if errors.Is(err, ErrOffline) {
		return err
	}
	return fmt.Errorf("%w: %s on %s: %w", ErrOffline, what, name, err)
}

// Status asks the printer for its real-time status (DLE EOT 1–4) and updates the
// health tracker.
func (p *Printer) Status(ctx context.Context) (escpos.Status, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st, err := p.status(ctx)
	p.record(st, err)
	return st, err
}

// status asks all four real-time statuses; call with mu held.
func (p *Printer) status(ctx context.Context) (escpos.Status, error) {
	if err := p.ensure(ctx); err != nil {
		return escpos.Status{}, err
	}
	st, noisy, err := p.query(ctx)
	if err == nil && noisy {
		// Bytes that were not status answers came first: the answers read may be
		// stale ones. Clear the line and ask once more.
		p.log.Warn("noise on the line before status answers; asking again")
		p.drain()
		st, _, err = p.query(ctx)
	}
	if err != nil && p.port != nil && transport.IsTimeout(err) {
		if cp, ok := p.port.(transport.ControlPort); ok {
			// A unidirectional USB printer cannot answer DLE EOT: the port status
			// is all there is.
			ps, uerr := ReadPortStatus(cp)
			if uerr == nil {
				return ps.Status(), nil
			}
		}
	}
	if err != nil {
		return escpos.Status{}, p.fail("status", err)
	}
	return p.recover(ctx, st), nil
}

// recoverWait is how long a printer gets to come back after DLE ENQ before the driver
// asks its status again.
const recoverWait = 200 * time.Millisecond

// recover tries, once per occurrence, to clear a recoverable error (DLE EOT 3 bit 2)
// with DLE ENQ 2 (recover after clearing the buffers: a half-printed job is printed
// again whole, never resumed mid-receipt) and returns the status after it. Only when
// that fails does the error stay, marked for a technician. Call with mu held.
func (p *Printer) recover(ctx context.Context, st escpos.Status) escpos.Status {
	if !st.MechanicalError {
		p.recoveryTried, p.recoveryFailed = false, false
		return st
	}
	if p.recoveryTried {
		return st
	}
	p.recoveryTried = true
	p.log.Warn("recoverable error: asking the printer to recover (DLE ENQ 2)")
	if _, err := p.port.Write(escpos.Recover(true)); err != nil {
		p.recoveryFailed = true
		return st
	}
	select {
	case <-ctx.Done():
	case <-time.After(recoverWait):
	}
	after, _, err := p.query(ctx)
	if err != nil {
		p.recoveryFailed = true
		return st
	}
	if after.MechanicalError {
		p.recoveryFailed = true
		p.log.Warn("recoverable error: recovery failed; a technician is needed")
		return after
	}
	p.recoveryTried = false
	p.log.Info("recoverable error: recovered")
	return after
}

// deadline is now+d, or ctx's deadline if sooner.
func deadline(ctx context.Context, d time.Duration) time.Time {
	t := time.Now().Add(d)
	if cd, ok := ctx.Deadline(); ok && cd.Before(t) {
		return cd
	}
	return t
}

// query sends DLE EOT 1, 2, 3, 4 and reads the four answers. noisy reports bytes that
// were not answers.
func (p *Printer) query(ctx context.Context) (st escpos.Status, noisy bool, err error) {
	d := deadline(ctx, p.cfg.ReplyTimeout)
	if err := p.port.SetWriteDeadline(d); err != nil {
		return st, false, err
	}
	if _, err := p.port.Write(escpos.QueryAll()); err != nil {
		return st, false, err
	}
	if err := p.port.SetReadDeadline(d); err != nil {
		return st, false, err
	}
	got := 0
	for got < len(escpos.StatusKinds) {
		if err := ctx.Err(); err != nil {
			return st, noisy, err
		}
		n, err := p.port.Read(p.buf[:len(escpos.StatusKinds)-got])
		for _, b := range p.buf[:n] {
			if got == len(escpos.StatusKinds) || !escpos.IsStatusByte(b) {
				noisy = true
				continue
			}
			if err := st.Apply(escpos.StatusKinds[got], b); err != nil {
				noisy = true
				continue
			}
			got++
		}
		if err != nil {
			return st, noisy, err
		}
	}
	// A printer sends exactly one byte per request. More after the fourth means some of
	// what was read was stale (a late answer to an earlier request, a reply to DLE EOT
	// bytes inside image data): the answers are off by as many bytes. Listening briefly
	// catches that, so the caller asks again instead of staying out of step.
	if err := p.port.SetReadDeadline(time.Now().Add(settle)); err != nil {
		return st, noisy, err
	}
	if n, _ := p.port.Read(p.buf[:]); n > 0 {
		noisy = true
	}
	return st, noisy, nil
}

// settle is how long the line must stay quiet after the fourth status answer.
const settle = 30 * time.Millisecond

// drain reads and drops whatever the device has sent, waiting briefly for more.
func (p *Printer) drain() {
	for range 64 {
		if err := p.port.SetReadDeadline(time.Now().Add(50 * time.Millisecond)); err != nil {
			return
		}
		if n, err := p.port.Read(p.buf[:]); n == 0 || err != nil {
			return
		}
	}
}

// Print renders doc for the printer's paper and prints it: see PrintRaw.
func (p *Printer) Print(ctx context.Context, doc *receipt.Document) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	data, err := p.render.Render(doc)
	if err != nil {
		return err
	}
	return p.print(ctx, data)
}

// PrintRaw sends ESC/POS bytes as a job. It checks the status first and returns a
// *StatusError without sending anything if the printer cannot print; after sending it
// waits until the printer has printed everything (GS r 1 is answered only then),
// watching the real-time status meanwhile, and returns ErrInterrupted with the cause if
// the job stopped half way.
func (p *Printer) PrintRaw(ctx context.Context, data []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.print(ctx, data)
}

// print is PrintRaw with mu held.
func (p *Printer) print(ctx context.Context, data []byte) error {
	st, err := p.status(ctx)
	if err == nil {
		err = st.Err()
	}
	if err != nil {
		p.record(st, err)
		return err
	}
	p.setBusy(st)
	ps, err := p.send(ctx, data)
	if err == nil {
		// The job's own answer is the freshest word on the paper.
		st.PaperNearEnd = ps.NearEnd
		p.record(st, nil)
		return nil
	}
	if errors.Is(err, ErrInterrupted) {
		// Look again, so the health shows why.
		st2, serr := p.status(ctx)
		if serr == nil {
			if se := st2.Err(); se != nil {
				p.record(st2, se)
				return fmt.Errorf("%w: %w", ErrInterrupted, se)
			}
		}
		p.record(st2, serr)
	} else {
		p.record(escpos.Status{}, err)
	}
	return err
}

// send writes the job and waits for it to come out, returning the paper status the
// printer answered with at the end; call with mu held.
func (p *Printer) send(ctx context.Context, data []byte) (escpos.PaperStatus, error) {
	jobTimeout := p.cfg.JobTimeout
	if jobTimeout <= 0 {
		jobTimeout = 20*time.Second + transport.WireTime(len(data), 9600)
	}
	final := deadline(ctx, jobTimeout)
	if err := p.port.SetWriteDeadline(final); err != nil {
		return escpos.PaperStatus{}, p.fail("send", err)
	}
	if _, err := p.port.Write(data); err != nil {
		return escpos.PaperStatus{}, fmt.Errorf("%w: %w", ErrInterrupted, p.fail("send", err))
	}
	if _, err := p.port.Write(escpos.TransmitPaperStatus); err != nil {
		return escpos.PaperStatus{}, fmt.Errorf("%w: %w", ErrInterrupted, p.fail("send", err))
	}
	// Wait for the GS r answer (bit 4 clear). While none comes, ask DLE EOT 2 every
	// so often: a printer stopped by paper end or an open cover answers it (bit 4 set)
	// and will never get to the GS r.
	const watch = 300 * time.Millisecond
	asked := 0
	for {
		if err := ctx.Err(); err != nil {
			return escpos.PaperStatus{}, fmt.Errorf("%w: %w", ErrInterrupted, err)
		}
		if !time.Now().Before(final) {
			p.log.Warn("printer did not confirm the job in time; assuming it printed",
				"bytes", len(data), "timeout", jobTimeout)
			return escpos.PaperStatus{}, nil
		}
		next := time.Now().Add(watch)
		if final.Before(next) {
			next = final
		}
		if err := p.port.SetReadDeadline(next); err != nil {
			return escpos.PaperStatus{}, p.fail("wait", err)
		}
		n, err := p.port.Read(p.buf[:])
		for _, b := range p.buf[:n] {
			switch {
			case escpos.IsPaperStatusByte(b):
				ps, _ := escpos.DecodePaperStatus(b)
				if ps.NearEnd {
					p.log.Info("paper near end")
				}
				p.drainAnswers(asked)
				return ps, nil
			case escpos.IsStatusByte(b) && asked > 0:
				asked--
				var st escpos.Status
				_ = st.Apply(escpos.OfflineCause, b)
				if st.PaperEndStop || st.CoverOpen || st.ErrorOccurred {
					return escpos.PaperStatus{}, ErrInterrupted
				}
			}
			// Anything else is a stray answer (DLE EOT bytes inside image data are
			// answered by the printer too) or noise: ignored.
		}
		switch {
		case err == nil:
		case transport.IsTimeout(err):
			if _, werr := p.port.Write(escpos.Query(escpos.OfflineCause)); werr != nil {
				return escpos.PaperStatus{}, fmt.Errorf("%w: %w", ErrInterrupted, p.fail("wait", werr))
			}
			asked++
		default:
			return escpos.PaperStatus{}, fmt.Errorf("%w: %w", ErrInterrupted, p.fail("wait", err))
		}
	}
}

// drainAnswers reads the answers still due to DLE EOT 2 requests, so they are not taken
// for the next status; call with mu held.
func (p *Printer) drainAnswers(n int) {
	if n == 0 {
		return
	}
	_ = p.port.SetReadDeadline(time.Now().Add(p.cfg.ReplyTimeout))
	for got := 0; got < n; {
		k, err := p.port.Read(p.buf[:n-got])
		got += k
		if err != nil {
			return
		}
	}
}

// Run polls the status every PollInterval, keeping the health current and reopening the
// port after the printer went away, until ctx ends; then it returns nil. An absent or
// faulty printer is reported through the health, never as an error, so Run fits the
// device registry's contract.
func (p *Printer) Run(ctx context.Context) error {
	t := time.NewTicker(p.cfg.PollInterval)
	defer t.Stop()
	for {
		_, _ = p.Status(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (p *Printer) setBusy(st escpos.Status) {
	p.health.Set(health.Busy, "printing", p.details(st, true))
}

func (p *Printer) details(st escpos.Status, known bool) map[string]string {
	d := map[string]string{}
	if p.port != nil {
		d["port"] = p.port.Name()
	}
	if !known {
		return d
	}
	switch {
	case st.PaperOut || st.PaperEndStop:
		d["paper"] = "out"
	case st.PaperNearEnd:
		d["paper"] = "near_end"
	default:
		d["paper"] = "ok"
	}
	if st.CoverOpen {
		d["cover"] = "open"
	} else {
		d["cover"] = "closed"
	}
	return d
}

// record maps a status (or the error getting it) to the health model.
func (p *Printer) record(st escpos.Status, err error) {
	var se *StatusError
	switch {
	case err != nil && errors.As(err, &se):
		st = statusOf(se, st)
		state, reason := health.UserError, se.Error()
		if se.Hardware() {
			state = health.HardwareError
		}
		reason = strings.TrimPrefix(reason, "printer: ")
		details := p.details(st, true)
		if se.MechanicalError && p.recoveryFailed {
			// DLE ENQ did not clear it: say so, and that it needs a technician (the
			// hub's alert action).
			reason += "; recovery by DLE ENQ failed"
			details["recovery"] = "failed"
			details["action"] = "maintenance"
		}
		p.setHealth(state, reason, details)
	case err != nil:
		reason := strings.TrimPrefix(oneLine(err.Error()), ErrOffline.Error()+": ")
		if transport.IsTimeout(err) {
			reason = "no answer: " + reason
		}
		p.setHealth(health.Offline, reason, p.details(st, false))
	case st.FeedButton || st.FeedingPaper:
		p.setHealth(health.Busy, "feeding paper", p.details(st, true))
	case st.Err() != nil:
		p.record(st, st.Err())
	case st.PaperNearEnd:
		p.setHealth(health.Online, "paper near end", p.details(st, true))
	default:
		p.setHealth(health.Online, "", p.details(st, true))
	}
}

// statusOf keeps the details of a StatusError when the status itself was not read.
func statusOf(se *StatusError, st escpos.Status) escpos.Status {
	st.PaperOut = st.PaperOut || se.PaperOut
	st.CoverOpen = st.CoverOpen || se.CoverOpen
	st.PaperNearEnd = st.PaperNearEnd || se.PaperNearEnd
	return st
}

func (p *Printer) setHealth(state health.State, reason string, details map[string]string) {
	if p.health.Set(state, reason, details) {
		p.log.Info("health", "state", string(state), "reason", reason)
	}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
