package touch

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/govkiosk/govkiosk/ui/kiosktheme"
)

// keyRows stacks rows of keys, sharing out the height it is given: each row at least its
// minimum height (a touch target) and at most the theme's key size, so keys grow to fill
// a tall panel but never into slabs, and shrink to fit a short one.
type keyRows struct{}

func (keyRows) rowHeight(objects []fyne.CanvasObject, height float32) float32 {
	pad := theme.Size(theme.SizeNamePadding)
	n := float32(len(objects))
	h := (height - pad*(n-1)) / n
	var least float32
	for _, o := range objects {
		least = max(least, o.MinSize().Height)
	}
	return max(min(h, theme.Size(kiosktheme.SizeNameKey)), least)
}

func (l keyRows) Layout(objects []fyne.CanvasObject, s fyne.Size) {
	if len(objects) == 0 {
		return
	}
	pad := theme.Size(theme.SizeNamePadding)
	h := l.rowHeight(objects, s.Height)
	y := float32(0)
	for _, o := range objects {
		o.Move(fyne.NewPos(0, y))
		o.Resize(fyne.NewSize(s.Width, h))
		y += h + pad
	}
}

func (keyRows) MinSize(objects []fyne.CanvasObject) fyne.Size {
	pad := theme.Size(theme.SizeNamePadding)
	var w, h float32
	for i, o := range objects {
		m := o.MinSize()
		w = max(w, m.Width)
		h += m.Height
		if i > 0 {
			h += pad
		}
	}
	return fyne.NewSize(w, h)
}
