package idcard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/drivers/transport"
	"github.com/govkiosk/govkiosk/kiosk/config"
	"github.com/govkiosk/govkiosk/kiosk/identity"
)

const testPoll = 40 * time.Millisecond

// syncBuffer is a log sink the reader's goroutine and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type rig struct {
	sim  *Simulator
	r    *Reader
	logs *syncBuffer
	stop func() error // cancels Run and returns its error
}

// startReader runs a Reader with test timings on path until the test ends.
func startReader(t *testing.T, path string, configure func(*Config)) *rig {
	t.Helper()
	logs := &syncBuffer{}
	cfg := Config{
		Open:         SerialOpener(path, 0),
		PollInterval: testPoll,
		Processing:   testProcessing,
		BackoffMin:   50 * time.Millisecond,
		BackoffMax:   200 * time.Millisecond,
		Logger:       slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if configure != nil {
		configure(&cfg)
	}
	r, err := NewReader(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			runErr = <-done
		})
		return runErr
	}
	t.Cleanup(func() { _ = stop() })
	return &rig{r: r, logs: logs, stop: stop}
}

// withSim starts a simulator and a reader on it, and waits for the reader to be online.
func withSim(t *testing.T, configure func(*Config)) *rig {
	t.Helper()
	sim := startSim(t, SimConfig{})
	g := startReader(t, sim.Path(), configure)
	g.sim = sim
	g.waitHealth(t, "online with no card", func(s health.Status) bool {
		return s.State == health.Online && s.Details["card"] == "absent" && s.Details["sam"] == "ok"
	})
	return g
}

const eventWait = 10 * time.Second

func (g *rig) next(t *testing.T) Event {
	t.Helper()
	select {
	case ev, ok := <-g.r.Events():
		if !ok {
			t.Fatal("events closed")
		}
		return ev
	case <-time.After(eventWait):
		t.Fatalf("no event within %v; health %+v", eventWait, g.r.Health())
		return nil
	}
}

// expect returns the next event, which must be a T.
func expect[T Event](t *testing.T, g *rig) T {
	t.Helper()
	ev := g.next(t)
	got, ok := ev.(T)
	if !ok {
		var want T
		t.Fatalf("got %s, want %T", describe(ev), want)
	}
	return got
}

// until skips events until a T comes; a card read on the way is an error.
func until[T Event](t *testing.T, g *rig) T {
	t.Helper()
	for {
		ev := g.next(t)
		if got, ok := ev.(T); ok {
			return got
		}
		if cr, ok := ev.(CardRead); ok {
			cr.Identity.Wipe()
			var want T
			t.Fatalf("card read while waiting for %T", want)
		}
	}
}

// quiet checks that no event comes for a few poll intervals.
func (g *rig) quiet(t *testing.T) {
	t.Helper()
	select {
	case ev := <-g.r.Events():
		t.Fatalf("unexpected %s", describe(ev))
	case <-time.After(8 * testPoll):
	}
}

func describe(ev Event) string {
	switch e := ev.(type) {
	case Fault:
		return fmt.Sprintf("fault %v", e.Err)
	case CardRead:
		return "card read (" + string(e.Identity.CardType) + ")"
	}
	return fmt.Sprintf("%T", ev)
}

func (g *rig) waitHealth(t *testing.T, what string, ok func(health.Status) bool) {
	t.Helper()
	end := time.Now().Add(eventWait)
	for {
		s := g.r.Health()
		if ok(s) {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("health never %s; it is %+v", what, s)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func wantIdentity(t *testing.T, name string, fingerprint, address bool) *identity.Identity {
	t.Helper()
	c := testCards(t)[name]
	id, err := c.Identity()
	if err != nil {
		t.Fatal(err)
	}
	if !fingerprint {
		id.Fingerprint = nil
	}
	if address {
		id.AdditionalAddress = c.AdditionalAddress
	}
	return id
}

func (g *rig) expectCard(t *testing.T, name string, fingerprint, address bool) {
	t.Helper()
	got := expect[CardRead](t, g).Identity
	defer got.Wipe()
	if want := wantIdentity(t, name, fingerprint, address); !reflect.DeepEqual(got, want) {
		t.Fatal(diffIdentity(got, want))
	}
}

func TestReaderReadsEachPlacementOnce(t *testing.T) {
	g := withSim(t, nil)
	names := g.sim.Cards()
	sort.Strings(names)
	for _, name := range names {
		if err := g.sim.Place(name); err != nil {
			t.Fatal(err)
		}
		g.expectCard(t, name, false, false)
		g.waitHealth(t, "online with a card", func(s health.Status) bool {
			return s.State == health.Online && s.Details["card"] == "present"
		})
		g.quiet(t) // lying on the reader, it is not read again
		g.sim.Remove()
		expect[CardRemoved](t, g)
		g.waitHealth(t, "online with no card", func(s health.Status) bool { return s.Details["card"] == "absent" })
	}
	// Placed again, read again.
	if err := g.sim.Place(names[0]); err != nil {
		t.Fatal(err)
	}
	g.expectCard(t, names[0], false, false)
}

// Swapping one card for another between two looks is a removal and a new read.
func TestReaderCardSwap(t *testing.T) {
	g := withSim(t, nil)
	if err := g.sim.Place("resident"); err != nil {
		t.Fatal(err)
	}
	g.expectCard(t, "resident", false, false)
	g.sim.Remove()
	expect[CardRemoved](t, g)
	if err := g.sim.Place("foreigner-2023"); err != nil {
		t.Fatal(err)
	}
	g.expectCard(t, "foreigner-2023", false, false)
}

func TestReaderFingerprintAndAddress(t *testing.T) {
	g := withSim(t, func(c *Config) { c.Fingerprint, c.AdditionalAddress = true, true })
	for _, name := range []string{"resident", "resident-longterm"} {
		if err := g.sim.Place(name); err != nil {
			t.Fatal(err)
		}
		g.expectCard(t, name, true, true)
		g.sim.Remove()
		expect[CardRemoved](t, g)
	}
}

func TestReaderFaults(t *testing.T) {
	cases := []struct {
		name    string
		fault   FaultKind
		latency time.Duration
		// errIs is what the Fault event must match; nil: the card is read anyway.
		errIs []error
		state health.State
		// cardFault: the reader gives up on this placement; the card must be placed
		// again to be read.
		cardFault bool
	}{
		{name: "noise before answers", fault: FaultNoise},
		{name: "slow within allowance", latency: testProcessing / 3},
		{name: "slow beyond allowance", latency: 3 * testProcessing, errIs: []error{ErrNoResponse}, state: health.Offline},
		{name: "silence", fault: FaultSilence, errIs: []error{ErrNoResponse}, state: health.Offline},
		{name: "garbage", fault: FaultGarbage, errIs: []error{ErrNoise}, state: health.Offline},
		{name: "checksum", fault: FaultChecksum, errIs: []error{ErrChecksum}, state: health.Offline},
		{name: "length", fault: FaultLength, errIs: []error{ErrLength}, state: health.Offline},
		{name: "sam self-test", fault: FaultSAM, errIs: []error{ErrSAMSelfTest, ErrSAMFault}, state: health.HardwareError},
		{name: "sam unauthorised", fault: FaultSAMUnauthorised, errIs: []error{ErrSAMNotAuthorised, ErrSAMFault}, state: health.HardwareError},
		{name: "select fails", fault: FaultSelect, errIs: []error{ErrSelectFailed, ErrCardFault}, state: health.Online, cardFault: true},
		{name: "read fails", fault: FaultRead, errIs: []error{ErrReadFailed, ErrCardFault}, state: health.Online, cardFault: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			g := withSim(t, nil)
			g.sim.Inject(c.fault)
			g.sim.SetLatency(c.latency)
			if err := g.sim.Place("resident"); err != nil {
				t.Fatal(err)
			}
			if c.errIs == nil {
				g.expectCard(t, "resident", false, false)
				return
			}
			f := expect[Fault](t, g)
			for _, want := range c.errIs {
				if !errors.Is(f.Err, want) {
					t.Fatalf("fault %v does not match %v", f.Err, want)
				}
			}
			g.waitHealth(t, string(c.state), func(s health.Status) bool { return s.State == c.state })
			if c.cardFault {
				for range 2 { // the other attempts
					if f := expect[Fault](t, g); !errors.Is(f.Err, c.errIs[0]) {
						t.Fatalf("fault %v", f.Err)
					}
				}
				g.quiet(t) // given up until the card is placed again
			}
			g.sim.Inject(FaultNone)
			g.sim.SetLatency(0)
			if c.cardFault {
				g.sim.Remove()
				expect[CardRemoved](t, g)
				if err := g.sim.Place("resident"); err != nil {
					t.Fatal(err)
				}
			}
			if cr := until[CardRead](t, g); cr.Identity.Name != "测试甲" {
				t.Fatal("another card read after recovery")
			}
			g.waitHealth(t, "online", func(s health.Status) bool { return s.State == health.Online && s.Details["sam"] == "ok" })
		})
	}
}

// A card the reader cannot find although it lies there is not an error: nothing happens.
func TestReaderCardNotFound(t *testing.T) {
	g := withSim(t, nil)
	g.sim.Inject(FaultNoCard)
	if err := g.sim.Place("resident"); err != nil {
		t.Fatal(err)
	}
	g.quiet(t)
	g.sim.Inject(FaultNone)
	g.expectCard(t, "resident", false, false)
}

func TestReaderUnplugMidReadRecovers(t *testing.T) {
	g := withSim(t, nil)
	g.sim.Inject(FaultUnplugMidRead)
	if err := g.sim.Place("resident"); err != nil {
		t.Fatal(err)
	}
	f := expect[Fault](t, g)
	if !errors.Is(f.Err, transport.ErrGone) {
		t.Fatalf("fault %v, want transport.ErrGone", f.Err)
	}
	g.waitHealth(t, "offline", func(s health.Status) bool { return s.State == health.Offline })
	g.quiet(t) // reopening fails while unplugged, and is not reported again
	if err := g.sim.Replug(); err != nil {
		t.Fatal(err)
	}
	g.expectCard(t, "resident", false, false)
	g.waitHealth(t, "online with the card", func(s health.Status) bool {
		return s.State == health.Online && s.Details["card"] == "present"
	})
}

func TestReaderUnplugWithCardOnIt(t *testing.T) {
	g := withSim(t, nil)
	if err := g.sim.Place("hkmt-permit"); err != nil {
		t.Fatal(err)
	}
	g.expectCard(t, "hkmt-permit", false, false)
	if err := g.sim.Unplug(); err != nil {
		t.Fatal(err)
	}
	// The reader lost track of the card: a removal, then the fault.
	expect[CardRemoved](t, g)
	if f := expect[Fault](t, g); !errors.Is(f.Err, transport.ErrGone) && !errors.Is(f.Err, transport.ErrNoDevice) {
		t.Fatalf("fault %v", f.Err)
	}
	g.waitHealth(t, "offline", func(s health.Status) bool { return s.State == health.Offline })
	if err := g.sim.Replug(); err != nil {
		t.Fatal(err)
	}
	g.expectCard(t, "hkmt-permit", false, false)
}

func TestReaderWaitsForDevice(t *testing.T) {
	link := filepath.Join(t.TempDir(), "idcard")
	g := startReader(t, link, nil)
	f := expect[Fault](t, g)
	if !errors.Is(f.Err, transport.ErrNoDevice) {
		t.Fatalf("fault %v, want transport.ErrNoDevice", f.Err)
	}
	g.waitHealth(t, "offline, not connected", func(s health.Status) bool {
		return s.State == health.Offline && s.Reason == "not connected"
	})
	sim := startSim(t, SimConfig{Link: link})
	g.waitHealth(t, "online", func(s health.Status) bool { return s.State == health.Online })
	if err := sim.Place("foreigner-2017"); err != nil {
		t.Fatal(err)
	}
	g.expectCard(t, "foreigner-2017", false, false)
}

func TestReaderRunStopsRestartsCloses(t *testing.T) {
	g := withSim(t, nil)
	if err := g.r.Run(context.Background()); !errors.Is(err, ErrRunning) {
		t.Fatalf("Run while running: %v", err)
	}
	if err := g.stop(); err != nil {
		t.Fatalf("Run returned %v after its context ended", err)
	}
	// Started again, it works again: the registry restarts a device's loop.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.r.Run(ctx) }()
	if err := g.sim.Place("resident"); err != nil {
		t.Fatal(err)
	}
	g.expectCard(t, "resident", false, false)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := g.r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := g.r.Run(context.Background()); !errors.Is(err, ErrReaderClosed) {
		t.Fatalf("Run after Close: %v", err)
	}
	if g.r.Name() != "idcard" || g.r.Kind() != health.IDCard {
		t.Fatalf("name %q kind %q", g.r.Name(), g.r.Kind())
	}
}

func TestFromConfig(t *testing.T) {
	cases := []struct {
		dev config.Device
		ok  bool
	}{
		{config.Device{Name: "idcard", Kind: config.KindIDCard, Transport: config.TransportSerial, Path: "/dev/ttyUSB0", Baud: 115200,
			PollInterval: config.Duration{Duration: time.Second}, Fingerprint: true}, true},
		{config.Device{Name: "idcard", Kind: config.KindIDCard, Transport: config.TransportSim, Path: "/run/sim"}, true},
		{config.Device{Name: "idcard", Kind: config.KindIDCard, Transport: config.TransportTCP, Address: "192.0.2.1:4001"}, true},
		{config.Device{Name: "idcard", Kind: config.KindIDCard, Transport: config.TransportSerial}, false},
		{config.Device{Name: "idcard", Kind: config.KindIDCard, Transport: config.TransportUSB, USB: "0400:c35a"}, false},
		{config.Device{Name: "printer", Kind: config.KindPrinter, Transport: config.TransportSerial, Path: "/dev/ttyS0"}, false},
	}
	for _, c := range cases {
		r, err := FromConfig(c.dev, nil)
		if (err == nil) != c.ok {
			t.Fatalf("%+v: %v", c.dev, err)
		}
		if err != nil {
			if !errors.Is(err, ErrUnsupported) {
				t.Fatalf("%v is not ErrUnsupported", err)
			}
			continue
		}
		if r.Name() != c.dev.Name || r.cfg.Fingerprint != c.dev.Fingerprint ||
			(c.dev.PollInterval.Duration != 0 && r.cfg.PollInterval != c.dev.PollInterval.Duration) {
			t.Fatalf("configuration not taken over: %+v", r.cfg)
		}
	}
}

func TestNewReaderNeedsOpener(t *testing.T) {
	if _, err := NewReader(Config{}); err == nil {
		t.Fatal("a reader without a port opener")
	}
}

// Reading every sample card leaves no name, number or address in the log; numbers appear
// masked.
func TestReaderLogsNoPersonalData(t *testing.T) {
	g := withSim(t, func(c *Config) { c.AdditionalAddress = true })
	cards := testCards(t)
	for _, name := range g.sim.Cards() {
		if err := g.sim.Place(name); err != nil {
			t.Fatal(err)
		}
		expect[CardRead](t, g).Identity.Wipe()
		g.sim.Remove()
		expect[CardRemoved](t, g)
	}
	logs := g.logs.String()
	for name, c := range cards {
		for _, v := range []string{c.Name, c.EnglishName, c.IDNumber, c.Address, c.AdditionalAddress, c.PassNumber, c.Birth} {
			if v != "" && strings.Contains(logs, v) {
				t.Errorf("log holds a value of card %s", name)
			}
		}
		if !strings.Contains(logs, identity.MaskNumber(c.IDNumber)) {
			t.Errorf("log lacks the masked number of card %s", name)
		}
	}
}

// A receiver that is behind does not stop the reader: faults it has no room for are
// dropped, and health still follows the reader through outage after outage.
func TestReaderFaultsDoNotBlock(t *testing.T) {
	g := withSim(t, nil)
	for range cap(g.r.events) + 2 { // each outage raises one fault; nobody reads them
		if err := g.sim.Unplug(); err != nil {
			t.Fatal(err)
		}
		g.waitHealth(t, "offline", func(s health.Status) bool { return s.State == health.Offline })
		if err := g.sim.Replug(); err != nil {
			t.Fatal(err)
		}
		g.waitHealth(t, "online", func(s health.Status) bool { return s.State == health.Online })
	}
	if n := len(g.r.events); n != cap(g.r.events) {
		t.Fatalf("%d events waiting, want a full buffer of %d", n, cap(g.r.events))
	}
}
