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
// A card taller than the window scrolls inside itself; the window never grows for it.
func (a *App) dialogBox(content fyne.CanvasObject) fyne.CanvasObject {
	dim := canvas.NewRectangle(color.NRGBA{R: 0x14, G: 0x20, B: 0x2E, A: 0xB0})
	w := theme.Size(kiosktheme.SizeNameTileHeight) * 4
	// The padding inside the scroll keeps a field's focus border clear of its clip.
	scroll := container.NewVScroll(container.NewPadded(content))
	bg := canvas.NewRectangle(theme.Color(kiosktheme.ColorNameCard))
	bg.CornerRadius = theme.Size(theme.SizeNameInputRadius) * 1.5
	bg.StrokeColor = theme.Color(theme.ColorNameSeparator)
	bg.StrokeWidth = theme.Size(theme.SizeNameSeparatorThickness)
	box := container.NewStack(bg, container.NewPadded(scroll))
	return container.NewStack(dim, newTapCatcher(nil),
		container.New(&centerFit{w: w, box: box, scroll: scroll}, box))
}

// centerFit centres a dialog's card at the size its content asks for, at least w wide,
// and no larger than the window less a margin; its scroll takes up what is cut.
type centerFit struct {
	w      float32
	box    fyne.CanvasObject
	scroll *container.Scroll
}

// want is the card's size with all of its content shown.
func (l *centerFit) want() fyne.Size {
	frame := l.box.MinSize().Subtract(l.scroll.MinSize())
	s := frame.Add(l.scroll.Content.MinSize())
	return fyne.NewSize(max(s.Width, l.w), s.Height)
}

func (l *centerFit) Layout(objects []fyne.CanvasObject, s fyne.Size) {
	margin := theme.Size(theme.SizeNameInnerPadding) * 2
	w := l.want()
	w = fyne.NewSize(min(w.Width, s.Width-margin), min(w.Height, s.Height-margin))
	for _, o := range objects {
		o.Move(fyne.NewPos((s.Width-w.Width)/2, (s.Height-w.Height)/2))
		o.Resize(w)
	}
}

// MinSize is nothing: the card shrinks to the window and scrolls.
func (l *centerFit) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.Size{} }

// warningDialog is "still there?" with the seconds left before the visit is wiped.
type warningDialog struct {
	*screenBase
	a     *App
	count *widget.RichText
}

func (a *App) newWarningDialog() screen {
	d := &warningDialog{screenBase: a.newBase("still_there"), a: a}
	// The number and its unit sit on a line of their own that never wraps, and the
	// sentence around it holds no number: as one wrapped sentence the number was cut from
	// its unit ("16 / 秒后") and the text reflowed, moving the dialog, every second.
	d.count = centered(a.styled("", theme.SizeNameHeadingText, theme.ColorNamePrimary, true))
	d.count.Wrapping = fyne.TextWrapOff
	clears := centered(a.para(a.T("warning.clears")))
	stay := touch.NewPrimary(a.T("warning.stay"), theme.ConfirmIcon(), func() { a.run("still here", a.sess.StillHere) })
	leave := touch.NewButton(a.T("warning.leave"), theme.HomeIcon(), a.home)
	leave.Large = true
	d.add("still_there.continue", stay)
	d.add("still_there.leave", leave)
	d.content = a.dialogBox(container.NewVBox(
		container.NewCenter(icon(theme.QuestionIcon(), theme.ColorNamePrimary, theme.Size(kiosktheme.SizeNameTarget)*1.5)),
		centered(a.heading(a.T("warning.title"))), clears, d.count,
		container.NewGridWithColumns(2, leave, stay)))
	d.setRemaining(a.sess.Remaining())
	return d
}

// setRemaining shows the countdown in whole seconds, rounded up so it never shows 0
// while time is left.
func (d *warningDialog) setRemaining(r time.Duration) {
	secs := int(math.Ceil(r.Seconds()))
	setText(d.count, d.a.tr.N("warning.seconds", max(secs, 0)))
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
