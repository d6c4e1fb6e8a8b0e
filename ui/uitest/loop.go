package uitest

import (
	"sync"
	"testing"
	"time"
)

// Loop stands in for Fyne's UI goroutine. Fyne's test driver runs fyne.Do at once on the
// calling goroutine, which lets a device goroutine touch widgets while the test does:
// a data race. The UI is given Loop.Do instead, and the test goroutine runs what was
// queued with Drain, so widgets are only ever touched by the test goroutine.
type Loop struct {
	mu sync.Mutex
	q  []func()
}

// Do queues f. It is safe from any goroutine.
func (l *Loop) Do(f func()) {
	l.mu.Lock()
	l.q = append(l.q, f)
	l.mu.Unlock()
}

// Drain runs queued functions, including those they queue, until none are left, and
// returns how many ran. Call it from the test goroutine.
func (l *Loop) Drain() int {
	n := 0
	for {
		l.mu.Lock()
		q := l.q
		l.q = nil
		l.mu.Unlock()
		if len(q) == 0 {
			return n
		}
		for _, f := range q {
			f()
			n++
		}
	}
}

// WaitTimeout bounds every wait; generous for the race detector on a busy machine.
var WaitTimeout = 10 * time.Second

// WaitFor drains the loop until cond holds, failing the test after WaitTimeout.
func (l *Loop) WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(WaitTimeout)
	for {
		l.Drain()
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
