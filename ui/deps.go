package ui

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/kiosk/access"
	"github.com/govkiosk/govkiosk/kiosk/booking"
	"github.com/govkiosk/govkiosk/kiosk/catalog"
	"github.com/govkiosk/govkiosk/kiosk/form"
	"github.com/govkiosk/govkiosk/kiosk/identity"
	"github.com/govkiosk/govkiosk/kiosk/licence"
	"github.com/govkiosk/govkiosk/kiosk/receipt"
	"github.com/govkiosk/govkiosk/kiosk/session"
	"github.com/govkiosk/govkiosk/ui/fonts"
	"github.com/govkiosk/govkiosk/ui/touch"
)

// Feed is a value that changes over time: what it is now, and a channel of every later
// value (a slow reader may miss intermediate ones, never the latest) with a function that
// stops it. *health.Tracker is a Feed[health.Status].
type Feed[T any] interface {
	Current() T
	Subscribe() (<-chan T, func())
}

// IdentitySource is the ID-card reader.
type IdentitySource interface {
	// ReadCard waits until a card is placed and read, and returns its identity, which the
	// caller then owns (and wipes). It returns ctx.Err() when ctx ends first, and other
	// errors for a card that could not be read (the UI asks to place it again).
	ReadCard(ctx context.Context) (*identity.Identity, error)
	// Health is the reader's health.
	Health() Feed[health.Status]
}

// QRIdentifier turns a scanned identity QR code (an electronic ID or a code issued by the
// platform) into an identity, for residents whose card cannot be read. It may ask the
// platform, so it takes a context. A code that was genuine but can no longer be used
// (expired, already used here) is refused with an error wrapping ErrQRNeedsNewCode, so
// the screen can tell the resident to fetch a new one.
type QRIdentifier interface {
	IdentifyQR(ctx context.Context, payload string) (*identity.Identity, error)
}

// ErrQRNeedsNewCode marks an identity code that is genuine but spent or expired.
var ErrQRNeedsNewCode = errors.New("ui: identity code expired or already used")

// BarcodeSource is the barcode/QR scanner.
type BarcodeSource interface {
	// ReadCode waits for the next scanned code. It returns ctx.Err() when ctx ends first.
	ReadCode(ctx context.Context) (string, error)
	Health() Feed[health.Status]
}

// DocScanner is the document scanner for materials.
type DocScanner interface {
	// Scan scans one page and returns it as an encoded image (JPEG or PNG).
	Scan(ctx context.Context) ([]byte, error)
	Health() Feed[health.Status]
}

// Printer is the receipt printer.
type Printer interface {
	// Print prints a receipt. When the printer's condition stopped it, the error is, or
	// wraps, a *PrinterError so the screen can tell the resident what happened.
	Print(ctx context.Context, doc receipt.Document) error
	Health() Feed[health.Status]
}

// Certificates prints on the A4 printer the documents that items issue at once (立等可取,
// the catalog's "issues"): right after the submission, the platform issues the document
// and the kiosk prints it.
type Certificates interface {
	// PrintCertificate gets the document of the submission with this tracking code, made
	// by the resident with this ID number, and prints it: right after the visit's own
	// submission, or as a reprint at any kiosk (the query screen's 补打证明). It says how
	// that went; an error is logged, the outcome is what the resident is told.
	PrintCertificate(ctx context.Context, code, idNumber string) (CertificateOutcome, error)
}

// CertificateOutcome is how printing an issued document went.
type CertificateOutcome string

// Certificate outcomes.
const (
	// CertPrinted: the document came out of the A4 printer.
	CertPrinted CertificateOutcome = "printed"
	// CertLater: the platform issues it later; the receipt says when and where.
	CertLater CertificateOutcome = "later"
	// CertOffline: the platform could not be asked in time (the network, a busy hub).
	CertOffline CertificateOutcome = "offline"
	// CertPaperOut: the A4 printer is out of paper, or ran out during the job.
	CertPaperOut CertificateOutcome = "paper_out"
	// CertRefused: the printer refused the document.
	CertRefused CertificateOutcome = "refused"
	// CertNoPrinter: there is no A4 printer, or it cannot print now (jam, door open).
	CertNoPrinter CertificateOutcome = "no_printer"
	// CertUnknown: the platform has no submission with this tracking code for this
	// resident (a mistaken code, or another resident's: the two read alike).
	CertUnknown CertificateOutcome = "unknown"
	// CertNone: the submission's service issues no document.
	CertNone CertificateOutcome = "none"
)

// PrinterFault is a printer condition the resident can be told about in plain words.
type PrinterFault string

// Printer faults.
const (
	FaultPaperOut  PrinterFault = "paper_out"
	FaultCoverOpen PrinterFault = "cover_open"
	FaultOffline   PrinterFault = "offline"
	FaultOther     PrinterFault = "other"
)

// PrinterError is a failed print with the condition that caused it. The wiring wraps a
// driver's status error in one; any other error counts as FaultOther.
type PrinterError struct {
	Fault PrinterFault
	Err   error
}

// Error says which fault stopped the print, and the driver's words.
func (e *PrinterError) Error() string {
	if e.Err == nil {
		return "printer: " + string(e.Fault)
	}
	return fmt.Sprintf("printer: %s: %v", e.Fault, e.Err)
}

// Unwrap returns the driver's error.
func (e *PrinterError) Unwrap() error { return e.Err }

// FaultOf returns the printer fault an error describes.
func FaultOf(err error) PrinterFault {
	var pe *PrinterError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &pe):
		return pe.Fault
	case errors.Is(err, context.DeadlineExceeded):
		return FaultOffline
	}
	return FaultOther
}

// Submitter stores submissions durably, records ratings and looks up progress.
type Submitter interface {
	// Enqueue makes a draft durable (it copies what it needs: the session wipes the
	// draft's data afterwards) and returns its tracking code. It returns only once the
	// submission survives a power cut.
	Enqueue(ctx context.Context, d session.Draft) (code string, err error)
	// Rate records a rating.
	Rate(ctx context.Context, r Rating) error
	// Lookup finds the progress of submissions by a tracking code or by the ID number of
	// the person who submitted them: at the platform, for submissions made at any
	// terminal, and from this terminal's own receipts when the platform cannot answer
	// (Found.Local says so). Nothing found is no items, or ErrNotFound.
	Lookup(ctx context.Context, q Query) (Found, error)
}

// Found is what a progress lookup found, and where it looked.
type Found struct {
	Items []Progress
	// Local is set when the platform was not asked or did not answer, and says why: the
	// items are then only this terminal's own receipts, and the screen says so.
	Local LocalReason
}

// LocalReason says why a lookup answered only from this terminal's receipts.
type LocalReason string

// Reasons for a lookup from this terminal's receipts only.
const (
	LocalOffline LocalReason = "offline" // the platform cannot be reached (or refused)
	LocalBusy    LocalReason = "busy"    // the platform asked to wait before asking again
)

// ErrNotFound is what Submitter.Lookup may return when nothing matches.
var ErrNotFound = errors.New("ui: nothing found")

// ErrStorageFull is what Submitter.Enqueue returns, wrapped, when the kiosk has no room to
// store a submission: the resident is sent to staff.
var ErrStorageFull = errors.New("ui: storage full")

// ErrTimeUnknown is what Submitter.Enqueue returns, wrapped, when the kiosk cannot trust
// its clock (a dead clock battery, no hub yet) and so issues no receipt: the resident is
// sent to staff.
var ErrTimeUnknown = errors.New("ui: time unknown")

// Query is a progress lookup: a tracking code, or an ID number. IDNumber is personal data.
type Query struct {
	Code     string
	IDNumber string
}

// Rating is one resident's 1–5 star rating with optional reasons (reason keys from the
// rate screen, such as "slow", "unclear").
type Rating struct {
	Code      string
	ServiceID string
	Stars     int
	Reasons   []string
	At        time.Time
}

// Status is where a submission is on its way.
type Status string

// Statuses.
const (
	StatusQueued     Status = "queued"     // stored at the kiosk, not yet sent
	StatusReceived   Status = "received"   // the platform has it
	StatusAccepted   Status = "accepted"   // 受理: a clerk took it on
	StatusProcessing Status = "processing" // a department is working on it
	StatusCorrection Status = "correction" // 补正: materials to add or correct, see Note
	StatusDone       Status = "done"       // 办结: finished, collect or wait for the result
	StatusRejected   Status = "rejected"   // refused: see Note, or ask staff
	StatusNotTaken   Status = "not_taken"  // 不予受理: the department will not take it on, see Note
)

// Progress is one submission's progress, without personal data.
type Progress struct {
	Code    string
	Service form.Text
	Status  Status
	// Note is the department's remark in both languages, if any.
	Note    form.Text
	Updated time.Time
}

// SyncState is how delivery to the platform is going.
type SyncState struct {
	Online bool
	// Queued is how many submissions wait to be sent.
	Queued int
	// Revoked is true once the platform refused this terminal's key as revoked by an
	// operator (lost, stolen, replaced): nothing it takes can be delivered any more.
	Revoked bool
}

// Notice is one announcement or public notice from the platform.
type Notice struct {
	ID    string
	Title form.Text
	Body  form.Text
	Date  time.Time
}

// Bulletin is what the platform publishes to the hall: short announcements for the start
// screen and the public notice board (政务公开).
type Bulletin struct {
	Announcements []Notice
	Notices       []Notice
}

// LicenceSource asks the platform which e-licences a resident holds (docs/LICENCES.md).
// It sends only a keyed hash of the number. Offline, a busy platform, or nothing found:
// the resident scans, so any error is simply no offer.
type LicenceSource interface {
	Licences(ctx context.Context, idNumber string, types []licence.Type) ([]licence.Licence, error)
}

// Appointments books counter visits at the platform (docs/PROTOCOL.md, book). Every call
// needs the network; an error that is not one of booking.ErrFull, ErrPast or
// ErrUnavailable is taken as "the platform cannot be asked now".
type Appointments interface {
	// Slots is the item's calendar in this hall: the half-days of the next 14 days.
	Slots(ctx context.Context, item string) ([]booking.Free, string, error)
	// Book takes a place for the submission bookingID.
	Book(ctx context.Context, bookingID, item string, slot booking.Slot) (booking.Booking, error)
	// ConfirmBooking keeps the place booked for bookingID for good (the resident
	// submits); until then the platform only holds it for a while.
	ConfirmBooking(ctx context.Context, bookingID string) (booking.Booking, error)
	// CancelBooking gives back the place this kiosk booked for bookingID.
	CancelBooking(ctx context.Context, bookingID string) (booking.Booking, error)
	// CancelByTrackingCode gives back the place booked for a submission made anywhere.
	CancelByTrackingCode(ctx context.Context, code string) (booking.Booking, error)
}

// ErrNoBooking is what Appointments.CancelByTrackingCode returns, wrapped, when the
// platform holds no appointment for the code.
var ErrNoBooking = errors.New("ui: no such appointment")

// CatalogSource gives the current service catalog. A session keeps the catalog it
// started with; pushes take effect at the next visit. *catalog.Store is one.
type CatalogSource interface {
	Current() *catalog.Catalog
}

// Deps is everything the UI needs from outside. The device and network fields may be nil
// only in tests of screens that do not use them; the UI then shows the device as offline.
type Deps struct {
	// Log receives state names, device states and errors: never personal data.
	Log *slog.Logger
	// Fonts is the CJK typeface (fonts.Load). Nil uses Fyne's bundled font, which has no
	// Chinese glyphs: only for tests that do not look at pixels.
	Fonts *fonts.Set
	// Translations holds "<language>.json" files; nil uses the embedded ones.
	Translations fs.FS

	Catalog   CatalogSource
	Identity  IdentitySource
	QR        QRIdentifier
	Barcode   BarcodeSource
	Scanner   DocScanner
	Printer   Printer
	Submitter Submitter
	Sync      Feed[SyncState]
	Bulletins Feed[Bulletin]
	// Licences offers e-licences instead of scans; nil means every material is scanned.
	Licences LicenceSource
	// Appointments books counter visits; nil means booking is never possible (the
	// screen says it needs the network).
	Appointments Appointments

	// Certificates prints issued documents on A4; nil prints none (the receipt says
	// when and where to collect them).
	Certificates Certificates

	// Voice speaks each screen's instruction; nil keeps the kiosk silent.
	Voice Voice
	// VoiceInNormalMode speaks outside elder mode too (elder mode always speaks).
	VoiceInNormalMode bool

	// IME is the Chinese input of free-text fields (pinyin and handwriting). Both parts
	// nil keep the capital-letter keyboard. The UI resets the pinyin session when a visit
	// ends, so nothing typed is learned beyond it.
	IME touch.IME

	// Access guards the technician screens; nil disables them.
	Access     *access.Guard
	Technician Technician

	// Hall is the hall's name, shown on the start screen and printed on receipts.
	Hall form.Text
	// Session configures the resident session (timeouts, clock, start language and
	// elder mode). An OnUpdate set here is called too, from the goroutine that caused the
	// update (for health reports and logs); the UI handles updates on its own goroutine.
	Session session.Options
	// PaperColumns is the receipt width in columns (receipt.Cols58 or Cols80).
	PaperColumns int
	// PrintTimeout bounds one receipt print; zero means 30 s.
	PrintTimeout time.Duration

	// Do runs f on the UI goroutine. Nil means fyne.Do. Tests pass a queue they drain.
	Do func(f func())
	// MapPath is where to write the automation map (see the package documentation);
	// empty means the GOVKIOSK_UI_MAP environment variable, and no map when that is unset.
	MapPath string
	// Windowed keeps the window out of full screen, for development.
	Windowed bool

	// SafeMode starts the kiosk for a technician after repeated crashes: the PIN pad
	// first, then the settings, with a plain statement of why; residents see only that
	// self-service is paused. No resident visit can begin.
	SafeMode bool
	// SafeReason, when set with SafeMode, is why the kiosk could not start normally and
	// what the technician does about it, in words (the wiring writes it in both
	// languages). It replaces the "stopped several times" statement.
	SafeReason form.Text
	// OnRestart, when set, is called on the UI goroutine when the technician chooses
	// "restart normally": the wiring quits with status 0, which the kiosk session takes
	// as a clean exit (clearing its crash count) and starts the kiosk again.
	OnRestart func()
}
