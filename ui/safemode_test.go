package ui_test

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/govkiosk/govkiosk/kiosk/form"
	"github.com/govkiosk/govkiosk/kiosk/session"
	"github.com/govkiosk/govkiosk/ui"
	"github.com/govkiosk/govkiosk/ui/uitest"
)

// signIn types the technician PIN into the open PIN pad.
func signIn(t *testing.T, k *uitest.Kiosk) {
	t.Helper()
	k.WaitScreen("tech_pin")
	k.Type("keypad", uitest.TestPIN)
	k.Tap("tech_pin.ok")
	k.WaitScreen("tech_settings")
}

// corners makes the technician gesture on the start screen.
func corners(k *uitest.Kiosk) {
	for _, p := range []fyne.Position{{X: 20, Y: 20}, {X: 1900, Y: 20}, {X: 1900, Y: 1060}, {X: 20, Y: 1060}} {
		k.TapAt(p)
	}
}

// safeKiosk starts the UI in safe mode and counts the restarts asked for.
func safeKiosk(t *testing.T, o uitest.Options, adjust func(*ui.Deps)) (*uitest.Kiosk, *int) {
	t.Helper()
	restarts := new(int)
	o.Deps = func(d *ui.Deps) {
		d.SafeMode = true
		d.OnRestart = func() { *restarts++ }
		if adjust != nil {
			adjust(d)
		}
	}
	return uitest.Start(t, o), restarts
}

func TestSafeModeOpensForTheTechnician(t *testing.T) {
	k, restarts := safeKiosk(t, uitest.Options{}, nil)
	k.WaitScreen("tech_pin")
	if m := k.App.AutomationMap(); m.Under != "safe_mode" {
		t.Errorf("under the PIN pad: %q, want safe_mode", m.Under)
	}

	// Whoever cancels the PIN pad sees why the kiosk is paused, and no way into a visit.
	k.Tap("tech_pin.cancel")
	k.WaitScreen("safe_mode")
	for _, want := range []string{"安全模式", "多次异常退出", "人工窗口"} {
		if !k.Shows(want) {
			t.Errorf("safe-mode screen lacks %q: %v", want, k.Texts())
		}
	}
	for _, id := range []string{"home.apply", "home.track", "home.rate", "home.notices"} {
		if k.Has(id) {
			t.Errorf("safe mode offers the resident's %s", id)
		}
	}
	if k.Has("safe_mode.restart") {
		t.Error("safe mode offers a restart without the PIN")
	}
	k.Clock.Advance(time.Hour) // the PIN pad closes by itself, the screen stays
	k.App.Session().Tick()
	k.Drain()
	if k.App.ScreenName() != "safe_mode" || k.App.Session().State() != session.StateIdle {
		t.Errorf("an hour later: screen %s, session %s", k.App.ScreenName(), k.App.Session().State())
	}

	// The technician signs in, sees the reason, leaves, signs in again and restarts.
	k.Tap("safe_mode.technician")
	signIn(t, k)
	if !k.Shows("多次异常退出") || !k.Shows("正常重启") {
		t.Errorf("settings in safe mode do not say so: %v", k.Texts())
	}
	k.Tap("tech.exit")
	k.WaitScreen("safe_mode")
	if *restarts != 0 {
		t.Fatalf("%d restarts before one was asked for", *restarts)
	}
	k.Tap("safe_mode.technician")
	signIn(t, k)
	k.Tap("tech.restart")
	if *restarts != 1 {
		t.Errorf("restart normally asked the wiring %d times, want once", *restarts)
	}
}

func TestSafeModeSettingsCloseToSafeMode(t *testing.T) {
	k, _ := safeKiosk(t, uitest.Options{}, nil)
	signIn(t, k)
	k.Clock.Advance(6 * time.Minute) // left alone in a public hall
	k.WaitScreen("safe_mode")
}

func TestSafeModeWithoutPIN(t *testing.T) {
	k, restarts := safeKiosk(t, uitest.Options{}, func(d *ui.Deps) { d.Access = nil })
	k.WaitScreen("safe_mode")
	if k.Has("safe_mode.technician") {
		t.Error("a sign-in is offered with no PIN set")
	}
	k.Tap("safe_mode.restart")
	if *restarts != 1 {
		t.Errorf("%d restarts, want 1", *restarts)
	}
}

func TestRestartButtonOnlyWithAHook(t *testing.T) {
	tests := []struct {
		name      string
		onRestart func()
		want      bool
	}{
		{"with hook", func() {}, true},
		{"without hook", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := uitest.Start(t, uitest.Options{Deps: func(d *ui.Deps) { d.OnRestart = tt.onRestart }})
			k.WaitScreen("home")
			corners(k)
			signIn(t, k)
			if got := k.Has("tech.restart"); got != tt.want {
				t.Errorf("tech.restart shown: %v, want %v", got, tt.want)
			}
			if k.Shows("多次异常退出") {
				t.Error("the safe-mode banner shows outside safe mode")
			}
			k.Tap("tech.exit")
			k.WaitScreen("home")
		})
	}
}

// TestSettingsApplyWithoutRestart saves longer timeouts and a hall name from the
// technician screen and finds them in force for the next visit, with no restart.
func TestSettingsApplyWithoutRestart(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	corners(k)
	signIn(t, k)
	k.Tap("tech.section.terminal")
	k.Tap("tech.idle.plus")
	k.Tap("tech.idle.plus") // 90 s → 150 s
	k.Tap("tech.warning.plus")
	k.Tap("tech.warning.plus") // 20 s → 30 s
	k.Tap("tech.hall.en")
	k.Tap("keyboard.clear")
	k.Type("keyboard", "north hall")
	k.Tap("tech.save")
	k.Loop.WaitFor(t, "saved", func() bool { return k.Shows("已保存") || k.Shows("设置有误") || k.Shows("失败") })
	if !k.Shows("已保存并生效") {
		t.Fatalf("not saved: %v", k.Texts())
	}
	saved := k.Tech.Saved()
	if saved.Session.IdleTimeout.Duration != 150*time.Second || saved.Session.WarningTime.Duration != 30*time.Second || saved.Hall.NameEn != "north hall" {
		t.Fatalf("saved idle %v, warning %v, hall %q", saved.Session.IdleTimeout, saved.Session.WarningTime, saved.Hall.NameEn)
	}
	k.Tap("tech.exit")
	k.WaitScreen("home")
	if !k.Shows(saved.Hall.NameZh) {
		t.Errorf("the start screen does not show the saved hall %q: %v", saved.Hall.NameZh, k.Texts())
	}

	k.Tap("home.apply")
	k.WaitScreen("catalog")
	k.Clock.Advance(149 * time.Second) // past the old 90 s
	k.App.Session().Tick()
	k.Drain()
	if k.App.ScreenName() != "catalog" {
		t.Fatalf("warned at %s before the new timeout", k.App.ScreenName())
	}
	k.Clock.Advance(time.Second)
	k.App.Session().Tick()
	k.WaitScreen("still_there")
	if !k.Shows("30 秒") {
		t.Errorf("the warning does not count down from the new 30 s: %v", k.Texts())
	}
}

func TestApplySettingsRedrawsTheStartScreen(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	k.WaitScreen("home")
	k.App.ApplySettings(ui.Settings{Hall: form.Text{Zh: "测试新区便民服务中心", En: "Test New District Centre"}})
	k.Drain()
	if !k.Shows("测试新区便民服务中心") {
		t.Errorf("the start screen kept the old hall name: %v", k.Texts())
	}
}

// TestSafeModeSaysWhyStartUpFailed: a kiosk put in safe mode by a start-up failure says
// so on the PIN pad, and the technician settings carry the wiring's words on what to do.
func TestSafeModeSaysWhyStartUpFailed(t *testing.T) {
	k, _ := safeKiosk(t, uitest.Options{}, func(d *ui.Deps) {
		d.SafeReason = form.Text{Zh: "离线队列：请恢复 keys/queue.key", En: "offline queue: restore keys/queue.key"}
	})
	k.WaitScreen("tech_pin")
	if !k.Shows("未能正常启动") {
		t.Errorf("PIN pad does not say start-up failed: %v", k.Texts())
	}
	signIn(t, k)
	if !k.Shows("请恢复 keys/queue.key") {
		t.Errorf("technician settings lack what to do: %v", k.Texts())
	}
}
