package queue

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// State is where an outbox item is on its way to the hub.
type State string

const (
	// Queued items wait to be sent.
	Queued State = "queued"
	// Sending items are being sent by the sync client right now. A crash turns them
	// back into Queued at the next Open.
	Sending State = "sending"
	// Delivered items have been confirmed by the hub; their personal data is gone and
	// only the receipt record stays, for Options.Retention.
	Delivered State = "delivered"
	// Failed items were refused permanently (by the hub, or because their data on disk
	// is damaged). They keep their sealed data and files until a technician requeues
	// them: they are never pruned.
	Failed State = "failed"
	// Held items were refused by the hub for a conflict the terminal did not cause (its
	// tracking code already taken at the hub). They are never given up and never pruned:
	// they keep their data, stop being sent, and wait for an operator to re-issue their
	// code (Reissue) or to try them again as they are (Release).
	Held State = "held"
)

// pending reports whether items in state s are waiting for the hub.
func (s State) pending() bool { return s == Queued || s == Sending }

var (
	// ErrNotFound means no item has the given id or tracking code (it may have been
	// pruned after Options.Retention).
	ErrNotFound = errors.New("queue: not found")
	// ErrDiskFull means a new submission was refused because the disk is (nearly)
	// full. Everything already queued is kept.
	ErrDiskFull = errors.New("queue: disk full")
	// ErrKey means the encryption key is missing, unreadable, too widely readable or
	// not the key the queue was written with.
	ErrKey = errors.New("queue: encryption key")
	// ErrCorrupt means stored data failed a consistency or authenticity check.
	ErrCorrupt = errors.New("queue: corrupt data")
	// ErrClosed means the queue has been closed.
	ErrClosed = errors.New("queue: closed")
	// ErrLocked means another process (normally the running kiosk) has the queue open.
	ErrLocked = errors.New("queue: in use by another process")
	// ErrReadOnly means a change was asked of a queue opened with Options.ReadOnly.
	ErrReadOnly = errors.New("queue: opened read-only")
	// ErrInvalid means the caller passed something the queue cannot store (an empty
	// service item, stars outside 1–5, an id with characters unsafe in a file name).
	ErrInvalid = errors.New("queue: invalid input")
)

// TransitionError is returned when an item cannot move from its current state to the
// asked one, e.g. MarkSending on a delivered item.
type TransitionError struct {
	ID       string
	From, To State
}

// Error says which item and which move.
func (e *TransitionError) Error() string {
	return fmt.Sprintf("queue: item %s cannot go from %s to %s", e.ID, e.From, e.To)
}

// Options configure Open.
type Options struct {
	// TerminalCode is the 4-character code the hub assigned at enrollment; it starts
	// every tracking code. Required unless ReadOnly.
	TerminalCode string
	// KeyFile is the path of the AES-256 key (64 hex characters, mode 0600). It should
	// live outside the data directory. Required unless ReadOnly; a read-only queue
	// without a key can show only what is not personal.
	KeyFile string
	// CreateKey lets Open create KeyFile when it is absent and the queue is new. An
	// existing queue whose key is missing is never given a new key: that is ErrKey.
	CreateKey bool
	// Retention is how long delivered receipt records (and failed items) stay. Zero
	// means 30 days.
	Retention time.Duration
	// MinFreeBytes refuses new submissions when the filesystem would have less free
	// space than this after storing them. Zero means 64 MiB; negative disables the
	// check (a write failing with ENOSPC is still ErrDiskFull).
	MinFreeBytes int64
	// SeqFloor is the lowest sequence number to use for new items. After the database
	// is lost or replaced, setting it above the highest sequence the hub has seen from
	// this terminal keeps tracking codes from repeating.
	SeqFloor uint64
	// ReadOnly opens for inspection (technician tools): no repairs, no changes, and the
	// database may be open in another process only if that process also reads.
	ReadOnly bool
	// LockTimeout is how long Open waits for another process to release the database.
	// Zero means 2 seconds.
	LockTimeout time.Duration
	// Logger receives operational messages, never personal data. Nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// NewAttachment is a file to store with a new submission, e.g. a scanned document.
type NewAttachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// NewSubmission is what the UI hands over when a resident submits.
type NewSubmission struct {
	// ID is the submission's permanent id, also the hub's idempotency key. Optional: a
	// random UUID is generated when empty. Letters, digits, '-' and '_' only, at most
	// 64 characters. Enqueueing an id again returns the stored submission.
	ID string
	// Item is the service item or bundle id.
	Item string
	// ItemTitle is shown on the status screen.
	ItemTitle string
	// Fields are the form values: personal data, encrypted at rest.
	Fields map[string]string
	// IdentityNumber is the ID number of the card (or other verified identity) the
	// resident identified with; empty when they did not. It is neither stored nor sent:
	// the queue keeps only a keyed hash of it beside the receipt, for as long as the
	// receipt, so LookupIdentity can find this submission later. Put the number in Fields
	// too when the hub needs it.
	IdentityNumber string
	// Attachments are encrypted at rest, one file each.
	Attachments []NewAttachment
}

// Attachment describes a stored attachment. Read its bytes with Queue.ReadAttachment.
type Attachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	// SHA256 is the hex SHA-256 of the plain bytes, checked on every read.
	SHA256 string `json:"sha256"`
}

// Submission is a stored submission. After delivery Fields and Attachments are nil.
type Submission struct {
	Seq          uint64
	ID           string
	TrackingCode string
	Item         string
	ItemTitle    string
	Fields       map[string]string
	Attachments  []Attachment
	State        State
	// Reason is the last transient error (queued) or why the item failed (failed).
	Reason    string
	Attempts  int
	CreatedAt time.Time
	// Stamped, when set, is the trusted time sent to the hub in place of an implausible
	// CreatedAt (Restamp). CreatedAt is kept as the kiosk's clock read it.
	Stamped     time.Time
	UpdatedAt   time.Time
	DeliveredAt time.Time
	// HubRef is the hub's reference for the delivered submission.
	HubRef string
}

// RatingInput is a resident's rating of the service, given after submitting.
type RatingInput struct {
	SubmissionID string
	TrackingCode string
	Item         string
	// Stars is 1 to 5.
	Stars int
	// Reasons are chosen from a fixed list on screen; not personal.
	Reasons []string
	// Comment is free text and may be personal: encrypted at rest.
	Comment string
}

// Rating is a stored rating: its own outbox item. After delivery Comment is empty.
type Rating struct {
	Seq uint64
	ID  string
	RatingInput
	State     State
	CreatedAt time.Time
	// Stamped: as Submission.Stamped.
	Stamped time.Time
}

// Item is one outbox item: exactly one of Submission and Rating is set.
type Item struct {
	Seq        uint64
	Submission *Submission
	Rating     *Rating
}

// ID returns the id of whichever item is set.
func (it Item) ID() string {
	if it.Submission != nil {
		return it.Submission.ID
	}
	if it.Rating != nil {
		return it.Rating.ID
	}
	return ""
}

// Receipt is what the status screen shows for a tracking code or an ID card: nothing
// personal.
type Receipt struct {
	TrackingCode string
	Item         string
	ItemTitle    string
	State        State
	// Status is the hub's processing status, pushed later (SetStatus).
	Status      string
	CreatedAt   time.Time
	DeliveredAt time.Time
	StatusAt    time.Time
}

// Stats summarise the outbox for the UI, the heartbeat and technicians.
type Stats struct {
	Queued, Sending, Delivered, Failed, Held int
	// OldestQueued is when the oldest item still waiting (queued or sending) was
	// created; zero when nothing waits.
	OldestQueued time.Time
	// Bytes is the size on disk of the attachment files held (waiting or failed).
	Bytes int64
}

// Entry is an item as a technician sees it: state and bookkeeping, nothing personal.
type Entry struct {
	Seq uint64
	ID  string
	// Kind is "submission" or "rating".
	Kind         string
	TrackingCode string
	Item         string
	ItemTitle    string
	State        State
	Reason       string
	Attempts     int
	CreatedAt    time.Time
	Stamped      time.Time
	UpdatedAt    time.Time
	DeliveredAt  time.Time
	HubRef       string
	Status       string
	StatusAt     time.Time
	// Files and Bytes count the attachment files held and their size on disk.
	Files int
	Bytes int64
}
