package a11y

import (
	"image/color"
	"math"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

func TestContrastFormula(t *testing.T) {
	for _, tc := range []struct {
		a, b color.Color
		want float64
	}{
		{color.Black, color.White, 21},
		{color.White, color.White, 1},
		// WCAG's own examples: #777 on white is 4.48:1, just failing AA.
		{color.NRGBA{0x77, 0x77, 0x77, 0xFF}, color.White, 4.48},
		// The kiosk's primary blue with white text.
		{color.NRGBA{0x1D, 0x4F, 0x91, 0xFF}, color.White, 8.14},
	} {
		if got := Contrast(tc.a, tc.b); math.Abs(got-tc.want) > 0.05 {
			t.Errorf("Contrast(%v, %v) = %.2f, want %.2f", tc.a, tc.b, got, tc.want)
		}
	}
	half := Over(color.NRGBA{A: 0x80}, color.White)
	if half.R < 0x7E || half.R > 0x80 {
		t.Errorf("half black over white = %v", half)
	}
}

func kinds(fs []Finding) string {
	var s []string
	for _, f := range fs {
		s = append(s, string(f.Kind)+": "+f.What)
	}
	return strings.Join(s, "\n")
}

// Each rule fires on a screen built to break it, and not on one built to pass it.
func TestCheckFindsEachFailure(t *testing.T) {
	test.NewTempApp(t)
	win := fyne.NewSize(400, 300)
	place := func(o fyne.CanvasObject, x, y, w, h float32) fyne.CanvasObject {
		o.Move(fyne.NewPos(x, y))
		o.Resize(fyne.NewSize(w, h))
		return o
	}
	text := func(s string, size float32, c color.Color) *canvas.Text {
		t := canvas.NewText(s, c)
		t.TextSize = size
		return t
	}
	bg := canvas.NewRectangle(color.White)
	good := container.NewWithoutLayout(
		place(bg, 0, 0, 400, 300),
		place(widget.NewButtonWithIcon("", theme.ConfirmIcon(), nil), 10, 10, 120, 64), // no text: Fyne's own text size is small
		place(text("Fine", 36, color.Black), 10, 100, 200, 50),
	)
	if fs := Check(good, win, Options{Elder: true, Background: color.White}); len(fs) != 0 {
		t.Errorf("a good screen has findings:\n%s", kinds(fs))
	}

	grey := color.NRGBA{0x99, 0x99, 0x99, 0xFF}
	box := container.NewWithoutLayout(place(text("Fee 20.00", 36, color.Black), 0, 40, 200, 50))
	bad := container.NewWithoutLayout(
		place(canvas.NewRectangle(color.White), 0, 0, 400, 300),
		place(widget.NewButton("x", nil), 10, 10, 50, 50),               // small in elder mode
		place(text("Grey", 36, grey), 10, 100, 200, 50),                 // 2.8:1
		place(text("Tiny", 20, color.Black), 10, 160, 200, 30),          // small text
		place(box, 220, 150, 150, 60),                                   // text runs out of its card
		place(text("Off the edge", 36, color.Black), 300, 260, 200, 50), // outside the window
	)
	fs := Check(bad, win, Options{Elder: true, Background: color.White})
	got := kinds(fs)
	for _, want := range []string{
		"small tap target: widget.Button",
		`low contrast: text "Grey"`,
		`small text: text "Tiny"`,
		`clipped: text "Fee 20.00"`,
		`clipped: text "Off the edge"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	// Normal mode: a 50 px button and 20 px text pass.
	if got := kinds(Check(bad, win, Options{Background: color.White})); strings.Contains(got, "widget.Button") || strings.Contains(got, "Tiny") {
		t.Errorf("normal mode held to elder figures:\n%s", got)
	}
}

// A scroll paints only its viewport: a dark card scrolled past the bottom of the scroll
// area is not the background of a line drawn under that area, but it still is of a text
// on it in view.
func TestCheckPaintsOnlyWhatAScrollShows(t *testing.T) {
	test.NewTempApp(t)
	win := fyne.NewSize(400, 300)
	place := func(o fyne.CanvasObject, x, y, w, h float32) fyne.CanvasObject {
		o.Move(fyne.NewPos(x, y))
		o.Resize(fyne.NewSize(w, h))
		return o
	}
	text := func(s string) *canvas.Text {
		t := canvas.NewText(s, color.Black)
		t.TextSize = 36
		return t
	}
	navy := color.NRGBA{0x10, 0x20, 0x40, 0xFF}
	content := container.NewWithoutLayout(
		place(canvas.NewRectangle(navy), 0, 0, 400, 250),
		place(text("On the card"), 10, 20, 200, 50),
	)
	screen := container.NewWithoutLayout(
		place(container.NewVScroll(content), 0, 0, 400, 100),
		place(text("Under the scroll"), 10, 150, 300, 50),
	)
	got := kinds(Check(screen, win, Options{Background: color.White}))
	if !strings.Contains(got, `low contrast: text "On the card"`) {
		t.Errorf("black text on the navy card in view not found:\n%s", got)
	}
	if strings.Contains(got, "Under the scroll") {
		t.Errorf("the card scrolled out of view taken for the background under the scroll:\n%s", got)
	}

	// A button at the viewport's bottom edge, mostly scrolled away: its visible part is
	// black on white, and its centre (out of view) has nothing painted under it.
	content = container.NewWithoutLayout(
		place(canvas.NewRectangle(color.White), 0, 80, 300, 50),
		place(text("Half in view"), 10, 80, 200, 50),
	)
	screen = container.NewWithoutLayout(place(container.NewVScroll(content), 0, 0, 400, 100))
	if got := kinds(Check(screen, win, Options{Background: color.Black})); strings.Contains(got, `low contrast: text "Half in view"`) {
		t.Errorf("a text half in view judged against what is painted out of view:\n%s", got)
	}
}
