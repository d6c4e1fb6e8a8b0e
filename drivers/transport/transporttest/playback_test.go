package transporttest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/govkiosk/govkiosk/drivers/transport"
)

// fakeT records what a Playback reports, so these tests can check that it fails a test
// when it must.
type fakeT struct {
	errs     []string
	cleanups []func()
}

func (f *fakeT) Helper() {}
func (f *fakeT) Errorf(format string, args ...any) {
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}
func (f *fakeT) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }

// end runs the cleanups as the end of a test would.
func (f *fakeT) end() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

func parse(t *testing.T, text string) *transport.Recording {
	t.Helper()
	rec, err := transport.ParseRecording(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

const statusSession = `# a printer asked for its status
> 10 04 01 10 04 02
< 16 12
< 12
< timeout
`

func TestPlaybackPlaysARecordedSession(t *testing.T) {
	ft := &fakeT{}
	p := NewPlayback(ft, "printer", parse(t, statusSession).Sessions[0])
	// The driver writes in pieces the recording made in one; the stream is what counts.
	for _, w := range [][]byte{{0x10, 0x04}, {0x01, 0x10, 0x04, 0x02}} {
		if n, err := p.Write(w); err != nil || n != len(w) {
			t.Fatalf("write % x: %d, %v", w, n, err)
		}
	}
	// A one-byte buffer gets a recorded two-byte read in two pieces.
	var got []byte
	buf := make([]byte, 1)
	for len(got) < 3 {
		n, err := p.Read(buf)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		got = append(got, buf[:n]...)
	}
	if string(got) != "\x16\x12\x12" {
		t.Fatalf("read % x", got)
	}
	if _, err := p.Read(buf); !transport.IsTimeout(err) {
		t.Fatalf("recorded timeout played as %v", err)
	}
	if !p.Done() {
		t.Fatal("not done")
	}
	ft.end()
	if len(ft.errs) != 0 {
		t.Fatalf("failed a test that followed the recording: %q", ft.errs)
	}
}

func TestPlaybackFailsTheTest(t *testing.T) {
	tests := []struct {
		name string
		run  func(p *Playback) error
		want string
	}{
		{"unexpected write", func(p *Playback) error {
			_, err := p.Write([]byte{0x10, 0x04, 0x03})
			return err
		}, "wrote 10 04 03, the recording has 10 04 01 10 04 02"},
		{"read instead of write", func(p *Playback) error {
			_, err := p.Read(make([]byte, 8))
			return err
		}, "read where the recording has the driver write next: > 10 04 01 10 04 02"},
		{"write instead of read", func(p *Playback) error {
			if _, err := p.Write([]byte{0x10, 0x04, 0x01, 0x10, 0x04, 0x02}); err != nil {
				return err
			}
			_, err := p.Write([]byte{0x1b, 0x40})
			return err
		}, "wrote 1b 40 where the recording has the device answer next: < 16 12"},
		{"past the end", func(p *Playback) error {
			if _, err := p.Write([]byte{0x10, 0x04, 0x01, 0x10, 0x04, 0x02}); err != nil {
				return err
			}
			buf := make([]byte, 8)
			for range 3 {
				_, _ = p.Read(buf)
			}
			_, err := p.Read(buf)
			return err
		}, "read after the end of the recording"},
		{"not used up", func(p *Playback) error {
			_, err := p.Write([]byte{0x10, 0x04, 0x01, 0x10, 0x04, 0x02})
			if err != nil {
				return err
			}
			return ErrUnexpected // what the check at the end says is the point here
		}, "recording not used up: 1 of 4 events played; next: < 16 12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ft := &fakeT{}
			p := NewPlayback(ft, "printer", parse(t, statusSession).Sessions[0])
			if err := tt.run(p); !errors.Is(err, ErrUnexpected) {
				t.Errorf("driver saw %v, want ErrUnexpected", err)
			}
			ft.end()
			if len(ft.errs) != 1 || !strings.Contains(ft.errs[0], tt.want) {
				t.Errorf("test failed with %q, want one failure containing %q", ft.errs, tt.want)
			}
		})
	}
}

func TestPlaybackRecordedFailures(t *testing.T) {
	ft := &fakeT{}
	p := NewPlayback(ft, "reader", parse(t, "> 01\n< gone transport: device gone: unplugged\n> closed\n").Sessions[0])
	if _, err := p.Write([]byte{1}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Read(make([]byte, 4)); !errors.Is(err, transport.ErrGone) {
		t.Errorf("gone played as %v", err)
	}
	if _, err := p.Write([]byte{2}); !errors.Is(err, transport.ErrClosed) {
		t.Errorf("closed played as %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Read(make([]byte, 1)); !errors.Is(err, transport.ErrClosed) {
		t.Errorf("read after Close: %v", err)
	}
	ft.end()
	if len(ft.errs) != 0 {
		t.Fatalf("%q", ft.errs)
	}
}

func TestOpenerPlaysEachSession(t *testing.T) {
	rec := parse(t, "> 01\n< 02\n--- open\n> 03\n")
	ft := &fakeT{}
	open := Opener(ft, "printer", rec)
	p1, err := open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p1.Write([]byte{1}); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(p1, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	p2, err := open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p2.Write([]byte{3}); err != nil {
		t.Fatal(err)
	}
	if _, err := open(context.Background()); !errors.Is(err, transport.ErrNoDevice) {
		t.Errorf("third open: %v", err)
	}
	ft.end()
	if len(ft.errs) != 1 || !strings.Contains(ft.errs[0], "opened a third time") {
		t.Fatalf("%q", ft.errs)
	}

	ft = &fakeT{}
	_ = Opener(ft, "printer", rec)
	ft.end()
	if len(ft.errs) != 1 || !strings.Contains(ft.errs[0], "opened 0 times") {
		t.Fatalf("never opened: %q", ft.errs)
	}
}
