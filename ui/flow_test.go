package ui_test

import (
	"image"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"github.com/govkiosk/govkiosk/kiosk/session"
	"github.com/govkiosk/govkiosk/ui/uitest"
)

// toForm goes from the start screen to the household certificate's form with the
// synthetic resident's card.
func toForm(t *testing.T, k *uitest.Kiosk) {
	t.Helper()
	k.Tap("home.apply")
	k.WaitScreen("catalog")
	k.Tap("catalog.service.hukou-proof")
	k.WaitScreen("guide")
	k.Tap("guide.begin")
	k.WaitScreen("identify")
	k.Reader.Place(uitest.Resident())
	k.WaitScreen("form")
}

// fillForm types a mobile number and picks a purpose.
func fillForm(t *testing.T, k *uitest.Kiosk) {
	t.Helper()
	k.Tap("form.field.mobile")
	k.Type("keypad", "13912345678")
	k.Tap("form.field.purpose")
	k.Tap("form.choice.work")
}

// scanAll scans the two pages of the household register.
func scanAll(t *testing.T, k *uitest.Kiosk) {
	t.Helper()
	for i := 1; i <= 2; i++ {
		k.Tap("materials.scan.household-register")
		k.Loop.WaitFor(t, "page scanned", func() bool { return k.App.Session().PageCount("household-register") == i })
	}
}

func TestFullSession(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	resident := uitest.Resident()
	toForm(t, k)
	if !k.Shows(resident.Name) {
		t.Error("the form does not show the name read from the card")
	}
	fillForm(t, k)
	k.Tap("form.next")
	k.WaitScreen("materials")
	scanAll(t, k)
	k.Tap("materials.next")
	k.WaitScreen("review")
	k.Tap("review.confirm")
	k.WaitScreen("receipt")

	subs := k.Submitter.Submissions()
	if len(subs) != 1 {
		t.Fatalf("%d submissions stored, want 1", len(subs))
	}
	sub := subs[0]
	if sub.ServiceID != "hukou-proof" || sub.Values["mobile"] != "13912345678" || sub.Values["purpose"] != "work" ||
		sub.IDNumber != resident.IDNumber || sub.Pages != 2 {
		t.Errorf("stored submission %+v does not hold what was entered", sub)
	}
	printed := k.Printer.Printed()
	if len(printed) != 1 || !strings.Contains(printed[0], sub.Code) {
		t.Fatalf("printed %q, want one receipt with code %s", printed, sub.Code)
	}
	if strings.Contains(printed[0], resident.IDNumber) || strings.Contains(printed[0], resident.Name) {
		t.Errorf("receipt shows the full name or number:\n%s", printed[0])
	}
	if !k.Shows(sub.Code) {
		t.Error("receipt screen does not show the tracking code")
	}

	k.Tap("receipt.done")
	k.WaitScreen("rate")
	k.Tap("rate.star.5")
	k.Tap("rate.reason.fast")
	k.Tap("rate.send")
	k.WaitScreen("thanks")
	k.Loop.WaitFor(t, "rating recorded", func() bool { return len(k.Submitter.Ratings()) == 1 })
	r := k.Submitter.Ratings()[0]
	if r.Stars != 5 || r.Code != sub.Code || r.ServiceID != "hukou-proof" || !slices.Equal(r.Reasons, []string{"fast"}) {
		t.Errorf("rating %+v, want 5 stars for %s with reason fast", r, sub.Code)
	}
	assertNothingPersonal(t, k, append(uitest.PersonalStrings(resident), "13912345678"))

	k.Clock.Advance(6 * time.Second)
	k.WaitScreen("home")
	if st := k.App.Session().State(); st != session.StateIdle {
		t.Errorf("session state %s after thanks, want idle", st)
	}
}

// assertNothingPersonal walks every text the window holds.
func assertNothingPersonal(t *testing.T, k *uitest.Kiosk, personal []string) {
	t.Helper()
	texts := k.Texts()
	if len(texts) < 3 {
		t.Fatalf("only %d texts found in the window: the walk is broken", len(texts))
	}
	for _, s := range texts {
		for _, p := range personal {
			if p != "" && strings.Contains(s, p) {
				t.Errorf("screen %q still shows personal data %q in %q", k.App.ScreenName(), p, s)
			}
		}
	}
}

// TestPreviewsWipedAfterTheVisit keeps the preview images the materials screen drew and
// checks that nothing of the scanned pages is left in them once the visit is over, even
// where Fyne's caches still hold the images.
func TestPreviewsWipedAfterTheVisit(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	toForm(t, k)
	fillForm(t, k)
	k.Tap("form.next")
	k.WaitScreen("materials")
	scanAll(t, k)
	var previews []*image.NRGBA
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch v := o.(type) {
		case *canvas.Image:
			// Page previews, not the icons buttons draw (a few dozen pixels).
			if img, ok := v.Image.(*image.NRGBA); ok && img.Bounds().Dy() > 100 {
				previews = append(previews, img)
			}
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(v).Objects() {
				walk(c)
			}
		}
	}
	walk(k.Window.Canvas().Content())
	if len(previews) == 0 {
		t.Fatal("no page previews on the materials screen: the check below would prove nothing")
	}
	blank := func() bool {
		for _, p := range previews {
			for _, b := range p.Pix {
				if b != 0 {
					return false
				}
			}
		}
		return true
	}
	if blank() {
		t.Fatal("the previews are blank while shown")
	}
	k.Tap("materials.next")
	k.WaitScreen("review")
	k.Tap("review.confirm")
	k.WaitScreen("receipt")
	if !blank() {
		t.Error("the previews of the resident's pages outlived the submission")
	}
}
