package ui_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/govkiosk/govkiosk/kiosk/form"
	"github.com/govkiosk/govkiosk/ui"
	"github.com/govkiosk/govkiosk/ui/uitest"
)

// displays are the screens a kiosk is installed with.
var displays = []struct {
	name string
	size fyne.Size
}{
	{"1920x1080", fyne.NewSize(1920, 1080)},
	{"1280x800", fyne.NewSize(1280, 800)},
	{"1080x1920", fyne.NewSize(1080, 1920)},
}

// visitModes are the ways a resident can have the screens drawn.
var visitModes = []struct {
	name      string
	elder, en bool
}{{"zh", false, false}, {"en", false, true}, {"elder", true, false}}

// assertFits checks that what the window shows fits the display it was given: the
// window's content asks for no more than the display (a real window would grow past the
// screen edge to give it more), and the given header and action elements lie wholly
// inside the display, so a tap lands where they are drawn. An id starting with "~" is
// content in the scroll area: it must begin in view (a resident sees it and can tap it;
// the rest of it may scroll).
func assertFits(t *testing.T, k *uitest.Kiosk, size fyne.Size, ids ...string) {
	t.Helper()
	k.Drain()
	screen := k.App.ScreenName()
	c := k.Window.Canvas()
	if c.Size() != size {
		t.Errorf("%s: canvas is %v, display %v", screen, c.Size(), size)
	}
	if m := c.Content().MinSize(); m.Width > size.Width || m.Height > size.Height {
		t.Errorf("%s: window content needs %v, display is %v: the window would grow past the screen", screen, m, size)
	}
	if m := k.App.ScreenMinSize(); m.Width > size.Width || m.Height > size.Height {
		t.Errorf("%s: screen needs %v, display is %v: it would be drawn past the screen's edge\n%s", screen, m, size, k.App.DumpWide(size.Width, size.Height))
	}
	drv := fyne.CurrentApp().Driver()
	for _, id := range ids {
		partly := strings.HasPrefix(id, "~")
		id = strings.TrimPrefix(id, "~")
		o := k.App.Element(id)
		if o == nil {
			t.Errorf("%s: no element %q (has %v)", screen, id, k.IDs())
			continue
		}
		if !o.Visible() || o.Size().IsZero() {
			t.Errorf("%s: %q is not shown", screen, id)
			continue
		}
		p := drv.AbsolutePositionForObject(o)
		end := p.Add(o.Size())
		if partly {
			end = p.Add(fyne.NewSize(1, 1))
		}
		if p.X < 0 || p.Y < 0 || end.X > size.Width+0.5 || end.Y > size.Height+0.5 {
			t.Errorf("%s: %q is drawn at %v–%v, outside the %v display", screen, id, p, end, size)
		}
	}
}

// TestEveryScreenFitsTheDisplay walks every resident screen, and the technician's, at
// each display size in Chinese, English and elder mode.
func TestEveryScreenFitsTheDisplay(t *testing.T) {
	for _, d := range displays {
		for _, m := range visitModes {
			t.Run(d.name+"/"+m.name, func(t *testing.T) {
				walkScreens(t, d.size, m.elder, m.en)
			})
		}
	}
}

func walkScreens(t *testing.T, size fyne.Size, elder, en bool) {
	k := uitest.Start(t, uitest.Options{Fonts: true, Size: size})
	code := trackingCode(7)
	k.Submitter.Progress[code] = []ui.Progress{{Code: code, Service: form.Text{Zh: "户籍证明开具", En: "Household registration certificate"}, Status: ui.StatusProcessing, Updated: uitest.StartTime}}
	k.Bulletins.Set(bulletin())
	k.Loop.WaitFor(t, "announcement shown", func() bool { return len(k.App.Elements()) > 0 && k.Shows("本大厅周六") })
	if elder {
		k.Tap("home.elder")
	}
	if en {
		k.Tap("home.lang")
	}
	fits := func(ids ...string) { t.Helper(); assertFits(t, k, size, ids...) }
	fits("home.lang", "home.elder", "home.apply", "home.notices")

	k.Tap("home.apply")
	fits("nav.back", "nav.home", "catalog.page.next", "catalog.search", "~catalog.service.hukou-proof")
	k.Tap("catalog.search")
	fits("nav.back", "nav.home", "catalog.search", "keyboard.a")
	k.Tap("catalog.search")
	k.Tap("catalog.service.hukou-proof")
	k.WaitScreen("guide")
	fits("nav.back", "nav.home", "guide.begin")
	k.Tap("guide.begin")
	k.WaitScreen("identify")
	// The other ways in (a code, staff) must be in view: under the instructions they fell
	// below the fold at 1280×800 in English and elder mode.
	fits("nav.back", "nav.home", "identify.qr", "identify.staff")
	k.Reader.Place(uitest.Resident())
	k.WaitScreen("form")
	k.Tap("form.field.mobile")
	fits("nav.back", "nav.home", "form.next", "keypad.1")
	fillForm(t, k)
	k.Tap("form.next")
	k.WaitScreen("materials")
	scanAll(t, k)
	fits("nav.back", "nav.home", "materials.next")
	k.Tap("materials.next")
	k.WaitScreen("review")
	fits("nav.back", "nav.home", "review.confirm")
	idle := 91 * time.Second
	if elder {
		idle *= 2 // elder mode waits twice as long
	}
	k.Clock.Advance(idle)
	k.WaitScreen("still_there")
	fits("still_there.continue", "still_there.leave")
	k.Tap("still_there.continue")
	k.WaitScreen("review")
	k.Printer.FailWith(&ui.PrinterError{Fault: ui.FaultPaperOut})
	k.Tap("review.confirm")
	k.WaitScreen("receipt")
	fits("receipt.done", "receipt.reprint")
	k.Tap("receipt.done")
	k.WaitScreen("rate")
	k.Tap("rate.star.2")
	fits("nav.home", "rate.send", "rate.skip")
	k.Tap("rate.send")
	k.WaitScreen("thanks")
	fits("thanks.home")
	k.Tap("thanks.home")
	k.WaitScreen("home")
	if elder {
		k.Tap("home.elder")
	}
	if en {
		k.Tap("home.lang")
	}
	k.Tap("home.track")
	k.WaitScreen("query")
	fits("nav.back", "nav.home", "query.lookup", "keyboard.a")
	k.Barcode.Scan(code)
	k.WaitScreen("query_result")
	k.Loop.WaitFor(t, "result", func() bool { return k.Has("query.result." + code) })
	fits("nav.back", "nav.home")
	k.Tap("nav.home")
	k.WaitScreen("home")
	if elder {
		k.Tap("home.elder")
	}
	if en {
		k.Tap("home.lang")
	}
	k.Tap("home.notices")
	k.WaitScreen("notices")
	fits("nav.back", "nav.home")
	k.Tap("nav.home")
	k.WaitScreen("home")

	for _, p := range []fyne.Position{{X: 20, Y: 20}, {X: size.Width - 20, Y: 20}, {X: size.Width - 20, Y: size.Height - 20}, {X: 20, Y: size.Height - 20}} {
		k.TapAt(p)
	}
	k.WaitScreen("tech_pin")
	fits("tech_pin.ok", "tech_pin.cancel")
	k.Type("keypad", uitest.TestPIN)
	k.Tap("tech_pin.ok")
	k.WaitScreen("tech_settings")
	fits("tech.exit")
	if t.Failed() {
		fmt.Println() // keep go test's output readable between sub-tests
	}
}
