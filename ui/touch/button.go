package touch

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/govkiosk/govkiosk/ui/kiosktheme"
)

// Importance says how much a button stands out.
type Importance int

const (
	// Secondary is a plain button: back, home, alternatives.
	Secondary Importance = iota
	// Primary is the one action a screen leads to: next, submit.
	Primary
	// Quiet is a borderless button for toggles that must not compete with the content.
	Quiet
	// Danger is for actions that throw work away.
	Danger
)

// Button is a touch button at least the theme's target size in both directions, with
// immediate pressed feedback (a finger hides the button, so the colour change must show
// at once). Large buttons use sub-heading type.
type Button struct {
	widget.BaseWidget

	Text       string
	Icon       fyne.Resource
	Importance Importance
	Large      bool
	// Keycap makes the button an on-screen key: as tall as the theme's key size, with
	// heading-sized type, and as narrow as a touch target so rows of keys fit the screen.
	Keycap bool
	// TextSize, when set, overrides the size of the label.
	TextSize fyne.ThemeSizeName
	OnTapped func()

	disabled bool
	pressed  bool
}

var (
	_ fyne.Tappable     = (*Button)(nil)
	_ desktop.Mouseable = (*Button)(nil)
	_ fyne.Disableable  = (*Button)(nil)
)

// NewButton returns a secondary button.
func NewButton(text string, icon fyne.Resource, tapped func()) *Button {
	b := &Button{Text: text, Icon: icon, OnTapped: tapped}
	b.ExtendBaseWidget(b)
	return b
}

// NewPrimary returns a large primary button.
func NewPrimary(text string, icon fyne.Resource, tapped func()) *Button {
	b := &Button{Text: text, Icon: icon, OnTapped: tapped, Importance: Primary, Large: true}
	b.ExtendBaseWidget(b)
	return b
}

// Label returns the button's text.
func (b *Button) Label() string { return b.Text }

// SetText changes the label.
func (b *Button) SetText(s string) {
	b.Text = s
	b.Refresh()
}

// Tapped runs OnTapped unless the button is disabled.
func (b *Button) Tapped(*fyne.PointEvent) {
	taps.Add(1)
	b.pressed = false
	if b.disabled || b.OnTapped == nil {
		b.Refresh()
		return
	}
	b.Refresh()
	b.OnTapped()
}

// MouseDown shows the pressed colour.
func (b *Button) MouseDown(*desktop.MouseEvent) {
	if !b.disabled {
		b.pressed = true
		b.Refresh()
	}
}

// MouseUp clears the pressed colour.
func (b *Button) MouseUp(*desktop.MouseEvent) {
	if b.pressed {
		b.pressed = false
		b.Refresh()
	}
}

// Disable makes the button ignore taps and look inactive.
func (b *Button) Disable() {
	b.disabled = true
	b.Refresh()
}

// Enable makes the button tappable again.
func (b *Button) Enable() {
	b.disabled = false
	b.Refresh()
}

// Disabled reports whether the button ignores taps.
func (b *Button) Disabled() bool { return b.disabled }

// CreateRenderer builds the button's canvas objects.
func (b *Button) CreateRenderer() fyne.WidgetRenderer {
	r := &buttonRenderer{b: b, bg: canvas.NewRectangle(color.Transparent), text: canvas.NewText("", color.Black),
		icon: canvas.NewImageFromResource(nil)}
	r.icon.FillMode = canvas.ImageFillContain
	r.Refresh()
	return r
}

type buttonRenderer struct {
	b    *Button
	bg   *canvas.Rectangle
	text *canvas.Text
	icon *canvas.Image
}

func (r *buttonRenderer) iconSize() float32 {
	if r.b.Large {
		return size(theme.SizeNameSubHeadingText, r.b) * 1.1
	}
	return size(theme.SizeNameInlineIcon, r.b)
}

func (r *buttonRenderer) MinSize() fyne.Size {
	pad := size(theme.SizeNameInnerPadding, r.b)
	w := r.text.MinSize().Width
	h := r.text.MinSize().Height
	if r.b.Icon != nil {
		is := r.iconSize()
		if r.b.Text != "" {
			w += pad / 2
		}
		w += is
		h = max(h, is)
	}
	t := target(r.b)
	if r.b.Keycap {
		// Keys may shrink to three quarters of a touch target (still a fingertip, 48 px
		// and more) so that a keyboard fits a smaller display in elder mode; the key rows
		// stretch them up to the theme's key size where there is room.
		return fyne.NewSize(max(w+pad, t*0.75), max(h, t*0.75))
	}
	return fyne.NewSize(max(w+2*pad, t), max(h+pad*1.5, t))
}

func (r *buttonRenderer) Layout(s fyne.Size) {
	r.bg.Resize(s)
	r.bg.Move(fyne.NewPos(0, 0))
	ts := r.text.MinSize()
	w := ts.Width
	is := float32(0)
	gap := float32(0)
	if r.b.Icon != nil {
		is = r.iconSize()
		if r.b.Text != "" {
			gap = size(theme.SizeNameInnerPadding, r.b) / 2
		}
		w += is + gap
	}
	x := (s.Width - w) / 2
	if r.b.Icon != nil {
		r.icon.Resize(fyne.NewSquareSize(is))
		r.icon.Move(fyne.NewPos(x, (s.Height-is)/2))
		x += is + gap
	}
	r.text.Resize(ts)
	r.text.Move(fyne.NewPos(x, (s.Height-ts.Height)/2))
}

func (r *buttonRenderer) Refresh() {
	b := r.b
	th := b.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	col := func(n fyne.ThemeColorName) color.Color { return th.Color(n, v) }
	fill, fg, stroke := col(theme.ColorNameButton), theme.ColorNameForeground, color.Color(color.Transparent)
	switch b.Importance {
	case Primary:
		fill, fg = col(theme.ColorNamePrimary), theme.ColorNameForegroundOnPrimary
	case Danger:
		fill, fg = col(theme.ColorNameError), theme.ColorNameForegroundOnError
	case Quiet:
		fill, stroke = col(kiosktheme.ColorNameCard), col(theme.ColorNameSeparator)
	default:
		stroke = col(theme.ColorNameSeparator)
	}
	if b.disabled {
		fill, fg, stroke = col(theme.ColorNameDisabledButton), theme.ColorNameDisabled, color.Transparent
	}
	if b.pressed {
		fill = blend(fill, col(theme.ColorNameForeground), 0.25)
	}
	r.bg.FillColor = fill
	r.bg.StrokeColor = stroke
	r.bg.StrokeWidth = size(theme.SizeNameSeparatorThickness, b)
	r.bg.CornerRadius = size(theme.SizeNameInputRadius, b)
	r.text.Text = b.Text
	r.text.Color = col(fg)
	r.text.TextSize = size(theme.SizeNameText, b)
	r.text.TextStyle = fyne.TextStyle{Bold: b.Importance == Primary}
	if b.Large {
		r.text.TextSize = size(theme.SizeNameSubHeadingText, b)
	}
	if b.Keycap {
		r.text.TextSize = size(theme.SizeNameHeadingText, b)
		if len([]rune(b.Text)) > 1 {
			r.text.TextSize = size(theme.SizeNameText, b)
		}
	}
	if b.TextSize != "" {
		r.text.TextSize = size(b.TextSize, b)
	}
	if b.Icon != nil {
		r.icon.Resource = theme.NewColoredResource(b.Icon, fg)
		r.icon.Show()
	} else {
		r.icon.Resource = nil
		r.icon.Hide()
	}
	r.bg.Refresh()
	r.text.Refresh()
	r.icon.Refresh()
	r.Layout(b.Size())
}

func (r *buttonRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.bg, r.icon, r.text}
}

func (r *buttonRenderer) Destroy() {}

// blend mixes a towards b by f (0..1), keeping a's alpha.
func blend(a, b color.Color, f float32) color.Color {
	ar, ag, ab, aa := a.RGBA()
	br, bg, bb, _ := b.RGBA()
	mix := func(x, y uint32) uint8 { return uint8((float32(x)*(1-f) + float32(y)*f) / 257) }
	return color.NRGBA{R: mix(ar, br), G: mix(ag, bg), B: mix(ab, bb), A: uint8(aa / 257)}
}
