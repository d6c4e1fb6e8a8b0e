// Package health is the one health model every device reports, after the kiosk and ATM
// industry's device standards (CEN/XFS, UnifiedPOS): a device is online, offline, busy, in
// hardware error or in user error, plus device-specific details (paper near end, cover
// open, SAM ok, card present...).
//
// It holds only data, a small change notifier and a poller that asks a device through
// the device's own Prober: no device I/O of its own.
package health

import (
	"maps"
	"sync"
	"time"
)

// State is a device's coarse state.
type State string

const (
	// Unknown is a device that has not been checked yet.
	Unknown State = "unknown"
	// Online is working and ready.
	Online State = "online"
	// Offline does not answer: unplugged, powered off, wrong port.
	Offline State = "offline"
	// Busy is working on a request (reading a card, printing).
	Busy State = "busy"
	// HardwareError answers but cannot work until serviced (cutter jam, SAM fault).
	HardwareError State = "hardware_error"
	// UserError needs a person's hand: paper out, cover open, card placed wrongly.
	UserError State = "user_error"
)

// Usable reports whether a device in this state can be asked to work now.
func (s State) Usable() bool { return s == Online || s == Busy }

// Kind names a device class.
type Kind string

const (
	IDCard     Kind = "idcard"
	Printer    Kind = "printer"
	Barcode    Kind = "barcode"
	DocScanner Kind = "docscanner"
	// Speaker is the sound output of the spoken guidance.
	Speaker Kind = "speaker"
	// A4Printer is the document printer certificates are printed on (IPP Everywhere).
	A4Printer Kind = "a4printer"
)

// Status is one device's health at one moment.
type Status struct {
	// Device is the configured name of the device ("idcard", "printer", ...).
	Device string `json:"device"`
	Kind   Kind   `json:"kind"`
	State  State  `json:"state"`
	// Reason is a short technician-facing explanation of State ("paper out", "no answer
	// on /dev/ttyUSB0"). It never contains personal data.
	Reason string `json:"reason,omitempty"`
	// Details are device-specific flags and values, e.g. "paper": "near_end",
	// "cover": "open", "sam": "ok", "card": "present", "port": "/dev/ttyUSB0".
	Details map[string]string `json:"details,omitempty"`
	Since   time.Time         `json:"since"`
}

// Equal reports whether two statuses describe the same condition (Since is ignored).
func (s Status) Equal(o Status) bool {
	return s.Device == o.Device && s.Kind == o.Kind && s.State == o.State &&
		s.Reason == o.Reason && maps.Equal(s.Details, o.Details)
}

// Tracker keeps one device's current status and tells subscribers when it changes. The
// zero value is not usable; use NewTracker. It is safe for concurrent use.
type Tracker struct {
	mu   sync.Mutex
	cur  Status
	subs map[int]chan Status
	next int
	now  func() time.Time
}

// NewTracker starts a tracker for the named device in state Unknown.
func NewTracker(device string, kind Kind) *Tracker {
	return &Tracker{
		cur:  Status{Device: device, Kind: kind, State: Unknown, Since: time.Now()},
		subs: map[int]chan Status{},
		now:  time.Now,
	}
}

// Current returns the current status.
func (t *Tracker) Current() Status {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.cur
	c.Details = maps.Clone(c.Details)
	return c
}

// Set records a new state; subscribers hear of it only if it differs from the current one.
// It reports whether it changed.
func (t *Tracker) Set(state State, reason string, details map[string]string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	next := Status{Device: t.cur.Device, Kind: t.cur.Kind, State: state, Reason: reason,
		Details: maps.Clone(details), Since: t.now()}
	if next.Equal(t.cur) {
		return false
	}
	t.cur = next
	for _, ch := range t.subs {
		// A slow subscriber loses intermediate states, never the latest one.
		select {
		case ch <- next:
		default:
			select {
			case <-ch:
			default:
			}
			select {
			case ch <- next:
			default:
			}
		}
	}
	return true
}

// Subscribe returns a channel that receives every change from now on (the newest one
// always; intermediate ones may be dropped for a slow reader) and a function that stops it.
func (t *Tracker) Subscribe() (<-chan Status, func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ch := make(chan Status, 4)
	id := t.next
	t.next++
	t.subs[id] = ch
	return ch, func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if _, ok := t.subs[id]; ok {
			delete(t.subs, id)
			close(ch)
		}
	}
}
