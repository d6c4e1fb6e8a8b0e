package ui_test

import (
	"testing"

	"fyne.io/fyne/v2"

	"github.com/govkiosk/govkiosk/kiosk/session"
	"github.com/govkiosk/govkiosk/ui"
	"github.com/govkiosk/govkiosk/ui/uitest"
)

// TestRevokedTerminalSaysSo: once the platform refuses the terminal as revoked, the
// start screen no longer says "working offline, you can still apply" (nothing taken here
// would arrive) but that the terminal takes no new application, and the technician's
// queue section says plainly that the terminal was revoked and must be enrolled again.
func TestRevokedTerminalSaysSo(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	k.Sync.Set(ui.SyncState{Online: false, Queued: 2})
	k.Loop.WaitFor(t, "offline shown", func() bool { return k.Shows("2 件已安全保存") })
	k.Sync.Set(ui.SyncState{Online: false, Queued: 2, Revoked: true})
	k.Loop.WaitFor(t, "out of service shown", func() bool { return k.Shows("本机暂停受理新的申请") })
	if k.Shows("2 件已安全保存") {
		t.Error("a revoked terminal still tells residents their applications are kept to be sent")
	}
	openTechnician(t, k)
	k.Tap("tech.section.queue")
	k.Loop.WaitFor(t, "revoked said on the technician screen", func() bool { return k.Shows("已被吊销：平台拒绝本终端") })
	k.Tap("tech.queue")
	k.Loop.WaitFor(t, "revoked said with the queue", func() bool { return k.Shows("已被吊销") && k.Shows("待上传") })
}

// disabled reports whether the element id on the current screen is shown but takes no
// tap.
func disabled(t *testing.T, k *uitest.Kiosk, id string) bool {
	t.Helper()
	d, ok := k.App.Element(id).(fyne.Disableable)
	return ok && d.Disabled()
}

// TestRevokedTerminalTakesNoApplication: a revoked terminal's start screen takes no new
// application (nor a rating, which would not arrive either): both choices are shown
// disabled, saying why, under a notice that sends the resident to a staffed counter, in
// Chinese and in English; tapping them begins nothing. Progress queries still open.
// Reinstated, the terminal takes applications again without a restart.
func TestRevokedTerminalTakesNoApplication(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	k.Sync.Set(ui.SyncState{Online: true, Revoked: true})
	k.Loop.WaitFor(t, "the revoked start screen", func() bool { return k.Shows("请到大厅的人工服务窗口办理") })
	for _, id := range []string{"home.apply", "home.rate"} {
		if !disabled(t, k, id) {
			t.Errorf("%s is not disabled on a revoked terminal", id)
		}
	}
	if !k.Shows("暂停受理，\u200b请到人工窗口办理") && !k.Shows("暂停受理，请到人工窗口办理") {
		t.Errorf("the apply choice does not say why it is off: %v", k.Texts())
	}
	k.Tap("home.apply")
	k.Tap("home.rate")
	if got := k.App.Session().State(); got != session.StateIdle || k.App.ScreenName() != "home" {
		t.Fatalf("a revoked terminal began a visit: state %s, screen %s", got, k.App.ScreenName())
	}
	k.Tap("home.lang")
	if !k.Shows("This terminal is not taking new applications") || !k.Shows("Please go to a staffed service counter in this hall.") {
		t.Errorf("no English notice: %v", k.Texts())
	}
	if !disabled(t, k, "home.apply") {
		t.Error("home.apply is enabled again after switching to English")
	}
	k.Tap("home.track") // progress of earlier applications may still be looked up
	k.WaitScreen("query")
	k.Tap("nav.back")
	k.WaitScreen("home")

	k.Sync.Set(ui.SyncState{Online: true})
	k.Loop.WaitFor(t, "the reinstated start screen", func() bool { return !disabled(t, k, "home.apply") })
	if k.Shows("This terminal is not taking new applications") {
		t.Error("the revoked notice stays after the terminal was reinstated")
	}
	k.Tap("home.apply")
	k.WaitScreen("catalog")
}

// TestRevocationDuringAVisit: a visit that has submitted nothing yet ends when the
// revocation arrives, its data wiped, on the start screen that says where to go
// instead (what it would submit could never arrive); a visit that has submitted
// finishes: the receipt stays on screen and its rating can be given.
func TestRevocationDuringAVisit(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	toForm(t, k)
	k.Sync.Set(ui.SyncState{Online: true, Revoked: true})
	k.WaitScreen("home")
	if k.App.Session().Identity() != nil {
		t.Error("the ended visit's identity is still held")
	}
	if !k.Shows("本机暂停受理新的申请") || !disabled(t, k, "home.apply") {
		t.Errorf("after the visit ended: %v", k.Texts())
	}

	k.Sync.Set(ui.SyncState{Online: true})
	k.Loop.WaitFor(t, "reinstated", func() bool { return !disabled(t, k, "home.apply") })
	toForm(t, k)
	fillForm(t, k)
	k.Tap("form.next")
	k.WaitScreen("materials")
	scanAll(t, k)
	k.Tap("materials.next")
	k.WaitScreen("review")
	k.Tap("review.confirm")
	k.WaitScreen("receipt")
	k.Sync.Set(ui.SyncState{Online: true, Revoked: true})
	k.Drain()
	if k.App.ScreenName() != "receipt" {
		t.Fatalf("the receipt of a submitted application was cut: screen %s", k.App.ScreenName())
	}
	k.Tap("receipt.done")
	k.WaitScreen("rate")
}
