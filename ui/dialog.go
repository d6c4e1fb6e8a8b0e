package ui

import (
	"image/color"
	"math"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/govkiosk/govkiosk/ui/kiosktheme"
	"github.com/govkiosk/govkiosk/ui/touch"
)

// dialogBox puts a card in the middle of the window over a dimmed screen. The dim layer
// takes every tap outside the card, so nothing beneath can be pressed by accident.
func (a *App) dialogBox(content fyne.CanvasObject) fyne.CanvasObject {
	dim := canvas.NewRectangle(color.NRGBA{R: 0x14, G: 0x20, B: 0x2E, A: 0xB0})
	w := theme.Size(kiosktheme.SizeNameTileHeight) * 4
	box := card(content)
	sized := container.New(&minWidth{w: w}, box)
	return container.NewStack(dim, newTapCatcher(nil), container.NewCenter(sized))
}

// minWidth gives its one child at least w of width (and no more than the space there is).
type minWidth struct{ w float32 }

func (l *minWidth) Layout(objects []fyne.CanvasObject, s fyne.Size) {
	for _, o := range objects {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(s)
	}
}

func (l *minWidth) MinSize(objects []fyne.CanvasObject) fyne.Size {
	var m fyne.Size
	for _, o := range objects {
		m = m.Max(o.MinSize())
	}
	return fyne.NewSize(max(m.Width, l.w), m.Height)
}

// warningDialog is "still there?" with the seconds left before the visit is wiped.
type warningDialog struct {
	*screenBase
	a     *App
	count *widget.RichText
}

func (a *App) newWarningDialog() screen {
	d := &warningDialog{screenBase: a.newBase("still_there"), a: a}
	d.count = centered(a.styled("", theme.SizeNameSubHeadingText, theme.ColorNameForeground, false))
	d.count.Wrapping = fyne.TextWrapWord
	stay := touch.NewPrimary(a.T("warning.stay"), theme.ConfirmIcon(), func() { a.run("still here", a.sess.StillHere) })
	leave := touch.NewButton(a.T("warning.leave"), theme.HomeIcon(), a.home)
	leave.Large = true
	d.add("still_there.continue", stay)
	d.add("still_there.leave", leave)
	d.content = a.dialogBox(container.NewVBox(
		container.NewCenter(icon(theme.QuestionIcon(), theme.ColorNamePrimary, theme.Size(kiosktheme.SizeNameTarget)*1.5)),
		centered(a.heading(a.T("warning.title"))), d.count,
		container.NewGridWithColumns(2, leave, stay)))
	d.setRemaining(a.sess.Remaining())
	return d
}

// setRemaining shows the countdown in whole seconds, rounded up so it never shows 0
// while time is left.
func (d *warningDialog) setRemaining(r time.Duration) {
	secs := int(math.Ceil(r.Seconds()))
	setText(d.count, d.a.tr.N("warning.count", max(secs, 0)))
}

// newConfirmHomeDialog asks before a visit with entered data is thrown away.
func (a *App) newConfirmHomeDialog() screen {
	d := a.newBase("confirm_home")
	stay := touch.NewPrimary(a.T("confirm.stay"), theme.NavigateBackIcon(), a.act(func() { a.run("stay", a.sess.Back) }))
	leave := touch.NewButton(a.T("confirm.leave"), theme.HomeIcon(), a.act(func() { a.run("confirm home", a.sess.ConfirmHome) }))
	leave.Large = true
	leave.Importance = touch.Danger
	d.add("confirm_home.stay", stay)
	d.add("confirm_home.leave", leave)
	words := a.T("confirm.lose")
	if a.sess.TrackingCode() != "" && !a.sess.ReceiptPrinted() {
		words = a.T("confirm.code", map[string]any{"Code": a.sess.TrackingCode()})
	}
	d.content = a.dialogBox(container.NewVBox(
		centered(a.heading(a.T("confirm.title"))), centered(a.para(words)), layout.NewSpacer(),
		container.NewGridWithColumns(2, leave, stay)))
	return d
}
