package session

import (
	"errors"
	"fmt"
	"strings"
)

// State is where the resident is in a visit. The UI shows one screen per state.
type State string

// States.
const (
	// StateIdle is the start screen: attract loop and the entry buttons (apply, query,
	// rate, notices). Nothing personal is held.
	StateIdle State = "idle"
	// StateChoose is the catalog: categories, bundles, search.
	StateChoose State = "choose"
	// StateGuide shows the chosen service's guide: conditions, materials, time limit, fees.
	// For a counter-only service it is the end of the road: "please go to the counter".
	StateGuide State = "guide"
	// StateIdentify asks for the ID card (or a QR code).
	StateIdentify State = "identify"
	// StateForm is the form, pre-filled from the card.
	StateForm State = "form"
	// StateMaterials scans the required materials, page by page, with retake.
	StateMaterials State = "materials"
	// StateArrange books the counter appointment and chooses how the result is
	// delivered, for services that have either (catalog.Service.Arranged).
	StateArrange State = "arrange"
	// StateReview shows everything before submitting.
	StateReview State = "review"
	// StateSubmitting waits while the submission is made durable. It accepts no back or
	// home: the submission either is stored or is not; the submitter reports which.
	StateSubmitting State = "submitting"
	// StateSubmitFailed says the submission could not be stored (disk full) and offers retry,
	// back to review, or home.
	StateSubmitFailed State = "submit_failed"
	// StatePrinting waits while the receipt prints; the printer reports success or failure.
	StatePrinting State = "printing"
	// StateReceipt shows the tracking code; when the receipt did not print (Printed is
	// false), the screen is the only place the code is, so it says so.
	StateReceipt State = "receipt"
	// StateRate asks for 1–5 stars.
	StateRate State = "rate"
	// StateWipe thanks the resident once their data has been wiped, and returns to idle by
	// itself after a few seconds.
	StateWipe State = "wipe"
	// StateWarning asks "still there?" with a countdown, over whatever screen timed out.
	StateWarning State = "warning"
	// StateConfirmHome asks whether to leave and lose what was entered.
	StateConfirmHome State = "confirm_home"
	// StateQuery asks for a tracking code, a QR code or an ID card to look up progress.
	StateQuery State = "query"
	// StateQueryResult shows the progress found for the query key.
	StateQueryResult State = "query_result"
	// StateNotices is the public notice board (政务公开).
	StateNotices State = "notices"
)

// States lists every state.
var States = []State{
	StateIdle, StateChoose, StateGuide, StateIdentify, StateForm, StateMaterials, StateArrange, StateReview,
	StateSubmitting, StateSubmitFailed, StatePrinting, StateReceipt, StateRate, StateWipe,
	StateWarning, StateConfirmHome, StateQuery, StateQueryResult, StateNotices,
}

// Event is something that moves the session: what the resident did, what a device or the
// submitter reported, or time passing.
type Event string

// Events. Each has a method on Session of the same name (Timeout comes from Tick).
const (
	EventStart         Event = "start"
	EventChoose        Event = "choose"
	EventBegin         Event = "begin"
	EventIdentify      Event = "identify"
	EventSkipIdentify  Event = "skip_identify"
	EventFormDone      Event = "form_done"
	EventScan          Event = "scan"
	EventMaterialsDone Event = "materials_done"
	EventConfirm       Event = "confirm"
	EventSubmitted     Event = "submitted"
	EventSubmitFailed  Event = "submit_failed"
	EventRetry         Event = "retry"
	EventPrinted       Event = "printed"
	EventReprint       Event = "reprint"
	EventFinish        Event = "finish"
	EventRate          Event = "rate"
	EventSkipRate      Event = "skip_rate"
	EventBack          Event = "back"
	EventHome          Event = "home"
	EventConfirmHome   Event = "confirm_home"
	EventStillHere     Event = "still_here"
	EventTimeout       Event = "timeout"
	EventOpenQuery     Event = "open_query"
	EventLookup        Event = "lookup"
	EventOpenRate      Event = "open_rate"
	EventOpenNotices   Event = "open_notices"
	EventArrange       Event = "arrange"
	EventArrangeDone   Event = "arrange_done"
)

// Events lists every event.
var Events = []Event{
	EventStart, EventChoose, EventBegin, EventIdentify, EventSkipIdentify, EventFormDone,
	EventScan, EventMaterialsDone, EventConfirm, EventSubmitted, EventSubmitFailed, EventRetry,
	EventPrinted, EventReprint, EventFinish, EventRate, EventSkipRate, EventBack, EventHome,
	EventConfirmHome, EventStillHere, EventTimeout, EventOpenQuery, EventLookup, EventOpenRate,
	EventOpenNotices, EventArrange, EventArrangeDone,
}

// legal is which events each state accepts. Where an event leads can depend on the
// service (no scannable materials skips the materials step); the methods decide that.
var legal = map[State][]Event{
	StateIdle:         {EventStart, EventHome, EventOpenQuery, EventOpenRate, EventOpenNotices},
	StateChoose:       {EventChoose, EventBack, EventHome, EventTimeout, EventOpenQuery, EventOpenRate, EventOpenNotices},
	StateGuide:        {EventBegin, EventBack, EventHome, EventTimeout},
	StateIdentify:     {EventIdentify, EventSkipIdentify, EventBack, EventHome, EventTimeout},
	StateForm:         {EventFormDone, EventBack, EventHome, EventTimeout},
	StateMaterials:    {EventScan, EventMaterialsDone, EventBack, EventHome, EventTimeout},
	StateArrange:      {EventArrange, EventArrangeDone, EventBack, EventHome, EventTimeout},
	StateReview:       {EventConfirm, EventBack, EventHome, EventTimeout},
	StateSubmitting:   {EventSubmitted, EventSubmitFailed},
	StateSubmitFailed: {EventRetry, EventBack, EventHome, EventTimeout},
	StatePrinting:     {EventPrinted},
	StateReceipt:      {EventReprint, EventFinish, EventHome, EventTimeout},
	StateRate:         {EventRate, EventSkipRate, EventBack, EventHome, EventTimeout},
	StateWipe:         {EventHome, EventTimeout},
	StateWarning:      {EventStillHere, EventBack, EventHome, EventTimeout},
	StateConfirmHome:  {EventConfirmHome, EventBack, EventHome, EventTimeout},
	StateQuery:        {EventLookup, EventBack, EventHome, EventTimeout},
	StateQueryResult:  {EventBack, EventHome, EventTimeout},
	StateNotices:      {EventBack, EventHome, EventTimeout},
}

// Accepts reports whether state st accepts event ev at all (the service may still refuse
// it: Begin on a counter-only service).
func Accepts(st State, ev Event) bool {
	for _, e := range legal[st] {
		if e == ev {
			return true
		}
	}
	return false
}

// ErrIllegal is what a *TransitionError matches with errors.Is.
var ErrIllegal = errors.New("session: event not accepted in this state")

// TransitionError is returned when an event is not accepted in the current state. The
// session does not change. For the UI it means a stale button press; it shows nothing.
type TransitionError struct {
	State State
	Event Event
}

// Error names the event and the state that refused it.
func (e *TransitionError) Error() string {
	return fmt.Sprintf("session: %s not accepted in state %s", e.Event, e.State)
}

// Is makes errors.Is(err, ErrIllegal) true.
func (e *TransitionError) Is(target error) bool { return target == ErrIllegal }

// Errors for events a state accepts but the session refuses; the state does not change.
var (
	// ErrNoService is returned by Choose without a service.
	ErrNoService = errors.New("session: no service chosen")
	// ErrCounterOnly is returned by Begin for a service that cannot be applied for at the
	// kiosk; the guide says where to go.
	ErrCounterOnly = errors.New("session: this service is applied for at the counter")
	// ErrIdentityRequired is returned by SkipIdentify when the service needs identity.
	ErrIdentityRequired = errors.New("session: this service needs the ID card")
	// ErrCardExpired is returned by Identify for an expired card; the identity is wiped.
	ErrCardExpired = errors.New("session: the ID card has expired")
	// ErrCardInvalid is returned by Identify for a card or number that fails its checks;
	// the identity is wiped.
	ErrCardInvalid = errors.New("session: the ID card could not be verified")
	// ErrMaterialsMissing is what a *MissingError matches with errors.Is.
	ErrMaterialsMissing = errors.New("session: mandatory materials not scanned")
	// ErrUnknownMaterial is returned when scanning a material the service does not ask for.
	ErrUnknownMaterial = errors.New("session: no such material for this service")
	// ErrTooManyPages is returned when a material already has MaxPages pages.
	ErrTooManyPages = errors.New("session: too many pages for one material")
	// ErrNoCode is returned by Submitted without a tracking code, and by Lookup without a key.
	ErrNoCode = errors.New("session: no tracking code")
	// ErrBadRating is returned by Rate outside 1–5 stars.
	ErrBadRating = errors.New("session: rating must be 1 to 5 stars")
)

// MissingError names the mandatory scannable materials that have no page yet, and the
// materials scanned with fewer pages than they have.
type MissingError struct {
	Materials []string
	Short     []Shortfall
}

// Shortfall is a material scanned with fewer pages than it has.
type Shortfall struct {
	MaterialID string
	// Scanned pages, of Want; the item accepts no fewer than Min.
	Scanned, Want, Min int
}

// Allowed reports whether the item lets the resident go on with these pages.
func (f Shortfall) Allowed() bool { return f.Scanned >= f.Min }

// CanGoOn reports whether every material has a page and every shortfall is allowed, so
// GoOnWithFewerPages would go on.
func (e *MissingError) CanGoOn() bool {
	if len(e.Materials) > 0 {
		return false
	}
	for _, f := range e.Short {
		if !f.Allowed() {
			return false
		}
	}
	return true
}

// Error names the missing materials and the short ones by ID.
func (e *MissingError) Error() string {
	msg := "session: materials incomplete:"
	if len(e.Materials) > 0 {
		msg += " not scanned: " + strings.Join(e.Materials, ", ") + ";"
	}
	for _, f := range e.Short {
		msg += fmt.Sprintf(" %s has %d of %d pages (at least %d);", f.MaterialID, f.Scanned, f.Want, f.Min)
	}
	return strings.TrimSuffix(msg, ";")
}

// Is makes errors.Is(err, ErrMaterialsMissing) true.
func (e *MissingError) Is(target error) bool { return target == ErrMaterialsMissing }
