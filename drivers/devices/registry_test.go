package devices

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/drivers/scanner/barcode"
	"github.com/govkiosk/govkiosk/kiosk/config"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// fakeDevice is a device whose Run fails a set number of times (or panics) and then
// reports online until its context ends.
type fakeDevice struct {
	name    string
	tracker *health.Tracker
	fails   int32
	panics  bool
	runs    atomic.Int32
	closed  atomic.Bool
}

func newFake(name string, fails int32) *fakeDevice {
	return &fakeDevice{name: name, tracker: health.NewTracker(name, health.Printer), fails: fails}
}

func (f *fakeDevice) Name() string                              { return f.name }
func (f *fakeDevice) Kind() health.Kind                         { return health.Printer }
func (f *fakeDevice) Health() health.Status                     { return f.tracker.Current() }
func (f *fakeDevice) Subscribe() (<-chan health.Status, func()) { return f.tracker.Subscribe() }
func (f *fakeDevice) Close() error                              { f.closed.Store(true); return nil }

func (f *fakeDevice) Run(ctx context.Context) error {
	n := f.runs.Add(1)
	f.tracker.Set(health.Online, "", nil)
	if n <= f.fails {
		if f.panics {
			panic("driver bug")
		}
		return errors.New("cutter driver crashed")
	}
	<-ctx.Done()
	return nil
}

func opts() Options {
	return Options{MinBackoff: 10 * time.Millisecond, MaxBackoff: 40 * time.Millisecond, Settle: 30 * time.Millisecond}
}

func runRegistry(t *testing.T, r *Registry) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Error(err)
			}
		case <-time.After(5 * time.Second):
			t.Error("registry did not stop")
		}
	})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func stateOf(r *Registry, name string) health.Status {
	st, _ := r.Snapshot().Get(name)
	return st
}

func TestLoad(t *testing.T) {
	r := NewRegistry(discard(), opts())
	devs := map[string]*fakeDevice{}
	r.Register(config.KindPrinter, config.TransportSerial, func(c config.Device, _ *slog.Logger) (Device, error) {
		if c.Path == "" {
			return nil, errors.New("no path configured")
		}
		d := newFake(c.Name, 0)
		devs[c.Name] = d
		return d, nil
	})
	err := r.Load([]config.Device{
		{Name: "printer", Kind: config.KindPrinter, Transport: config.TransportSerial, Path: "/dev/ttyS0"},
		{Name: "printer", Kind: config.KindPrinter, Transport: config.TransportSerial, Path: "/dev/ttyS1"},
		{Name: "printer2", Kind: config.KindPrinter, Transport: config.TransportSerial},
		{Name: "idcard", Kind: config.KindIDCard, Transport: config.TransportSerial, Path: "/dev/ttyUSB0"},
	})
	if !errors.Is(err, ErrDuplicate) || !errors.Is(err, ErrNoOpener) || !strings.Contains(err.Error(), "no path configured") {
		t.Fatalf("Load error %v", err)
	}
	if _, ok := r.Device("printer"); !ok || len(devs) != 1 {
		t.Fatalf("good device not loaded (%d opened)", len(devs))
	}
	snap := r.Snapshot()
	var names []string
	for _, d := range snap.Devices {
		names = append(names, d.Device+":"+string(d.State))
	}
	if got := strings.Join(names, " "); got != "printer:unknown printer2:hardware_error idcard:hardware_error" {
		t.Fatalf("snapshot %s", got)
	}
	if st, _ := snap.Get("idcard"); !strings.Contains(st.Reason, "no driver") {
		t.Fatalf("idcard reason %q", st.Reason)
	}
	if snap.AllUsable() {
		t.Fatal("AllUsable with broken devices")
	}
}

func TestHealthAggregation(t *testing.T) {
	r := NewRegistry(discard(), opts())
	a, b := newFake("a", 0), newFake("b", 0)
	r.Register("printer", "simulated", func(c config.Device, _ *slog.Logger) (Device, error) {
		return map[string]*fakeDevice{"a": a, "b": b}[c.Name], nil
	})
	if err := r.Load([]config.Device{{Name: "a", Kind: "printer", Transport: "simulated"},
		{Name: "b", Kind: "printer", Transport: "simulated"}}); err != nil {
		t.Fatal(err)
	}
	sub, stop := r.Subscribe()
	defer stop()
	runRegistry(t, r)
	waitFor(t, "both online", func() bool { return r.Snapshot().AllUsable() })
	b.tracker.Set(health.UserError, "paper out", map[string]string{"paper": "out"})
	waitFor(t, "b paper out", func() bool { return stateOf(r, "b").State == health.UserError })
	if st := stateOf(r, "b"); st.Details["paper"] != "out" || st.Reason != "paper out" {
		t.Fatalf("b = %+v", st)
	}
	if r.Snapshot().AllUsable() {
		t.Fatal("usable with paper out")
	}
	// The subscriber heard of it.
	var last health.Status
	for len(sub) > 0 {
		last = <-sub
	}
	if last.Device != "b" || last.State != health.UserError {
		t.Fatalf("last event %+v", last)
	}
}

func TestRestartAfterFailureWithBackoff(t *testing.T) {
	for _, panics := range []bool{false, true} {
		t.Run(map[bool]string{false: "error", true: "panic"}[panics], func(t *testing.T) {
			r := NewRegistry(discard(), opts())
			d := newFake("printer", 3)
			d.panics = panics
			r.Register("printer", "serial", func(config.Device, *slog.Logger) (Device, error) { return d, nil })
			if err := r.Load([]config.Device{{Name: "printer", Kind: "printer", Transport: "serial"}}); err != nil {
				t.Fatal(err)
			}
			sub, stop := r.Subscribe()
			defer stop()
			runRegistry(t, r)
			waitFor(t, "fourth run", func() bool { return d.runs.Load() >= 4 })
			// After the settle time the device's own health counts again.
			waitFor(t, "online again", func() bool { return stateOf(r, "printer").State == health.Online })
			sawFailure := false
			for len(sub) > 0 {
				if st := <-sub; st.State == health.HardwareError && strings.HasPrefix(st.Reason, "driver failed") {
					sawFailure = true
				}
			}
			if !sawFailure {
				t.Fatal("the failure was never reported")
			}
			if n := d.runs.Load(); n != 4 {
				t.Fatalf("%d runs, want 4", n)
			}
		})
	}
}

func TestRunClosesDevices(t *testing.T) {
	r := NewRegistry(discard(), opts())
	d := newFake("printer", 0)
	r.Register("printer", "serial", func(config.Device, *slog.Logger) (Device, error) { return d, nil })
	if err := r.Load([]config.Device{{Name: "printer", Kind: "printer", Transport: "serial"}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = r.Run(ctx) }()
	waitFor(t, "running", func() bool { return d.runs.Load() == 1 })
	if err := r.Load(nil); !errors.Is(err, ErrRunning) {
		t.Fatalf("Load while running: %v", err)
	}
	cancel()
	wg.Wait()
	if !d.closed.Load() {
		t.Fatal("device not closed")
	}
}

// TestRegistryWithRealScanner runs the real serial barcode driver through the registry
// against its simulator on a pseudo-terminal: unplugging shows in the snapshot.
func TestRegistryWithRealScanner(t *testing.T) {
	sim, err := barcode.NewSim(barcode.SimConfig{Link: filepath.Join(t.TempDir(), "scanner"), Terminator: barcode.TermCR})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	r := NewRegistry(discard(), opts())
	r.Register(config.KindBarcode, config.TransportSerial, func(c config.Device, log *slog.Logger) (Device, error) {
		return barcode.New(barcode.Config{Name: c.Name, Open: barcode.SerialOpener(c.Path, c.Baud),
			Frame: barcode.FrameConfig{Terminator: barcode.TermCR}, MinBackoff: 10 * time.Millisecond}, log)
	})
	if err := r.Load([]config.Device{{Name: "qr", Kind: config.KindBarcode, Transport: config.TransportSerial,
		Path: sim.Path(), Baud: 9600}}); err != nil {
		t.Fatal(err)
	}
	runRegistry(t, r)
	waitFor(t, "scanner online", func() bool { return stateOf(r, "qr").State == health.Online })
	if err := sim.Unplug(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "scanner offline", func() bool { return stateOf(r, "qr").State == health.Offline })
	if err := sim.Replug(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "scanner back", func() bool { return stateOf(r, "qr").State == health.Online })
	dev, _ := r.Device("qr")
	if err := sim.Scan("GK-REGISTRY"); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-dev.(*barcode.Reader).Events():
		if ev.Scan.Data != "GK-REGISTRY" {
			t.Fatalf("event %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no scan through the registry's device")
	}
}
