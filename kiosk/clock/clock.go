// Package clock is the kiosk's trusted time. A terminal may boot with a dead clock
// battery and no network (1970, or 1999-12-31) and still be asked to stamp receipts:
// this package says when the wall clock can be believed, and otherwise carries the hub's
// time from the last handshake forward on the monotonic clock, which a wrong or jumping
// wall clock does not move.
//
// It must never guess: when neither the wall clock is plausible nor a hub time is known,
// the time is unknown, and callers refuse what needs a time (a receipt) rather than
// stamp a wrong one. It is pure: no I/O, no goroutines.
package clock

import (
	"sync"
	"time"
)

// buildDate is the day this program was built, set with
// -ldflags "-X github.com/govkiosk/govkiosk/kiosk/clock.buildDate=2026-12-01". A clock
// reading before it cannot be right.
var buildDate = ""

// defaultFloor stands in for the build date in builds that do not set it: earlier than
// any release of this program.
var defaultFloor = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// Floor is the earliest time this build believes: its build date, or defaultFloor.
func Floor() time.Time {
	if t, err := time.Parse(time.DateOnly, buildDate); err == nil {
		return t
	}
	return defaultFloor
}

// Source says where a trusted time came from.
type Source string

const (
	// SourceHub is the hub's time at the last handshake plus the monotonic time since.
	SourceHub Source = "hub"
	// SourceWall is the local wall clock, plausible and not yet checked against a hub.
	SourceWall Source = "wall"
	// SourceUnknown means no time can be trusted: the wall clock is before the floor and
	// no hub has answered since start.
	SourceUnknown Source = "unknown"
)

// Options are the clock's hooks; zero values mean the real clocks.
type Options struct {
	// Wall reads the wall clock; nil means time.Now.
	Wall func() time.Time
	// Mono is a monotonic reading (any origin); nil means the time since New on Go's
	// monotonic clock.
	Mono func() time.Duration
	// Floor is the earliest plausible time; zero means Floor().
	Floor time.Time
}

// Clock is the trusted time. Its methods are safe for concurrent use.
type Clock struct {
	wall  func() time.Time
	mono  func() time.Duration
	floor time.Time

	mu       sync.Mutex
	anchored bool
	hubAt    time.Time     // the hub's time at the handshake
	monoAt   time.Duration // the monotonic reading then
}

// New returns a clock with the given hooks.
func New(o Options) *Clock {
	c := &Clock{wall: o.Wall, mono: o.Mono, floor: o.Floor}
	if c.wall == nil {
		c.wall = time.Now
	}
	if c.mono == nil {
		start := time.Now()
		c.mono = func() time.Duration { return time.Since(start) }
	}
	if c.floor.IsZero() {
		c.floor = Floor()
	}
	return c
}

// Plausible reports whether t can be a real time for this build: not before the floor
// and not absurdly far ahead of it.
func (c *Clock) Plausible(t time.Time) bool {
	return !t.Before(c.floor) && t.Year() <= 9999
}

// SetHub records the hub's time, read during a handshake that has just finished. An
// implausible hub time (a hub whose own clock is wrong) is not taken; SetHub reports
// whether it was.
func (c *Clock) SetHub(hub time.Time) bool {
	if !c.Plausible(hub) {
		return false
	}
	m := c.mono()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.anchored, c.hubAt, c.monoAt = true, hub.UTC(), m
	return true
}

// Trusted returns the time and where it came from, or SourceUnknown (and the wall
// clock's reading, which must not be stamped on anything a resident keeps).
func (c *Clock) Trusted() (time.Time, Source) {
	c.mu.Lock()
	anchored, hubAt, monoAt := c.anchored, c.hubAt, c.monoAt
	c.mu.Unlock()
	if anchored {
		return hubAt.Add(c.mono() - monoAt), SourceHub
	}
	w := c.wall()
	if c.Plausible(w) {
		return w, SourceWall
	}
	return w, SourceUnknown
}

// Now is the trusted time when there is one and the wall clock otherwise: for
// bookkeeping that must go on with an unknown time (attempt stamps, logs). Use Trusted
// where a wrong time would mislead a resident.
func (c *Clock) Now() time.Time {
	t, _ := c.Trusted()
	return t
}

// Known reports whether a trusted time exists.
func (c *Clock) Known() bool {
	_, s := c.Trusted()
	return s != SourceUnknown
}

// WallPlausible reports whether the local wall clock is plausible now; a technician
// should set the clock when it is not, even once the hub's time stands in for it.
func (c *Clock) WallPlausible() bool { return c.Plausible(c.wall()) }
