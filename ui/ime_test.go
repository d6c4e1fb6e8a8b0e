package ui_test

import (
	"path/filepath"
	"testing"

	"github.com/govkiosk/govkiosk/ime/pinyin"
	"github.com/govkiosk/govkiosk/ui"
	"github.com/govkiosk/govkiosk/ui/touch"
	"github.com/govkiosk/govkiosk/ui/uitest"
)

// A free-text field takes Chinese from the pinyin keyboard, and the visit's learning is
// gone after the visit.
func TestFormPinyinInput(t *testing.T) {
	d, err := pinyin.Load(filepath.Join("..", "ime", "pinyin", "testdata", "mini.dict.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sess := pinyin.NewSession(d)
	k := uitest.Start(t, uitest.Options{Deps: func(deps *ui.Deps) { deps.IME = touch.IME{Pinyin: sess} }})
	toForm(t, k)
	k.Tap("form.field.address")
	k.Tap("keyboard.clear")
	for _, r := range "riyongbaihuolingshou" {
		k.Tap("keyboard." + string(r))
	}
	k.Tap("ime.cand.0")
	k.Tap("keyboard.punct.0") // ，
	for _, r := range "jingying" {
		k.Tap("keyboard." + string(r))
	}
	k.Tap("ime.cand.1") // 精英, learned for this visit
	if got := k.App.Session().Form().Value("address"); got != "日用百货零售，精英" {
		t.Fatalf("address %q", got)
	}
	if c := sess.Candidates("jingying", 1); c[0].Text != "精英" {
		t.Fatalf("the choice was not learned within the visit: %v", c[0].Text)
	}
	if !k.Has("ime.mode.handwriting") {
		t.Error("the mode keys are not in the automation map")
	}
	k.Tap("nav.home")
	k.WaitScreen("confirm_home")
	k.Tap("confirm_home.leave")
	k.WaitScreen("home")
	k.Loop.WaitFor(t, "wipe", func() bool { return sess.Candidates("jingying", 1)[0].Text == "经营" })
}
