package main

import (
	"context"
	"crypto/ed25519"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/assets"
	"github.com/govkiosk/govkiosk/drivers/devices"
	"github.com/govkiosk/govkiosk/internal/update"
	"github.com/govkiosk/govkiosk/kiosk/catalog"
	"github.com/govkiosk/govkiosk/kiosk/config"
	"github.com/govkiosk/govkiosk/sync/client"
	"github.com/govkiosk/govkiosk/sync/hub"
	"github.com/govkiosk/govkiosk/ui"
)

// TestHelperOutcomeReportedAtOnce: the kiosk restarts on the new version while the
// install helper waits for its health check (the status file ends with installing);
// the helper then appends installed. That line reaches the hub without waiting for the
// periodic heartbeat, which the hub here asks for once an hour. So does the helper's
// refusal of a package this kiosk asked it to install. Before the status watch both
// arrived only with that heartbeat.
func TestHelperOutcomeReportedAtOnce(t *testing.T) {
	_, pubFile := releaseKeyPair(t)
	dir, keyFile := writeReleaseKey(t, pubFile)
	runningVersion(t, "1.3.0")

	h, err := hub.New(hub.Options{Dir: t.TempDir(), HeartbeatInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go h.Serve(ln)
	code, _, err := h.CreateEnrollCode(time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	// What the helper wrote before this kiosk started: the old kiosk's request, its own
	// installing line.
	cfg := config.Default()
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Update.KeyFile = keyFile
	status := filepath.Join(cfg.UpdateSpool(), statusFile)
	if err := os.MkdirAll(cfg.UpdateSpool(), 0o700); err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)
	if err := os.WriteFile(status, []byte(at+" verified 1.3.0\n"+at+" installing 1.3.0\n"+at+" installing 1.3.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	log := slog.New(slog.DiscardHandler)
	c, err := catalog.Parse(assets.DefaultCatalog())
	if err != nil {
		t.Fatal(err)
	}
	sy := &syncer{dataDir: cfg.DataDir, keyPath: filepath.Join(dir, "keys", "queue.key"), log: log,
		registry: devices.NewRegistry(log, devices.Options{}), catalogs: catalog.NewStore(c, nil),
		state: ui.NewValue(ui.SyncState{}), bulletins: ui.NewValue(ui.Bulletin{})}
	sy.upd = newUpdater(cfg, sy.link, log)
	sy.upd.report = sy.reportNow
	sy.upd.watch = 20 * time.Millisecond
	sy.upd.start()
	t.Cleanup(sy.upd.stop)
	if err := sy.enroll(context.Background(), "ws://"+ln.Addr().String(), code); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sy.close)
	steps := func() string {
		ts := h.Terminals()
		if len(ts) != 1 {
			return ""
		}
		var out []string
		for _, u := range ts[0].Update {
			out = append(out, u.Step+" "+u.Version)
		}
		return strings.Join(out, ", ")
	}
	waitUntil(t, 10*time.Second, "the first heartbeat at the hub", func() bool { return strings.HasSuffix(steps(), "installing 1.3.0") })

	// The helper's health wait ends: installed.
	helper := func(line string) {
		t.Helper()
		f, err := os.OpenFile(status, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString(time.Now().UTC().Format(time.RFC3339) + " " + line + "\n"); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	helper("installed 1.3.0")
	waitUntil(t, 10*time.Second, "installed at the hub", func() bool { return strings.HasSuffix(steps(), "installing 1.3.0, installed 1.3.0") })

	// This kiosk asks for the next install; the helper refuses the package.
	sy.upd.step(update.StepInstalling, "1.4.0", "")
	waitUntil(t, 10*time.Second, "installing at the hub", func() bool { return strings.HasSuffix(steps(), "installing 1.4.0") })
	helper("refused 1.4.0")
	waitUntil(t, 10*time.Second, "the refusal at the hub", func() bool { return strings.HasSuffix(steps(), "installing 1.4.0, refused 1.4.0") })
}

// TestVerifiedPackageResumedAfterRestart: a package downloaded and verified before the
// kiosk restarted is checked again and installs between visits without the hub
// announcing it again. Spooled packages that no longer pass (changed on disk, not newer
// than what runs, already rolled back by the helper) are removed, as is a cut download
// of a version that is no longer newer. While the helper has an install in hand, or a
// request waits for it, the spool is left alone.
func TestVerifiedPackageResumedAfterRestart(t *testing.T) {
	priv, pubFile := releaseKeyPair(t)
	_, keyFile := writeReleaseKey(t, pubFile)
	runningVersion(t, "1.2.0")

	type spooled struct {
		ver    string
		tamper bool
	}
	setup := func(t *testing.T, status string, pkgs ...spooled) (*config.Config, string) {
		cfg := config.Default()
		cfg.DataDir = filepath.Join(t.TempDir(), "data")
		cfg.Update.KeyFile = keyFile
		spool := cfg.UpdateSpool()
		if err := os.MkdirAll(spool, 0o700); err != nil {
			t.Fatal(err)
		}
		for _, p := range pkgs {
			deb, manifest, r := signedRelease(t, priv, p.ver, "all")
			if p.tamper {
				deb[100] ^= 1
			}
			if err := os.WriteFile(filepath.Join(spool, r.FileName()), deb, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(spool, r.FileName()+".release"), manifest, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(spool, statusFile), []byte(status), 0o644); err != nil {
			t.Fatal(err)
		}
		return cfg, spool
	}
	start := func(t *testing.T, cfg *config.Config) *updater {
		u := newUpdater(cfg, client.LinkOptions{}, slog.New(slog.DiscardHandler))
		u.poll, u.watch = 10*time.Millisecond, 10*time.Millisecond
		screens := &holdScreens{}
		u.setScreens(screens.do, screens)
		u.start()
		t.Cleanup(u.stop)
		return u
	}
	files := func(t *testing.T, spool string) string {
		names, err := filepath.Glob(filepath.Join(spool, "govkiosk_*"))
		if err != nil {
			t.Fatal(err)
		}
		for i, n := range names {
			names[i] = strings.NewReplacer("govkiosk_", "", "_"+runtime.GOARCH+".deb", "").Replace(filepath.Base(n))
		}
		return strings.Join(names, " ")
	}
	earlier := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339) + " "

	t.Run("resumed", func(t *testing.T) {
		cfg, spool := setup(t, earlier+"verified 1.3.0\n"+earlier+"installing 1.5.0\n"+earlier+"rolled_back 1.5.0\n",
			spooled{ver: "1.3.0"}, spooled{ver: "1.4.0", tamper: true}, spooled{ver: "1.1.0"}, spooled{ver: "1.5.0"})
		for _, part := range []string{"govkiosk_1.0.0_" + runtime.GOARCH + ".deb.part", "govkiosk_1.6.0_" + runtime.GOARCH + ".deb.part"} {
			if err := os.WriteFile(filepath.Join(spool, part), []byte("half"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		u := start(t, cfg)
		steps := func() string {
			var out []string
			for _, s := range u.steps() {
				out = append(out, s.Step+" "+s.Version)
			}
			return strings.Join(out, ", ")
		}
		waitUntil(t, 10*time.Second, "the install asked for", func() bool { return strings.HasSuffix(steps(), "installing 1.3.0") })
		if got := steps(); got != "verified 1.3.0, installing 1.5.0, rolled_back 1.5.0, refused 1.4.0, verified 1.3.0, installing 1.3.0" {
			t.Errorf("steps %q", got)
		}
		if b, _ := os.ReadFile(filepath.Join(spool, update.RequestFile)); strings.TrimSpace(string(b)) != "govkiosk_1.3.0_"+runtime.GOARCH+".deb" {
			t.Errorf("install request %q", b)
		}
		if got := files(t, spool); got != "1.3.0 1.3.0.release 1.6.0.part" {
			t.Errorf("spool after the restart: %q", got)
		}
		if out, err := u.command(t.Context(), hub.UpdateArgs(mustRelease(t, priv, "1.3.0"))); err != nil || !strings.Contains(out, "verified already") {
			t.Errorf("the same release announced again: %q, %v", out, err)
		}
	})
	for _, tt := range []struct {
		name, status string
		request      bool
	}{
		{"helper installing", earlier + "installing 1.3.0\n", false},
		{"request waiting", earlier + "verified 1.3.0\n", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, spool := setup(t, tt.status, spooled{ver: "1.3.0"}, spooled{ver: "1.1.0"})
			if tt.request {
				if err := os.WriteFile(filepath.Join(spool, update.RequestFile), []byte("govkiosk_1.3.0_"+runtime.GOARCH+".deb\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			u := start(t, cfg)
			if got := files(t, spool); got != "1.1.0 1.1.0.release 1.3.0 1.3.0.release" {
				t.Errorf("spool touched: %q", got)
			}
			u.mu.Lock()
			pending := u.pending
			u.mu.Unlock()
			if pending != "" {
				t.Errorf("took up %s", pending)
			}
		})
	}
}

func mustRelease(t *testing.T, key ed25519.PrivateKey, ver string) update.Release {
	_, _, r := signedRelease(t, key, ver, "all")
	return r
}
