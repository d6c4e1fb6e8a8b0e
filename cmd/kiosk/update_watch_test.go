package main

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/assets"
	"github.com/govkiosk/govkiosk/drivers/devices"
	"github.com/govkiosk/govkiosk/internal/update"
	"github.com/govkiosk/govkiosk/kiosk/catalog"
	"github.com/govkiosk/govkiosk/kiosk/config"
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
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "release-key.pub")
	if err := os.WriteFile(keyFile, pubFile, 0o644); err != nil {
		t.Fatal(err)
	}
	was := version
	version = "1.3.0"
	t.Cleanup(func() { version = was })

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
	sy.upd.watchStatus()
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
