package ui_test

import (
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/ui/uitest"
)

// TestLanguageAndElderHoldForTheVisit: 返回 to the start screen keeps the resident's
// English and elder mode (they are still there); left alone on the start screen, the
// visit ends and the next resident gets Chinese at normal size, with the start screen's
// bar (elder mode, English, the clock) in view.
func TestLanguageAndElderHoldForTheVisit(t *testing.T) {
	k := uitest.Start(t, uitest.Options{Fonts: true})
	k.Tap("home.elder")
	k.Tap("home.lang")
	k.Tap("home.apply")
	k.WaitScreen("catalog")
	k.Tap("nav.back")
	k.WaitScreen("home")
	if !k.Shows("Apply") || !k.App.Theme().Elder() {
		t.Fatalf("back on the start screen: English %v, elder %v; want both kept", k.Shows("Apply"), k.App.Theme().Elder())
	}
	k.Tap("home.track")
	k.WaitScreen("query")
	k.Tap("nav.back")
	k.WaitScreen("home")
	if !k.Shows("Apply") || !k.App.Theme().Elder() {
		t.Fatal("back from the query screen dropped English or elder mode")
	}
	k.Clock.Advance(3 * time.Minute) // twice the idle timeout in elder mode, and more
	k.Loop.WaitFor(t, "the visit to end", func() bool { return !k.App.Theme().Elder() })
	k.WaitScreen("home")
	if !k.Shows("我要办事") {
		t.Errorf("after the visit the start screen is not in Chinese: %v", k.Texts())
	}
	assertFits(t, k, uitest.Landscape, "home.elder", "home.lang", "home.apply")
}
