package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/govkiosk/govkiosk/sync/hub"
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
	t.Cleanup(func() {
		k.close()
		loop.Drain()
	})
	w.Resize(uitest.Landscape)
	s := &soakKiosk{t: t, k: k, loop: loop}
	return s, w, logs
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
