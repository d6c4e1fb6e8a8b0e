package session

import (
	"fmt"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/catalog"
	"github.com/govkiosk/govkiosk/kiosk/form"
	"github.com/govkiosk/govkiosk/kiosk/identity"
)

// ReasonReset is the wipe reason of Reset.
const ReasonReset WipeReason = "reset"

// Start leaves the start screen for the catalog.
func (s *Session) Start() error {
	return s.do(func() error {
		if err := s.accept(EventStart); err != nil {
			return err
		}
		s.enter(StateChoose)
		return nil
	})
}

// Choose picks a service from the catalog and shows its guide. Choosing drops whatever
// was held for a service chosen before.
func (s *Session) Choose(svc *catalog.Service) error {
	return s.do(func() error {
		if err := s.accept(EventChoose); err != nil {
			return err
		}
		if svc == nil {
			return ErrNoService
		}
		s.dropService()
		s.svc = svc
		s.enter(StateGuide)
		return nil
	})
}

// Begin starts applying for the chosen service: identification comes first. A
// counter-only service returns ErrCounterOnly and stays on its guide.
func (s *Session) Begin() error {
	return s.do(func() error {
		if err := s.accept(EventBegin); err != nil {
			return err
		}
		if s.svc.CounterOnly() {
			return ErrCounterOnly
		}
		if s.form == nil {
			s.form = form.New(s.svc.Form, s.now)
		}
		s.enter(StateIdentify)
		return nil
	})
}

// Identify takes the resident's identity (from the card reader, or a QR code) and fills
// the form from it. The session owns id from here on and wipes it when the visit ends;
// an expired card (ErrCardExpired), a resident card whose number fails its check
// (ErrCardInvalid) or a resident the service's eligibility rules refuse (an error
// matching catalog.ErrIneligible, a *catalog.IneligibleError saying why and where to go
// instead) is wiped at once and the session stays at StateIdentify. Placing a
// second card replaces the first.
func (s *Session) Identify(id *identity.Identity) error {
	return s.do(func() error {
		if err := s.accept(EventIdentify); err != nil {
			id.Wipe()
			return err
		}
		switch {
		case id == nil:
			return ErrCardInvalid
		case id.Expired(s.now()):
			id.Wipe()
			return ErrCardExpired
		case id.CardType == identity.Resident && !id.IDNumberValid:
			id.Wipe()
			return ErrCardInvalid
		}
		if err := s.svc.Check(id, s.today()); err != nil {
			// The error holds the age in years and the rule, nothing that identifies.
			id.Wipe()
			return fmt.Errorf("session: %w", err)
		}
		if s.id != nil && s.id != id {
			s.id.Wipe()
		}
		s.dropLicences() // offers were for whoever was identified before
		s.id, s.skippedID = id, false
		s.form.Prefill(id)
		s.enter(s.nextStep(StateIdentify))
		return nil
	})
}

// SkipIdentify goes on without identity, for services where it is optional; others
// return ErrIdentityRequired.
func (s *Session) SkipIdentify() error {
	return s.do(func() error {
		if err := s.accept(EventSkipIdentify); err != nil {
			return err
		}
		if s.svc.Identity == catalog.IdentityRequired {
			return ErrIdentityRequired
		}
		if s.id != nil {
			s.id.Wipe()
			s.id = nil
		}
		s.dropLicences()
		s.skippedID = true
		s.enter(s.nextStep(StateIdentify))
		return nil
	})
}

// FormDone validates the form and goes on to the materials (or to review when there is
// nothing to scan). When fields need attention it returns an error matching
// form.ErrInvalid (a *form.InvalidError naming them) and stays.
func (s *Session) FormDone() error {
	return s.do(func() error {
		if err := s.accept(EventFormDone); err != nil {
			return err
		}
		if err := s.form.Validate(); err != nil {
			return fmt.Errorf("session: %w", err)
		}
		s.enter(s.nextStep(StateForm))
		return nil
	})
}

// AddScan adds a scanned page to a material, at StateMaterials. The session owns page
// from here on and clears it when the visit ends.
func (s *Session) AddScan(materialID string, page []byte) error {
	return s.do(func() error {
		if err := s.accept(EventScan); err != nil {
			return err
		}
		if m := s.svc.Material(materialID); m == nil || !m.Scannable {
			return ErrUnknownMaterial
		}
		if len(s.scans[materialID]) >= MaxPages {
			return ErrTooManyPages
		}
		if s.scans == nil {
			s.scans = map[string][][]byte{}
		}
		s.scans[materialID] = append(s.scans[materialID], page)
		s.lastActivity = s.now()
		return nil
	})
}

// RemoveScan removes one page (counted from 1) of a material, to retake it.
func (s *Session) RemoveScan(materialID string, page int) error {
	return s.do(func() error {
		if err := s.accept(EventScan); err != nil {
			return err
		}
		pages := s.scans[materialID]
		if page < 1 || page > len(pages) {
			return fmt.Errorf("session: material %q has no page %d: %w", materialID, page, ErrUnknownMaterial)
		}
		clear(pages[page-1])
		s.scans[materialID] = append(pages[:page-1:page-1], pages[page:]...)
		s.lastActivity = s.now()
		return nil
	})
}

// Retake drops every page of a material, to scan it again.
func (s *Session) Retake(materialID string) error {
	return s.do(func() error {
		if err := s.accept(EventScan); err != nil {
			return err
		}
		for _, p := range s.scans[materialID] {
			clear(p)
		}
		delete(s.scans, materialID)
		s.lastActivity = s.now()
		return nil
	})
}

// MaterialsDone goes on to review once every mandatory scannable material has a page
// and every material scanned has all its pages; otherwise it returns a *MissingError
// naming what is missing and stays.
func (s *Session) MaterialsDone() error { return s.materialsDone(false) }

// GoOnWithFewerPages goes on to review although some materials have fewer pages than
// they have, where each of those items accepts that many (catalog.Material.MinPages).
// The shortfalls are recorded on the submission (Draft.Short). Otherwise it returns the
// *MissingError and stays.
func (s *Session) GoOnWithFewerPages() error { return s.materialsDone(true) }

func (s *Session) materialsDone(fewer bool) error {
	return s.do(func() error {
		if err := s.accept(EventMaterialsDone); err != nil {
			return err
		}
		e := &MissingError{}
		for _, m := range s.missing() {
			e.Materials = append(e.Materials, m.ID)
		}
		e.Short = s.shortfalls()
		if len(e.Materials) > 0 || len(e.Short) > 0 && (!fewer || !e.CanGoOn()) {
			return e
		}
		s.short = e.Short
		s.enter(s.nextStep(StateMaterials))
		return nil
	})
}

// Confirm submits: the session waits at StateSubmitting for Submitted or SubmitFailed.
// The UI takes Draft and hands it to the submitter.
func (s *Session) Confirm() error {
	return s.do(func() error {
		if err := s.accept(EventConfirm); err != nil {
			return err
		}
		s.enter(StateSubmitting)
		return nil
	})
}

// Submitted reports that the submission is stored durably under the tracking code; the
// receipt prints next. The scanned pages, now stored, are cleared.
func (s *Session) Submitted(code string) error {
	return s.do(func() error {
		if err := s.accept(EventSubmitted); err != nil {
			return err
		}
		if code == "" {
			return ErrNoCode
		}
		s.code, s.submitErr = code, nil
		s.clearScans()
		s.enter(StatePrinting)
		return nil
	})
}

// SubmitFailed reports that the submission could not be stored; err is kept for the UI
// to explain (SubmitErr).
func (s *Session) SubmitFailed(err error) error {
	return s.do(func() error {
		if e := s.accept(EventSubmitFailed); e != nil {
			return e
		}
		s.submitErr = err
		s.enter(StateSubmitFailed)
		return nil
	})
}

// Retry submits again after a failure.
func (s *Session) Retry() error {
	return s.do(func() error {
		if err := s.accept(EventRetry); err != nil {
			return err
		}
		s.enter(StateSubmitting)
		return nil
	})
}

// Printed reports how printing the receipt went. Either way the receipt screen follows;
// when ok is false it shows the tracking code as the only copy.
func (s *Session) Printed(ok bool) error {
	return s.do(func() error {
		if err := s.accept(EventPrinted); err != nil {
			return err
		}
		s.printed = ok
		s.enter(StateReceipt)
		return nil
	})
}

// Reprint prints the receipt again (after the paper was changed, or a second copy).
func (s *Session) Reprint() error {
	return s.do(func() error {
		if err := s.accept(EventReprint); err != nil {
			return err
		}
		s.enter(StatePrinting)
		return nil
	})
}

// Finish leaves the receipt for the rating.
func (s *Session) Finish() error {
	return s.do(func() error {
		if err := s.accept(EventFinish); err != nil {
			return err
		}
		s.rateOnly = false
		s.enter(StateRate)
		return nil
	})
}

// Rate records 1 to 5 stars (announced as UpdateRated) and ends the visit.
func (s *Session) Rate(stars int) error {
	return s.do(func() error {
		if err := s.accept(EventRate); err != nil {
			return err
		}
		if stars < 1 || stars > 5 {
			return ErrBadRating
		}
		s.emit(Update{Kind: UpdateRated, From: s.state, To: s.state, Rating: stars,
			ServiceID: s.serviceID(), TrackingCode: s.code})
		s.finish()
		return nil
	})
}

// SkipRate ends the visit without a rating.
func (s *Session) SkipRate() error {
	return s.do(func() error {
		if err := s.accept(EventSkipRate); err != nil {
			return err
		}
		s.finish()
		return nil
	})
}

func (s *Session) finish() {
	s.wipe(ReasonDone)
	s.thanksSince = s.now()
	s.enter(StateWipe)
}

// Back goes one screen back. From a step of the application it keeps what was entered;
// back from the guide to the catalog drops the service and its data; from an overlay it
// returns to the screen under it.
func (s *Session) Back() error {
	return s.do(func() error {
		if err := s.accept(EventBack); err != nil {
			return err
		}
		switch s.state {
		case StateChoose:
			s.goIdle(ReasonBack)
		case StateGuide:
			s.dropService()
			s.svc = nil
			s.enter(StateChoose)
		case StateIdentify, StateForm, StateMaterials, StateArrange, StateReview:
			s.enter(s.prevStep(s.state))
		case StateSubmitFailed:
			s.enter(StateReview)
		case StateRate:
			if s.rateOnly {
				s.rateOnly = false
				s.leaveSide()
			} else {
				s.enter(StateReceipt)
			}
		case StateWarning, StateConfirmHome:
			s.pop()
		case StateQuery, StateNotices:
			s.dropQuery()
			s.leaveSide()
		case StateQueryResult:
			s.dropQuery()
			s.enter(StateQuery)
		}
		return nil
	})
}

// Home goes to the start screen, wiping the visit. When the resident would lose what
// they entered (or a tracking code that did not print), it asks first (StateConfirmHome).
// At the start screen it does nothing.
func (s *Session) Home() error {
	return s.do(func() error {
		if err := s.accept(EventHome); err != nil {
			return err
		}
		switch s.state {
		case StateIdle:
		case StateWipe:
			s.enter(StateIdle)
		case StateWarning, StateConfirmHome:
			s.ret = nil
			s.goIdle(ReasonHome)
		default:
			if s.needsConfirm() {
				s.ret = append(s.ret, s.state)
				s.enter(StateConfirmHome)
				return nil
			}
			s.goIdle(ReasonHome)
		}
		return nil
	})
}

// ConfirmHome answers yes to "leave and lose what you entered?".
func (s *Session) ConfirmHome() error {
	return s.do(func() error {
		if err := s.accept(EventConfirmHome); err != nil {
			return err
		}
		s.ret = nil
		s.goIdle(ReasonHome)
		return nil
	})
}

// StillHere answers "still there?": back to the screen that timed out.
func (s *Session) StillHere() error {
	return s.do(func() error {
		if err := s.accept(EventStillHere); err != nil {
			return err
		}
		s.stillHere()
		return nil
	})
}

func (s *Session) stillHere() { s.pop() }

// Timeout makes the idle timeout fall due now, as Tick does when it has: "still there?"
// on a screen, the wipe on "still there?", idle after the thank-you screen.
func (s *Session) Timeout() error {
	return s.do(func() error {
		if err := s.accept(EventTimeout); err != nil {
			return err
		}
		s.timeout(s.now())
		return nil
	})
}

func (s *Session) timeout(now time.Time) {
	switch s.state {
	case StateWarning:
		s.ret = nil
		s.goIdle(ReasonTimeout)
	case StateWipe:
		s.enter(StateIdle)
	default:
		s.ret = append(s.ret, s.state)
		s.warnUntil = now.Add(s.opt.WarningTime)
		s.lastSecond = int64(s.opt.WarningTime / time.Second)
		s.enter(StateWarning)
		s.emit(Update{Kind: UpdateWarning, From: StateWarning, To: StateWarning, Remaining: s.opt.WarningTime})
	}
}

// OpenQuery opens the progress query.
func (s *Session) OpenQuery() error {
	return s.side(EventOpenQuery, StateQuery)
}

// OpenNotices opens the public notice board.
func (s *Session) OpenNotices() error {
	return s.side(EventOpenNotices, StateNotices)
}

// OpenRate opens the rating on its own, for a resident who wants to rate the service
// they got at the counter.
func (s *Session) OpenRate() error {
	return s.do(func() error {
		if err := s.accept(EventOpenRate); err != nil {
			return err
		}
		s.back = s.state
		s.rateOnly = true
		s.enter(StateRate)
		return nil
	})
}

func (s *Session) side(ev Event, to State) error {
	return s.do(func() error {
		if err := s.accept(ev); err != nil {
			return err
		}
		s.back = s.state
		s.enter(to)
		return nil
	})
}

// Lookup shows the progress for a key: a tracking code (typed or from a QR code) or an
// ID card, whose identity the session then owns and wipes.
func (s *Session) Lookup(key QueryKey) error {
	return s.do(func() error {
		if err := s.accept(EventLookup); err != nil {
			key.Identity.Wipe()
			return err
		}
		if key.Code == "" && key.Identity == nil {
			return ErrNoCode
		}
		s.dropQuery()
		s.query, s.hasQuery = key, true
		s.enter(StateQueryResult)
		return nil
	})
}

// Reset wipes the visit and returns to the start screen from wherever it is, for the
// technician opening settings. While a submission or print is under way it returns a
// *TransitionError: the submitter still reads the visit's data.
func (s *Session) Reset() error {
	return s.do(func() error {
		if s.state == StateSubmitting || s.state == StatePrinting {
			return &TransitionError{State: s.state, Event: EventHome}
		}
		s.ret = nil
		if s.state == StateIdle {
			s.wipe(ReasonReset)
			return nil
		}
		s.goIdle(ReasonReset)
		return nil
	})
}

// --- helpers (called with the lock held) -----------------------------------------------

// steps are the application's screens for the chosen service, in order.
func (s *Session) steps() []State {
	st := []State{StateIdentify}
	if len(s.svc.Form.Fields) > 0 {
		st = append(st, StateForm)
	}
	if len(s.svc.Scannable()) > 0 {
		st = append(st, StateMaterials)
	}
	if s.svc.Arranged() {
		st = append(st, StateArrange)
	}
	return append(st, StateReview)
}

func (s *Session) nextStep(from State) State {
	st := s.steps()
	for i, x := range st {
		if x == from && i+1 < len(st) {
			return st[i+1]
		}
	}
	return StateReview
}

func (s *Session) prevStep(from State) State {
	st := s.steps()
	for i, x := range st {
		if x == from && i > 0 {
			return st[i-1]
		}
	}
	return StateGuide
}

// pop returns from an overlay to the state under it.
func (s *Session) pop() {
	if len(s.ret) == 0 {
		s.enter(StateIdle)
		return
	}
	to := s.ret[len(s.ret)-1]
	s.ret = s.ret[:len(s.ret)-1]
	s.enter(to)
}

// leaveSide returns from a side path to where it was opened.
func (s *Session) leaveSide() {
	to := s.back
	s.back = ""
	if to == StateChoose {
		s.enter(StateChoose)
		return
	}
	s.goIdle(ReasonBack)
}

// needsConfirm reports whether going home would lose something the resident cannot
// easily get back: typed values, scanned pages, or a tracking code that did not print.
func (s *Session) needsConfirm() bool {
	if s.state == StateReceipt || s.state == StateRate {
		return s.code != "" && !s.printed
	}
	if s.state == StateSubmitFailed {
		return true
	}
	if s.form != nil && s.form.Dirty() {
		return true
	}
	if s.booking != nil || s.address != "" {
		return true // a place held at the counter, or an address typed
	}
	for _, p := range s.scans {
		if len(p) > 0 {
			return true
		}
	}
	return false
}

// goIdle ends the visit: wipe, then the start screen.
func (s *Session) goIdle(reason WipeReason) {
	s.wipe(reason)
	s.enter(StateIdle)
}

func (s *Session) clearScans() {
	for _, pages := range s.scans {
		for _, p := range pages {
			clear(p)
		}
	}
	s.scans, s.short = nil, nil
}

// dropService wipes what was held for the chosen service.
func (s *Session) dropService() {
	if s.id != nil {
		s.id.Wipe()
		s.id = nil
	}
	if s.form != nil {
		s.form.Wipe()
		s.form = nil
	}
	s.clearScans()
	s.dropLicences()
	s.dropArrangements()
	s.skippedID = false
}

func (s *Session) dropQuery() {
	if s.query.Identity != nil {
		s.query.Identity.Wipe()
	}
	s.query, s.hasQuery = QueryKey{}, false
}

// wipe drops every piece of the visit's personal data and resets the visit's settings.
func (s *Session) wipe(reason WipeReason) {
	s.dropService()
	s.dropQuery()
	s.svc = nil
	s.code, s.printed, s.submitErr = "", false, nil
	s.rateOnly, s.back = false, ""
	if reason != ReasonBack {
		s.lang, s.elder = s.opt.Lang, s.opt.Elder
	}
	s.log.Debug("session wiped", "reason", string(reason))
	s.emit(Update{Kind: UpdateWiped, From: s.state, To: s.state, Reason: reason})
}
