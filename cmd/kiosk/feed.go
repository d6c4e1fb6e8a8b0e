package main

import "sync"

// value is a ui.Feed backed by a variable: Set publishes a new value to every subscriber
// (a slow one may miss intermediate values, never the latest).
type value[T any] struct {
	mu   sync.Mutex
	cur  T
	subs map[int]chan T
	next int
}

func newValue[T any](v T) *value[T] { return &value[T]{cur: v, subs: map[int]chan T{}} }

// Current returns the value now.
func (v *value[T]) Current() T {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.cur
}

// Set replaces the value and tells subscribers.
func (v *value[T]) Set(x T) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.cur = x
	for _, ch := range v.subs {
		select {
		case <-ch: // drop the stale value: the newest always gets through
		default:
		}
		ch <- x
	}
}

// Subscribe returns a channel of later values and a function that ends the subscription.
func (v *value[T]) Subscribe() (<-chan T, func()) {
	v.mu.Lock()
	defer v.mu.Unlock()
	ch := make(chan T, 1)
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
