package access

import (
	"fmt"
	"sync"
	"time"
)

// Lockout policy: the first MaxTries wrong PINs are free; the one that reaches MaxTries
// locks for BaseLockout, and every wrong PIN after that (each possible only once the
// previous lock ends) locks for twice as long as the last, up to MaxLockout. A right PIN
// clears the count.
const (
	MaxTries    = 5
	BaseLockout = time.Minute
	MaxLockout  = 24 * time.Hour
)

// State is the lockout state the caller persists between checks (and restarts, so that
// power-cycling the kiosk does not reset the count). Its zero value is a fresh start.
type State struct {
	Failures    int       `json:"failures" toml:"failures"`
	LockedUntil time.Time `json:"locked_until,omitzero" toml:"locked_until,omitempty"`
}

// WrongPINError says the PIN was wrong and how many tries are left before a lock (0: the
// next wrong one locks again). It matches ErrWrongPIN.
type WrongPINError struct {
	Left int
	// LockedUntil is set when this try started a lock.
	LockedUntil time.Time
}

// Error says how many tries are left, or until when the guard is locked.
func (e *WrongPINError) Error() string {
	if !e.LockedUntil.IsZero() {
		return fmt.Sprintf("access: wrong PIN; locked until %s", e.LockedUntil.Format(time.TimeOnly))
	}
	return fmt.Sprintf("access: wrong PIN; %d tries left", e.Left)
}

// Is makes errors.Is(err, ErrWrongPIN) true.
func (e *WrongPINError) Is(target error) bool { return target == ErrWrongPIN }

// LockedError says that no PIN is checked until Until. It matches ErrLocked.
type LockedError struct {
	Until time.Time
}

// Error says until when no PIN is checked.
func (e *LockedError) Error() string {
	return fmt.Sprintf("access: locked until %s", e.Until.Format(time.TimeOnly))
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Guard checks technician PINs against a stored hash, counting wrong tries. It is safe
// for concurrent use.
type Guard struct {
	mu    sync.Mutex
	hash  string
	state State
	now   func() time.Time
}

// NewGuard returns a guard for the stored hash, resuming from a persisted state. now
// tells the time (nil: time.Now).
func NewGuard(hash string, st State, now func() time.Time) *Guard {
	if now == nil {
		now = time.Now
	}
	return &Guard{hash: hash, state: st, now: now}
}

// Check verifies a PIN. It returns nil when it is right, a *LockedError while locked
// (without looking at the PIN), a *WrongPINError when it is wrong, ErrNoPIN without a
// stored hash, or an error matching ErrBadHash. Persist State after every call.
func (g *Guard) Check(pin string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if now.Before(g.state.LockedUntil) {
		return &LockedError{Until: g.state.LockedUntil}
	}
	ok, err := VerifyPIN(g.hash, pin)
	if err != nil {
		return err
	}
	if ok {
		g.state = State{}
		return nil
	}
	g.state.Failures++
	e := &WrongPINError{Left: max(MaxTries-g.state.Failures, 0)}
	if g.state.Failures >= MaxTries {
		g.state.LockedUntil = now.Add(lockout(g.state.Failures))
		e.LockedUntil = g.state.LockedUntil
	}
	return e
}

// lockout is how long the n-th wrong try (n >= MaxTries) locks for.
func lockout(n int) time.Duration {
	d := BaseLockout
	for i := MaxTries; i < n && d < MaxLockout; i++ {
		d *= 2
	}
	return min(d, MaxLockout)
}

// State returns the lockout state to persist.
func (g *Guard) State() State {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.state
}

// Locked reports whether checks are refused now, and until when.
func (g *Guard) Locked() (time.Time, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.now().Before(g.state.LockedUntil) {
		return g.state.LockedUntil, true
	}
	return time.Time{}, false
}

// SetHash replaces the stored hash (after the technician changed the PIN) and clears the
// count.
func (g *Guard) SetHash(hash string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.hash = hash
	g.state = State{}
}
