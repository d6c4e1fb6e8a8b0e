package ui

import "github.com/govkiosk/govkiosk/kiosk/session"

// setSync takes a new sync state. A revocation, or its end, changes what the start
// screen offers: it is drawn again, and a visit that has not yet submitted anything ends
// (what it would submit could never arrive). Call it on the UI goroutine.
func (a *App) setSync(s SyncState) {
	was := a.sync.Revoked
	a.sync = s
	if s.Revoked == was {
		a.refreshStatus()
		return
	}
	if s.Revoked {
		a.log.Warn("terminal revoked by the platform: no new application or rating is taken")
	} else {
		a.log.Info("terminal reinstated by the platform: applications are taken again")
	}
	if a.tech {
		return // the start screen is built afresh when the technician leaves
	}
	st := a.sess.State()
	if under, ok := a.sess.Returning(); ok && (st == session.StateWarning || st == session.StateConfirmHome) {
		st = under
	}
	if s.Revoked && beforeSubmission(st) {
		// The resident has submitted nothing yet: rather than let them scan and fill in
		// what cannot be delivered, the visit ends (its data wiped) on the start screen,
		// which says where to go instead. A visit past submission (printing, receipt,
		// rating) finishes: its submission is already queued here.
		a.log.Warn("visit ended: the terminal was revoked before it submitted", "state", string(st))
		if err := a.sess.Reset(); err != nil {
			a.log.Error("visit not ended after the revocation", "err", err)
		}
		return
	}
	if a.curState == session.StateIdle {
		a.redrawIdle()
	} else {
		a.refreshStatus()
	}
}

// beforeSubmission reports whether a visit in state st has chosen or entered things
// for an application it has not submitted.
func beforeSubmission(st session.State) bool {
	switch st {
	case session.StateChoose, session.StateGuide, session.StateIdentify, session.StateForm,
		session.StateMaterials, session.StateArrange, session.StateReview, session.StateSubmitFailed:
		return true
	}
	return false
}
