package ui

import "github.com/govkiosk/govkiosk/kiosk/session"

// InVisit reports whether a resident may be using the kiosk: a visit is in progress (the
// session is not at idle, which also covers the notice board and progress queries) or a
// dialog is up over the start screen. The platform's remote operations wait or refuse
// while it is true: a screenshot must never carry a resident's data, and a restart never
// cuts a visit short. The technician's own screens are no visit. Call it on the UI
// goroutine.
func (a *App) InVisit() bool {
	if a.tech {
		return false
	}
	return a.sess.State() != session.StateIdle || a.dialog != nil
}
