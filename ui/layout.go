package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// split lays out two objects side by side, the first taking ratio of the width, or, on a
// portrait screen (taller than wide) or one too narrow for both side by side (elder
// mode's larger type on a smaller display), one above the other with the first taking
// ratio of the height. Each still gets at least its minimum size.
type split struct {
	ratio float32
	a     *App
}

// split makes a split layout for the window of a.
func (a *App) split(ratio float32) *split { return &split{ratio: ratio, a: a} }

// stacked reports whether the two objects go one above the other. It is decided by the
// window, not by the size handed to Layout, so that MinSize (which has no size to go
// by) and Layout always agree.
func (l *split) stacked(objects []fyne.CanvasObject) bool {
	if l.a.portrait() {
		return true
	}
	pad := theme.Size(theme.SizeNameInnerPadding)
	need := objects[0].MinSize().Width + objects[1].MinSize().Width + pad
	return need > l.a.bodyWidth()
}

func (l *split) Layout(objects []fyne.CanvasObject, s fyne.Size) {
	if len(objects) != 2 {
		return
	}
	pad := theme.Size(theme.SizeNameInnerPadding)
	a, b := objects[0], objects[1]
	if l.stacked(objects) {
		h := max(s.Height*l.ratio, a.MinSize().Height)
		h = min(h, s.Height-b.MinSize().Height-pad)
		a.Move(fyne.NewPos(0, 0))
		a.Resize(fyne.NewSize(s.Width, h))
		b.Move(fyne.NewPos(0, h+pad))
		b.Resize(fyne.NewSize(s.Width, s.Height-h-pad))
		return
	}
	w := max(s.Width*l.ratio, a.MinSize().Width)
	w = min(w, s.Width-b.MinSize().Width-pad)
	a.Move(fyne.NewPos(0, 0))
	a.Resize(fyne.NewSize(w, s.Height))
	b.Move(fyne.NewPos(w+pad, 0))
	b.Resize(fyne.NewSize(s.Width-w-pad, s.Height))
}

func (l *split) MinSize(objects []fyne.CanvasObject) fyne.Size {
	if len(objects) != 2 {
		return fyne.Size{}
	}
	pad := theme.Size(theme.SizeNameInnerPadding)
	a, b := objects[0].MinSize(), objects[1].MinSize()
	if l.stacked(objects) {
		return fyne.NewSize(max(a.Width, b.Width), a.Height+b.Height+pad)
	}
	return fyne.NewSize(a.Width+b.Width+pad, max(a.Height, b.Height))
}

// bodyWidth is the width a framed screen's content gets in the window: the window less
// the frame's margins.
func (a *App) bodyWidth() float32 {
	pad := theme.Size(theme.SizeNameInnerPadding)
	return a.root.Size().Width - 4*pad
}

// inset keeps side margins of up to side each around its one child, narrowing them as
// the space shrinks so that the child always gets at least its minimum width.
type inset struct{ side float32 }

func (l inset) Layout(objects []fyne.CanvasObject, s fyne.Size) {
	for _, o := range objects {
		m := max(min(l.side, (s.Width-o.MinSize().Width)/2), 0)
		o.Move(fyne.NewPos(m, 0))
		o.Resize(fyne.NewSize(s.Width-2*m, s.Height))
	}
}

func (l inset) MinSize(objects []fyne.CanvasObject) fyne.Size {
	var m fyne.Size
	for _, o := range objects {
		m = m.Max(o.MinSize())
	}
	return m
}

// layoutHook lays its children out stacked and then calls after: for a screen that
// adjusts its contents to the space it was given.
type layoutHook struct{ after func() }

func (l *layoutHook) Layout(objects []fyne.CanvasObject, s fyne.Size) {
	for _, o := range objects {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(s)
	}
	if l.after != nil {
		l.after()
	}
}

func (l *layoutHook) MinSize(objects []fyne.CanvasObject) fyne.Size {
	var m fyne.Size
	for _, o := range objects {
		m = m.Max(o.MinSize())
	}
	return m
}

// maxWidth centres its children no wider than w (and no narrower than they need).
type maxWidth struct{ w float32 }

func (l maxWidth) Layout(objects []fyne.CanvasObject, s fyne.Size) {
	for _, o := range objects {
		w := max(min(s.Width, l.w), o.MinSize().Width)
		o.Move(fyne.NewPos((s.Width-w)/2, 0))
		o.Resize(fyne.NewSize(w, s.Height))
	}
}

func (l maxWidth) MinSize(objects []fyne.CanvasObject) fyne.Size {
	var m fyne.Size
	for _, o := range objects {
		m = m.Max(o.MinSize())
	}
	return m
}

// aboveBelow puts a scroll area above an object that stays in view (a keyboard). The
// object gets the height the scroll's content leaves over, at least its minimum, so a
// keyboard has full-size keys where there is room and smaller ones where there is not.
type aboveBelow struct {
	scroll *container.Scroll
	shown  fyne.CanvasObject // the object itself, in its margins; hidden, it takes no room
}

func (l *aboveBelow) Layout(objects []fyne.CanvasObject, s fyne.Size) {
	if len(objects) != 2 {
		return
	}
	top, below := objects[0], objects[1]
	h := below.MinSize().Height
	if !l.shown.Visible() {
		h = 0
	} else {
		h = max(h, s.Height-l.scroll.Content.MinSize().Height)
	}
	h = min(h, s.Height)
	top.Move(fyne.NewPos(0, 0))
	top.Resize(fyne.NewSize(s.Width, s.Height-h))
	below.Move(fyne.NewPos(0, s.Height-h))
	below.Resize(fyne.NewSize(s.Width, h))
}

func (l *aboveBelow) MinSize(objects []fyne.CanvasObject) fyne.Size {
	if len(objects) != 2 {
		return fyne.Size{}
	}
	a, b := objects[0].MinSize(), objects[1].MinSize()
	if !l.shown.Visible() {
		return a
	}
	return fyne.NewSize(max(a.Width, b.Width), a.Height+b.Height)
}

// shrinkToFit lays out a one-line rich text (a screen's title, the hall's name) at the
// largest of its sizes whose text fits the width it is given: a long English title or a
// narrow portrait header gets smaller type rather than an ellipsis. Only when the
// smallest size does not fit either is the text cut short (its own truncation).
type shrinkToFit struct {
	rt    *widget.RichText
	sizes []fyne.ThemeSizeName // largest first
}

// fitting returns rt in a container that chooses its text size from sizes.
func fitting(rt *widget.RichText, sizes ...fyne.ThemeSizeName) *fyne.Container {
	return container.New(&shrinkToFit{rt: rt, sizes: sizes}, rt)
}

func (l *shrinkToFit) Layout(objects []fyne.CanvasObject, s fyne.Size) {
	if seg, ok := l.segment(); ok && s.Width > 0 {
		th := l.rt.Theme()
		pad := th.Size(theme.SizeNameInnerPadding)
		name := l.sizes[len(l.sizes)-1]
		for _, n := range l.sizes {
			if fyne.MeasureText(seg.Text, th.Size(n), seg.Style.TextStyle).Width+2*pad <= s.Width {
				name = n
				break
			}
		}
		if seg.Style.SizeName != name {
			seg.Style.SizeName = name
			l.rt.Refresh()
		}
	}
	for _, o := range objects {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(s)
	}
}

func (l *shrinkToFit) MinSize(objects []fyne.CanvasObject) fyne.Size {
	var m fyne.Size
	for _, o := range objects {
		m = m.Max(o.MinSize())
	}
	return m
}

func (l *shrinkToFit) segment() (*widget.TextSegment, bool) {
	if len(l.rt.Segments) != 1 || len(l.sizes) == 0 {
		return nil, false
	}
	seg, ok := l.rt.Segments[0].(*widget.TextSegment)
	return seg, ok
}

// cardRows lays cards out cols to a row, every row as tall as the tallest card on the
// page, from the top. Unlike Fyne's grid it does not share out spare height: a page that
// fits one row left that row's cards stretched to the whole list (elder catalog at
// 1920×1080), mostly empty.
type cardRows struct{ cols int }

func (l *cardRows) cell(objects []fyne.CanvasObject, width float32) (w, h float32) {
	pad := theme.Size(theme.SizeNamePadding)
	w = (width - float32(l.cols-1)*pad) / float32(l.cols)
	for _, o := range objects {
		if !o.Visible() {
			continue
		}
		// A card's height depends on its width (its texts wrap): size the width first.
		o.Resize(fyne.NewSize(w, o.Size().Height))
		h = max(h, o.MinSize().Height)
	}
	return w, h
}

func (l *cardRows) Layout(objects []fyne.CanvasObject, s fyne.Size) {
	pad := theme.Size(theme.SizeNamePadding)
	w, h := l.cell(objects, s.Width)
	for i, o := range objects {
		row, col := i/l.cols, i%l.cols
		o.Move(fyne.NewPos(float32(col)*(w+pad), float32(row)*(h+pad)))
		o.Resize(fyne.NewSize(w, h))
	}
}

func (l *cardRows) MinSize(objects []fyne.CanvasObject) fyne.Size {
	pad := theme.Size(theme.SizeNamePadding)
	var w, h float32
	for _, o := range objects {
		if o.Visible() {
			m := o.MinSize()
			w, h = max(w, m.Width), max(h, m.Height)
		}
	}
	rows := (len(objects) + l.cols - 1) / l.cols
	if rows == 0 {
		return fyne.Size{}
	}
	return fyne.NewSize(float32(l.cols)*w+float32(l.cols-1)*pad, float32(rows)*h+float32(rows-1)*pad)
}

// columns lays its objects out in rows of the most columns (the first of counts, which
// go from most to fewest) whose cells fit side by side in the width that width gives, one
// a row when none do; every cell as wide as the others, every row as tall as its tallest
// object. The width comes from the window, not from the size handed to Layout, so that
// MinSize (which has no size to go by) and Layout always agree.
type columns struct {
	counts []int
	width  func() float32
}

func (l *columns) cols(objects []fyne.CanvasObject) int {
	pad := theme.Size(theme.SizeNamePadding)
	var w float32
	for _, o := range objects {
		w = max(w, o.MinSize().Width)
	}
	avail := l.width()
	for _, n := range l.counts {
		if float32(n)*w+float32(n-1)*pad <= avail {
			return n
		}
	}
	return 1
}

// rows calls f with each row of n objects and the row's height.
func (l *columns) rows(objects []fyne.CanvasObject, n int, f func(row []fyne.CanvasObject, h float32)) {
	for i := 0; i < len(objects); i += n {
		row := objects[i:min(i+n, len(objects))]
		var h float32
		for _, o := range row {
			h = max(h, o.MinSize().Height)
		}
		f(row, h)
	}
}

func (l *columns) Layout(objects []fyne.CanvasObject, s fyne.Size) {
	pad := theme.Size(theme.SizeNamePadding)
	n := l.cols(objects)
	w := (s.Width - float32(n-1)*pad) / float32(n)
	var y float32
	l.rows(objects, n, func(row []fyne.CanvasObject, h float32) {
		for i, o := range row {
			o.Move(fyne.NewPos(float32(i)*(w+pad), y))
			o.Resize(fyne.NewSize(w, h))
		}
		y += h + pad
	})
}

func (l *columns) MinSize(objects []fyne.CanvasObject) fyne.Size {
	if len(objects) == 0 {
		return fyne.Size{}
	}
	pad := theme.Size(theme.SizeNamePadding)
	n := l.cols(objects)
	var w, h float32
	for _, o := range objects {
		w = max(w, o.MinSize().Width)
	}
	l.rows(objects, n, func(_ []fyne.CanvasObject, rh float32) { h += rh + pad })
	return fyne.NewSize(float32(n)*w+float32(n-1)*pad, h-pad)
}
