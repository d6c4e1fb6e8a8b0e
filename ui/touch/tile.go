package touch

import (
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/govkiosk/govkiosk/ui/kiosktheme"
)

// Tile is a large card with an icon, a title and one line of explanation: the home
// screen's main choices and the catalog's items. A Primary tile is filled with the
// primary colour to mark the most common choice.
type Tile struct {
	widget.BaseWidget

	Title    string
	Subtitle string
	Icon     fyne.Resource
	Primary  bool
	OnTapped func()

	pressed  bool
	disabled bool
}

var (
	_ fyne.Tappable     = (*Tile)(nil)
	_ fyne.Disableable  = (*Tile)(nil)
	_ desktop.Mouseable = (*Tile)(nil)
)

// NewTile returns a tile.
func NewTile(title, subtitle string, icon fyne.Resource, tapped func()) *Tile {
	t := &Tile{Title: title, Subtitle: subtitle, Icon: icon, OnTapped: tapped}
	t.ExtendBaseWidget(t)
	return t
}

// Label returns the tile's title.
func (t *Tile) Label() string { return t.Title }

// Disable makes the tile ignore taps and look inactive: a choice the kiosk cannot offer
// now, whose subtitle says why.
func (t *Tile) Disable() {
	t.disabled = true
	t.Refresh()
}

// Enable makes the tile tappable again.
func (t *Tile) Enable() {
	t.disabled = false
	t.Refresh()
}

// Disabled reports whether the tile ignores taps.
func (t *Tile) Disabled() bool { return t.disabled }

// Tapped runs OnTapped, unless the tile is disabled.
func (t *Tile) Tapped(*fyne.PointEvent) {
	if t.disabled {
		return
	}
	taps.Add(1)
	t.pressed = false
	t.Refresh()
	if t.OnTapped != nil {
		t.OnTapped()
	}
}

// MouseDown shows the pressed colour.
func (t *Tile) MouseDown(*desktop.MouseEvent) {
	if !t.disabled {
		t.pressed = true
		t.Refresh()
	}
}

// MouseUp clears the pressed colour.
func (t *Tile) MouseUp(*desktop.MouseEvent) { t.pressed = false; t.Refresh() }

// CreateRenderer builds the tile's canvas objects.
func (t *Tile) CreateRenderer() fyne.WidgetRenderer {
	r := &tileRenderer{t: t, bg: canvas.NewRectangle(color.Transparent),
		icon: canvas.NewImageFromResource(nil), title: canvas.NewText("", color.Black),
		sub: widget.NewRichText(&widget.TextSegment{})}
	r.icon.FillMode = canvas.ImageFillContain
	r.sub.Wrapping = fyne.TextWrapOff // Layout breaks its lines, between words only
	r.Refresh()
	return r
}

type tileRenderer struct {
	t     *Tile
	bg    *canvas.Rectangle
	icon  *canvas.Image
	title *canvas.Text
	sub   *widget.RichText
}

func (r *tileRenderer) iconSize() float32 { return size(kiosktheme.SizeNameTileHeight, r.t) * 0.32 }

func (r *tileRenderer) MinSize() fyne.Size {
	pad := size(theme.SizeNameInnerPadding, r.t)
	h := size(kiosktheme.SizeNameTileHeight, r.t)
	w := max(r.title.MinSize().Width+2*pad, h*1.2)
	// Tiles are as tall as the theme says where there is room; on a short display (elder
	// mode at 1280×800) they give way down to this, and the icon gives way to the words.
	return fyne.NewSize(w, h*0.6)
}

func (r *tileRenderer) Layout(s fyne.Size) {
	pad := size(theme.SizeNameInnerPadding, r.t)
	r.bg.Resize(s)
	is := r.iconSize()
	ts := r.title.MinSize()
	subH := float32(0)
	fits := r.setSubLines(s.Width - 2*pad)
	if fits {
		subH = r.sub.MinSize().Height
	}
	// On a short tile (elder mode on a smaller display) the subtitle gives way to the
	// title rather than running out of the tile, and to the icon: a subtitle wrapped onto
	// a second line took the icon's room, so two of four English tiles had none.
	iconMin := size(theme.SizeNameInlineIcon, r.t)
	r.sub.Hidden = !fits || pad/2+ts.Height+subH+pad/2 > s.Height ||
		(s.Height-pad-ts.Height-subH-pad/2 < iconMin && s.Height-pad-ts.Height-pad/2 >= iconMin)
	if r.sub.Hidden {
		subH = 0
	}
	// On a short tile (elder mode on a landscape screen) the icon gives way to the words.
	is = min(is, s.Height-pad-ts.Height-subH-pad/2)
	r.icon.Hidden = is < iconMin
	if r.icon.Hidden {
		is = 0
	}
	total := is + pad/2 + ts.Height + subH
	y := max((s.Height-total)/2, pad/2)
	r.icon.Resize(fyne.NewSquareSize(is))
	r.icon.Move(fyne.NewPos((s.Width-is)/2, y))
	y += is + pad/2
	r.title.Resize(fyne.NewSize(s.Width-2*pad, ts.Height))
	r.title.Move(fyne.NewPos(pad, y))
	y += ts.Height
	r.sub.Resize(fyne.NewSize(s.Width-2*pad, subH))
	r.sub.Move(fyne.NewPos(pad, y))
}

// setSubLines breaks the subtitle into lines of at most width, between words (and after
// Chinese punctuation) only. It reports false when there is no subtitle, or a word alone
// is wider than the tile.
func (r *tileRenderer) setSubLines(width float32) bool {
	seg, ok := r.sub.Segments[0].(*widget.TextSegment)
	if !ok || r.t.Subtitle == "" {
		return false
	}
	textSize := size(theme.SizeNameText, r.t)
	width -= 2 * size(theme.SizeNameInnerPadding, r.t) // the rich text's own margins
	lines, fits := wrapWhole(r.t.Subtitle, width, func(s string) float32 {
		return fyne.MeasureText(s, textSize, seg.Style.TextStyle).Width
	})
	if !fits {
		return false
	}
	if text := strings.Join(lines, "\n"); seg.Text != text {
		seg.Text = text
		r.sub.Refresh()
	}
	return true
}

func (r *tileRenderer) Refresh() {
	t := r.t
	th := t.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	col := func(n fyne.ThemeColorName) color.Color { return th.Color(n, v) }
	fill, fg, iconCol := col(kiosktheme.ColorNameCard), theme.ColorNameForeground, theme.ColorNamePrimary
	if t.Primary {
		fill, fg, iconCol = col(theme.ColorNamePrimary), theme.ColorNameForegroundOnPrimary, theme.ColorNameForegroundOnPrimary
	}
	if t.disabled {
		fill, fg, iconCol = col(theme.ColorNameDisabledButton), theme.ColorNameDisabled, theme.ColorNameDisabled
	}
	if t.pressed {
		fill = blend(fill, col(theme.ColorNameForeground), 0.2)
	}
	r.bg.FillColor = fill
	r.bg.StrokeColor = col(theme.ColorNameSeparator)
	r.bg.StrokeWidth = size(theme.SizeNameSeparatorThickness, t)
	r.bg.CornerRadius = size(theme.SizeNameInputRadius, t) * 1.6
	if t.Icon != nil {
		r.icon.Resource = theme.NewColoredResource(t.Icon, iconCol)
	}
	r.title.Text = t.Title
	r.title.TextSize = size(theme.SizeNameHeadingText, t)
	r.title.TextStyle.Bold = true
	r.title.Alignment = fyne.TextAlignCenter
	r.title.Color = col(fg)
	subCol := kiosktheme.ColorNameMuted
	switch {
	case t.disabled:
		// The subtitle says why the choice is off: it stays readable.
		subCol = theme.ColorNameForeground
	case t.Primary:
		subCol = theme.ColorNameForegroundOnPrimary
	}
	r.sub.Segments[0] = &widget.TextSegment{Text: t.Subtitle, Style: widget.RichTextStyle{
		Alignment: fyne.TextAlignCenter, ColorName: subCol, SizeName: theme.SizeNameText, Inline: true}}
	r.sub.Refresh()
	r.bg.Refresh()
	r.icon.Refresh()
	r.title.Refresh()
	r.Layout(t.Size())
}

func (r *tileRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.bg, r.icon, r.title, r.sub}
}

func (r *tileRenderer) Destroy() {}
