package ui

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"

	"github.com/govkiosk/govkiosk/kiosk/session"
)

// Element is one tappable thing on screen with its stable automation id.
type Element struct {
	ID  string
	Obj fyne.CanvasObject
	// Clip, when set, is the scroll container the element lives in: only the part inside
	// it can be tapped.
	Clip fyne.CanvasObject
	// Label names an element whose object has no label of its own (a result row).
	Label string
}

// screen is one screen: it builds its objects once, lists its tappable elements, and
// stops what it started when left.
type screen interface {
	base() *screenBase
	leave()
}

// screenBase is what every screen has: its automation name, its content, its elements and
// a context that ends when the screen is left.
type screenBase struct {
	name    string
	content fyne.CanvasObject
	els     []Element
	// dynamic, when set, lists further elements that change while the screen is shown
	// (the keypad of the active field).
	dynamic func() []Element
	// rebuild, when set, draws the screen again after a language or size change; session
	// screens are rebuilt from the session state instead.
	rebuild func() screen
	// refresh, when set, updates what depends on the sync state and bulletins.
	refresh func()
	// voice is the prompt key spoken when the screen appears; empty means
	// "voice.<name>". voiceCode is the tracking code the receipt screen spells after it.
	voice     string
	voiceCode string
	// clip is the scroll area holding the screen's content between its header and its
	// action bar; fixed holds the objects outside it (the header's and the action bar's
	// buttons), which are never scrolled away.
	clip  fyne.CanvasObject
	fixed map[fyne.CanvasObject]bool

	ctx    context.Context
	cancel context.CancelFunc
}

func (b *screenBase) base() *screenBase { return b }

func (b *screenBase) leave() {
	if b.cancel != nil {
		b.cancel()
	}
}

// add registers a tappable element and returns it.
func (b *screenBase) add(id string, o fyne.CanvasObject) fyne.CanvasObject {
	b.els = append(b.els, Element{ID: id, Obj: o})
	return o
}

// addIn registers an element inside a scroll container.
func (b *screenBase) addIn(id string, o, clip fyne.CanvasObject) fyne.CanvasObject {
	b.els = append(b.els, Element{ID: id, Obj: o, Clip: clip})
	return o
}

// fix records objects that sit outside the screen's scroll area, with the containers'
// contents inside them.
func (b *screenBase) fix(objs ...fyne.CanvasObject) {
	if b.fixed == nil {
		b.fixed = map[fyne.CanvasObject]bool{}
	}
	for _, o := range objs {
		if o == nil {
			continue
		}
		b.fixed[o] = true
		if c, ok := o.(*fyne.Container); ok {
			b.fix(c.Objects...)
		}
	}
}

// scrolled reports whether an element lives in the screen's scroll area.
func (b *screenBase) scrolled(o fyne.CanvasObject) bool {
	return b.clip != nil && !b.fixed[o]
}

func (b *screenBase) elements() []Element {
	if b.dynamic == nil {
		return b.els
	}
	return append(append([]Element(nil), b.els...), b.dynamic()...)
}

// newBase starts a screen whose context ends when it is left or the app closes.
func (a *App) newBase(name string) *screenBase {
	ctx, cancel := context.WithCancel(a.ctx)
	return &screenBase{name: name, ctx: ctx, cancel: cancel}
}

// showScreen replaces the screen on show.
func (a *App) showScreen(s screen) {
	if a.cur != nil && a.cur != s {
		a.cur.leave() // a screen that rebuilt itself keeps running
	}
	a.cur = s
	a.layer.Objects = []fyne.CanvasObject{s.base().content}
	a.layer.Refresh()
	a.relayout()
	if a.spoken != s.base() && a.dialog == nil {
		a.speakScreen(s.base())
	}
}

// showDialog puts a dialog over the screen; nil removes it.
func (a *App) showDialog(d screen) {
	if a.dialog != nil {
		a.dialog.leave()
	}
	a.dialog = d
	if d == nil {
		a.over.Objects = nil
	} else {
		a.over.Objects = []fyne.CanvasObject{d.base().content}
	}
	a.over.Refresh()
	a.relayout()
	if d != nil {
		a.speakScreen(d.base())
	}
}

// ScreenName returns the automation name of what is shown: the dialog's if one is up.
func (a *App) ScreenName() string {
	if a.dialog != nil {
		return a.dialog.base().name
	}
	if a.cur == nil {
		return ""
	}
	return a.cur.base().name
}

// Elements returns the tappable elements a resident can reach now: the dialog's when one
// is up (it covers the screen), else the screen's.
func (a *App) Elements() []Element {
	switch {
	case a.dialog != nil:
		return a.dialog.base().elements()
	case a.cur != nil:
		return a.cur.base().elements()
	}
	return nil
}

// Element returns the element with the given id on what is shown now, or nil.
func (a *App) Element(id string) fyne.CanvasObject {
	for _, e := range a.Elements() {
		if e.ID == id {
			return e.Obj
		}
	}
	return nil
}

// onUpdate follows the session.
func (a *App) onUpdate(u session.Update) {
	switch u.Kind {
	case session.UpdateState:
		if a.tech {
			return
		}
		if a.sess.State() != u.To {
			return // stale: a later update follows
		}
		a.showState(u.To)
	case session.UpdateWarning, session.UpdateCountdown:
		if d, ok := a.dialog.(*warningDialog); ok {
			d.setRemaining(u.Remaining)
		}
	case session.UpdateWiped:
		a.afterWipe()
	case session.UpdateRated:
		a.sendRating(u)
	}
}

// showState shows the screen of a session state. The dialog states keep the screen they
// return to underneath.
func (a *App) showState(st session.State) {
	switch st {
	case session.StateWarning, session.StateConfirmHome:
		if under, ok := a.sess.Returning(); ok && (a.cur == nil || a.curState != under) {
			a.curState = under
			a.showScreen(a.buildState(under))
		}
		if st == session.StateWarning {
			a.showDialog(a.newWarningDialog())
		} else {
			a.showDialog(a.newConfirmHomeDialog())
		}
		return
	}
	a.showDialog(nil)
	if a.cur != nil && a.curState == st {
		return // back from a dialog: the screen under it stays as it was
	}
	if st == session.StateIdle {
		a.applyVoice() // the thanks screen kept the last visit's voice
	}
	a.curState = st
	a.showScreen(a.buildState(st))
}

// buildState builds the screen for a state.
func (a *App) buildState(st session.State) screen {
	switch st {
	case session.StateIdle:
		if a.deps.SafeMode {
			return a.newSafeScreen()
		}
		if a.updating {
			return a.newUpdatingScreen()
		}
		return a.newHome()
	case session.StateChoose:
		return a.newCatalogScreen()
	case session.StateGuide:
		return a.newGuideScreen()
	case session.StateIdentify:
		return a.newIdentifyScreen()
	case session.StateForm:
		return a.newFormScreen()
	case session.StateMaterials:
		return a.newMaterialsScreen()
	case session.StateArrange:
		return a.newArrangeScreen()
	case session.StateReview:
		return a.newReviewScreen()
	case session.StateSubmitting:
		return a.newSubmittingScreen()
	case session.StateSubmitFailed:
		return a.newSubmitFailedScreen()
	case session.StatePrinting:
		return a.newPrintingScreen()
	case session.StateReceipt:
		return a.newReceiptScreen()
	case session.StateRate:
		return a.newRateScreen()
	case session.StateWipe:
		return a.newThanksScreen()
	case session.StateQuery:
		return a.newQueryScreen()
	case session.StateQueryResult:
		return a.newQueryResultScreen()
	case session.StateNotices:
		return a.newNoticesScreen()
	}
	a.log.Error("no screen for session state", "state", string(st))
	return a.newHome()
}

// afterWipe removes everything personal from the window at once, before the next screen
// is built: the screen and any dialog are replaced by an empty one.
func (a *App) afterWipe() {
	a.showDialog(nil)
	blank := a.newBase("")
	blank.content = a.blankContent()
	a.curState = ""
	a.showScreen(blank)
	a.reasons = nil
	a.printErr = nil
	a.cert = ""
	a.printTries, a.printCode = 0, ""
	a.dropThumbs()
	a.calendar = nil
	if a.heldBooking != "" {
		a.cancelBooking(a.heldBooking) // the visit ended without submitting
	}
	if a.deps.IME.Pinyin != nil {
		a.deps.IME.Pinyin.Reset() // what this resident chose must not rank for the next
	}
	// The resident is still there to hear the thanks: the voice stays as it was until the
	// start screen (showState) applies the next visit's setting.
	wasOn := a.deps.Voice != nil && a.deps.Voice.Enabled()
	a.applyVisit()
	if wasOn && a.sess.State() == session.StateWipe {
		a.deps.Voice.SetEnabled(true)
	}
	if st := a.sess.State(); st == session.StateIdle || st == session.StateWipe {
		a.curState = st
		a.showScreen(a.buildState(st))
	}
}

// refreshStatus updates the sync indicator and announcements where they are shown.
func (a *App) refreshStatus() {
	if a.cur != nil && a.cur.base().refresh != nil {
		a.cur.base().refresh()
	}
}

// ignoreStale drops the session's "not in this state" errors: a double tap, or a tap that
// raced a timeout. Other errors are returned.
func ignoreStale(err error) error {
	if errors.Is(err, session.ErrIllegal) {
		return nil
	}
	return err
}
