package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"github.com/govkiosk/govkiosk/internal/atomicfile"
	"github.com/govkiosk/govkiosk/sync/protocol"
	"github.com/govkiosk/govkiosk/ui"
)

// errInUse refuses an operation that would show or disturb a resident's visit.
var errInUse = errors.New(protocol.ErrTextInUse + ": a resident's visit is in progress; try again when the kiosk is idle")

// errRemoteSafeMode is why a kiosk started in safe mode when the platform asked for it.
var errRemoteSafeMode = errors.New("safe mode requested from the platform")

// Files in the data directory.
const (
	// safeModeFile asks the next start for safe mode; "restart normally" (technician or
	// platform) removes it.
	safeModeFile = "safe-mode-requested.json"
	// remoteDoneFile remembers the restarts already carried out, so a command the hub
	// resends after the restart it asked for is answered, not run again.
	remoteDoneFile = "remote-commands.json"
)

// remoteOps carries out the platform's remote operations on the running kiosk, through
// the command channel: a screenshot of the window, restart and safe mode between visits,
// and the redacted support bundle.
type remoteOps struct {
	log        *slog.Logger
	dataDir    string
	configPath string
	ui         *ui.App
	win        fyne.Window
	do         func(func())
	// quit ends the process; the kiosk session starts it again.
	quit func()
	// kioskctl is the program that makes the support bundle; empty: found beside this
	// program, then on PATH.
	kioskctl string
	// poll is how often a restart waiting for a visit to end looks again.
	poll time.Duration

	mu      sync.Mutex
	pending bool // a restart waits for the visit to end
}

// onUI runs f on the UI goroutine and waits for it, or for ctx.
func (r *remoteOps) onUI(ctx context.Context, f func()) error {
	done := make(chan struct{})
	r.do(func() {
		defer close(done)
		f()
	})
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// inVisit asks the screens whether a resident may be using the kiosk.
func (r *remoteOps) inVisit(ctx context.Context) (bool, error) {
	var busy bool
	err := r.onUI(ctx, func() { busy = r.ui.InVisit() })
	return busy, err
}

// screenshot captures the window as PNG, base64, only while no visit is in progress:
// the check and the capture happen in one turn of the UI goroutine, so no visit can
// begin between them.
func (r *remoteOps) screenshot(ctx context.Context) (string, error) {
	var img image.Image
	var busy bool
	if err := r.onUI(ctx, func() {
		if busy = r.ui.InVisit(); !busy {
			img = r.win.Canvas().Capture()
		}
	}); err != nil {
		return "", err
	}
	if busy {
		return "", errInUse
	}
	if img == nil {
		return "", errors.New("the window could not be captured")
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&b, img); err != nil {
		return "", fmt.Errorf("screenshot: %w", err)
	}
	r.log.Info("screenshot taken for the platform", "bytes", b.Len(), "size", img.Bounds().Size())
	return base64.StdEncoding.EncodeToString(b.Bytes()), nil
}

type remoteDone struct {
	ID   string    `json:"id"`
	Name string    `json:"name"`
	At   time.Time `json:"at"`
}

// done reports whether the command id was carried out already.
func (r *remoteOps) done(id string) (remoteDone, bool) {
	var list []remoteDone
	b, err := os.ReadFile(filepath.Join(r.dataDir, remoteDoneFile))
	if err == nil {
		_ = json.Unmarshal(b, &list)
	}
	i := slices.IndexFunc(list, func(d remoteDone) bool { return d.ID == id })
	if i < 0 {
		return remoteDone{}, false
	}
	return list[i], true
}

// remember records a carried-out command, keeping the newest 64.
func (r *remoteOps) remember(d remoteDone) error {
	var list []remoteDone
	if b, err := os.ReadFile(filepath.Join(r.dataDir, remoteDoneFile)); err == nil {
		_ = json.Unmarshal(b, &list)
	}
	list = append(list, d)
	if len(list) > 64 {
		list = list[len(list)-64:]
	}
	b, err := json.Marshal(list)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(r.dataDir, remoteDoneFile), b, 0o600)
}

// restart restarts the kiosk between visits: at once when none is in progress, else as
// soon as it ends. safe asks the next start for safe mode; otherwise the kiosk starts
// normally (ending a safe mode asked for before).
func (r *remoteOps) restart(ctx context.Context, cmd protocol.Command, safe bool) (string, error) {
	if d, ok := r.done(cmd.ID); ok {
		return "done at " + d.At.UTC().Format(time.RFC3339), nil
	}
	flag := filepath.Join(r.dataDir, safeModeFile)
	if safe {
		b, _ := json.Marshal(remoteDone{ID: cmd.ID, Name: cmd.Name, At: time.Now().UTC()})
		if err := atomicfile.WriteFile(flag, b, 0o600); err != nil {
			return "", fmt.Errorf("safe mode: %w", err)
		}
	} else if err := os.Remove(flag); err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("restart: %w", err)
	}
	if err := r.remember(remoteDone{ID: cmd.ID, Name: cmd.Name, At: time.Now().UTC()}); err != nil {
		return "", fmt.Errorf("restart: %w", err)
	}
	busy, err := r.inVisit(ctx)
	if err != nil {
		return "", err
	}
	r.mu.Lock()
	already := r.pending
	r.pending = true
	r.mu.Unlock()
	if !already {
		go r.restartWhenIdle()
	}
	mode := "normally"
	if safe {
		mode = "in safe mode"
	}
	r.log.Warn("restart asked by the platform", "command", cmd.ID, "safe_mode", safe, "waits_for_visit", busy)
	if busy {
		return "restarting " + mode + " when the current visit ends", nil
	}
	return "restarting " + mode + " now", nil
}

// restartWhenIdle waits until no visit is in progress, then ends the process after a
// moment for the result to reach the hub.
func (r *remoteOps) restartWhenIdle() {
	poll := r.poll
	if poll <= 0 {
		poll = time.Second
	}
	for {
		time.Sleep(poll)
		var busy bool
		quitNow := make(chan bool, 1)
		r.do(func() {
			busy = r.ui.InVisit()
			quitNow <- !busy
		})
		if <-quitNow {
			break
		}
	}
	r.log.Warn("restarting between visits, as the platform asked")
	r.do(r.quit)
}

// maxBundle bounds the support bundle sent to the platform (base64 makes it a third
// larger; the protocol carries 24 MiB).
const maxBundle = 16 << 20

// supportBundle runs kioskctl support-bundle (the configuration redacted, logs scrubbed,
// the queue as counts) and returns the .tar.gz, base64.
func (r *remoteOps) supportBundle(ctx context.Context, cmd protocol.Command) (string, error) {
	since := "24h"
	if s := cmd.Args["since"]; s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 || d > 7*24*time.Hour {
			return "", errors.New("since: a duration up to 168h")
		}
		since = d.String()
	}
	prog := r.kioskctl
	if prog == "" {
		if exe, err := os.Executable(); err == nil {
			if p := filepath.Join(filepath.Dir(exe), "kioskctl"); fileExists(p) {
				prog = p
			}
		}
	}
	if prog == "" {
		p, err := exec.LookPath("kioskctl")
		if err != nil {
			return "", errors.New("kioskctl is not installed beside the kiosk; the support bundle needs it")
		}
		prog = p
	}
	dir, err := os.MkdirTemp("", "govkiosk-bundle-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "bundle.tar.gz")
	args := []string{"support-bundle", "--data", r.dataDir, "--out", out, "--since", since}
	if r.configPath != "" {
		args = append(args, "--config", r.configPath)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if msg, err := exec.CommandContext(ctx, prog, args...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("kioskctl support-bundle: %w: %s", err, truncateText(string(msg), 512))
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return "", err
	}
	if len(b) > maxBundle {
		return "", fmt.Errorf("the bundle of %d MiB is over the %d MiB the platform takes; make it on site with kioskctl support-bundle", len(b)>>20, maxBundle>>20)
	}
	r.log.Info("support bundle made for the platform", "bytes", len(b))
	return base64.StdEncoding.EncodeToString(b), nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// safeModeRequested reports whether the platform asked for safe mode at this start.
func safeModeRequested(dataDir string) bool {
	return fileExists(filepath.Join(dataDir, safeModeFile))
}

// clearSafeModeRequest ends a safe mode the platform asked for: "restart normally".
func clearSafeModeRequest(dataDir string) error {
	err := os.Remove(filepath.Join(dataDir, safeModeFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
