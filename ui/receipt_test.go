package ui_test

import (
	"testing"

	"github.com/govkiosk/govkiosk/ui"
	"github.com/govkiosk/govkiosk/ui/uitest"
)

// TestReprintWhilePaperStillOutSaysSo: 重新打印 with the paper still out used to bring
// back the same receipt screen, word for word: the resident could not tell that anything
// had been tried. Now the screen says the new try failed too, and counts the tries.
func TestReprintWhilePaperStillOutSaysSo(t *testing.T) {
	for _, c := range []struct {
		name   string
		en     bool
		second string
		third  string
	}{
		{"zh", false, "仍未成功（共试了 2 次）", "仍未成功（共试了 3 次）"},
		{"en", true, "still not printed (tried 2 times)", "still not printed (tried 3 times)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := uitest.Start(t, uitest.Options{})
			if c.en {
				k.Tap("home.lang")
			}
			path["review"](t, k)
			k.Printer.FailWith(&ui.PrinterError{Fault: ui.FaultPaperOut})
			k.Tap("review.confirm")
			k.WaitScreen("receipt")
			if k.Shows(c.second) {
				t.Fatalf("the first try already speaks of a second: %v", k.Texts())
			}
			k.Tap("receipt.reprint")
			k.Loop.WaitFor(t, "the second try's failure said", func() bool {
				return k.App.ScreenName() == "receipt" && k.Shows(c.second)
			})
			k.Tap("receipt.reprint")
			k.Loop.WaitFor(t, "the third try's failure said", func() bool {
				return k.App.ScreenName() == "receipt" && k.Shows(c.third)
			})
			// The paper is back: the receipt prints and the failure words go.
			k.Printer.FailWith(nil)
			k.Tap("receipt.reprint")
			k.Loop.WaitFor(t, "printed", func() bool { return len(k.Printer.Printed()) == 1 && k.App.ScreenName() == "receipt" })
			if k.Shows(c.third) {
				t.Errorf("the printed receipt screen still says the try failed: %v", k.Texts())
			}
		})
	}
}
