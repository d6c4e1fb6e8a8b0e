package session

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/booking"
	"github.com/govkiosk/govkiosk/kiosk/catalog"
	"github.com/govkiosk/govkiosk/kiosk/form"
	"github.com/govkiosk/govkiosk/kiosk/identity"
	"github.com/govkiosk/govkiosk/kiosk/licence"
)

// Clock tells the time. Tests pass a fake one; nil means the system clock.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

// Now returns the system time.
func (systemClock) Now() time.Time { return time.Now() }

// Defaults for Options left zero.
const (
	DefaultIdleTimeout = 90 * time.Second
	DefaultWarningTime = 20 * time.Second
	DefaultThanksTime  = 5 * time.Second
	// ElderFactor multiplies the idle timeout in elder mode: reading and typing take longer.
	ElderFactor = 2
	// MaxPages is the most pages one material may have.
	MaxPages = 30
)

// Options configure a Session.
type Options struct {
	Clock Clock
	// Date is the trusted clock whose day decides eligibility by age. Nil means Clock.
	Date Clock
	// IdleTimeout is how long a screen may go untouched before "still there?".
	IdleTimeout time.Duration
	// WarningTime is how long "still there?" counts down before everything is wiped.
	WarningTime time.Duration
	// ThanksTime is how long the thank-you screen stays before idle.
	ThanksTime time.Duration
	// Lang and Elder are each new visit's language and elder mode; a resident's changes
	// last until the visit ends.
	Lang  form.Lang
	Elder bool
	// OnUpdate receives every change, from the goroutine that caused it, after the
	// session's lock is released (so it may read the session). Updates of one call arrive
	// in order; Seq orders updates across goroutines. It must return quickly.
	OnUpdate func(Update)
	// Log receives state changes with state names and service IDs only. Nil discards.
	Log *slog.Logger
}

// UpdateKind says what an Update reports.
type UpdateKind string

// Update kinds.
const (
	// UpdateState reports a change of state (From, To).
	UpdateState UpdateKind = "state"
	// UpdateWarning reports that "still there?" began; Remaining is the countdown.
	UpdateWarning UpdateKind = "warning"
	// UpdateCountdown reports the countdown at each Tick that changes its whole seconds.
	UpdateCountdown UpdateKind = "countdown"
	// UpdateWiped reports that the visit's personal data was wiped, and why.
	UpdateWiped UpdateKind = "wiped"
	// UpdateRated reports a rating, with the service and tracking code it rates, for the
	// queue to record.
	UpdateRated UpdateKind = "rated"
)

// WipeReason says why a visit ended.
type WipeReason string

// Wipe reasons.
const (
	ReasonDone WipeReason = "done" // finished (rated or skipped rating)
	ReasonHome WipeReason = "home" // the resident went home
	// ReasonBack: the resident went back to the start screen. Their personal data goes;
	// their language and elder mode hold until the visit ends.
	ReasonBack    WipeReason = "back"
	ReasonTimeout WipeReason = "timeout" // nobody answered "still there?"
)

// Update is one change the UI (and the wiring) hears about. It carries no personal data.
type Update struct {
	Seq       uint64
	Kind      UpdateKind
	From, To  State
	Remaining time.Duration
	Reason    WipeReason
	// Rating, ServiceID and TrackingCode are set on UpdateRated.
	Rating       int
	ServiceID    string
	TrackingCode string
}

// QueryKind says how a resident identifies what to look up.
type QueryKind string

// Query kinds.
const (
	QueryCode   QueryKind = "code"    // a tracking code typed in
	QueryQR     QueryKind = "qr"      // the QR code on a receipt, scanned
	QueryIDCard QueryKind = "id_card" // every submission of the card holder
)

// QueryKey is what a progress query looks up. Identity is personal data the session owns
// and wipes.
type QueryKey struct {
	Kind     QueryKind
	Code     string
	Identity *identity.Identity
}

// Scan is one scanned page of a material.
type Scan struct {
	MaterialID string
	// Page counts from 1.
	Page int
	Data []byte
}

// Draft is what gets submitted: everything the resident provided. Its Identity, Values and
// scan bytes belong to the session and are wiped with it: the submitter stores them before
// reporting Submitted and keeps no reference.
type Draft struct {
	ServiceID string
	ItemIDs   []string
	// Identity is nil when the resident skipped identification.
	Identity *identity.Identity
	Values   map[string]string
	Scans    []Scan
	// Short lists the materials the resident went on with fewer pages than they have,
	// where the item allows it (see GoOnWithFewerPages).
	Short []Shortfall
	// Licences are the e-licences the resident agreed to use instead of scans: the
	// submission carries their references, not copies.
	Licences []licence.Use
	// ID is the submission's id when the visit made one in advance (a booking was made
	// for it); empty lets the outbox make one.
	ID string
	// Booking is the counter appointment the platform confirmed, if any.
	Booking *booking.Booking
	// Delivery is how the result is received, and Address where it is posted: personal
	// data.
	Delivery booking.Delivery
	Address  string
}

// Session is the kiosk's one resident session, reused visit after visit. It is safe for
// concurrent use by the UI and a timer goroutine.
type Session struct {
	mu   sync.Mutex
	opt  Options
	log  *slog.Logger
	now  func() time.Time
	seq  uint64
	outq []Update

	state State
	// ret is the stack of states the overlays (warning, confirm home) return to.
	ret []State
	// back is where Back goes from the query and notices screens and from rating only.
	back     State
	rateOnly bool

	lastActivity time.Time
	warnUntil    time.Time
	lastSecond   int64
	thanksSince  time.Time

	lang  form.Lang
	elder bool

	svc       *catalog.Service
	id        *identity.Identity
	skippedID bool
	form      *form.Form
	scans     map[string][][]byte
	short     []Shortfall
	// offers are the e-licences the platform holds for the resident (OfferLicences);
	// licences the ones agreed to, by material id.
	offers   []licence.Licence
	licences map[string]licence.Licence
	// The arrangements (arrange.go): the submission's id made in advance, the booking the
	// platform confirmed, and the delivery chosen.
	subID     string
	booking   *booking.Booking
	delivery  booking.Delivery
	address   string
	code      string
	printed   bool
	submitErr error
	query     QueryKey
	hasQuery  bool
}

// New returns a session at StateIdle.
func New(opt Options) *Session {
	if opt.Clock == nil {
		opt.Clock = systemClock{}
	}
	if opt.Date == nil {
		opt.Date = opt.Clock
	}
	if opt.IdleTimeout <= 0 {
		opt.IdleTimeout = DefaultIdleTimeout
	}
	if opt.WarningTime <= 0 {
		opt.WarningTime = DefaultWarningTime
	}
	if opt.ThanksTime <= 0 {
		opt.ThanksTime = DefaultThanksTime
	}
	if !opt.Lang.Valid() {
		opt.Lang = form.Zh
	}
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Session{opt: opt, log: log, now: opt.Clock.Now, state: StateIdle, lang: opt.Lang, elder: opt.Elder}
	s.lastActivity = s.now()
	return s
}

// do runs a change under the lock and then delivers its updates.
func (s *Session) do(f func() error) error {
	s.mu.Lock()
	err := f()
	out := s.outq
	s.outq = nil
	s.mu.Unlock()
	if s.opt.OnUpdate != nil {
		for _, u := range out {
			s.opt.OnUpdate(u)
		}
	}
	return err
}

func (s *Session) emit(u Update) {
	s.seq++
	u.Seq = s.seq
	s.outq = append(s.outq, u)
}

// accept checks that the current state takes ev.
func (s *Session) accept(ev Event) error {
	if !Accepts(s.state, ev) {
		return &TransitionError{State: s.state, Event: ev}
	}
	return nil
}

// enter moves to st and resets the idle timer: every screen gets the full timeout.
func (s *Session) enter(st State) {
	from := s.state
	s.state = st
	s.lastActivity = s.now()
	s.log.Debug("session state", "from", string(from), "to", string(st), "service", s.serviceID())
	s.emit(Update{Kind: UpdateState, From: from, To: st})
}

func (s *Session) serviceID() string {
	if s.svc == nil {
		return ""
	}
	return s.svc.ID
}

// --- reading the session --------------------------------------------------------------

// State returns the current state.
func (s *Session) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// Service returns the chosen service, or nil.
func (s *Session) Service() *catalog.Service {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.svc
}

// Identity returns the resident's identity, or nil. It belongs to the session: read it,
// do not keep it.
func (s *Session) Identity() *identity.Identity {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.id
}

// Form returns the service's form, or nil before Begin. The UI sets values on it directly
// (and calls Touch).
func (s *Session) Form() *form.Form {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.form
}

// Pages returns the scanned pages of a material. They belong to the session.
func (s *Session) Pages(materialID string) [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.scans[materialID])
}

// PageCount returns how many pages of a material are scanned.
func (s *Session) PageCount(materialID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.scans[materialID])
}

// Missing returns the mandatory scannable materials without a page yet.
func (s *Session) Missing() []catalog.Material {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.missing()
}

// shortfalls lists the materials with some pages but fewer than they have.
func (s *Session) shortfalls() []Shortfall {
	var out []Shortfall
	for _, m := range s.svc.Materials {
		if _, lic := s.licences[m.ID]; lic {
			continue
		}
		if n := len(s.scans[m.ID]); m.Scannable && n > 0 && n < m.PageCount() {
			out = append(out, Shortfall{MaterialID: m.ID, Scanned: n, Want: m.PageCount(), Min: m.MinPageCount()})
		}
	}
	return out
}

func (s *Session) missing() []catalog.Material {
	if s.svc == nil {
		return nil
	}
	var out []catalog.Material
	for _, m := range s.svc.Materials {
		if _, lic := s.licences[m.ID]; m.Scannable && m.Mandatory && len(s.scans[m.ID]) == 0 && !lic {
			out = append(out, m)
		}
	}
	return out
}

// TrackingCode returns the code after Submitted, else "".
func (s *Session) TrackingCode() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.code
}

// ReceiptPrinted reports whether the receipt printed; when false at StateReceipt, the
// screen must show the tracking code prominently as its only copy.
func (s *Session) ReceiptPrinted() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.printed
}

// SubmitErr returns why the last submission failed, at StateSubmitFailed; the UI maps it
// to words (disk full: "please ask staff").
func (s *Session) SubmitErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.submitErr
}

// IdentitySkipped reports whether the resident went on without identifying.
func (s *Session) IdentitySkipped() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.skippedID
}

// Query returns the key of the current progress query.
func (s *Session) Query() (QueryKey, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.query, s.hasQuery
}

// RateOnly reports whether StateRate was opened from the start screen rather than after a
// submission.
func (s *Session) RateOnly() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rateOnly
}

// Returning returns the state an overlay (StateWarning, StateConfirmHome) would return to,
// so the UI can keep that screen under the dialog; ok is false outside overlays.
func (s *Session) Returning() (State, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.ret) == 0 {
		return "", false
	}
	return s.ret[len(s.ret)-1], true
}

// Lang returns the visit's language.
func (s *Session) Lang() form.Lang {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lang
}

// SetLang switches the visit's language (until the visit ends). Unknown languages are ignored.
func (s *Session) SetLang(l form.Lang) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l.Valid() {
		s.lang = l
	}
	s.lastActivity = s.now()
}

// Elder reports whether elder mode (larger text, longer timeout) is on.
func (s *Session) Elder() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.elder
}

// SetElder turns elder mode on or off until the visit ends.
func (s *Session) SetElder(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.elder = on
	s.lastActivity = s.now()
}

// Draft returns what to submit, at StateSubmitting.
func (s *Session) Draft() (Draft, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != StateSubmitting {
		return Draft{}, &TransitionError{State: s.state, Event: EventSubmitted}
	}
	d := Draft{ServiceID: s.svc.ID, Identity: s.id, Short: slices.Clone(s.short), ID: s.subID,
		Delivery: s.delivery, Address: s.address}
	if s.booking != nil {
		b := *s.booking
		d.Booking = &b
	}
	for _, it := range s.svc.Items {
		d.ItemIDs = append(d.ItemIDs, it.ID)
	}
	if s.form != nil {
		d.Values = s.form.Values()
	}
	for _, m := range s.svc.Materials {
		if l, ok := s.licences[m.ID]; ok {
			d.Licences = append(d.Licences, licence.Use{MaterialID: m.ID, Type: l.Type, Ref: l.Ref})
			continue
		}
		for i, p := range s.scans[m.ID] {
			d.Scans = append(d.Scans, Scan{MaterialID: m.ID, Page: i + 1, Data: p})
		}
	}
	return d, nil
}

// --- time -----------------------------------------------------------------------------

// today is the visit's moment by the trusted clock, for rules that depend on the date.
func (s *Session) today() time.Time { return s.opt.Date.Now() }

// timed reports whether the idle timeout runs in a state. It does not at idle (nothing to
// wipe), while the submitter or printer works, on the warning itself, or on the thank-you
// screen (which has its own short timer).
func timed(st State) bool {
	switch st {
	case StateIdle, StateSubmitting, StatePrinting, StateWarning, StateWipe:
		return false
	}
	return true
}

// customised reports whether the visit's language or elder mode differs from a new
// visit's.
func (s *Session) customised() bool { return s.lang != s.opt.Lang || s.elder != s.opt.Elder }

func (s *Session) idleTimeout() time.Duration {
	if s.elder {
		return s.opt.IdleTimeout * ElderFactor
	}
	return s.opt.IdleTimeout
}

// SetTimeouts changes the idle timeout and the warning time, as a technician's settings
// do while the kiosk runs; a value of zero or less takes the default, as in New. The idle
// clock of the screen now shown is measured against the new timeout at the next Tick; a
// "still there?" already counting down keeps the end it announced.
func (s *Session) SetTimeouts(idle, warning time.Duration) {
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	if warning <= 0 {
		warning = DefaultWarningTime
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opt.IdleTimeout, s.opt.WarningTime = idle, warning
}

// Timeouts returns the idle timeout and the warning time in force.
func (s *Session) Timeouts() (idle, warning time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opt.IdleTimeout, s.opt.WarningTime
}

// Touch records that the resident did something (any tap or key), restarting the idle
// timer; at "still there?" it means yes.
func (s *Session) Touch() {
	_ = s.do(func() error {
		s.lastActivity = s.now()
		switch s.state {
		case StateWarning:
			s.stillHere()
		case StateWipe:
			s.enter(StateIdle)
		}
		return nil
	})
}

// Remaining returns the time left: on "still there?", until everything is wiped;
// elsewhere, until "still there?" appears (0 where no timer runs).
func (s *Session) Remaining() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	switch {
	case s.state == StateWarning:
		return max(s.warnUntil.Sub(now), 0)
	case timed(s.state):
		return max(s.lastActivity.Add(s.idleTimeout()).Sub(now), 0)
	}
	return 0
}

// Tick lets time pass: it raises "still there?" after the idle timeout, counts it down,
// wipes when nobody answered, and leaves the thank-you screen. Call it about once a second
// (Run does); it does nothing when nothing is due.
func (s *Session) Tick() {
	_ = s.do(func() error {
		now := s.now()
		switch {
		case s.state == StateWarning:
			left := s.warnUntil.Sub(now)
			if left <= 0 {
				s.timeout(now)
				return nil
			}
			if sec := int64((left + time.Second - 1) / time.Second); sec != s.lastSecond {
				s.lastSecond = sec
				s.emit(Update{Kind: UpdateCountdown, From: s.state, To: s.state, Remaining: left})
			}
		case s.state == StateWipe:
			if now.Sub(s.thanksSince) >= s.opt.ThanksTime {
				s.timeout(now)
			}
		case timed(s.state) && now.Sub(s.lastActivity) >= s.idleTimeout():
			s.timeout(now)
		case s.state == StateIdle && s.customised() && now.Sub(s.lastActivity) >= s.idleTimeout():
			// A resident chose a language or elder mode and walked away from the start
			// screen: the visit ends, and the next resident starts with the defaults.
			s.wipe(ReasonTimeout)
		}
		return nil
	})
}

// Run calls Tick every interval until ctx ends.
func (s *Session) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Tick()
		}
	}
}
