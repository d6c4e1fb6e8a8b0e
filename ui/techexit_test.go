package ui_test

import (
	"slices"
	"testing"

	"fyne.io/fyne/v2"

	"github.com/govkiosk/govkiosk/ui/uitest"
)

func openTechnician(t *testing.T, k *uitest.Kiosk) {
	t.Helper()
	for _, p := range []fyne.Position{{X: 20, Y: 20}, {X: 1900, Y: 20}, {X: 1900, Y: 1060}, {X: 20, Y: 1060}} {
		k.TapAt(p)
	}
	k.WaitScreen("tech_pin")
	k.Type("keypad", uitest.TestPIN)
	k.Tap("tech_pin.ok")
	k.WaitScreen("tech_settings")
}

// TestTechnicianExitAsksAboutUnsavedChanges: 退出维护 with an edit not saved asks before
// it drops the edit (it used to drop it without a word); with nothing changed, or after
// saving, it leaves at once.
func TestTechnicianExitAsksAboutUnsavedChanges(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	openTechnician(t, k)
	k.Tap("tech.exit")
	k.WaitScreen("home") // nothing changed: no question

	openTechnician(t, k)
	k.Tap("tech.section.terminal")
	idle := k.Tech.Config().Session.IdleTimeout.Duration
	k.Tap("tech.idle.plus")
	k.Tap("tech.exit")
	k.WaitScreen("tech_unsaved")
	if !k.Shows("有修改还没有保存") {
		t.Fatalf("the question does not say why it asks: %v", k.Texts())
	}
	k.Tap("tech_unsaved.stay")
	k.WaitScreen("tech_settings")
	k.Tap("tech.exit") // the edit is still there: asked again
	k.WaitScreen("tech_unsaved")
	k.Tap("tech_unsaved.discard")
	k.WaitScreen("home")
	if slices.Contains(k.Tech.Called(), "apply") || k.Tech.Saved().Session.IdleTimeout.Duration != idle {
		t.Errorf("discarding saved the edit (calls %v)", k.Tech.Called())
	}

	// Saved, then exit: no question. Opened again, the settings start from what is saved.
	openTechnician(t, k)
	k.Tap("tech.section.terminal")
	k.Tap("tech.idle.plus")
	k.Tap("tech.save")
	k.Loop.WaitFor(t, "saved", func() bool { return k.Shows("已保存") })
	k.Tap("tech.exit")
	k.WaitScreen("home")
}
