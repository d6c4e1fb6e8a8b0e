package ui

import "sync"

// Value is a Feed backed by a variable: Set publishes a new value to every subscriber. A
// subscriber that has not yet read the previous value gets the new one instead, so a slow
// reader misses intermediate values, never the latest. The wiring uses it for the sync
// state and the hub's bulletins; tests use it for every feed they drive.
type Value[T any] struct {
	mu   sync.Mutex
	cur  T
	subs map[int]chan T
	next int
}

// NewValue returns a Value holding v.
func NewValue[T any](v T) *Value[T] { return &Value[T]{cur: v, subs: map[int]chan T{}} }

// Current returns the value now.
func (v *Value[T]) Current() T {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.cur
}

// Set replaces the value and tells subscribers.
func (v *Value[T]) Set(x T) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.cur = x
	for _, ch := range v.subs {
		select {
		case <-ch: // drop the unread value: the newest always gets through
		default:
		}
		ch <- x
	}
}

// Subscribe returns a channel of the current value and later ones, and a function that
// ends the subscription and closes the channel.
func (v *Value[T]) Subscribe() (<-chan T, func()) {
	v.mu.Lock()
	defer v.mu.Unlock()
	ch := make(chan T, 1)
	// The subscriber starts from the value now: one set between its reading Current and
	// subscribing (the sync client connecting while the window opens) would otherwise
	// be missed until the next change.
	ch <- v.cur
	id := v.next
	v.next++
	v.subs[id] = ch
	return ch, func() {
		v.mu.Lock()
		defer v.mu.Unlock()
		if _, ok := v.subs[id]; ok {
			delete(v.subs, id)
			close(ch)
		}
	}
}

var _ Feed[int] = (*Value[int])(nil)
