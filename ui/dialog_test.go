package ui_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"github.com/govkiosk/govkiosk/ui/uitest"
)

// drawnLines returns the text of every visible canvas.Text in the dialog shown now: the
// lines as drawn, after wrapping.
func drawnLines(k *uitest.Kiosk) []string {
	var out []string
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		switch v := o.(type) {
		case *canvas.Text:
			out = append(out, v.Text)
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
	walk(k.App.DialogContent())
	return out
}

// TestStillThereCountdownHoldsStill: the "still there?" countdown keeps its number and
// unit on one line ("16 / 秒后" wrapped across two), and the dialog does not move or
// change size as the number shrinks.
func TestStillThereCountdownHoldsStill(t *testing.T) {
	for _, d := range displays[:2] {
		for _, m := range visitModes {
			t.Run(d.name+"/"+m.name, func(t *testing.T) {
				k := uitest.Start(t, uitest.Options{Fonts: true, Size: d.size})
				if m.elder {
					k.Tap("home.elder")
				}
				if m.en {
					k.Tap("home.lang")
				}
				toForm(t, k)
				idle := 91 * time.Second
				if m.elder {
					idle *= 2
				}
				k.Clock.Advance(idle)
				k.WaitScreen("still_there")
				unit := "秒"
				if m.en {
					unit = "second"
				}
				drv := fyne.CurrentApp().Driver()
				box := func() string {
					var b strings.Builder
					for _, id := range []string{"still_there.continue", "still_there.leave"} {
						o := k.App.Element(id)
						fmt.Fprintf(&b, "%s@%v+%v ", id, drv.AbsolutePositionForObject(o), o.Size())
					}
					return b.String()
				}
				k.Drain()
				first := box()
				// The countdown starts at the warning time (20 s, twice that in elder mode).
				secs := 0
				for _, line := range drawnLines(k) {
					for _, n := range []int{20, 40} {
						if containsNumber(line, n) {
							secs = n
						}
					}
				}
				if secs == 0 {
					t.Fatalf("no countdown from 20 or 40 s on screen: %q", drawnLines(k))
				}
				seen := 0
				for ; secs > 0; secs-- {
					if k.App.ScreenName() != "still_there" {
						break
					}
					k.Loop.WaitFor(t, fmt.Sprintf("%d s shown", secs), func() bool {
						for _, line := range drawnLines(k) {
							if containsNumber(line, secs) {
								return true
							}
						}
						return false
					})
					found := false
					for _, line := range drawnLines(k) {
						if containsNumber(line, secs) {
							found = true
							if !strings.Contains(line, unit) {
								t.Errorf("%d s left: the line %q has the number without its unit %q", secs, line, unit)
							}
						}
					}
					if !found {
						t.Errorf("%d s left: no line shows the number; lines %q", secs, drawnLines(k))
					}
					if b := box(); b != first {
						t.Errorf("%d s left: the dialog moved: %s, was %s", secs, b, first)
					}
					seen++
					if t.Failed() {
						break
					}
					k.Clock.Advance(time.Second)
					k.App.Session().Tick()
				}
				if seen < 10 {
					t.Errorf("saw the countdown only %d times", seen)
				}
			})
		}
	}
}

// containsNumber reports whether s holds n as a whole number (not as part of another).
func containsNumber(s string, n int) bool {
	want := strconv.Itoa(n)
	for i := 0; i+len(want) <= len(s); i++ {
		if s[i:i+len(want)] != want {
			continue
		}
		before := i == 0 || s[i-1] < '0' || s[i-1] > '9'
		after := i+len(want) == len(s) || s[i+len(want)] < '0' || s[i+len(want)] > '9'
		if before && after {
			return true
		}
	}
	return false
}
