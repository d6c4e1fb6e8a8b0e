package ui_test

import (
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/kiosk/form"
	"github.com/govkiosk/govkiosk/ui"
	"github.com/govkiosk/govkiosk/ui/uitest"
)

// bulletin is a synthetic announcement and notice board.
func bulletin() ui.Bulletin {
	day := uitest.StartTime
	return ui.Bulletin{
		Announcements: []ui.Notice{{ID: "a1", Title: form.Text{Zh: "本大厅周六上午正常办公，欢迎前来办理", En: "The hall is open on Saturday mornings"}}},
		Notices: []ui.Notice{
			{ID: "n1", Date: day, Title: form.Text{Zh: "关于调整户籍业务办理时间的公告", En: "New opening hours for household registration"},
				Body: form.Text{Zh: "自下月起，户籍业务窗口工作日延长至晚上七点。自助终端全天可用。", En: "From next month the household registration counters stay open until 7 pm on working days. The kiosks are available all day."}},
			{ID: "n2", Date: day.AddDate(0, 0, -7), Title: form.Text{Zh: "社保卡补领流程简化说明", En: "Simpler social security card replacement"},
				Body: form.Text{Zh: "补领社保卡无需再提供单位证明。", En: "An employer letter is no longer needed."}},
		},
	}
}

// golden walks the main screens and compares each with its golden image. Each mode is
// its own test run, so an -update rewrites all of them.
func TestGolden(t *testing.T) {
	// Every main screen in Chinese and in elder mode; English for a look at the longer
	// words. Each capture takes seconds under the race detector, so English is sampled.
	modes := []struct {
		name  string
		elder bool
		en    bool
		only  []string // when set, the only screens compared
	}{
		{name: "zh"},
		{name: "elder", elder: true},
		{name: "en", en: true, only: []string{"home", "form", "receipt_noprint"}},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			k := uitest.Start(t, uitest.Options{Fonts: true})
			k.Bulletins.Set(bulletin())
			k.Loop.WaitFor(t, "announcement shown", func() bool { return k.Shows("本大厅周六") })
			k.Sync.Set(ui.SyncState{Online: false, Queued: 3})
			k.Loop.WaitFor(t, "sync state shown", func() bool { return k.Shows("3 件已安全保存") })
			if m.elder {
				k.Tap("home.elder")
			}
			if m.en {
				k.Tap("home.lang")
			}
			shot := func(name string) {
				t.Helper()
				if m.only != nil && !slices.Contains(m.only, name) {
					return
				}
				k.Drain()
				uitest.AssertImage(t, name+"_"+m.name, k.Capture())
			}
			shot("home")
			k.Tap("home.apply")
			shot("catalog")
			k.Tap("catalog.service.hukou-proof")
			shot("guide")
			k.Tap("guide.begin")
			shot("identify")
			k.Reader.Place(uitest.Resident())
			k.WaitScreen("form")
			k.Tap("form.field.mobile")
			k.Type("keypad", "139")
			shot("form")
			k.Type("keypad", "12345678")
			k.Tap("form.field.purpose")
			k.Tap("form.choice.work")
			k.Tap("form.next")
			k.WaitScreen("materials")
			scanAll(t, k)
			shot("materials")
			k.Tap("materials.next")
			shot("review")
			k.Printer.FailWith(&ui.PrinterError{Fault: ui.FaultPaperOut})
			k.Tap("review.confirm")
			k.WaitScreen("receipt")
			shot("receipt_noprint")
			k.Tap("receipt.done")
			k.Tap("rate.star.2")
			k.Tap("rate.reason.slow")
			shot("rate")
			k.Tap("rate.send")
			k.WaitScreen("thanks")
			if m.name != "zh" {
				return
			}
			shot("thanks")
			k.Clock.Advance(10 * time.Second)
			k.WaitScreen("home")
			k.Tap("home.track")
			k.Type("keyboard", "TEST0001")
			shot("query")
			k.Tap("nav.home")
			k.Tap("home.notices")
			shot("notices")
		})
	}
}

// TestGoldenWaysOut draws the screens a device fault leads to.
func TestGoldenWaysOut(t *testing.T) {
	k := uitest.Start(t, uitest.Options{Fonts: true})
	k.Reader.Tracker.Set(health.Offline, "no answer", nil)
	k.Tap("home.apply")
	k.Tap("catalog.service.hukou-proof")
	k.Tap("guide.begin")
	k.WaitScreen("identify")
	k.Drain()
	uitest.AssertImage(t, "identify_offline_zh", k.Capture())
	k.Reader.Tracker.Set(health.Online, "", nil)
	k.Reader.Place(uitest.Resident())
	k.WaitScreen("form")
	k.Clock.Advance(91 * time.Second)
	k.WaitScreen("still_there")
	uitest.AssertImage(t, "still_there_zh", k.Capture())
}

// TestGoldenReprintFailed draws the receipt screen after 重新打印 failed too.
func TestGoldenReprintFailed(t *testing.T) {
	k := uitest.Start(t, uitest.Options{Fonts: true})
	path["review"](t, k)
	k.Printer.FailWith(&ui.PrinterError{Fault: ui.FaultPaperOut})
	k.Tap("review.confirm")
	k.WaitScreen("receipt")
	k.Tap("receipt.reprint")
	k.Loop.WaitFor(t, "the reprint's failure said", func() bool { return k.App.ScreenName() == "receipt" && k.Shows("共试了 2 次") })
	k.Drain()
	uitest.AssertImage(t, "receipt_reprint_failed_zh", k.Capture())
}

// TestGoldenPortrait draws the form on a portrait screen: fields above, keypad below.
func TestGoldenPortrait(t *testing.T) {
	k := uitest.Start(t, uitest.Options{Fonts: true, Size: uitest.Portrait})
	toForm(t, k)
	k.Tap("form.field.mobile")
	k.Type("keypad", "139")
	uitest.AssertImage(t, "form_portrait_zh", k.Capture())
}

// TestGoldenTechnician draws the PIN pad and the settings.
func TestGoldenTechnician(t *testing.T) {
	k := uitest.Start(t, uitest.Options{Fonts: true})
	for _, p := range []fyne.Position{{X: 20, Y: 20}, {X: 1900, Y: 20}, {X: 1900, Y: 1060}, {X: 20, Y: 1060}} {
		k.TapAt(p)
	}
	k.WaitScreen("tech_pin")
	k.Type("keypad", "1111")
	uitest.AssertImage(t, "tech_pin_zh", k.Capture())
	k.Tap("keypad.clear")
	k.Type("keypad", uitest.TestPIN)
	k.Tap("tech_pin.ok")
	k.WaitScreen("tech_settings")
	k.Tap("tech.device.idcard.transport") // simulated → serial
	k.Tap("tech.device.idcard.path")
	k.Type("keyboard", "/dev/tty")
	uitest.AssertImage(t, "tech_settings_zh", k.Capture())
	k.Tap("tech.exit") // the path typed above is not saved
	k.WaitScreen("tech_unsaved")
	k.Drain()
	uitest.AssertImage(t, "tech_unsaved_zh", k.Capture())
}

// TestGoldenSafeMode draws what safe mode shows: the paused start screen, and the
// settings saying why they opened.
func TestGoldenSafeMode(t *testing.T) {
	k := uitest.Start(t, uitest.Options{Fonts: true, Deps: func(d *ui.Deps) {
		d.SafeMode = true
		d.OnRestart = func() {}
	}})
	k.WaitScreen("tech_pin")
	k.Tap("tech_pin.cancel")
	k.WaitScreen("safe_mode")
	uitest.AssertImage(t, "safe_mode_zh", k.Capture())
	k.Tap("safe_mode.technician")
	k.Type("keypad", uitest.TestPIN)
	k.Tap("tech_pin.ok")
	k.WaitScreen("tech_settings")
	uitest.AssertImage(t, "tech_safe_mode_zh", k.Capture())
}

// TestGoldenHeld draws the start screen when it takes no visit: on a revoked terminal
// (applying and rating off, where to go instead), in Chinese and English, and while an
// update is being installed.
func TestGoldenHeld(t *testing.T) {
	k := uitest.Start(t, uitest.Options{Fonts: true})
	k.Bulletins.Set(bulletin())
	k.Sync.Set(ui.SyncState{Online: false, Queued: 3, Revoked: true})
	k.Loop.WaitFor(t, "revoked shown", func() bool { return k.Shows("本机暂停受理新的申请") })
	k.Drain()
	uitest.AssertImage(t, "home_revoked_zh", k.Capture())
	k.Tap("home.lang")
	k.Drain()
	uitest.AssertImage(t, "home_revoked_en", k.Capture())
	k.Tap("home.lang")
	k.Sync.Set(ui.SyncState{Online: true})
	k.Loop.WaitFor(t, "reinstated", func() bool { return k.Shows("本大厅周六") })
	if !k.App.HoldForUpdate() {
		t.Fatal("no hold on the start screen")
	}
	k.WaitScreen("updating")
	k.Drain()
	uitest.AssertImage(t, "updating_zh", k.Capture())
}
