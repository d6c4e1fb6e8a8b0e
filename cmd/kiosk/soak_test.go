package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/govkiosk/govkiosk/ui/uitest"
)

// soakEnv sets how many whole visits TestSoakVisits drives (500 for the report); unset,
// the test is skipped. soakProfilesEnv names a directory for heap profiles taken after
// the first and the last visit, to compare with go tool pprof -diff_base.
const (
	soakEnv         = "GOVKIOSK_SOAK"
	soakProfilesEnv = "GOVKIOSK_SOAK_PROFILES"
)

// soakKiosk is the real kiosk assembled as with -simulate (device simulators speaking
// their protocols to the real drivers, the real outbox, sync client and local hub) but
// drawn by Fyne's test driver, tapped by automation id.
type soakKiosk struct {
	t    *testing.T
	k    *assembled
	loop *uitest.Loop
	// stop closes the kiosk before the test ends (a restart); nil in the soak.
	stop func()
}

func (s *soakKiosk) tap(id string) {
	s.t.Helper()
	s.loop.Drain()
	o := s.k.ui.Element(id)
	tp, ok := o.(fyne.Tappable)
	if !ok {
		s.t.Fatalf("screen %q has no tappable %q", s.k.ui.ScreenName(), id)
	}
	test.Tap(tp)
	s.loop.Drain()
}

func (s *soakKiosk) wait(what string, cond func() bool) {
	s.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		s.loop.Drain()
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			var ids []string
			for _, e := range s.k.ui.Elements() {
				ids = append(ids, e.ID)
			}
			s.t.Fatalf("timed out waiting for %s (screen %s: %v; missing %v)", what, s.k.ui.ScreenName(), ids, s.k.ui.Session().Missing())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (s *soakKiosk) screen(name string) {
	s.t.Helper()
	s.wait("screen "+name, func() bool { return s.k.ui.ScreenName() == name })
}

func (s *soakKiosk) keys(digits string) {
	s.t.Helper()
	for _, r := range digits {
		s.tap("keypad." + string(r))
	}
}

// placeCard puts the sample card on the reader as a resident would: a card read before
// the screen waits for one is wiped unread (so a card left behind never joins the next
// visit), and a resident who sees nothing happen lifts the card and places it again.
func (s *soakKiosk) placeCard() {
	s.t.Helper()
	for try := 0; try < 10; try++ {
		if err := s.k.sim.card.Place("resident"); err != nil {
			s.t.Fatal(err)
		}
		deadline := time.Now().Add(2 * time.Second)
		for time.Now().Before(deadline) {
			s.loop.Drain()
			if s.k.ui.ScreenName() != "identify" {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		s.k.sim.card.Remove()
		time.Sleep(time.Second) // the reader looks every 300 ms: let it see the card go
	}
	s.t.Fatal("the card was never read")
}

// visit is one resident's whole housing-fund withdrawal: choose, card, form, scans,
// review, submit, receipt, five stars, home.
func (s *soakKiosk) visit() {
	s.t.Helper()
	s.screen("home")
	s.tap("home.apply")
	s.screen("catalog")
	s.tap("catalog.category.housing")
	s.tap("catalog.service.hpf-withdraw-rent")
	s.screen("guide")
	s.tap("guide.begin")
	s.screen("identify")
	s.placeCard()
	s.screen("form")
	s.k.sim.card.Remove()
	for _, f := range []struct{ id, value string }{
		{"monthly_rent", "2500"}, {"withdraw_amount", "2000"},
		{"bank_account", "6222020200112233445"}, {"phone", "13800138000"},
	} {
		s.tap("form.field." + f.id)
		s.keys(f.value)
	}
	s.tap("form.next")
	s.screen("materials")
	// The tenancy agreement has 4 pages; the item accepts 3.
	for _, m := range []struct {
		id    string
		pages int
	}{{"lease-contract", 3}, {"bank-card", 1}} {
		for n := 1; n <= m.pages; n++ {
			s.tap("materials.scan." + m.id)
			s.wait("page of "+m.id, func() bool { return s.k.ui.Session().PageCount(m.id) == n })
		}
	}
	s.tap("materials.next")
	s.tap("materials.fewer")
	s.screen("review")
	s.tap("review.confirm")
	s.screen("receipt")
	s.tap("receipt.done")
	s.screen("rate")
	s.tap("rate.star.5")
	s.tap("rate.send")
	s.screen("thanks")
	s.tap("thanks.home")
	s.screen("home")
}

// TestSoakVisits drives GOVKIOSK_SOAK whole visits in a row through the real wiring and
// logs the Go heap and the process's RSS after visit 1 and every 100th, after a forced
// collection. It reports; it asserts only that every visit completes and ends with
// nothing of the resident left in the session. The process also holds the simulators and
// the hub, whose own growth (the printer simulator keeps every receipt it cut, the hub
// every submission's record) is part of what it measures.
func TestSoakVisits(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv(soakEnv))
	if n <= 0 {
		t.Skipf("soak: set %s to a number of visits", soakEnv)
	}
	test.NewTempApp(t)
	loop := &uitest.Loop{}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	o := &options{simulate: true, dataDir: t.TempDir(), hubListen: "127.0.0.1:0"}
	logFile, err := os.Create(filepath.Join(t.TempDir(), "kiosk.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logFile.Close() })
	w := test.NewTempWindow(t, nil)
	k, err := assemble(ctx, o, host{app: fyne.CurrentApp(), window: w, do: loop.Do, logOut: logFile})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		k.close()
		loop.Drain()
	})
	w.Resize(uitest.Landscape)
	s := &soakKiosk{t: t, k: k, loop: loop}
	s.wait("the hub's catalog and an online link", func() bool { return k.ui.ScreenName() == "home" })

	profiles := os.Getenv(soakProfilesEnv)
	start := time.Now()
	for i := 1; i <= n; i++ {
		s.visit()
		if i%5 == 0 {
			// The window driver lets Fyne's caches drop what no frame drew for a minute;
			// the test driver does so only when it paints.
			w.Canvas().Capture()
		}
		if k.ui.Session().Identity() != nil || k.ui.Session().Form() != nil {
			t.Fatalf("visit %d: the session kept the resident's data", i)
		}
		if i == 1 || i%100 == 0 || i == n {
			s.loop.Drain()
			m := measure()
			t.Logf("after visit %3d: heap %6.1f MB (in use %6.1f MB), RSS %6.1f MB, goroutines %d, %v per visit",
				i, mb(m.heap), mb(m.inuse), mb(m.rss), m.goroutines, (time.Since(start) / time.Duration(i)).Round(time.Millisecond))
			if profiles != "" && (i == 1 || i == n) {
				writeHeapProfile(t, filepath.Join(profiles, fmt.Sprintf("heap-%d.pb.gz", i)))
			}
		}
	}
}

type memory struct {
	heap, inuse, rss uint64
	goroutines       int
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }

// measure collects garbage twice (finalizers run between) and reads the heap and RSS.
func measure() memory {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m := memory{heap: ms.HeapAlloc, inuse: ms.HeapInuse, goroutines: runtime.NumGoroutine()}
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) == 3 && f[0] == "VmRSS:" {
				kb, _ := strconv.ParseUint(f[1], 10, 64)
				m.rss = kb << 10
			}
		}
	}
	return m
}

func writeHeapProfile(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		t.Fatal(err)
	}
}
