package ui

import (
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/govkiosk/govkiosk/kiosk/session"
	"github.com/govkiosk/govkiosk/ui/kiosktheme"
)

// HoldForUpdate puts the "updating, please wait" screen in place of the start screen, so
// no visit begins between the kiosk asking the install helper for an update and the
// helper restarting it. It holds nothing and returns false while a visit is in progress
// (InVisit). EndUpdateHold ends the hold: the helper failed, or did not restart the kiosk
// in time. Call both on the UI goroutine, HoldForUpdate in the same turn as the request,
// so that no visit can begin between the check and the hold.
func (a *App) HoldForUpdate() bool {
	if a.InVisit() {
		return false
	}
	if a.updating {
		return true
	}
	a.updating = true
	a.log.Info("start screen held: a software update is being installed")
	a.redrawIdle()
	return true
}

// EndUpdateHold shows the start screen again after HoldForUpdate. Call it on the UI
// goroutine.
func (a *App) EndUpdateHold() {
	if !a.updating {
		return
	}
	a.updating = false
	a.log.Info("start screen serves again: the update hold ended")
	a.redrawIdle()
}

// Updating reports whether the start screen is held for an update. Call it on the UI
// goroutine.
func (a *App) Updating() bool { return a.updating }

// redrawIdle draws the start screen again when it is what shows (not while a technician
// works: it is built afresh when they leave), under the dialog if one is up.
func (a *App) redrawIdle() {
	if a.tech || a.sess.State() != session.StateIdle || a.curState != session.StateIdle {
		return
	}
	a.showScreen(a.buildState(session.StateIdle))
}

// newUpdatingScreen stands in for the start screen while an update is being installed
// (HoldForUpdate): it says the terminal is updating and will restart, sends a resident
// in a hurry to a staffed counter, and begins no visit. Its background still takes the
// technician gesture.
func (a *App) newUpdatingScreen() screen {
	s := a.newBase("updating")
	// Every language at once, the current one first: there is no switch to tap here.
	langs := a.tr.Languages()
	cur := a.tr.Language()
	slices.SortStableFunc(langs, func(x, y string) int { return cmpBool(y == cur, x == cur) })
	titles := make([]string, len(langs))
	for i, l := range langs {
		titles[i] = a.tr.In(l, "updating.title")
	}
	title := centered(a.styled(strings.Join(titles, " · "), kiosktheme.SizeNameTitleText, kiosktheme.ColorNameOnBar, true))
	title.Truncation = fyne.TextTruncateEllipsis
	top := a.bar(container.NewVBox(layout.NewSpacer(), fitting(title, titleSizes...), layout.NewSpacer()))
	words := []fyne.CanvasObject{layout.NewSpacer(),
		container.NewCenter(icon(theme.ViewRefreshIcon(), theme.ColorNamePrimary, theme.Size(kiosktheme.SizeNameTileHeight)/2))}
	for i, l := range langs {
		if i > 0 {
			words = append(words, widget.NewSeparator())
		}
		words = append(words, centered(a.heading(a.tr.In(l, "updating.heading"))), centered(a.para(a.tr.In(l, "updating.body"))))
	}
	body := container.NewVBox(append(words, layout.NewSpacer())...)
	pad := theme.Size(theme.SizeNameInnerPadding)
	inner := container.New(layout.NewCustomPaddedLayout(pad, pad, pad*2, pad*2), body)
	s.content = container.NewStack(newTapCatcher(a.cornerTap), container.NewBorder(top, nil, nil, nil, a.fit(s, inner)))
	return s
}

// cmpBool orders false before true.
func cmpBool(x, y bool) int {
	switch {
	case x == y:
		return 0
	case x:
		return 1
	}
	return -1
}
