package ui_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/kiosk/speech"
	"github.com/govkiosk/govkiosk/ui"
	"github.com/govkiosk/govkiosk/ui/uitest"
)

// subsequence reports whether want appears in got in order (other prompts may come
// between: a screen shown for a moment, a rebuild).
func subsequence(got, want []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

// An elder resident applying for the household certificate hears every screen's
// instruction in order, the tracking code only on the receipt screen, and nothing
// personal.
func TestVoiceGuidesElderResident(t *testing.T) {
	k := uitest.Start(t, uitest.Options{Voice: true})
	if k.Voice.Enabled() {
		t.Fatal("voice on in normal mode without the technician's setting")
	}
	k.Tap("home.elder")
	if !k.Voice.Enabled() {
		t.Fatal("elder mode did not turn the voice on")
	}
	toForm(t, k)
	fillForm(t, k)
	k.Tap("form.next")
	k.WaitScreen("materials")
	scanAll(t, k)
	k.Tap("materials.next")
	k.WaitScreen("review")
	k.Tap("review.confirm")
	k.WaitScreen("receipt")
	k.Tap("receipt.done")
	k.WaitScreen("rate")
	k.Tap("rate.star.5")
	k.Tap("rate.send")
	k.WaitScreen("thanks")

	ids := k.Voice.IDs()
	want := []string{"voice.home", "voice.catalog", "voice.guide", "voice.identify", "voice.form",
		"voice.materials", "voice.review", "voice.receipt", "voice.rate", "voice.thanks"}
	if !subsequence(ids, want) {
		t.Errorf("prompts %q\nwant in order %q", ids, want)
	}
	code := k.Submitter.Submissions()[0].Code
	personal := append(uitest.PersonalStrings(uitest.Resident()), "13912345678")
	for _, s := range k.Voice.Said() {
		if s.Lang != "zh-CN" {
			t.Errorf("%s spoken in %s", s.ID, s.Lang)
		}
		if (s.Code != "") != (s.ID == "voice.receipt") || s.Code != "" && s.Code != code {
			t.Errorf("%s spelled code %q (the receipt's is %s)", s.ID, s.Code, code)
		}
		for _, p := range personal {
			if p != "" && strings.Contains(s.Text, p) {
				t.Errorf("%s speaks personal data %q", s.ID, p)
			}
		}
	}
	// "Say it again" repeats the screen's prompt.
	n := len(k.Voice.IDs())
	k.Tap("voice.again")
	if ids := k.Voice.IDs(); len(ids) != n+1 || ids[n] != "voice.thanks" {
		t.Errorf("say again: %q", ids[n:])
	}
}

func TestVoiceInNormalModeIsTheTechniciansChoice(t *testing.T) {
	k := uitest.Start(t, uitest.Options{Voice: true, Deps: func(d *ui.Deps) { d.VoiceInNormalMode = true }})
	k.Tap("home.apply")
	k.WaitScreen("catalog")
	if ids := k.Voice.IDs(); !slices.Contains(ids, "voice.catalog") {
		t.Errorf("normal mode with voice chosen said %q", ids)
	}
	k.Tap("nav.home")
	k.WaitScreen("home")
	k.Tap("home.lang")
	k.Tap("home.apply")
	said := k.Voice.Said()
	if last := said[len(said)-1]; last.ID != "voice.catalog" || last.Lang != "en" {
		t.Errorf("after switching to English: %+v", last)
	}
}

// A device fault's way out is spoken when it happens, and the receipt screen's words
// follow the printer's fault.
func TestVoiceSpeaksWaysOut(t *testing.T) {
	k := uitest.Start(t, uitest.Options{Voice: true})
	k.Tap("home.elder")
	k.Tap("home.apply")
	k.Tap("catalog.service.hukou-proof")
	k.Tap("guide.begin")
	k.WaitScreen("identify")
	k.Reader.Tracker.Set(health.Offline, "no answer", nil)
	k.Loop.WaitFor(t, "reader offline spoken", func() bool {
		ids := k.Voice.IDs()
		return len(ids) > 0 && ids[len(ids)-1] == "voice.identify.offline"
	})
	k.Tap("voice.again")
	if ids := k.Voice.IDs(); ids[len(ids)-1] != "voice.identify.offline" {
		t.Errorf("say again after the fault said %s", ids[len(ids)-1])
	}
	k.Reader.Tracker.Set(health.Online, "", nil)
	k.Reader.Place(uitest.Resident())
	k.WaitScreen("form")
	fillForm(t, k)
	k.Tap("form.next")
	k.WaitScreen("materials")
	scanAll(t, k)
	k.Tap("materials.next")
	k.WaitScreen("review")
	k.Printer.FailWith(&ui.PrinterError{Fault: ui.FaultPaperOut})
	k.Tap("review.confirm")
	k.WaitScreen("receipt")
	said := k.Voice.Said()
	last := said[len(said)-1]
	if last.ID != "voice.receipt.paper" || last.Code != k.Submitter.Submissions()[0].Code {
		t.Errorf("paper out: said %+v", last)
	}
}

// The technician's accessibility settings take effect when saved: voice outside elder
// mode, the default volume, quiet hours, high contrast.
func TestAccessSettingsApply(t *testing.T) {
	k := uitest.Start(t, uitest.Options{Voice: true})
	corners(k)
	signIn(t, k)
	k.Tap("tech.section.access")
	k.Tap("tech.voice.normal")  // off → on
	k.Tap("tech.voice.volume")  // 2 → 3
	k.Tap("tech.voice.quiet")   // none → 22:00-07:00
	k.Tap("tech.high_contrast") // off → on
	k.Tap("tech.voice.test")
	if ids := k.Voice.IDs(); len(ids) != 1 || ids[0] != "voice.home" {
		t.Errorf("test the speaker said %q", ids)
	}
	k.Tap("tech.save")
	k.Loop.WaitFor(t, "saved", func() bool { return k.Shows("已保存") || k.Shows("设置有误") || k.Shows("失败") })
	saved := k.Tech.Saved()
	if a := saved.Access; !a.VoiceNormalMode || a.Volume != 3 || a.QuietHours != "22:00-07:00" || !a.HighContrast {
		t.Fatalf("saved %+v", a)
	}
	def, q := k.Voice.Defaults()
	if def != speech.Loud || q.String() != "22:00-07:00" {
		t.Errorf("voice defaults %d %q", def, q.String())
	}
	if !k.App.Theme().HighContrast() {
		t.Error("high contrast not applied")
	}
	k.Tap("tech.exit")
	k.WaitScreen("home")
	if !k.Voice.Enabled() {
		t.Error("voice in normal mode chosen, but the voice is off on the start screen")
	}
}
