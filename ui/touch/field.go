package touch

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/govkiosk/govkiosk/ui/kiosktheme"
)

// Field shows one form field as a large box: its question above, its value inside, and
// below either a short hint or, in the error colour, what to write instead. A field whose
// value came from the ID card is drawn filled, with a lock and a note saying so, and
// ignores taps. The active field (the one the keypad types into) has a thick border.
type Field struct {
	widget.BaseWidget

	Title       string
	Value       string
	Placeholder string
	Hint        string
	Error       string
	Locked      bool
	LockedNote  string
	Active      bool
	OnTapped    func()
}

var _ fyne.Tappable = (*Field)(nil)

// NewField returns a field.
func NewField(title string, tapped func()) *Field {
	f := &Field{Title: title, OnTapped: tapped}
	f.ExtendBaseWidget(f)
	return f
}

// Label returns the field's question.
func (f *Field) Label() string { return f.Title }

// Tapped makes the field active unless it is locked.
func (f *Field) Tapped(*fyne.PointEvent) {
	taps.Add(1)
	if f.Locked || f.OnTapped == nil {
		return
	}
	f.OnTapped()
}

// CreateRenderer builds the field's canvas objects.
func (f *Field) CreateRenderer() fyne.WidgetRenderer {
	r := &fieldRenderer{f: f,
		title: canvas.NewText("", color.Black),
		box:   canvas.NewRectangle(color.Transparent),
		value: canvas.NewText("", color.Black),
		caret: canvas.NewRectangle(color.Black),
		lock:  canvas.NewImageFromResource(theme.NewColoredResource(theme.AccountIcon(), kiosktheme.ColorNameMuted)),
		note:  canvas.NewText("", color.Black),
		msg:   widget.NewRichText(&widget.TextSegment{}),
		long:  widget.NewRichText(&widget.TextSegment{}),
	}
	r.long.Wrapping = fyne.TextWrapWord
	r.lock.FillMode = canvas.ImageFillContain
	r.msg.Wrapping = fyne.TextWrapWord
	r.Refresh()
	return r
}

type fieldRenderer struct {
	f     *Field
	title *canvas.Text
	box   *canvas.Rectangle
	value *canvas.Text
	caret *canvas.Rectangle
	lock  *canvas.Image
	note  *canvas.Text
	msg   *widget.RichText
	// long is the value wrapped over lines, shown instead of value when it is wider
	// than the box (an address in a narrow column or in elder mode).
	long *widget.RichText
}

// width is the width to lay out for: the field's own, or, before it has one, as wide as
// its title needs.
func (r *fieldRenderer) width() float32 {
	if w := r.f.Size().Width; w > 0 {
		return w
	}
	return max(r.title.MinSize().Width, target(r.f)*4)
}

// badgeSize is the size of the "read from the ID card" badge: the icon and the words.
func (r *fieldRenderer) badgeSize() fyne.Size {
	if !r.f.Locked {
		return fyne.Size{}
	}
	ns := r.note.MinSize()
	is := size(theme.SizeNameInlineIcon, r.f)
	return fyne.NewSize(is+size(theme.SizeNamePadding, r.f)+ns.Width, max(is, ns.Height))
}

// badgeBelow reports whether the badge takes a line of its own under the title, the title
// row being too narrow for both.
func (r *fieldRenderer) badgeBelow(w float32) bool {
	return r.f.Locked && r.title.MinSize().Width+2*size(theme.SizeNamePadding, r.f)+r.badgeSize().Width > w
}

// wraps reports whether the value (or the placeholder) is wider than its box and goes
// over lines.
func (r *fieldRenderer) wraps(w float32) bool {
	return r.value.Text != "" && r.value.MinSize().Width > w-2*size(theme.SizeNameInnerPadding, r.f)
}

func (r *fieldRenderer) boxHeight(w float32) float32 {
	inner := size(theme.SizeNameInnerPadding, r.f)
	vh := r.value.MinSize().Height
	if r.wraps(w) {
		r.long.Resize(fyne.NewSize(w-2*inner, r.long.MinSize().Height))
		vh = r.long.MinSize().Height
	}
	return max(vh+inner*1.5, target(r.f)*1.15)
}

// titleHeight is the space above the box: the title, with the badge beside it or on a
// line of its own; none for a field without a question or badge.
func (r *fieldRenderer) titleHeight(w float32) float32 {
	pad := size(theme.SizeNamePadding, r.f)
	if r.f.Title == "" && !r.f.Locked {
		return 0
	}
	th := r.title.MinSize().Height
	if r.f.Title == "" {
		th = 0
	}
	bs := r.badgeSize()
	if r.badgeBelow(w) {
		return th + pad/2 + bs.Height + pad
	}
	return max(th, bs.Height) + pad
}

func (r *fieldRenderer) MinSize() fyne.Size {
	pad := size(theme.SizeNamePadding, r.f)
	w := r.width()
	h := r.titleHeight(w) + r.boxHeight(w)
	if r.hasMsg() {
		h += pad/2 + r.msg.MinSize().Height
	}
	return fyne.NewSize(max(r.title.MinSize().Width, target(r.f)*4), h)
}

func (r *fieldRenderer) hasMsg() bool { return r.f.Error != "" || r.f.Hint != "" }

func (r *fieldRenderer) Layout(s fyne.Size) {
	pad := size(theme.SizeNamePadding, r.f)
	inner := size(theme.SizeNameInnerPadding, r.f)
	ts := r.title.MinSize()
	r.title.Move(fyne.NewPos(0, 0))
	r.title.Resize(fyne.NewSize(s.Width, ts.Height))
	if r.f.Locked {
		// The badge sits at the right of the title row, or under the title where the
		// row is too narrow for both: never over the value.
		bs := r.badgeSize()
		by := float32(0)
		if r.badgeBelow(s.Width) {
			by = ts.Height + pad/2
		}
		ns := r.note.MinSize()
		is := size(theme.SizeNameInlineIcon, r.f)
		x := max(s.Width-bs.Width, 0)
		r.lock.Resize(fyne.NewSquareSize(is))
		r.lock.Move(fyne.NewPos(x, by+(bs.Height-is)/2))
		r.note.Resize(ns)
		r.note.Move(fyne.NewPos(x+is+pad, by+(bs.Height-ns.Height)/2))
	}
	y := r.titleHeight(s.Width)
	bh := r.boxHeight(s.Width)
	r.box.Move(fyne.NewPos(0, y))
	r.box.Resize(fyne.NewSize(s.Width, bh))
	vs := r.value.MinSize()
	wraps := r.wraps(s.Width)
	r.value.Hidden = wraps
	r.long.Hidden = !wraps
	if wraps {
		ls := fyne.NewSize(s.Width-2*inner, r.long.MinSize().Height)
		r.long.Resize(ls)
		r.long.Move(fyne.NewPos(inner, y+(bh-ls.Height)/2))
	}
	r.value.Move(fyne.NewPos(inner, y+(bh-vs.Height)/2))
	r.value.Resize(fyne.NewSize(max(s.Width-2*inner, 0), vs.Height))
	cw := max(size(theme.SizeNameInputBorder, r.f), 3)
	cx := inner + vs.Width + 2
	if r.f.Value == "" {
		cx = inner
	}
	r.caret.Move(fyne.NewPos(cx, y+(bh-vs.Height)/2))
	r.caret.Resize(fyne.NewSize(cw, vs.Height))
	y += bh + pad/2
	r.msg.Move(fyne.NewPos(0, y))
	r.msg.Resize(fyne.NewSize(s.Width, r.msg.MinSize().Height))
}

func (r *fieldRenderer) Refresh() {
	f := r.f
	th := f.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	col := func(n fyne.ThemeColorName) color.Color { return th.Color(n, v) }

	r.title.Text = f.Title
	r.title.Hidden = f.Title == ""
	r.title.TextSize = size(theme.SizeNameText, f)
	r.title.TextStyle.Bold = true
	r.title.Color = col(theme.ColorNameForeground)

	r.box.CornerRadius = size(theme.SizeNameInputRadius, f)
	r.box.FillColor = col(theme.ColorNameInputBackground)
	r.box.StrokeColor = col(theme.ColorNameInputBorder)
	r.box.StrokeWidth = size(theme.SizeNameInputBorder, f)
	switch {
	case f.Locked:
		r.box.FillColor = col(kiosktheme.ColorNameLocked)
		r.box.StrokeColor = col(theme.ColorNameSeparator)
	case f.Error != "":
		r.box.StrokeColor = col(theme.ColorNameError)
		r.box.StrokeWidth *= 1.5
	}
	if f.Active && !f.Locked {
		r.box.StrokeColor = col(theme.ColorNamePrimary)
		r.box.StrokeWidth = size(theme.SizeNameInputBorder, f) * 2
	}

	r.value.TextSize = size(theme.SizeNameSubHeadingText, f)
	r.value.Text = f.Value
	r.value.Color = col(theme.ColorNameForeground)
	if f.Value == "" {
		r.value.Text = f.Placeholder
		r.value.Color = col(theme.ColorNamePlaceHolder)
	}
	r.caret.FillColor = col(theme.ColorNamePrimary)
	r.caret.Hidden = !f.Active || f.Locked

	r.note.Text = f.LockedNote
	r.note.TextSize = size(theme.SizeNameCaptionText, f)
	r.note.Color = col(kiosktheme.ColorNameMuted)
	r.note.Hidden = !f.Locked
	r.lock.Hidden = !f.Locked
	longCol := theme.ColorNameForeground
	if f.Value == "" {
		longCol = theme.ColorNamePlaceHolder
	}
	r.long.Segments[0] = &widget.TextSegment{Text: r.value.Text, Style: widget.RichTextStyle{
		ColorName: longCol, SizeName: theme.SizeNameSubHeadingText, Inline: true}}
	r.long.Refresh()

	seg := &widget.TextSegment{Text: f.Hint, Style: widget.RichTextStyle{ColorName: kiosktheme.ColorNameMuted, SizeName: theme.SizeNameCaptionText, Inline: true}}
	if f.Error != "" {
		seg = &widget.TextSegment{Text: f.Error, Style: widget.RichTextStyle{ColorName: theme.ColorNameError, SizeName: theme.SizeNameText, Inline: true, TextStyle: fyne.TextStyle{Bold: true}}}
	}
	r.msg.Segments[0] = seg
	r.msg.Hidden = !r.hasMsg()
	r.msg.Refresh()
	for _, o := range []fyne.CanvasObject{r.title, r.box, r.value, r.caret, r.note, r.lock} {
		o.Refresh()
	}
	r.Layout(f.Size())
}

func (r *fieldRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.title, r.box, r.value, r.long, r.caret, r.lock, r.note, r.msg}
}

func (r *fieldRenderer) Destroy() {}
