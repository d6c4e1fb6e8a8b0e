package printersim

import (
	"context"
	"errors"
	"fmt"
	"image/png"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"

	"github.com/govkiosk/govkiosk/drivers/printer/escpos"
	"github.com/govkiosk/govkiosk/drivers/transport"
	"github.com/govkiosk/govkiosk/internal/atomicfile"
)

// Paper is the paper roll's condition.
type Paper string

// Paper conditions, as the roll paper sensors report them.
const (
	PaperOK      Paper = "ok"
	PaperNearEnd Paper = "near_end"
	PaperOut     Paper = "out"
)

// Config sets up a simulator.
type Config struct {
	// Dots is the printable width: 384 (58 mm) or 576 (80 mm). 0 means 576.
	Dots int
	// OutDir, if set, receives each cut receipt as NNNN.png and then NNNN.txt (the
	// text last, so a reader that sees the .txt finds the picture complete).
	OutDir string
	// Font draws text in the pictures; nil means look for a CJK font on the system
	// (see FindFont) when the first picture is drawn, and draw boxes if there is none.
	Font *Font
	// Log receives what the simulator does; nil discards it.
	Log *slog.Logger
}

// Simulator is one simulated printer. It is safe for concurrent use; it can serve
// several connections in turn (a replugged pty, a new TCP connection), keeping its
// paper and its printed receipts.
type Simulator struct {
	cfg Config
	log *slog.Logger

	mu        sync.Mutex
	paper     Paper
	cover     bool
	cutterErr bool
	// recoverable is a recoverable error (DLE EOT 3 bit 2); stuck ones survive DLE ENQ.
	recoverable, stuck bool
	recoveries         int // DLE ENQ requests received
	paperLeft          int // dots of paper left before it runs out; < 0 is unlimited
	cur                escpos.Receipt
	receipts           []escpos.Receipt
	problems           []escpos.Problem
	dropped            int
	saved              int
	changed            chan struct{}
	font               *Font
	fontTried          bool
}

// New makes a simulator with paper loaded and the cover closed.
func New(cfg Config) *Simulator {
	if cfg.Dots <= 0 {
		cfg.Dots = 576
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Simulator{cfg: cfg, log: log, paper: PaperOK, paperLeft: -1,
		changed: make(chan struct{}), font: cfg.Font, fontTried: cfg.Font != nil}
}

// notify wakes waiters; call with mu held.
func (s *Simulator) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// SetPaper sets the paper sensors. Loading paper (ok or near end) after it ran out
// hands out what was printed before as a receipt of its own, torn off by hand.
func (s *Simulator) SetPaper(p Paper) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.paper == PaperOut && p != PaperOut {
		s.paperLeft = -1
		if len(s.cur.Lines) > 0 {
			s.finish("")
		}
	}
	s.paper = p
	s.log.Info("paper", "state", string(p))
	s.notify()
}

// SetCover opens or closes the cover.
func (s *Simulator) SetCover(open bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cover && !open && s.recoverable && !s.stuck {
		s.recoverable = false // opening and closing the cover recovers too
	}
	s.cover = open
	s.log.Info("cover", "open", open)
	s.notify()
}

// SetCutterError makes the cutter jam (or clears it): the printer stops with an
// autocutter error until cleared.
func (s *Simulator) SetCutterError(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cutterErr = on
	s.notify()
}

// SetRecoverableError raises (or clears) a recoverable error, DLE EOT 3 bit 2: the
// printer stops until DLE ENQ 1 or 2 recovers it, or, when stuck, until it is cleared
// here (a fault that needs a technician).
func (s *Simulator) SetRecoverableError(on, stuck bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recoverable, s.stuck = on, on && stuck
	s.log.Info("recoverable error", "on", on, "stuck", s.stuck)
	s.notify()
}

// Recoveries is how many DLE ENQ requests the printer received.
func (s *Simulator) Recoveries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.recoveries
}

func (s *Simulator) recover(n byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recoveries++
	if s.recoverable && !s.stuck {
		s.recoverable = false
		s.log.Info("recovered by DLE ENQ", "n", n)
	}
	s.notify()
}

// SetPaperLeft makes the paper run out after n more dots have been printed (a line of
// text is about 30), as a roll does in the middle of a receipt.
func (s *Simulator) SetPaperLeft(dots int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.paperLeft = dots
}

// Status is what the printer would answer to DLE EOT 1–4 now.
func (s *Simulator) Status() escpos.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status()
}

func (s *Simulator) status() escpos.Status {
	st := escpos.Status{
		CoverOpen:    s.cover,
		PaperNearEnd: s.paper != PaperOK,
		PaperOut:     s.paper == PaperOut,
		PaperEndStop: s.paper == PaperOut,
		CutterError:  s.cutterErr,
		// The reference's recoverable error bit, which this package names mechanical.
		MechanicalError: s.recoverable,
	}
	st.ErrorOccurred = st.CutterError || st.MechanicalError
	st.WaitingRecovery = st.CutterError || st.MechanicalError
	st.Offline = st.CoverOpen || st.PaperOut || st.CutterError || st.MechanicalError
	return st
}

// printing reports whether the printer prints now; call with mu held.
func (s *Simulator) printing() bool { return !s.status().Offline }

// Receipts returns the receipts cut so far.
func (s *Simulator) Receipts() []escpos.Receipt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]escpos.Receipt(nil), s.receipts...)
}

// Pending returns the lines printed since the last cut.
func (s *Simulator) Pending() []escpos.Line {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]escpos.Line(nil), s.cur.Lines...)
}

// Problems returns what the simulator did not understand in the byte stream.
func (s *Simulator) Problems() []escpos.Problem {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]escpos.Problem(nil), s.problems...)
}

// Dropped is how many lines and cuts were thrown away because the printer could not
// print (paper out, cover open, cutter error).
func (s *Simulator) Dropped() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// WaitReceipts waits until at least n receipts have been cut and returns them.
func (s *Simulator) WaitReceipts(ctx context.Context, n int) ([]escpos.Receipt, error) {
	for {
		s.mu.Lock()
		if len(s.receipts) >= n {
			out := append([]escpos.Receipt(nil), s.receipts...)
			s.mu.Unlock()
			return out, nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("printersim: waiting for receipt %d: %w", n, ctx.Err())
		}
	}
}

// Serve plays the printer on one connection until reading from it fails, and returns
// that error (io.EOF, transport.ErrGone, transport.ErrClosed...). Close the connection
// to stop it.
func (s *Simulator) Serve(rw io.ReadWriter) error {
	var werr error
	reply := func(b byte) {
		if _, err := rw.Write([]byte{b}); err != nil && werr == nil {
			werr = err
		}
	}
	m := &escpos.Machine{
		Dots: s.cfg.Dots,
		OnRealtime: func(n escpos.StatusKind) {
			s.mu.Lock()
			b := s.status().Byte(n)
			s.mu.Unlock()
			reply(b)
		},
		OnTransmit: func(n byte) {
			s.mu.Lock()
			// GS r is processed in turn: a stopped printer never gets to it.
			ok := s.printing()
			ps := escpos.PaperStatus{NearEnd: s.paper != PaperOK}
			s.mu.Unlock()
			if !ok {
				return
			}
			switch n {
			case 1, 49:
				reply(ps.Byte())
			case 2, 50:
				reply(0x00) // drawer kick-out connector pin 3 low
			}
		},
		OnRecover: s.recover,
		OnLine:    s.line,
		OnCut:     s.cut,
		OnProblem: s.problem,
	}
	buf := make([]byte, 4096)
	for {
		n, err := rw.Read(buf)
		if n > 0 {
			m.Write(buf[:n])
		}
		if err != nil {
			m.Flush()
			return err
		}
		if werr != nil {
			return werr
		}
	}
}

func (s *Simulator) line(l escpos.Line) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.printing() {
		s.dropped++
		return
	}
	s.cur.Lines = append(s.cur.Lines, l)
	if s.paperLeft >= 0 {
		s.paperLeft -= max(l.Dots, 1)
		if s.paperLeft <= 0 {
			s.paper = PaperOut
			s.log.Info("paper ran out")
		}
	}
	s.notify()
}

func (s *Simulator) cut(partial bool, _ int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.printing() {
		s.dropped++
		return
	}
	kind := "full"
	if partial {
		kind = "partial"
	}
	s.finish(kind)
}

// finish hands out the current receipt; call with mu held.
func (s *Simulator) finish(cut string) {
	r := s.cur
	r.Cut = cut
	s.cur = escpos.Receipt{}
	s.receipts = append(s.receipts, r)
	s.saved++
	if s.cfg.OutDir != "" {
		if err := s.save(s.saved, r); err != nil {
			s.log.Error("save receipt", "err", err)
		}
	}
	s.log.Info("receipt", "number", s.saved, "lines", len(r.Lines), "cut", cut)
	s.notify()
}

func (s *Simulator) problem(p escpos.Problem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.problems = append(s.problems, p)
	s.log.Warn("escpos", "problem", p.String())
}

// save writes NNNN.png and NNNN.txt; call with mu held.
func (s *Simulator) save(n int, r escpos.Receipt) error {
	if !s.fontTried {
		s.fontTried = true
		if path, err := FindFont(); err == nil {
			if f, err := LoadFont(path); err == nil {
				s.font = f
			}
		}
		if s.font == nil {
			s.log.Warn("no CJK font found: receipt pictures show boxes for text")
		}
	}
	if err := os.MkdirAll(s.cfg.OutDir, 0o755); err != nil {
		return err
	}
	base := filepath.Join(s.cfg.OutDir, fmt.Sprintf("%04d", n))
	img := Render(r, s.cfg.Dots, s.font)
	// Written whole under a temporary name, so a reader never sees half a picture.
	err := atomicfile.Write(base+".png", 0o644, func(w io.Writer) error { return png.Encode(w, img) })
	if err != nil {
		return err
	}
	return atomicfile.Write(base+".txt", 0o644, func(w io.Writer) error {
		_, err := io.WriteString(w, r.Text(false))
		return err
	})
}

// ServePTY plays the printer on the device side of a pseudo-terminal until ctx ends
// or the pty is closed. An unplug ends the current stream (a half-sent command is lost,
// as on a real line) and serving resumes when the pty is plugged back.
func (s *Simulator) ServePTY(ctx context.Context, p *transport.PTY) error {
	stop := context.AfterFunc(ctx, func() { p.Close() })
	defer stop()
	for {
		err := s.Serve(p)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, transport.ErrGone):
			continue
		default:
			return err
		}
	}
}

// ServeTCP accepts connections on l, as a network printer's raw port 9100 does, and
// serves them one at a time until ctx ends or l is closed.
func (s *Simulator) ServeTCP(ctx context.Context, l net.Listener) error {
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		stopConn := context.AfterFunc(ctx, func() { c.Close() })
		_ = s.Serve(c)
		stopConn()
		c.Close()
	}
}

// Close releases the font the simulator loaded for itself.
func (s *Simulator) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.Font == nil && s.font != nil {
		err := s.font.Close()
		s.font = nil
		return err
	}
	return nil
}
