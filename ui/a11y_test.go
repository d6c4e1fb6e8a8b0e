package ui_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/kiosk/form"
	"github.com/govkiosk/govkiosk/ui"
	"github.com/govkiosk/govkiosk/ui/a11y"
	"github.com/govkiosk/govkiosk/ui/uitest"
)

// a11yMode is one way a resident sees the kiosk.
type a11yMode struct {
	name  string
	elder bool
	en    bool
}

var (
	a11yModes = []a11yMode{{name: "zh"}, {name: "en", en: true}, {name: "elder", elder: true}}
	a11ySizes = []fyne.Size{uitest.Landscape, uitest.Portrait, fyne.NewSize(1280, 800)}
)

// auditor checks whatever the kiosk shows and collects the findings by screen.
type auditor struct {
	t     *testing.T
	k     *uitest.Kiosk
	found []string
	seen  map[string]bool
}

func (a *auditor) check(label string) {
	a.t.Helper()
	a.k.Drain()
	name := a.k.App.ScreenName()
	if label != "" {
		name += "(" + label + ")"
	}
	a.seen[name] = true
	win := a.k.Window.Canvas().Size()
	bg := a.k.App.Theme().Color(theme.ColorNameBackground, theme.VariantLight)
	// Elder mode as the screen has it: a visit's choice ends with the visit.
	for _, f := range a11y.Check(a.k.Window.Canvas().Content(), win, a11y.Options{Elder: a.k.App.Theme().Elder(), Background: bg}) {
		a.found = append(a.found, name+": "+f.String())
	}
}

// walkResidentScreens takes a resident through every screen of the household
// certificate and the other services, calling check on each.
func walkResidentScreens(t *testing.T, k *uitest.Kiosk, a *auditor, m a11yMode) {
	// visit makes the start screen's mode the one under test (a visit's choices end
	// with it).
	visit := func() {
		if k.App.Theme().Elder() != m.elder {
			k.Tap("home.elder")
		}
		if (k.App.Translator().Language() == "en") != m.en {
			k.Tap("home.lang")
		}
	}
	visit()
	a.check("")
	// The start screen when it takes no visit: on a revoked terminal, and while an
	// update is being installed.
	k.Sync.Set(ui.SyncState{Online: true, Revoked: true})
	k.Loop.WaitFor(t, "the revoked start screen", func() bool { return disabled(t, k, "home.apply") })
	a.check("revoked")
	k.Sync.Set(ui.SyncState{Online: true})
	k.Loop.WaitFor(t, "the reinstated start screen", func() bool { return !disabled(t, k, "home.apply") })
	if !k.App.HoldForUpdate() {
		t.Fatal("no update hold on the start screen")
	}
	k.WaitScreen("updating")
	a.check("")
	k.App.EndUpdateHold()
	k.WaitScreen("home")
	k.Tap("home.apply")
	a.check("")
	k.Tap("catalog.service.hukou-proof")
	a.check("")
	k.Reader.Tracker.Set(health.Offline, "no answer", nil)
	k.Tap("guide.begin")
	k.WaitScreen("identify")
	a.check("reader offline")
	k.Reader.Tracker.Set(health.Online, "", nil)
	k.Drain()
	a.check("")
	k.Reader.Place(uitest.Resident())
	k.WaitScreen("form")
	k.Tap("form.field.mobile")
	a.check("keypad")
	k.Type("keypad", "13912345678")
	k.Tap("form.field.purpose")
	k.Tap("form.choice.work")
	k.Tap("form.next")
	k.WaitScreen("materials")
	a.check("")
	scanAll(t, k)
	a.check("scanned")
	k.Tap("materials.next")
	a.check("")
	k.Tap("nav.home")
	a.check("")
	k.Tap("confirm_home.stay")
	k.WaitScreen("review")
	k.Printer.FailWith(&ui.PrinterError{Fault: ui.FaultPaperOut})
	k.Tap("review.confirm")
	k.WaitScreen("receipt")
	a.check("paper out")
	k.Tap("receipt.reprint") // the paper is still out
	k.Loop.WaitFor(t, "the reprint's failure said", func() bool {
		return k.App.ScreenName() == "receipt" && (k.Shows("2 次") || k.Shows("2 times"))
	})
	a.check("reprint failed")
	k.Tap("receipt.done")
	a.check("")
	k.Tap("rate.star.2")
	a.check("reasons")
	k.Tap("rate.send")
	k.WaitScreen("thanks")
	a.check("")
	k.Clock.Advance(10 * time.Second)
	k.WaitScreen("home")
	visit()
	k.Tap("home.track")
	a.check("")
	// What a card finds at the platform (another terminal's code masked, a note), and the
	// same terminal's receipts alone when the platform cannot be asked.
	k.Submitter.SetProgress(uitest.Resident().IDNumber,
		ui.Progress{Code: "K7Q2-*****-*", Service: form.Text{Zh: "户籍证明开具", En: "Household registration certificate"},
			Status: ui.StatusCorrection, Note: form.Text{Zh: "请补充户口簿原件，到3号窗口办理"}, Updated: uitest.StartTime},
		ui.Progress{Code: "TEST-00001-0", Service: form.Text{Zh: "户籍证明开具", En: "Household registration certificate"},
			Status: ui.StatusNotTaken, Updated: uitest.StartTime})
	k.Reader.Place(uitest.Resident())
	k.WaitScreen("query_result")
	k.Loop.WaitFor(t, "query result", func() bool { return k.Has("query.result.K7Q2-*****-*") })
	a.check("platform")
	k.Submitter.SetLocal(ui.LocalOffline)
	k.Tap("nav.back")
	k.WaitScreen("query")
	k.Reader.Place(uitest.Resident())
	k.WaitScreen("query_result")
	k.Loop.WaitFor(t, "query result", func() bool { return k.Has("query.result.K7Q2-*****-*") })
	a.check("this terminal only")
	k.Submitter.SetLocal("")
	k.Tap("nav.home")
	visit()
	k.Tap("home.notices")
	a.check("")
	k.Tap("nav.home")
	visit()
	k.Tap("home.apply")
	k.Clock.Advance(91 * time.Second)
	if k.App.Theme().Elder() {
		k.Clock.Advance(91 * time.Second) // elder mode doubles the idle timeout
	}
	k.WaitScreen("still_there")
	a.check("")
}

// TestAccessibility walks every resident screen in Chinese, English and elder mode, on
// a landscape and a portrait 1080p panel and a 1280×800 one, and checks tap targets,
// contrast, elder text size and clipping through the render tree (ui/a11y).
func TestAccessibility(t *testing.T) {
	for _, size := range a11ySizes {
		for _, m := range a11yModes {
			t.Run(fmt.Sprintf("%s_%.0fx%.0f", m.name, size.Width, size.Height), func(t *testing.T) {
				k := uitest.Start(t, uitest.Options{Fonts: true, Voice: true, Size: size})
				k.Bulletins.Set(bulletin())
				a := &auditor{t: t, k: k, seen: map[string]bool{}}
				walkResidentScreens(t, k, a, m)
				if len(a.seen) < 15 {
					t.Errorf("walked only %d screens", len(a.seen))
				}
				if len(a.found) > 0 {
					t.Errorf("%d findings:\n%s", len(a.found), strings.Join(a.found, "\n"))
				}
			})
		}
	}
}

// TestElderCatalogCardsHoldTheirTags: in elder mode every catalog card holds its texts
// and tags on every page at every display size. The fee tag ("收费 20.00 元") ran past
// the card's bottom edge when the grid squeezed its rows below the cards' least height.
func TestElderCatalogCardsHoldTheirTags(t *testing.T) {
	for _, size := range a11ySizes {
		t.Run(fmt.Sprintf("%.0fx%.0f", size.Width, size.Height), func(t *testing.T) {
			k := uitest.Start(t, uitest.Options{Fonts: true, Size: size})
			k.Tap("home.elder")
			k.Tap("home.apply")
			bg := k.App.Theme().Color(theme.ColorNameBackground, theme.VariantLight)
			cards := 0
			for page := 1; ; page++ {
				k.Drain()
				for _, id := range k.IDs() {
					if strings.HasPrefix(id, "catalog.service.") {
						cards++
					}
				}
				for _, f := range a11y.Check(k.Window.Canvas().Content(), k.Window.Canvas().Size(), a11y.Options{Elder: true, Background: bg}) {
					if f.Kind == a11y.Clipped && strings.Contains(f.Detail, "touch.Item") {
						t.Errorf("page %d: %s", page, f)
					}
				}
				if next, ok := k.App.Element("catalog.page.next").(fyne.Disableable); !ok || next.Disabled() {
					break
				}
				k.Tap("catalog.page.next")
			}
			if cards == 0 {
				t.Fatal("no catalog card shown")
			}
		})
	}
}
