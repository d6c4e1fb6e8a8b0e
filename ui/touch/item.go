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

// Item is a tappable card in a list: a bold title, a line of explanation and small tags
// ("一件事", "即办", "免费"). Selected items are outlined in the primary colour.
type Item struct {
	widget.BaseWidget

	Title    string
	Subtitle string
	Tags     []string
	Selected bool
	OnTapped func()

	pressed bool
}

var (
	_ fyne.Tappable     = (*Item)(nil)
	_ desktop.Mouseable = (*Item)(nil)
)

// NewItem returns a list card.
func NewItem(title, subtitle string, tags []string, tapped func()) *Item {
	it := &Item{Title: title, Subtitle: subtitle, Tags: tags, OnTapped: tapped}
	it.ExtendBaseWidget(it)
	return it
}

// Label returns the card's title.
func (it *Item) Label() string { return it.Title }

// Tapped runs OnTapped.
func (it *Item) Tapped(*fyne.PointEvent) {
	taps.Add(1)
	it.pressed = false
	it.Refresh()
	if it.OnTapped != nil {
		it.OnTapped()
	}
}

// MouseDown shows the pressed colour.
func (it *Item) MouseDown(*desktop.MouseEvent) { it.pressed = true; it.Refresh() }

// MouseUp clears the pressed colour.
func (it *Item) MouseUp(*desktop.MouseEvent) { it.pressed = false; it.Refresh() }

// CreateRenderer builds the card.
func (it *Item) CreateRenderer() fyne.WidgetRenderer {
	r := &itemRenderer{it: it, bg: canvas.NewRectangle(color.Transparent),
		title: widget.NewRichText(&widget.TextSegment{}), sub: widget.NewRichText(&widget.TextSegment{})}
	r.title.Wrapping = fyne.TextWrapWord
	r.sub.Wrapping = fyne.TextWrapWord
	r.Refresh()
	return r
}

type itemRenderer struct {
	it    *Item
	bg    *canvas.Rectangle
	title *widget.RichText
	sub   *widget.RichText
	tags  []fyne.CanvasObject // pairs of background and text
}

func (r *itemRenderer) tagSize(i int) fyne.Size {
	txt := r.tags[2*i+1].MinSize()
	pad := size(theme.SizeNamePadding, r.it)
	return fyne.NewSize(txt.Width+2*pad, txt.Height+pad/2)
}

// heights lays the texts out at width and returns the height each takes. The rich texts
// carry their own inner padding, which serves as the card's: the title sits at the card's
// top-left corner and the subtitle overlaps the title's bottom padding.
func (r *itemRenderer) heights(width float32) (title, sub, tags float32) {
	pad := size(theme.SizeNameInnerPadding, r.it)
	r.title.Resize(fyne.NewSize(width, r.title.MinSize().Height))
	title = r.title.MinSize().Height
	if r.it.Subtitle != "" {
		r.sub.Resize(fyne.NewSize(width, r.sub.MinSize().Height))
		sub = r.sub.MinSize().Height - pad
	}
	if len(r.tags) > 0 {
		tags = r.tagLines(width) * (r.tagSize(0).Height + size(theme.SizeNamePadding, r.it)/2)
	}
	return
}

// tagLines is how many lines the tags take at width: they wrap rather than run past the
// card's edge on a narrow (portrait) screen.
func (r *itemRenderer) tagLines(width float32) float32 {
	pad := size(theme.SizeNameInnerPadding, r.it)
	lines, x := float32(1), pad
	for i := 0; i < len(r.tags)/2; i++ {
		w := r.tagSize(i).Width
		if x > pad && x+w > width-pad {
			lines++
			x = pad
		}
		x += w + pad/2
	}
	return lines
}

func (r *itemRenderer) MinSize() fyne.Size {
	pad := size(theme.SizeNameInnerPadding, r.it)
	w := max(r.it.Size().Width, target(r.it)*3.5)
	t, s, g := r.heights(w)
	h := t + s
	if g > 0 {
		h += g + pad
	}
	return fyne.NewSize(target(r.it)*3.5, max(h, target(r.it)*1.5))
}

func (r *itemRenderer) Layout(sz fyne.Size) {
	pad := size(theme.SizeNameInnerPadding, r.it)
	r.bg.Resize(sz)
	t, s, _ := r.heights(sz.Width)
	r.title.Move(fyne.NewPos(0, 0))
	y := t - pad
	r.sub.Move(fyne.NewPos(0, y))
	y = t + s
	if r.it.Subtitle != "" {
		y -= pad / 2
	}
	x := pad
	for i := 0; i < len(r.tags)/2; i++ {
		ts := r.tagSize(i)
		if x > pad && x+ts.Width > sz.Width-pad {
			x = pad
			y += ts.Height + size(theme.SizeNamePadding, r.it)/2
		}
		r.tags[2*i].Resize(ts)
		r.tags[2*i].Move(fyne.NewPos(x, y))
		txt := r.tags[2*i+1]
		txt.Resize(txt.MinSize())
		txt.Move(fyne.NewPos(x+(ts.Width-txt.MinSize().Width)/2, y+(ts.Height-txt.MinSize().Height)/2))
		x += ts.Width + pad/2
	}
}

func (r *itemRenderer) Refresh() {
	it := r.it
	th := it.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	col := func(n fyne.ThemeColorName) color.Color { return th.Color(n, v) }
	r.bg.FillColor = col(kiosktheme.ColorNameCard)
	if it.pressed {
		r.bg.FillColor = blend(r.bg.FillColor, col(theme.ColorNameForeground), 0.15)
	}
	r.bg.StrokeColor = col(theme.ColorNameSeparator)
	r.bg.StrokeWidth = size(theme.SizeNameSeparatorThickness, it)
	if it.Selected {
		r.bg.StrokeColor = col(theme.ColorNamePrimary)
		r.bg.StrokeWidth *= 2.5
	}
	r.bg.CornerRadius = size(theme.SizeNameInputRadius, it) * 1.5
	r.title.Segments[0] = &widget.TextSegment{Text: it.Title, Style: widget.RichTextStyle{
		SizeName: theme.SizeNameSubHeadingText, ColorName: theme.ColorNameForeground, TextStyle: fyne.TextStyle{Bold: true}, Inline: true}}
	r.sub.Segments[0] = &widget.TextSegment{Text: it.Subtitle, Style: widget.RichTextStyle{
		SizeName: theme.SizeNameText, ColorName: kiosktheme.ColorNameMuted, Inline: true}}
	r.sub.Hidden = it.Subtitle == ""
	r.tags = r.tags[:0]
	for _, t := range it.Tags {
		bg := canvas.NewRectangle(col(kiosktheme.ColorNameLocked))
		bg.CornerRadius = size(theme.SizeNameInputRadius, it)
		txt := canvas.NewText(t, col(theme.ColorNamePrimary))
		txt.TextSize = size(theme.SizeNameCaptionText, it)
		r.tags = append(r.tags, bg, txt)
	}
	r.bg.Refresh()
	r.title.Refresh()
	r.sub.Refresh()
	r.Layout(it.Size())
}

func (r *itemRenderer) Objects() []fyne.CanvasObject {
	return append([]fyne.CanvasObject{r.bg, r.title, r.sub}, r.tags...)
}

func (r *itemRenderer) Destroy() {}
