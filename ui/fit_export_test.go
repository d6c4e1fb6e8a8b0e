package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
)

// ScreenMinSize is the least size the screen shown now (and its dialog) asks for.
func (a *App) ScreenMinSize() fyne.Size {
	var m fyne.Size
	if a.cur != nil {
		m = a.cur.base().content.MinSize()
	}
	if a.dialog != nil {
		m = m.Max(a.dialog.base().content.MinSize())
	}
	return m
}

// DumpWide lists the shown screen's objects with their least sizes, down to the ones that
// fit within limitW×limitH: what makes a screen too large for its display.
func (a *App) DumpWide(limitW, limitH float32) string {
	var out []string
	var walk func(o fyne.CanvasObject, d int)
	walk = func(o fyne.CanvasObject, d int) {
		if o == nil || !o.Visible() {
			return
		}
		m := o.MinSize()
		out = append(out, fmt.Sprintf("%*s%T %v", d*2, "", o, m))
		if m.Width <= limitW && m.Height <= limitH {
			return
		}
		switch v := o.(type) {
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c, d+1)
			}
		case *container.Scroll:
			walk(v.Content, d+1)
		}
	}
	if a.cur != nil {
		walk(a.cur.base().content, 0)
	}
	return strings.Join(out, "\n")
}

// DialogContent is the content of the dialog shown now, or nil.
func (a *App) DialogContent() fyne.CanvasObject {
	if a.dialog == nil {
		return nil
	}
	return a.dialog.base().content
}
