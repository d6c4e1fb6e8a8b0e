package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/govkiosk/govkiosk/sync/hub"
	"github.com/govkiosk/govkiosk/sync/protocol"
	"github.com/govkiosk/govkiosk/ui/uitest"
)

// startSimKiosk assembles the real kiosk as -simulate does (simulated devices, the real
// outbox, sync client and local hub over loopback), drawn by Fyne's test driver.
func startSimKiosk(t *testing.T, o *options) (*soakKiosk, fyne.Window, *logSink) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts the simulated kiosk")
	}
	test.NewTempApp(t)
	loop := &uitest.Loop{}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	o.simulate, o.hubListen = true, "127.0.0.1:0"
	if o.dataDir == "" {
		o.dataDir = t.TempDir()
	}
	w := test.NewTempWindow(t, nil)
	logs := &logSink{}
	k, err := assemble(ctx, o, host{app: fyne.CurrentApp(), window: w, do: loop.Do, logOut: logs})
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			k.close()
			loop.Drain()
		})
	}
	t.Cleanup(stop)
	w.Resize(uitest.Landscape)
	s := &soakKiosk{t: t, k: k, loop: loop, stop: stop}
	return s, w, logs
}

// api calls the simulated hub's operator API over loopback HTTP (-simulate's operator
// token) and returns the status and body.
func (s *soakKiosk) api(method, path string) (int, []byte) {
	s.t.Helper()
	req, err := http.NewRequest(method, strings.TrimSuffix(s.k.sim.dashboard, "/")+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer simulate")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return resp.StatusCode, b
}

// operation asks the hub for a remote operation on the kiosk and waits for its result.
func (s *soakKiosk) operation(path string) (string, protocol.CommandResult) {
	s.t.Helper()
	status, body := s.api("POST", "/api/terminals/"+s.terminal().ID+"/"+path)
	var sent struct{ ID string }
	if status != http.StatusAccepted || json.Unmarshal(body, &sent) != nil {
		s.t.Fatalf("POST %s: %d %s", path, status, body)
	}
	var res protocol.CommandResult
	s.wait(path+" answered", func() bool {
		status, body := s.api("GET", "/api/commands/"+sent.ID)
		return status == http.StatusOK && json.Unmarshal(body, &res) == nil
	})
	return sent.ID, res
}

// terminal is the simulated kiosk's entry at its hub.
func (s *soakKiosk) terminal() hub.TerminalInfo {
	ts := s.k.sim.hub.Terminals()
	if len(ts) != 1 {
		s.t.Fatalf("hub has %d terminals", len(ts))
	}
	return ts[0]
}

// TestPlatformConfigAppliedLive: the hub pushes a terminal configuration and the running
// kiosk takes it at once (the hall's name on the start screen, the session's timeouts,
// the voice), reports it applied, and keeps it for the next start; a bad push is refused
// with its reasons, reported to the hub, and the configuration in force stays.
func TestPlatformConfigAppliedLive(t *testing.T) {
	s, w, _ := startSimKiosk(t, &options{})
	s.wait("home and online", func() bool { return s.k.ui.ScreenName() == "home" && s.k.ui.Session() != nil })
	h := s.k.sim.hub
	s.wait("the terminal online at the hub", func() bool { return s.terminal().Online })

	good, err := h.SetConfig("", []byte(`{"hall":{"name_zh":"测试第二服务大厅"},"session":{"idle_timeout":"3m","warning_time":"40s"},
		"accessibility":{"voice_normal_mode":true,"volume":3}}`))
	if err != nil {
		t.Fatal(err)
	}
	s.wait("the new hall name on the start screen", func() bool { return strings.Contains(screenText(w), "测试第二服务大厅") })
	s.wait("applied at the hub", func() bool { ti := s.terminal(); return ti.ConfigApplied && ti.Config == good })
	st := s.k.tech.PlatformConfig()
	if st.Version != good || !slices.Equal(st.Sets, []string{"hall.name_zh", "session.idle_timeout", "session.warning_time",
		"accessibility.voice_normal_mode", "accessibility.volume"}) {
		t.Errorf("technician's view of the platform configuration: %+v", st)
	}
	if idle, warn := s.k.ui.Session().Timeouts(); idle != 3*time.Minute || warn != 40*time.Second {
		t.Errorf("session timeouts %v/%v, want 3m/40s", idle, warn)
	}
	// The technician's file is untouched: the platform's settings are over it.
	if file := s.k.tech.Config(); file.Hall.NameZh == "测试第二服务大厅" || file.Session.IdleTimeout.Duration == 3*time.Minute {
		t.Errorf("the push was written into the technician's file: %+v %+v", file.Hall, file.Session)
	}

	bad, err := h.SetConfig("", []byte(`{"hall":{"name_zh":"不应出现"},"session":{"idle_timeout":"5s"},"platform":{"url":"ws://203.0.113.9"}}`))
	if err != nil {
		t.Fatal(err)
	}
	s.wait("the refusal at the hub", func() bool { r := s.terminal().ConfigRefused; return r != nil && r.Version == bad })
	ti := s.terminal()
	if ti.Config != good || ti.ConfigApplied {
		t.Errorf("after the bad push the hub shows config %q applied=%v, want %q kept", ti.Config, ti.ConfigApplied, good)
	}
	if !strings.Contains(strings.Join(ti.ConfigRefused.Problems, "\n"), "platform") {
		t.Errorf("refusal reasons %q do not name the setting", ti.ConfigRefused.Problems)
	}
	s.loop.Drain()
	if text := screenText(w); strings.Contains(text, "不应出现") || !strings.Contains(text, "测试第二服务大厅") {
		t.Errorf("the refused push changed the start screen:\n%s", text)
	}
	if st := s.k.tech.PlatformConfig(); st.Version != good || st.Refused != bad || len(st.Problems) == 0 {
		t.Errorf("technician's view after the refusal: %+v", st)
	}

	// The applied push is kept for the next start.
	if p := loadPlatformConfig(s.k.dataDir, s.k.log); p.Version() != good {
		t.Errorf("saved platform configuration %q, want %q", p.Version(), good)
	}
}

// TestScreenshotOnlyWhenIdle: an operator asks for a screenshot through the hub. The idle
// kiosk sends its window as PNG, which the hub serves as the file and as the terminal's
// last screenshot; during a visit the kiosk answers "in use" and sends nothing. Both
// requests are in the audit log.
func TestScreenshotOnlyWhenIdle(t *testing.T) {
	s, w, _ := startSimKiosk(t, &options{})
	s.wait("home, online at the hub", func() bool { return s.k.ui.ScreenName() == "home" && s.terminal().Online })

	id, res := s.operation("screenshot")
	if !res.OK || res.Error != "" {
		t.Fatalf("screenshot of the idle kiosk: ok=%v error=%q", res.OK, res.Error)
	}
	status, file := s.api("GET", "/api/commands/"+id+"/file")
	if status != http.StatusOK {
		t.Fatalf("file: %d %s", status, file)
	}
	img, err := png.Decode(bytes.NewReader(file))
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if size := w.Canvas().Size(); img.Bounds().Dx() < int(size.Width) || img.Bounds().Dy() < int(size.Height) {
		t.Errorf("screenshot %v, window %v", img.Bounds(), size)
	}
	if status, last := s.api("GET", "/api/terminals/"+s.terminal().ID+"/screenshot"); status != http.StatusOK || !bytes.Equal(last, file) {
		t.Errorf("the terminal's last screenshot: %d, %d bytes (want the %d just taken)", status, len(last), len(file))
	}

	// A resident begins a visit: no screenshot.
	s.tap("home.apply")
	s.screen("catalog")
	id2, res := s.operation("screenshot")
	if res.OK || !strings.HasPrefix(res.Error, protocol.ErrTextInUse) || res.Output != "" {
		t.Fatalf("screenshot during a visit: ok=%v error=%q, %d bytes; want %q and no image", res.OK, res.Error, len(res.Output), protocol.ErrTextInUse)
	}
	if status, _ := s.api("GET", "/api/commands/"+id2+"/file"); status != http.StatusNotFound {
		t.Errorf("file of the refused screenshot: %d, want 404", status)
	}
	if status, last := s.api("GET", "/api/terminals/"+s.terminal().ID+"/screenshot"); status != http.StatusOK || !bytes.Equal(last, file) {
		t.Errorf("the last screenshot changed after a refusal")
	}

	// The whole log, page by page: every poll for a command's answer is audited too, and
	// a slow first answer alone can fill a page.
	n := 0
	for after := int64(0); ; {
		entries, err := s.k.sim.hub.AuditLog(after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) == 0 {
			break
		}
		for _, e := range entries {
			if e.Action == "terminal.screenshot" && e.Target == s.terminal().ID && e.Status == http.StatusAccepted {
				n++
			}
		}
		after = entries[len(entries)-1].Seq
	}
	if n != 2 {
		t.Errorf("%d screenshot requests audited, want 2", n)
	}
}

// TestRemoteRestartBetweenVisits: a restart asked during a visit waits for the visit to
// end, then ends the process (the kiosk session starts it again); the same command
// resent after the restart is answered, not run again.
func TestRemoteRestartBetweenVisits(t *testing.T) {
	s, _, _ := startSimKiosk(t, &options{})
	var quits atomic.Int32
	s.k.ops.quit = func() { quits.Add(1) }
	s.k.ops.poll = 20 * time.Millisecond
	s.wait("home, online at the hub", func() bool { return s.k.ui.ScreenName() == "home" && s.terminal().Online })

	s.tap("home.apply")
	s.screen("catalog")
	id, res := s.operation("restart")
	if !res.OK || !strings.Contains(res.Output, "when the current visit ends") {
		t.Fatalf("restart during a visit: %+v", res)
	}
	for range 10 { // the kiosk looks every 20 ms
		s.loop.Drain()
		time.Sleep(20 * time.Millisecond)
	}
	if quits.Load() != 0 {
		t.Fatal("the kiosk restarted in the middle of a visit")
	}
	s.tap("nav.home")
	s.screen("home")
	s.wait("the restart after the visit", func() bool { return quits.Load() == 1 })

	out, err := s.k.ops.restart(context.Background(), protocol.Command{ID: id, Name: protocol.CommandRestart}, false)
	if err != nil || !strings.HasPrefix(out, "done at") {
		t.Errorf("the resent restart: %q, %v; want it answered as done", out, err)
	}
}

// TestRemoteSafeMode: the platform puts an idle kiosk in safe mode; it restarts into the
// technician's safe mode saying who asked, and a remote restart brings it back to normal.
func TestRemoteSafeMode(t *testing.T) {
	dir := t.TempDir()
	s, _, _ := startSimKiosk(t, &options{dataDir: dir})
	var quits atomic.Int32
	s.k.ops.quit = func() { quits.Add(1) }
	s.k.ops.poll = 20 * time.Millisecond
	s.wait("home, online at the hub", func() bool { return s.k.ui.ScreenName() == "home" && s.terminal().Online })
	if _, res := s.operation("safe-mode"); !res.OK || !strings.Contains(res.Output, "safe mode now") {
		t.Fatalf("safe mode: %+v", res)
	}
	s.wait("the restart", func() bool { return quits.Load() == 1 })
	s.stop()

	// The kiosk session starts the kiosk again.
	s2, _, _ := startSimKiosk(t, &options{dataDir: dir})
	if !s2.k.safeMode {
		t.Fatal("the kiosk started normally after the platform asked for safe mode")
	}
	s2.screen("tech_pin")
	if text := s2.k.problems.text(); !strings.Contains(text.En, "platform's operator") || !strings.Contains(text.Zh, "平台") {
		t.Errorf("safe mode does not say the platform asked for it: %+v", text)
	}
	var quits2 atomic.Int32
	s2.k.ops.quit = func() { quits2.Add(1) }
	s2.k.ops.poll = 20 * time.Millisecond
	s2.wait("online at the hub", func() bool { return s2.terminal().Online })
	if _, res := s2.operation("restart"); !res.OK {
		t.Fatalf("restart: %+v", res)
	}
	s2.wait("the restart", func() bool { return quits2.Load() == 1 })
	if safeModeRequested(dir) {
		t.Error("the remote restart left the safe mode request in place")
	}
}

// TestSupportBundleFetched: the operator fetches the kiosk's redacted support bundle
// through the hub: kioskctl support-bundle's archive, whole.
func TestSupportBundleFetched(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "kioskctl")
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command builds kioskctl for this test: %v", err)
	}
	build := exec.Command(goBin, "build", "-o", bin, "../kioskctl")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build kioskctl: %v\n%s", err, out)
	}
	s, _, _ := startSimKiosk(t, &options{})
	s.k.ops.kioskctl = bin
	s.wait("home, online at the hub", func() bool { return s.k.ui.ScreenName() == "home" && s.terminal().Online })
	// Something in the logs and the queue for the bundle to hold.
	os.WriteFile(filepath.Join(s.k.dataDir, "kiosk.log"), []byte("level=INFO msg=started\n"), 0o600)

	id, res := s.operation("support-bundle")
	if !res.OK {
		t.Fatalf("support bundle: ok=%v error=%q", res.OK, res.Error)
	}
	status, file := s.api("GET", "/api/commands/"+id+"/file")
	if status != http.StatusOK {
		t.Fatalf("file: %d %s", status, file)
	}
	gz, err := gzip.NewReader(bytes.NewReader(file))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	tr := tar.NewReader(gz)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("archive: %v", err)
		}
		names = append(names, h.Name)
	}
	for _, want := range []string{"README.txt", "versions.txt", "queue.txt"} {
		if !slices.ContainsFunc(names, func(n string) bool { return strings.HasSuffix(n, want) }) {
			t.Errorf("bundle lacks %s: %v", want, names)
		}
	}
	if status, _ := s.api("POST", "/api/terminals/"+s.terminal().ID+"/support-bundle?since=999h"); status != http.StatusBadRequest {
		t.Errorf("a bundle over 7 days: %d, want 400", status)
	}
}
