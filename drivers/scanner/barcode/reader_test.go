package barcode

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/drivers/health"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startSim starts a simulated scanner behind a stable link in a temporary directory.
func startSim(t *testing.T, cfg SimConfig) *Sim {
	t.Helper()
	cfg.Link = filepath.Join(t.TempDir(), "scanner")
	s, err := NewSim(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// startReader runs a Reader on the simulator's port until the test ends.
func startReader(t *testing.T, s *Sim, cfg Config) *Reader {
	t.Helper()
	cfg.Open = SerialOpener(s.Path(), 115200)
	cfg.MinBackoff = 20 * time.Millisecond
	cfg.MaxBackoff = 100 * time.Millisecond
	r, err := New(cfg, discard())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Run did not stop")
		}
	})
	waitState(t, r, health.Online)
	return r
}

func waitState(t *testing.T, r *Reader, want health.State) health.Status {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if st := r.Health(); st.State == want {
			return st
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("state %s not reached, still %+v", want, r.Health())
	return health.Status{}
}

func nextEvent(t *testing.T, r *Reader) Event {
	t.Helper()
	select {
	case ev := <-r.Events():
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	return Event{}
}

func wantScan(t *testing.T, r *Reader, data, sym string) {
	t.Helper()
	ev := nextEvent(t, r)
	if ev.Err != nil || ev.Scan.Data != data || ev.Scan.Symbology != sym {
		t.Fatalf("got %+v / %v, want scan %q (%s)", ev.Scan, ev.Err, data, sym)
	}
	if ev.Scan.At.IsZero() {
		t.Fatal("scan without a time")
	}
}

func wantReject(t *testing.T, r *Reader, want error) {
	t.Helper()
	ev := nextEvent(t, r)
	var le *LineError
	if !errors.As(ev.Err, &le) || !errors.Is(ev.Err, want) {
		t.Fatalf("got %+v / %v, want %v", ev.Scan, ev.Err, want)
	}
}

func TestReaderScans(t *testing.T) {
	s := startSim(t, SimConfig{Terminator: TermCR, AIM: "]Q1"})
	r := startReader(t, s, Config{Name: "qr", Frame: FrameConfig{Terminator: TermCR, AIM: true}})
	st := r.Health()
	if st.Device != "qr" || st.Kind != health.Barcode || st.Details["port"] != s.Path() {
		t.Fatalf("health %+v", st)
	}
	for _, code := range []string{"GK990101000123X", "https://example.org/q?c=样例乙"} {
		if err := s.Scan(code); err != nil {
			t.Fatal(err)
		}
		wantScan(t, r, code, "qr")
	}
}

func TestReaderSplitWritesLongLinesAndGarbage(t *testing.T) {
	s := startSim(t, SimConfig{Terminator: TermCRLF})
	r := startReader(t, s, Config{Frame: FrameConfig{Terminator: TermCRLF, MaxLine: 64}})
	frame := s.Frame("GK-SPLIT-0001")
	// Written in three pieces with pauses, so the driver's reads see the line cut, even
	// between CR and LF.
	for _, piece := range [][]byte{frame[:4], frame[4 : len(frame)-1], frame[len(frame)-1:]} {
		if err := s.WriteRaw(piece); err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * time.Millisecond)
	}
	wantScan(t, r, "GK-SPLIT-0001", "")

	if err := s.Scan(strings.Repeat("L", 500)); err != nil {
		t.Fatal(err)
	}
	wantReject(t, r, ErrLineTooLong)
	if err := s.WriteRaw([]byte("\x00\xff\x16\xf8\r\n")); err != nil {
		t.Fatal(err)
	}
	wantReject(t, r, ErrGarbage)
	if err := s.Scan("after-noise"); err != nil {
		t.Fatal(err)
	}
	wantScan(t, r, "after-noise", "")
	if st := r.Health(); st.State != health.Online {
		t.Fatalf("rejected lines changed health: %+v", st)
	}
}

func TestReaderUnplugReplug(t *testing.T) {
	s := startSim(t, SimConfig{Terminator: TermCR})
	r := startReader(t, s, Config{Frame: FrameConfig{Terminator: TermCR}})
	sub, stop := r.Subscribe()
	defer stop()
	if err := s.Unplug(); err != nil {
		t.Fatal(err)
	}
	st := waitState(t, r, health.Offline)
	if st.Reason != "unplugged" && st.Reason != "cannot open port" {
		t.Fatalf("offline reason %q", st.Reason)
	}
	time.Sleep(150 * time.Millisecond) // a few failed reopen attempts
	if err := s.Replug(); err != nil {
		t.Fatal(err)
	}
	waitState(t, r, health.Online)
	if err := s.Scan("back-again"); err != nil {
		t.Fatal(err)
	}
	wantScan(t, r, "back-again", "")
	// Subscribers saw the scanner go and come back.
	var seen []health.State
	for len(sub) > 0 {
		seen = append(seen, (<-sub).State)
	}
	if len(seen) < 2 || seen[len(seen)-1] != health.Online {
		t.Fatalf("subscriber saw %v", seen)
	}
}

func TestReaderTriggerMode(t *testing.T) {
	s := startSim(t, SimConfig{Terminator: TermCR, Trigger: SYNTrigger, Stop: SYNStop})
	// Queue before the driver triggers: a trigger-mode scanner sends nothing by itself.
	for _, c := range []string{"first", "second"} {
		if err := s.Scan(c); err != nil {
			t.Fatal(err)
		}
	}
	r := startReader(t, s, Config{Frame: FrameConfig{Terminator: TermCR},
		Trigger: SYNTrigger, Stop: SYNStop, Retrigger: true})
	// Connect sends a trigger (first), the good read sends the next (second).
	wantScan(t, r, "first", "")
	wantScan(t, r, "second", "")
	if n := s.Triggers(); n < 2 {
		t.Fatalf("simulator saw %d triggers", n)
	}
	// The third trigger (after "second") arms the scanner; Stop disarms it, so the
	// next scan waits.
	deadline := time.Now().Add(2 * time.Second)
	for s.Triggers() < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := r.StopTrigger(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // let the stop command arrive
	if err := s.Scan("third"); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-r.Events():
		t.Fatalf("scan %+v passed while the scanner was stopped", ev)
	case <-time.After(200 * time.Millisecond):
	}
	if err := r.Trigger(); err != nil {
		t.Fatal(err)
	}
	wantScan(t, r, "third", "")
}

func TestReaderHIDPOSStream(t *testing.T) {
	s := startSim(t, SimConfig{})
	r := startReader(t, s, Config{Protocol: HIDPOS})
	data := []byte(strings.Repeat("HIDPOS-", 12)) // 84 bytes: two reports
	stream := bytes.Join(EncodeHIDReports(LayoutHIDPOS, []byte("]d2"), data), nil)
	if err := s.WriteRaw(stream[:70]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	if err := s.WriteRaw(stream[70:]); err != nil {
		t.Fatal(err)
	}
	wantScan(t, r, string(data), "datamatrix")
}

func TestReaderOfflineWithoutDevice(t *testing.T) {
	r, err := New(Config{Open: SerialOpener(filepath.Join(t.TempDir(), "absent"), 0),
		MinBackoff: 10 * time.Millisecond}, discard())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	waitState(t, r, health.Offline)
	if err := r.Trigger(); err == nil {
		t.Fatal("trigger without a configured command succeeded")
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not stop Run")
	}
	cancel()
}

func TestNewRejectsBadConfig(t *testing.T) {
	open := SerialOpener("/nonexistent", 0)
	for name, cfg := range map[string]Config{
		"no opener":      {},
		"bad protocol":   {Open: open, Protocol: "keyboard"},
		"bad terminator": {Open: open, Frame: FrameConfig{Terminator: "tab"}},
	} {
		if _, err := New(cfg, discard()); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
