package ui_test

import (
	"testing"

	"fyne.io/fyne/v2"

	"github.com/govkiosk/govkiosk/kiosk/session"
	"github.com/govkiosk/govkiosk/ui/uitest"
)

// TestUpdateHoldTakesNoVisit: once the kiosk has asked for an update to be installed,
// the start screen is held on "updating, please wait" with nothing a resident can tap to
// begin a visit (only the technician gesture still works); when the hold ends (the
// helper failed), the start screen serves again. No hold is taken during a visit.
func TestUpdateHoldTakesNoVisit(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	k.WaitScreen("home")
	if !k.App.HoldForUpdate() {
		t.Fatal("no hold on the idle start screen")
	}
	k.WaitScreen("updating")
	if !k.Shows("正在更新软件，请稍候") || !k.Shows("急需办理请到大厅的人工服务窗口") {
		t.Errorf("the updating screen says %v", k.Texts())
	}
	if ids := k.IDs(); len(ids) != 0 {
		t.Errorf("the updating screen offers %v", ids)
	}
	k.TapAt(fyne.NewPos(960, 540))
	if st := k.App.Session().State(); st != session.StateIdle || k.App.ScreenName() != "updating" {
		t.Fatalf("a tap on the updating screen began a visit: state %s, screen %s", st, k.App.ScreenName())
	}
	openTechnician(t, k)
	k.Tap("tech.exit")
	k.WaitScreen("updating") // still held when the technician leaves

	k.App.EndUpdateHold()
	k.WaitScreen("home")
	k.Tap("home.apply")
	k.WaitScreen("catalog")
	if k.App.HoldForUpdate() {
		t.Error("a hold was taken in the middle of a visit")
	}
	k.Drain()
	if k.App.ScreenName() != "catalog" {
		t.Errorf("the visit's screen was replaced by %s", k.App.ScreenName())
	}
	k.Tap("nav.home")
	k.WaitScreen("home")
}
