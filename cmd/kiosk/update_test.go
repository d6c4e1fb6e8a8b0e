package main

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/internal/update"
	"github.com/govkiosk/govkiosk/kiosk/config"
	"github.com/govkiosk/govkiosk/sync/client"
	"github.com/govkiosk/govkiosk/sync/hub"
)

// signedRelease makes a synthetic package and its signed manifest.
func signedRelease(t *testing.T, key ed25519.PrivateKey, ver, channel string) ([]byte, []byte, update.Release) {
	t.Helper()
	deb := bytes.Repeat([]byte("synthetic govkiosk "+ver+" package body "), 2000)
	m, err := update.Describe(bytes.NewReader(deb), "govkiosk", ver, runtime.GOARCH, channel)
	if err != nil {
		t.Fatal(err)
	}
	r, err := update.Sign(m, key)
	if err != nil {
		t.Fatal(err)
	}
	return deb, r.Marshal(), r
}

// tamperingMirror stands between the kiosk and the hub for downloads (update.hub_url):
// it passes packages through, except the one whose SHA-256 is in tamper, which has a
// byte flipped on the way.
type tamperingMirror struct {
	hub    atomic.Pointer[string]
	tamper atomic.Pointer[string]
}

func (m *tamperingMirror) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	resp, err := http.Get(*m.hub.Load() + r.URL.Path)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if sum := m.tamper.Load(); sum != nil && strings.Contains(r.URL.Path, *sum) && len(b) > 100 {
		b[100] ^= 1
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(b)
}

// TestSoftwareUpdateBetweenVisits: the local hub publishes a signed release while a
// resident is in a visit. The running kiosk (the real agent, the real hub over loopback)
// downloads and verifies it in the background and reports each step to the hub, but
// asks for the install only once the visit has ended. A package changed on the way and a
// release signed by another key are refused, reported, and never handed to the helper.
// What the install helper appends to the status file reaches the hub too.
func TestSoftwareUpdateBetweenVisits(t *testing.T) {
	priv, pubFile := releaseKeyPair(t)
	other, _ := releaseKeyPair(t)
	dir, keyFile := writeReleaseKey(t, pubFile)
	mirror := &tamperingMirror{}
	srv := httptest.NewServer(mirror)
	t.Cleanup(srv.Close)
	cfg := config.Default()
	cfg.Update.KeyFile, cfg.Update.HubURL = keyFile, srv.URL
	b, err := cfg.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "kiosk.toml")
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	runningVersion(t, "1.2.0")
	data := filepath.Join(dir, "data")

	s, _, _ := startSimKiosk(t, &options{configPath: cfgPath, dataDir: data})
	h := s.k.sim.hub
	base := strings.TrimSuffix(s.k.sim.dashboard, "/")
	mirror.hub.Store(&base)
	s.k.tech.sync.upd.poll = 20 * time.Millisecond
	s.wait("home, online at the hub", func() bool { return s.k.ui.ScreenName() == "home" && s.terminal().Online })
	spool := filepath.Join(data, "update")
	steps := func() string {
		var out []string
		for _, u := range s.terminal().Update {
			out = append(out, u.Step+" "+u.Version)
		}
		return strings.Join(out, ", ")
	}

	// A resident begins a visit; release 1.3.0 is published meanwhile.
	s.tap("home.apply")
	s.screen("catalog")
	deb, manifest, r := signedRelease(t, priv, "1.3.0", update.ChannelAll)
	if _, err := h.PublishRelease(manifest, bytes.NewReader(deb), "test"); err != nil {
		t.Fatal(err)
	}
	s.wait("downloaded and verified, reported to the hub", func() bool { return strings.Contains(steps(), "verified 1.3.0") })
	if got := steps(); got != "downloaded 1.3.0, verified 1.3.0" {
		t.Errorf("steps at the hub %q", got)
	}
	pkg := filepath.Join(spool, r.FileName())
	if b, err := os.ReadFile(pkg); err != nil || !bytes.Equal(b, deb) {
		t.Fatalf("spooled package: %v", err)
	}
	for range 20 { // the kiosk looks every poll (20 ms here)
		s.loop.Drain()
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(spool, update.RequestFile)); err == nil {
		t.Fatal("the install was asked for in the middle of a visit")
	}

	// The visit ends: the install is asked for, and the hub hears it.
	s.tap("nav.home")
	s.wait("the start screen", func() bool { n := s.k.ui.ScreenName(); return n == "home" || n == "updating" })
	s.wait("the install request", func() bool {
		b, err := os.ReadFile(filepath.Join(spool, update.RequestFile))
		return err == nil && string(b) == r.FileName()+"\n"
	})
	s.wait("installing at the hub", func() bool { return strings.Contains(steps(), "installing 1.3.0") })
	// From the request until the helper restarts the kiosk, the start screen is held:
	// a resident cannot begin a visit the restart would cut.
	s.screen("updating")
	if s.k.ui.Element("home.apply") != nil {
		t.Error("the start screen still offers to apply while the update is installed")
	}

	// What the helper appends (as root, while the kiosk is replaced) is reported too.
	f, err := os.OpenFile(filepath.Join(spool, statusFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(time.Now().UTC().Format(time.RFC3339) + " rolled_back 1.3.0\n")
	f.Close()
	os.Remove(filepath.Join(spool, update.RequestFile))
	s.k.tech.sync.reportNow()
	s.wait("the helper's step at the hub", func() bool { return strings.HasSuffix(steps(), "rolled_back 1.3.0") })

	// 1.4.0 changed on the way to the kiosk: refused, reported, not kept, not installed.
	deb, manifest, r = signedRelease(t, priv, "1.4.0", update.ChannelAll)
	mirror.tamper.Store(&r.SHA256)
	if _, err := h.PublishRelease(manifest, bytes.NewReader(deb), "test"); err != nil {
		t.Fatal(err)
	}
	s.wait("the tampered package refused at the hub", func() bool { return strings.HasSuffix(steps(), "downloaded 1.4.0, refused 1.4.0") })
	if u := s.terminal().Update; !strings.Contains(u[len(u)-1].Detail, "does not match its signed manifest") {
		t.Errorf("refusal reported as %+v", u[len(u)-1])
	}
	// 1.5.0 signed by another key: refused before anything is downloaded, and the hub's
	// command is answered with the refusal.
	deb, manifest, _ = signedRelease(t, other, "1.5.0", update.ChannelAll)
	if _, err := h.PublishRelease(manifest, bytes.NewReader(deb), "test"); err != nil {
		t.Fatal(err)
	}
	s.wait("the other key's release refused at the hub", func() bool { return strings.HasSuffix(steps(), "refused 1.4.0, refused 1.5.0") })
	for range 10 {
		s.loop.Drain()
		time.Sleep(20 * time.Millisecond)
	}
	left, _ := filepath.Glob(filepath.Join(spool, "*.deb*"))
	if want := filepath.Join(spool, "govkiosk_1.3.0_"+runtime.GOARCH+".deb"); len(left) != 2 || left[0] != want || left[1] != want+".release" {
		t.Errorf("spool holds %v; want only the verified 1.3.0", left)
	}
	if _, err := os.Stat(filepath.Join(spool, update.RequestFile)); err == nil {
		t.Error("a refused release was handed to the install helper")
	}
}

// TestUpdateCommandAnswers: the update command's answer, without a screen: a release
// for another channel is skipped, one not newer is refused, the same release announced
// twice is answered as before and reports no new step, and a kiosk without the release
// key refuses saying why.
func TestUpdateCommandAnswers(t *testing.T) {
	priv, pubFile := releaseKeyPair(t)
	dir, keyFile := writeReleaseKey(t, pubFile)
	runningVersion(t, "1.2.0")
	cfg := config.Default()
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Update.KeyFile = keyFile
	u := newUpdater(cfg, client.LinkOptions{}, slog.New(slog.DiscardHandler))
	t.Cleanup(u.stop)
	_, _, pilot := signedRelease(t, priv, "1.3.0", update.ChannelPilot)
	_, _, old := signedRelease(t, priv, "1.1.0", update.ChannelAll)
	tests := []struct {
		name string
		r    update.Release
		out  string
		err  error
	}{
		{"pilot on an all terminal", pilot, "skipped", nil},
		{"older", old, "", update.ErrDowngrade},
		{"older again", old, "", update.ErrDowngrade},
	}
	for _, tt := range tests {
		out, err := u.command(t.Context(), hub.UpdateArgs(tt.r))
		if !strings.HasPrefix(out, tt.out) || !errors.Is(err, tt.err) {
			t.Errorf("%s: %q, %v", tt.name, out, err)
		}
	}
	var got []string
	for _, s := range u.steps() {
		got = append(got, s.Step+" "+s.Version)
	}
	if strings.Join(got, ", ") != "skipped 1.3.0, refused 1.1.0" {
		t.Errorf("steps %q", got)
	}

	cfg.Update.KeyFile = filepath.Join(dir, "missing.pub")
	off := newUpdater(cfg, client.LinkOptions{}, slog.New(slog.DiscardHandler))
	t.Cleanup(off.stop)
	_, _, r := signedRelease(t, priv, "1.3.0", update.ChannelAll)
	if _, err := off.command(t.Context(), hub.UpdateArgs(r)); err == nil || !strings.Contains(err.Error(), "no release key") {
		t.Errorf("a kiosk without the key: %v", err)
	}
	if s := off.steps(); len(s) != 3 || s[2].Step != "refused" || !strings.Contains(s[2].Detail, "no release key") {
		t.Errorf("steps %+v", s)
	}
}

// releaseKeyPair makes a release key: the private key, and the public key file's bytes.
// writeReleaseKey writes the release public key a kiosk trusts into a new temporary
// directory, which it returns with the key file's path.
func writeReleaseKey(t *testing.T, pubFile []byte) (dir, keyFile string) {
	t.Helper()
	dir = t.TempDir()
	keyFile = filepath.Join(dir, "release-key.pub")
	if err := os.WriteFile(keyFile, pubFile, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, keyFile
}

// runningVersion makes v the version this kiosk runs, for the test.
func runningVersion(t *testing.T, v string) {
	was := version
	version = v
	t.Cleanup(func() { version = was })
}

func releaseKeyPair(t *testing.T) (ed25519.PrivateKey, []byte) {
	t.Helper()
	privFile, pubFile, err := update.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	priv, err := update.ParsePrivateKey(privFile)
	if err != nil {
		t.Fatal(err)
	}
	return priv, pubFile
}

// holdScreens stands in for the screens: a visit in progress or not, and the hold.
type holdScreens struct {
	mu             sync.Mutex
	visit, holding bool
	holds, ends    int
}

func (h *holdScreens) InVisit() bool { return h.visit }

func (h *holdScreens) HoldForUpdate() bool {
	if h.visit {
		return false
	}
	h.holding = true
	h.holds++
	return true
}

func (h *holdScreens) EndUpdateHold() { h.holding = false; h.ends++ }

// do runs f as the UI goroutine would: one at a time.
func (h *holdScreens) do(f func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f()
}

func (h *holdScreens) state() (visit, holding bool, holds, ends int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.visit, h.holding, h.holds, h.ends
}

// TestUpdateHoldsTheStartScreen: the install is asked for only between visits, and from
// that moment the start screen is held ("updating") so that no visit begins before the
// helper restarts the kiosk. When the helper gives up (its refused line), or does not
// restart the kiosk in time, the hold ends and residents are served again; a request the
// helper never took is withdrawn, and the hub is told why in a failed step.
func TestUpdateHoldsTheStartScreen(t *testing.T) {
	_, pubFile := releaseKeyPair(t)
	tests := []struct {
		name string
		// helper plays the install helper once the request is there.
		helper func(t *testing.T, spool string)
		// wait is the hold's bound.
		wait time.Duration
		// failed is the kiosk's failed step detail expected ("" for none: the helper's
		// own line says it).
		failed string
	}{
		{name: "the helper never takes the request", wait: 300 * time.Millisecond,
			failed: "did not take the request within 300ms"},
		{name: "the helper takes it and does not restart the kiosk", wait: 300 * time.Millisecond,
			helper: func(t *testing.T, spool string) { os.Remove(filepath.Join(spool, update.RequestFile)) },
			failed: "did not restart the kiosk within 300ms"},
		{name: "the helper refuses the package", wait: time.Hour,
			helper: func(t *testing.T, spool string) {
				os.Remove(filepath.Join(spool, update.RequestFile))
				f, err := os.OpenFile(filepath.Join(spool, statusFile), os.O_APPEND|os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				f.WriteString(time.Now().UTC().Format(time.RFC3339) + " refused 1.3.0\n")
				f.Close()
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, keyFile := writeReleaseKey(t, pubFile)
			runningVersion(t, "1.2.0")
			cfg := config.Default()
			cfg.DataDir = filepath.Join(dir, "data")
			cfg.Update.KeyFile = keyFile
			u := newUpdater(cfg, client.LinkOptions{}, slog.New(slog.DiscardHandler))
			t.Cleanup(u.stop)
			u.poll, u.restartWait = 10*time.Millisecond, tt.wait
			reported := make(chan struct{}, 100)
			u.report = func() { reported <- struct{}{} }
			spool := cfg.UpdateSpool()
			if err := os.MkdirAll(spool, 0o700); err != nil {
				t.Fatal(err)
			}
			// A package the agent verified (the helper verifies again; here nothing does).
			pkg := filepath.Join(spool, "govkiosk_1.3.0_"+runtime.GOARCH+".deb")
			if err := os.WriteFile(pkg, []byte("synthetic package"), 0o644); err != nil {
				t.Fatal(err)
			}
			screens := &holdScreens{visit: true}
			u.setScreens(screens.do, screens)
			u.mu.Lock()
			u.pending, u.pendingVersion, u.installing = pkg, "1.3.0", true
			u.mu.Unlock()
			u.wg.Add(1)
			go u.installWhenIdle()

			request := filepath.Join(spool, update.RequestFile)
			waitFor := func(what string, cond func() bool) {
				t.Helper()
				for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatalf("timed out waiting for %s", what)
					}
				}
			}
			time.Sleep(100 * time.Millisecond) // ten looks during the visit
			if _, err := os.Stat(request); err == nil {
				t.Fatal("the install was asked for during a visit")
			}
			if _, holding, holds, _ := screens.state(); holding || holds > 0 {
				t.Fatal("the start screen was held during a visit")
			}
			screens.do(func() { screens.visit = false })
			waitFor("the request", func() bool { _, err := os.Stat(request); return err == nil })
			// The request and the hold came in the same turn of the UI goroutine: no
			// visit could begin between them.
			if _, holding, holds, _ := screens.state(); !holding || holds != 1 {
				t.Fatalf("the request is written but the start screen is not held (holds %d)", holds)
			}
			for len(reported) > 0 {
				<-reported // the installing step's
			}
			if tt.helper != nil {
				tt.helper(t, spool)
			}
			waitFor("the hold to end", func() bool { _, holding, _, _ := screens.state(); return !holding })
			if _, _, holds, ends := screens.state(); holds != 1 || ends != 1 {
				t.Errorf("holds %d, ends %d; want one each", holds, ends)
			}
			if _, err := os.Stat(request); err == nil {
				t.Error("the request is left in the spool for the helper to act on later, in the middle of a visit")
			}
			steps := u.steps()
			last := steps[len(steps)-1]
			if tt.failed == "" {
				if last.Step != "refused" || last.Version != "1.3.0" {
					t.Errorf("last step %+v; want the helper's refusal and nothing after it", last)
				}
			} else if last.Step != "failed" || last.Version != "1.3.0" || !strings.Contains(last.Detail, tt.failed) ||
				!strings.Contains(last.Detail, "serving residents again") {
				t.Errorf("last step %+v; want failed 1.3.0 saying %q", last, tt.failed)
			}
			select {
			case <-reported:
			default:
				t.Error("the hub was not sent a heartbeat when the hold ended")
			}
		})
	}
}
