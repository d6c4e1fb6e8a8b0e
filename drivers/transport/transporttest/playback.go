// Package transporttest plays a recorded device session back as a transport.Port, so a
// session captured from a real reader or printer (kioskctl … --record FILE, see
// transport.Recorder) becomes a regression test of the driver that talked to it.
//
// A Playback is strict: it fails the test on any write the recording does not have next,
// on a read where the recording has the driver write, and on a recording not used up by
// the end of the test. It plays no timing: answers come at once and a recorded timeout
// comes back at once as one. It is for tests only and never ships in a binary.
package transporttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/govkiosk/govkiosk/drivers/transport"
)

// TB is the part of testing.TB a Playback reports to.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Cleanup(func())
}

// ErrUnexpected is what a call that departs from the recording returns, after the test
// has been failed with the details.
var ErrUnexpected = errors.New("transporttest: not what the recording has next")

// Playback is a transport.Port that plays one session of a recording.
type Playback struct {
	t      TB
	name   string
	mu     sync.Mutex
	events []transport.Event
	next   int // index of the event being played
	off    int // bytes of events[next] already played
	closed bool
	failed bool
}

// NewPlayback plays events as a port named name. When the test ends, it fails the test if
// events remain.
func NewPlayback(t TB, name string, events []transport.Event) *Playback {
	t.Helper()
	p := &Playback{t: t, name: name, events: events}
	t.Cleanup(p.checkUsed)
	return p
}

// Load reads a recording file for a test, failing the test when it cannot.
func Load(t interface {
	TB
	Fatalf(format string, args ...any)
}, path string) *transport.Recording {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("transporttest: %v", err)
	}
	defer f.Close()
	rec, err := transport.ParseRecording(f)
	if err != nil {
		t.Fatalf("transporttest: %s: %v", path, err)
	}
	return rec
}

// Opener returns a function that opens the recording's sessions in turn, one Playback
// each, for a driver that opens its own port. Opening more often than the recording has
// sessions fails the test; so does ending the test before every session was opened.
func Opener(t TB, name string, rec *transport.Recording) func(context.Context) (transport.Port, error) {
	t.Helper()
	var mu sync.Mutex
	opened := 0
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		if opened < len(rec.Sessions) {
			t.Errorf("transporttest: %s: the recording has %d sessions; the port was opened %d times", name, len(rec.Sessions), opened)
		}
	})
	return func(context.Context) (transport.Port, error) {
		mu.Lock()
		defer mu.Unlock()
		if opened == len(rec.Sessions) {
			t.Errorf("transporttest: %s: opened a %s time; the recording has %d sessions", name, ordinal(opened+1), len(rec.Sessions))
			return nil, fmt.Errorf("%w: no more sessions: %w", ErrUnexpected, transport.ErrNoDevice)
		}
		opened++
		return NewPlayback(t, name, rec.Sessions[opened-1]), nil
	}
}

func ordinal(n int) string {
	switch n {
	case 2:
		return "second"
	case 3:
		return "third"
	}
	return fmt.Sprintf("%dth", n)
}

// Name implements transport.Port.
func (p *Playback) Name() string { return p.name }

// SetReadDeadline implements transport.Port; a playback keeps no time.
func (p *Playback) SetReadDeadline(time.Time) error { return p.ifOpen() }

// SetWriteDeadline implements transport.Port; a playback keeps no time.
func (p *Playback) SetWriteDeadline(time.Time) error { return p.ifOpen() }

func (p *Playback) ifOpen() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return transport.ErrClosed
	}
	return nil
}

// Close implements transport.Port. It does not check that the recording was used up:
// the end of the test does, so a driver that closes early is still caught.
func (p *Playback) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return transport.ErrClosed
	}
	p.closed = true
	return nil
}

// Write implements transport.Port: b must be what the recording has the driver write
// next (in one call or split over several).
func (p *Playback) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return 0, transport.ErrClosed
	}
	done := 0
	for done < len(b) {
		ev, ok := p.current()
		switch {
		case !ok:
			return done, p.fail("wrote % x after the end of the recording", b[done:])
		case ev.Dir != transport.Write:
			return done, p.fail("wrote % x where the recording has the device answer next: %s", b[done:], describe(ev))
		case ev.Err != "":
			p.advance()
			return done, playedError(ev.Err)
		}
		want := ev.Data[p.off:]
		n := min(len(want), len(b)-done)
		if !bytes.Equal(b[done:done+n], want[:n]) {
			return done, p.fail("wrote % x, the recording has % x", b[done:], want)
		}
		done += n
		p.off += n
		if p.off == len(ev.Data) {
			p.advance()
		}
	}
	return done, nil
}

// Read implements transport.Port: it returns the device's next recorded answer (as much
// as fits in b), or the recorded timeout or failure.
func (p *Playback) Read(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return 0, transport.ErrClosed
	}
	ev, ok := p.current()
	switch {
	case !ok:
		return 0, p.fail("read after the end of the recording")
	case ev.Dir != transport.Read:
		return 0, p.fail("read where the recording has the driver write next: %s", describe(ev))
	case ev.Err != "":
		p.advance()
		return 0, playedError(ev.Err)
	}
	n := copy(b, ev.Data[p.off:])
	p.off += n
	if p.off == len(ev.Data) {
		p.advance()
	}
	return n, nil
}

func (p *Playback) current() (transport.Event, bool) {
	if p.next >= len(p.events) {
		return transport.Event{}, false
	}
	return p.events[p.next], true
}

func (p *Playback) advance() {
	p.next++
	p.off = 0
}

// fail fails the test (once per playback: after the first departure the rest is noise)
// and returns the error the driver sees. Call with mu held.
func (p *Playback) fail(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	where := fmt.Sprintf("event %d of %d", p.next+1, len(p.events))
	if !p.failed {
		p.failed = true
		p.t.Errorf("transporttest: %s: %s: %s", p.name, where, msg)
	}
	return fmt.Errorf("%w: %s: %s", ErrUnexpected, where, msg)
}

func (p *Playback) checkUsed() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failed || p.next == len(p.events) {
		return
	}
	p.t.Errorf("transporttest: %s: recording not used up: %d of %d events played; next: %s",
		p.name, p.next, len(p.events), describe(p.events[p.next]))
}

// Done reports whether every event has been played.
func (p *Playback) Done() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.next == len(p.events)
}

func describe(ev transport.Event) string {
	return string(bytes.TrimSuffix(transport.AppendEvent(nil, ev), []byte("\n")))
}

// errPlayedTimeout is a played-back expired deadline; transport.IsTimeout knows it.
var errPlayedTimeout = fmt.Errorf("transporttest: recorded timeout: %w", os.ErrDeadlineExceeded)

func playedError(text string) error {
	switch {
	case text == "timeout":
		return errPlayedTimeout
	case text == "closed":
		return transport.ErrClosed
	case len(text) > 5 && text[:5] == "gone ":
		return fmt.Errorf("%w (recorded: %s)", transport.ErrGone, text[5:])
	default:
		return fmt.Errorf("transporttest: recorded failure: %s", text)
	}
}
