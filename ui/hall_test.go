package ui_test

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"github.com/govkiosk/govkiosk/kiosk/form"
	"github.com/govkiosk/govkiosk/ui"
	"github.com/govkiosk/govkiosk/ui/uitest"
)

// TestHallNameShownWhole: the start screen shows the hall's whole name on every display,
// in zh, en and elder mode, also a long one; it was cut with "…" in English and elder
// mode.
func TestHallNameShownWhole(t *testing.T) {
	halls := []form.Text{
		{Zh: "示例市示例区政务服务中心（东城分中心）", En: "Sample District Government Service Centre, East City Branch"},
	}
	for _, hall := range halls {
		for _, d := range displays {
			for _, m := range visitModes {
				t.Run(d.name+"/"+m.name+"/"+hall.Zh, func(t *testing.T) {
					k := uitest.Start(t, uitest.Options{Fonts: true, Size: d.size, Deps: func(deps *ui.Deps) { deps.Hall = hall }})
					if m.elder {
						k.Tap("home.elder")
					}
					if m.en {
						k.Tap("home.lang")
					}
					k.Drain()
					want := hall.Zh
					if m.en {
						want = hall.En
					}
					var drawn []string
					var walk func(o fyne.CanvasObject)
					walk = func(o fyne.CanvasObject) {
						if o == nil || !o.Visible() {
							return
						}
						switch v := o.(type) {
						case *canvas.Text:
							drawn = append(drawn, v.Text)
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
					for _, s := range drawn {
						if s == want {
							return
						}
						if strings.HasPrefix(want, strings.TrimSuffix(s, "…")) && strings.HasSuffix(s, "…") {
							t.Fatalf("the hall's name is cut: %q", s)
						}
					}
					t.Errorf("the hall's name %q is not drawn whole; drawn: %q", want, drawn)
				})
			}
		}
	}
}
