package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// split lays out two objects side by side, the first taking ratio of the width, or, on a
// portrait screen (taller than wide), one above the other with the first taking ratio of
// the height. Each still gets at least its minimum size.
type split struct{ ratio float32 }

func (l split) Layout(objects []fyne.CanvasObject, s fyne.Size) {
	if len(objects) != 2 {
		return
	}
	pad := theme.Size(theme.SizeNameInnerPadding)
	a, b := objects[0], objects[1]
	if s.Height > s.Width {
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

func (l split) MinSize(objects []fyne.CanvasObject) fyne.Size {
	if len(objects) != 2 {
		return fyne.Size{}
	}
	pad := theme.Size(theme.SizeNameInnerPadding)
	a, b := objects[0].MinSize(), objects[1].MinSize()
	return fyne.NewSize(a.Width+b.Width+pad, max(a.Height, b.Height))
}
