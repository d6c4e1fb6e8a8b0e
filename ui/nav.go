package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// back goes one screen back.
func (a *App) back() {
	if err := ignoreStale(a.sess.Back()); err != nil {
		a.log.Warn("back refused", "state", string(a.sess.State()), "err", err)
	}
}

// home goes to the start screen; the session asks to confirm when work would be lost.
func (a *App) home() {
	if err := ignoreStale(a.sess.Home()); err != nil {
		a.log.Warn("home refused", "state", string(a.sess.State()), "err", err)
	}
}

// run calls a session transition for a tap and logs an unexpected refusal. It reports
// whether the session accepted it.
func (a *App) run(what string, f func() error) bool {
	err := f()
	if err == nil {
		return true
	}
	if ignoreStale(err) != nil {
		a.log.Warn("session refused", "action", what, "state", string(a.sess.State()), "err", err)
	}
	return false
}

// tapCatcher is a transparent widget under a screen that receives the taps no button
// took, with their position: the start screen feeds them to the technician gesture.
type tapCatcher struct {
	widget.BaseWidget
	onTap func(pos fyne.Position)
}

func newTapCatcher(onTap func(fyne.Position)) *tapCatcher {
	t := &tapCatcher{onTap: onTap}
	t.ExtendBaseWidget(t)
	return t
}

// Tapped passes the tap's window position on.
func (t *tapCatcher) Tapped(ev *fyne.PointEvent) {
	if t.onTap != nil {
		t.onTap(ev.AbsolutePosition)
	}
}

// CreateRenderer draws nothing.
func (t *tapCatcher) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(&fyne.Container{})
}
