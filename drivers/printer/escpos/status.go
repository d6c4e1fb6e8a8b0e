package escpos

import (
	"errors"
	"fmt"
	"strings"
)

// StatusKind is the n of DLE EOT n, the real-time status request.
type StatusKind byte

// DLE EOT n (10 04 n), after the Epson reference "DLE EOT: Transmit real-time status".
const (
	// PrinterStatus (n = 1): bit 3 offline, bit 5 waiting for online recovery, bit 6
	// paper feed button pressed (bit 2 is the drawer kick-out connector pin 3).
	PrinterStatus StatusKind = 1
	// OfflineCause (n = 2): bit 2 cover open, bit 3 paper being fed by the FEED button,
	// bit 5 printing stopped by paper end, bit 6 an error occurred.
	OfflineCause StatusKind = 2
	// ErrorCause (n = 3): bit 2 mechanical error, bit 3 autocutter error, bit 5
	// unrecoverable error, bit 6 automatically recoverable error (e.g. head too hot).
	ErrorCause StatusKind = 3
	// PaperSensor (n = 4): bits 2 and 3 roll paper near end, bits 5 and 6 roll paper end.
	PaperSensor StatusKind = 4
)

// StatusKinds are the four requests a full status takes, in the order they are sent.
var StatusKinds = [4]StatusKind{PrinterStatus, OfflineCause, ErrorCause, PaperSensor}

// Query returns the bytes of DLE EOT n.
func Query(n StatusKind) []byte { return []byte{DLE, EOT, byte(n)} }

// ENQ is the second byte of DLE ENQ n, the real-time request to recover from an error.
const ENQ = 0x05

// Recover returns DLE ENQ n: recover from a recoverable error (DLE EOT 3 bit 2) and
// restart printing from the line where it occurred (n = 1), or after clearing the
// receive and print buffers (n = 2, clearBuffers). The reference's other way out is
// opening and closing the cover.
func Recover(clearBuffers bool) []byte {
	if clearBuffers {
		return []byte{DLE, ENQ, 2}
	}
	return []byte{DLE, ENQ, 1}
}

// QueryAll is DLE EOT 1, 2, 3 and 4 in one write. The reference allows up to eight
// real-time requests in a row as long as nothing else is sent until all are answered.
func QueryAll() []byte {
	return []byte{DLE, EOT, 1, DLE, EOT, 2, DLE, EOT, 3, DLE, EOT, 4}
}

// Every real-time status byte has bit 1 and bit 4 set and bits 0 and 7 clear; a byte
// without this pattern is not an answer to DLE EOT.
const (
	fixedMask = 0x93
	fixedBits = 0x12
)

// Bits of the four status bytes.
const (
	bitDrawer        = 0x04 // n=1
	bitOffline       = 0x08 // n=1
	bitWaiting       = 0x20 // n=1
	bitFeedButton    = 0x40 // n=1
	bitCoverOpen     = 0x04 // n=2
	bitFeeding       = 0x08 // n=2
	bitPaperEndStop  = 0x20 // n=2
	bitErrorOccurred = 0x40 // n=2
	bitMechanical    = 0x04 // n=3
	bitCutter        = 0x08 // n=3
	bitUnrecoverable = 0x20 // n=3
	bitAutoRecover   = 0x40 // n=3
	bitsNearEnd      = 0x0c // n=4
	bitsPaperEnd     = 0x60 // n=4
)

// IsStatusByte reports whether b has the fixed bits of a DLE EOT answer.
func IsStatusByte(b byte) bool { return b&fixedMask == fixedBits }

// ErrBadStatus means a byte that cannot be an answer to DLE EOT (its fixed bits are
// wrong): noise on the line, or not an ESC/POS printer.
var ErrBadStatus = errors.New("escpos: not a real-time status byte")

// Status is a printer's condition as the four real-time status bytes tell it.
type Status struct {
	// From DLE EOT 1.
	Offline         bool
	WaitingRecovery bool
	FeedButton      bool
	DrawerPin3High  bool
	// From DLE EOT 2.
	CoverOpen     bool
	FeedingPaper  bool
	PaperEndStop  bool
	ErrorOccurred bool
	// From DLE EOT 3.
	MechanicalError      bool
	CutterError          bool
	UnrecoverableError   bool
	AutoRecoverableError bool
	// From DLE EOT 4.
	PaperNearEnd bool
	PaperOut     bool
}

// Apply records the answer b to DLE EOT n. Either bit of a two-bit sensor field counts,
// as printers differ in which of the pair they set.
func (s *Status) Apply(n StatusKind, b byte) error {
	if !IsStatusByte(b) {
		return fmt.Errorf("%w: %#02x for DLE EOT %d", ErrBadStatus, b, n)
	}
	switch n {
	case PrinterStatus:
		s.DrawerPin3High = b&bitDrawer != 0
		s.Offline = b&bitOffline != 0
		s.WaitingRecovery = b&bitWaiting != 0
		s.FeedButton = b&bitFeedButton != 0
	case OfflineCause:
		s.CoverOpen = b&bitCoverOpen != 0
		s.FeedingPaper = b&bitFeeding != 0
		s.PaperEndStop = b&bitPaperEndStop != 0
		s.ErrorOccurred = b&bitErrorOccurred != 0
	case ErrorCause:
		s.MechanicalError = b&bitMechanical != 0
		s.CutterError = b&bitCutter != 0
		s.UnrecoverableError = b&bitUnrecoverable != 0
		s.AutoRecoverableError = b&bitAutoRecover != 0
	case PaperSensor:
		s.PaperNearEnd = b&bitsNearEnd != 0
		s.PaperOut = b&bitsPaperEnd != 0
	default:
		return fmt.Errorf("escpos: no real-time status %d", n)
	}
	return nil
}

// DecodeStatus decodes the answers to DLE EOT 1, 2, 3 and 4, in that order.
func DecodeStatus(b [4]byte) (Status, error) {
	var s Status
	for i, n := range StatusKinds {
		if err := s.Apply(n, b[i]); err != nil {
			return Status{}, err
		}
	}
	return s, nil
}

// Byte returns what a printer in this condition answers to DLE EOT n, for simulators.
func (s Status) Byte(n StatusKind) byte {
	b := byte(fixedBits)
	set := func(on bool, bits byte) {
		if on {
			b |= bits
		}
	}
	switch n {
	case PrinterStatus:
		set(s.DrawerPin3High, bitDrawer)
		set(s.Offline, bitOffline)
		set(s.WaitingRecovery, bitWaiting)
		set(s.FeedButton, bitFeedButton)
	case OfflineCause:
		set(s.CoverOpen, bitCoverOpen)
		set(s.FeedingPaper, bitFeeding)
		set(s.PaperEndStop, bitPaperEndStop)
		set(s.ErrorOccurred, bitErrorOccurred)
	case ErrorCause:
		set(s.MechanicalError, bitMechanical)
		set(s.CutterError, bitCutter)
		set(s.UnrecoverableError, bitUnrecoverable)
		set(s.AutoRecoverableError, bitAutoRecover)
	case PaperSensor:
		set(s.PaperNearEnd, bitsNearEnd)
		set(s.PaperOut, bitsPaperEnd)
	}
	return b
}

// Err returns a *StatusError when the printer cannot print now, nil when it can (paper
// near end still prints).
func (s Status) Err() error {
	e := &StatusError{
		PaperOut:        s.PaperOut || s.PaperEndStop,
		CoverOpen:       s.CoverOpen,
		CutterError:     s.CutterError,
		MechanicalError: s.MechanicalError,
		Unrecoverable:   s.UnrecoverableError,
		AutoRecoverable: s.AutoRecoverableError,
		Offline:         s.Offline,
		PaperNearEnd:    s.PaperNearEnd,
	}
	if !e.PaperOut && !e.CoverOpen && !e.CutterError && !e.MechanicalError &&
		!e.Unrecoverable && !e.AutoRecoverable && !e.Offline {
		return nil
	}
	return e
}

// String lists the conditions that are set, e.g. "offline, paper out", or "ok".
func (s Status) String() string {
	var parts []string
	add := func(on bool, name string) {
		if on {
			parts = append(parts, name)
		}
	}
	add(s.Offline, "offline")
	add(s.PaperOut || s.PaperEndStop, "paper out")
	add(s.PaperNearEnd && !s.PaperOut, "paper near end")
	add(s.CoverOpen, "cover open")
	add(s.FeedButton || s.FeedingPaper, "feed button")
	add(s.CutterError, "cutter error")
	add(s.MechanicalError, "mechanical error")
	add(s.UnrecoverableError, "unrecoverable error")
	add(s.AutoRecoverableError, "auto-recoverable error")
	add(s.WaitingRecovery, "waiting for recovery")
	if len(parts) == 0 {
		return "ok"
	}
	return strings.Join(parts, ", ")
}

// StatusError says why a printer will not print. Callers inspect it with errors.As and
// tell the resident or the technician what to do.
type StatusError struct {
	PaperOut        bool
	CoverOpen       bool
	CutterError     bool
	MechanicalError bool
	// Unrecoverable needs the printer serviced or power-cycled.
	Unrecoverable bool
	// AutoRecoverable clears by itself (the head cools down, the cover is closed again).
	AutoRecoverable bool
	// Offline is set whenever the printer reported itself offline, for whatever cause.
	Offline bool
	// PaperNearEnd is informational: it never makes a StatusError on its own.
	PaperNearEnd bool
}

// Error names the conditions, most actionable first.
func (e *StatusError) Error() string {
	var parts []string
	add := func(on bool, name string) {
		if on {
			parts = append(parts, name)
		}
	}
	add(e.PaperOut, "paper out")
	add(e.CoverOpen, "cover open")
	add(e.CutterError, "cutter error")
	add(e.MechanicalError, "mechanical error")
	add(e.Unrecoverable, "unrecoverable error")
	add(e.AutoRecoverable, "auto-recoverable error")
	if len(parts) == 0 && e.Offline {
		parts = append(parts, "offline")
	}
	return "printer: " + strings.Join(parts, ", ")
}

// Hardware reports whether the condition needs a technician rather than a hand: a
// cutter, mechanical or unrecoverable error.
func (e *StatusError) Hardware() bool {
	return e.CutterError || e.MechanicalError || e.Unrecoverable
}

// GS r n (1D 72 n), "Transmit status": unlike DLE EOT it is executed in turn with the
// data before it, so its answer means everything sent before it has been printed. A
// printer stopped by paper end does not answer it.
var (
	// TransmitPaperStatus is GS r 1.
	TransmitPaperStatus = []byte{GS, 'r', 1}
)

// PaperStatus is the answer to GS r 1: bits 0 and 1 roll paper near end, bits 2 and 3
// roll paper end, bits 4 and 7 always clear (bit 4 is how it differs from a DLE EOT
// answer, whose bit 4 is always set).
type PaperStatus struct {
	NearEnd bool
	Out     bool
}

// IsPaperStatusByte reports whether b can be an answer to GS r 1.
func IsPaperStatusByte(b byte) bool { return b&0x90 == 0 }

// DecodePaperStatus decodes the answer to GS r 1.
func DecodePaperStatus(b byte) (PaperStatus, error) {
	if !IsPaperStatusByte(b) {
		return PaperStatus{}, fmt.Errorf("%w: %#02x for GS r 1", ErrBadStatus, b)
	}
	return PaperStatus{NearEnd: b&0x03 != 0, Out: b&0x0c != 0}, nil
}

// Byte returns the GS r 1 answer for this paper status, for simulators.
func (p PaperStatus) Byte() byte {
	var b byte
	if p.NearEnd {
		b |= 0x03
	}
	if p.Out {
		b |= 0x0c
	}
	return b
}
