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
	}
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
}

func (r *fieldRenderer) boxHeight() float32 {
	return max(r.value.MinSize().Height+size(theme.SizeNameInnerPadding, r.f)*1.5, target(r.f)*1.15)
}

// titleHeight is the space above the box: none for a field without a question.
func (r *fieldRenderer) titleHeight() float32 {
	if r.f.Title == "" {
		return 0
	}
	return r.title.MinSize().Height + size(theme.SizeNamePadding, r.f)
}

func (r *fieldRenderer) MinSize() fyne.Size {
	pad := size(theme.SizeNamePadding, r.f)
	h := r.titleHeight() + r.boxHeight()
	if r.hasMsg() {
		h += pad/2 + r.msg.MinSize().Height
	}
	w := max(r.title.MinSize().Width, target(r.f)*4)
	return fyne.NewSize(w, h)
}

func (r *fieldRenderer) hasMsg() bool { return r.f.Error != "" || r.f.Hint != "" }

func (r *fieldRenderer) Layout(s fyne.Size) {
	pad := size(theme.SizeNamePadding, r.f)
	inner := size(theme.SizeNameInnerPadding, r.f)
	ts := r.title.MinSize()
	r.title.Move(fyne.NewPos(0, 0))
	r.title.Resize(fyne.NewSize(s.Width, ts.Height))
	y := r.titleHeight()
	bh := r.boxHeight()
	r.box.Move(fyne.NewPos(0, y))
	r.box.Resize(fyne.NewSize(s.Width, bh))
	vs := r.value.MinSize()
	right := s.Width - inner
	if r.f.Locked {
		ns := r.note.MinSize()
		is := size(theme.SizeNameInlineIcon, r.f)
		r.note.Move(fyne.NewPos(right-ns.Width, y+(bh-ns.Height)/2))
		r.note.Resize(ns)
		r.lock.Resize(fyne.NewSquareSize(is))
		r.lock.Move(fyne.NewPos(right-ns.Width-is-pad, y+(bh-is)/2))
		right -= ns.Width + is + 2*pad
	}
	r.value.Move(fyne.NewPos(inner, y+(bh-vs.Height)/2))
	r.value.Resize(fyne.NewSize(max(right-inner, 0), vs.Height))
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
	return []fyne.CanvasObject{r.title, r.box, r.value, r.caret, r.lock, r.note, r.msg}
}

func (r *fieldRenderer) Destroy() {}
