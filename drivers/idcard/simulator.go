package idcard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/govkiosk/govkiosk/drivers/transport"
)

// FaultKind is a failure the simulator can play.
type FaultKind int

// The faults a Simulator can inject. Each stays until another is injected (FaultNone
// clears), except FaultUnplugMidRead, which happens once.
const (
	// FaultNone answers every command correctly.
	FaultNone FaultKind = iota
	// FaultNoCard finds no card although one is placed (a card lying too far away).
	FaultNoCard
	// FaultChecksum sends every answer with a wrong checksum.
	FaultChecksum
	// FaultLength sends every answer with an impossible length field.
	FaultLength
	// FaultGarbage answers with bytes that are not a frame.
	FaultGarbage
	// FaultNoise puts noise on the line before every (correct) answer.
	FaultNoise
	// FaultSilence answers nothing.
	FaultSilence
	// FaultSAM plays a security module whose self-test failed: status 60 to everything.
	FaultSAM
	// FaultSAMUnauthorised plays a security module that is not authorised: status 66.
	FaultSAMUnauthorised
	// FaultSelect fails to select the card (status 81).
	FaultSelect
	// FaultRead fails to read the card (status 41).
	FaultRead
	// FaultUnplugMidRead unplugs the reader halfway through the next card-read answer.
	FaultUnplugMidRead
)

var faultNames = [...]string{
	FaultNone:            "none",
	FaultNoCard:          "nocard",
	FaultChecksum:        "checksum",
	FaultLength:          "length",
	FaultGarbage:         "garbage",
	FaultNoise:           "noise",
	FaultSilence:         "silence",
	FaultSAM:             "sam",
	FaultSAMUnauthorised: "sam-unauthorised",
	FaultSelect:          "select",
	FaultRead:            "read",
	FaultUnplugMidRead:   "unplug-mid-read",
}

// String is the fault's name as ParseFault takes it.
func (k FaultKind) String() string {
	if k >= 0 && int(k) < len(faultNames) {
		return faultNames[k]
	}
	return fmt.Sprintf("fault(%d)", int(k))
}

// FaultNames lists the names ParseFault accepts.
func FaultNames() []string { return append([]string(nil), faultNames[:]...) }

// ParseFault returns the fault of the given name.
func ParseFault(name string) (FaultKind, error) {
	for i, n := range faultNames {
		if n == name {
			return FaultKind(i), nil
		}
	}
	return FaultNone, fmt.Errorf("idcard: unknown fault %q (want one of %s)", name, strings.Join(faultNames[:], ", "))
}

// SimConfig configures a Simulator.
type SimConfig struct {
	// Link, if set, is a stable path made to point at the simulator's terminal, as udev
	// names a real reader; it disappears while unplugged.
	Link string
	// Baud is the line speed whose wire time the simulator plays (default 115200). A
	// set-baud command changes it.
	Baud int
	// Cards are the cards that can be placed, by name.
	Cards map[string]Card
	// Logger receives the commands served, never card data (default: discard).
	Logger *slog.Logger
}

// Simulator plays an ID-card reader on the device side of a pseudo-terminal: it answers
// every command with the exact frames a reader sends, takes the wire time of each byte at
// its baud rate, and can have cards placed and removed and faults injected while a driver
// talks to it. Its methods are safe for concurrent use.
type Simulator struct {
	pty  *transport.PTY
	log  *slog.Logger
	done chan struct{}
	once sync.Once

	mu       sync.Mutex
	cards    map[string]Card
	baud     int
	placed   string
	card     *simCard
	selected bool
	fault    FaultKind
	latency  time.Duration
}

// simCard is a placed card, encoded as the reader answers it.
type simCard struct {
	read, readFP, address []byte
}

func (c *simCard) wipe() {
	clear(c.read)
	clear(c.readFP)
	clear(c.address)
}

// simSAMID is the simulator's security module number: 16 bytes that ParseSAMID prints as
// "05.01-20200101-000012345-000000001".
var simSAMID = [SAMIDLen]byte{5, 0, 1, 0, 0xA5, 0x3A, 0x34, 0x01, 0x39, 0x30, 0, 0, 1, 0, 0, 0}

// NewSimulator opens a pseudo-terminal and returns a Simulator on it; call Serve to start
// answering.
func NewSimulator(cfg SimConfig) (*Simulator, error) {
	if cfg.Baud <= 0 {
		cfg.Baud = DefaultBaud
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cards := make(map[string]Card, len(cfg.Cards))
	for name, c := range cfg.Cards {
		if _, err := c.Identity(); err != nil {
			return nil, fmt.Errorf("card %s: %w", name, err)
		}
		cards[name] = c
	}
	p, err := transport.OpenPTY(cfg.Link)
	if err != nil {
		return nil, err
	}
	return &Simulator{pty: p, log: cfg.Logger.With("sim", "idcard"), done: make(chan struct{}),
		cards: cards, baud: cfg.Baud}, nil
}

// Path is what a driver opens.
func (s *Simulator) Path() string { return s.pty.Path() }

// Cards lists the names of the cards that can be placed.
func (s *Simulator) Cards() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.cards))
	for n := range s.cards {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// AddCard adds (or replaces) a card that can be placed.
func (s *Simulator) AddCard(name string, c Card) error {
	if _, err := c.Identity(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cards[name] = c
	return nil
}

// Place puts the named card on the reader, replacing any card there.
func (s *Simulator) Place(name string) error {
	s.mu.Lock()
	c, ok := s.cards[name]
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("idcard: no card named %q", name)
	}
	id, err := c.Identity()
	if err != nil {
		return err
	}
	defer id.Wipe()
	sc := &simCard{}
	if sc.read, err = AppendRead(nil, id, false); err != nil {
		return err
	}
	if sc.readFP, err = AppendRead(nil, id, true); err != nil {
		return err
	}
	if c.AdditionalAddress != "" {
		if sc.address, err = EncodeAddress(c.AdditionalAddress); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removeLocked()
	s.placed, s.card = name, sc
	return nil
}

// Remove takes the card off the reader.
func (s *Simulator) Remove() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removeLocked()
}

func (s *Simulator) removeLocked() {
	if s.card != nil {
		s.card.wipe()
	}
	s.placed, s.card, s.selected = "", nil, false
}

// Placed is the name of the card on the reader, or "".
func (s *Simulator) Placed() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.placed
}

// Inject makes the simulator play a fault from now on (FaultNone clears it).
func (s *Simulator) Inject(k FaultKind) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = k
}

// Fault is the fault being played.
func (s *Simulator) Fault() FaultKind {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fault
}

// SetLatency makes the simulator wait d before each answer, as a slow reader does.
func (s *Simulator) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// Baud is the line speed the simulator plays.
func (s *Simulator) Baud() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.baud
}

// Unplug pulls the reader's cable: the driver's port fails and the link disappears.
func (s *Simulator) Unplug() error {
	s.mu.Lock()
	s.selected = false
	s.mu.Unlock()
	return s.pty.Unplug()
}

// Replug plugs the reader back in behind the same link.
func (s *Simulator) Replug() error { return s.pty.Replug() }

// Close unplugs the reader for good and makes Serve return.
func (s *Simulator) Close() error {
	s.once.Do(func() { close(s.done) })
	s.Remove()
	return s.pty.Close()
}

// Serve answers commands until ctx is done or Close is called.
func (s *Simulator) Serve(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { _ = s.Close() })
	defer stop()
	var dec Decoder
	defer dec.Reset()
	buf := make([]byte, 512)
	for {
		n, err := s.pty.Read(buf)
		dec.Feed(buf[:n])
		if err != nil {
			if errors.Is(err, transport.ErrClosed) {
				return nil
			}
			// Unplugged: what was on the line is lost. Read waits for Replug.
			dec.Reset()
			continue
		}
		for {
			cmd, err := dec.NextCommand()
			if errors.Is(err, ErrIncomplete) {
				break
			}
			s.serve(cmd, err)
		}
	}
}

// serve answers one command (or a damaged one, with decodeErr set).
func (s *Simulator) serve(cmd Command, decodeErr error) {
	wire := transport.WireTime(FrameLen(2, len(cmd.Data)), s.Baud())
	r, newBaud, fault, latency := s.answer(cmd, decodeErr)
	s.log.Debug("command", "op", cmd.Op(), "status", r.Status, "fault", fault)
	if fault == FaultSilence {
		return
	}
	frame, err := r.MarshalBinary()
	if err != nil {
		s.log.Error("answer does not fit a frame", "op", cmd.Op(), "err", err)
		return
	}
	switch fault {
	case FaultChecksum:
		frame[len(frame)-1] ^= 0x5A
	case FaultLength:
		frame[5], frame[6] = 0xFF, 0xFF
	case FaultGarbage:
		frame = noise(len(frame))
	case FaultNoise:
		frame = append(noise(23), frame...)
	}
	// The answer starts once the command has arrived and the reader has done its work.
	if !s.wait(wire + latency) {
		return
	}
	baud := s.Baud()
	if fault == FaultUnplugMidRead {
		_ = s.pty.WritePaced(frame[:len(frame)/2], baud)
		_ = s.Unplug()
		s.log.Info("unplugged mid-read")
		return
	}
	if err := s.pty.WritePaced(frame, baud); err != nil {
		s.log.Debug("answer lost", "op", cmd.Op(), "err", err)
		return
	}
	if newBaud != 0 {
		s.mu.Lock()
		s.baud = newBaud
		s.mu.Unlock()
	}
}

// answer decides the response to cmd and which fault applies to sending it.
func (s *Simulator) answer(cmd Command, decodeErr error) (r Response, newBaud int, fault FaultKind, latency time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fault, latency = s.fault, s.latency
	op := cmd.Op()
	isRead := op == OpReadText || op == OpReadFingerprint
	if fault == FaultUnplugMidRead && !isRead {
		fault = FaultNone
	}
	if fault == FaultUnplugMidRead {
		s.fault = FaultNone // once
	}
	status := func(st Status) (Response, int, FaultKind, time.Duration) {
		return Response{Status: st}, 0, fault, latency
	}
	// Data is copied: Remove may wipe the card while the answer is on the wire.
	data := func(d []byte) (Response, int, FaultKind, time.Duration) {
		return Response{Status: StatusOK, Data: bytes.Clone(d)}, 0, fault, latency
	}
	switch {
	case errors.Is(decodeErr, ErrChecksum):
		return status(StatusBadChecksum)
	case decodeErr != nil:
		return status(StatusBadLength)
	case fault == FaultSAM:
		return status(StatusSelfTest)
	case fault == FaultSAMUnauthorised:
		return status(StatusNotAuthorised)
	}
	present := s.card != nil && fault != FaultNoCard
	switch op {
	case OpResetSAM:
		s.selected = false
		return status(StatusOK)
	case OpSAMStatus:
		return status(StatusOK)
	case OpSAMID:
		return data(simSAMID[:])
	case OpFindCard:
		if !present {
			return status(StatusNoCard)
		}
		return Response{Status: StatusCardFound, Data: make([]byte, 4)}, 0, fault, latency
	case OpSelectCard:
		if !present || fault == FaultSelect {
			return status(StatusSelectFailed)
		}
		s.selected = true
		return data(make([]byte, 8))
	case OpReadText, OpReadFingerprint:
		if !present || !s.selected || fault == FaultRead {
			return status(StatusReadFailed)
		}
		s.selected = false // the next read needs find and select again
		if op == OpReadFingerprint {
			return data(s.card.readFP)
		}
		return data(s.card.read)
	case OpReadAddress:
		switch {
		case !present:
			return status(StatusReadFailed)
		case s.card.address == nil:
			return status(StatusNoContent)
		}
		return data(s.card.address)
	case OpReadCardID:
		if !present {
			return status(StatusReadFailed)
		}
		return data(syntheticBytes("card id", s.placed, 8))
	}
	if cmd.Cmd == OpSetBaud.Cmd() {
		if b, ok := BaudOf(cmd.Para); ok {
			return Response{Status: StatusOK}, b, fault, latency
		}
	}
	return status(StatusBadCommand)
}

// wait sleeps for d unless the simulator is closed first.
func (s *Simulator) wait(d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.done:
		return false
	}
}

// noise returns n bytes of line noise that hold no preamble.
func noise(n int) []byte {
	b := make([]byte, n)
	x := uint32(0x9E3779B9)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
		if b[i] == preamble[0] {
			b[i] = 0x55
		}
	}
	return b
}
