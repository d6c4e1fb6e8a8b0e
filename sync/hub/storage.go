package hub

import (
	"time"

	"github.com/govkiosk/govkiosk/sync/protocol"
)

// storage is where the hub keeps its records. The embedded default is a bbolt file
// (store); several hub replicas share one PostgreSQL database instead. Every write
// method returns only after its change is durable: the hub acknowledges nothing that
// is not committed.
//
// Implementations are safe for concurrent use. Methods that look a record up return
// (nil, nil) when it does not exist, unless they document ErrNotFound.
type storage interface {
	// hubID returns the hub's id, creating it on first use.
	hubID() (string, error)

	// addEnrollCode records a one-time enrollment code.
	addEnrollCode(code string, created, expires time.Time) error
	// enroll consumes a one-time code (ErrEnrollCode when unknown, used or expired)
	// and records a new terminal with a fresh id and unique terminal code, atomically.
	enroll(code string, now time.Time, pub []byte, name, app string) (terminalRecord, error)
	// terminals lists every enrolled terminal.
	terminals() ([]terminalRecord, error)
	// terminal returns one enrolled terminal: replicas learn of terminals another
	// replica enrolled when they first connect.
	terminal(id string) (*terminalRecord, error)
	// revokeTerminal marks a terminal revoked (at, by whom, why) and returns its record;
	// one revoked already keeps its first revocation. ErrNotFound when unknown. What
	// the terminal delivered is left as it is.
	revokeTerminal(id string, at time.Time, by, reason string) (*terminalRecord, error)

	// submission returns a submission by id.
	submission(id string) (*submissionRecord, error)
	// openSubmission records a new open submission unless the id exists (it then
	// returns the stored record) or its tracking code belongs to another submission.
	openSubmission(rec *submissionRecord) (*submissionRecord, openOutcome, error)
	// commitSubmission marks an open submission committed with the next hub reference
	// (ErrNotFound when the id is unknown). A committed one is returned unchanged.
	commitSubmission(id string, now time.Time) (*submissionRecord, error)
	// openSubmissions returns every open (uncommitted) submission: for per-terminal
	// quotas and the sweep of abandoned uploads.
	openSubmissions() ([]*submissionRecord, error)
	// dropOpenSubmission deletes an open submission and frees its tracking code,
	// returning it; a committed or unknown one is left alone and nil returned.
	dropOpenSubmission(id string) (*submissionRecord, error)
	// recentSubmissions returns up to limit committed submissions, newest first, that
	// keep returns true for.
	recentSubmissions(limit int, keep func(*submissionRecord) bool) ([]*submissionRecord, error)
	// countCommitted counts committed submissions.
	countCommitted() (int, error)
	// byTracking finds a submission by tracking code, read as forgivingly as a person
	// types it.
	byTracking(code string) (*submissionRecord, error)
	// bySubject returns up to limit committed submissions, newest first, whose IDHash
	// is idHash: one resident's submissions from every terminal.
	bySubject(idHash string, limit int) ([]*submissionRecord, error)

	// putRating stores a rating unless its id exists, in which case the stored one is
	// returned with existed set. With the outbox on, a new rating that names a
	// submission (by id or tracking code) is queued for forwarding in the same
	// transaction, as ratingJobPrefix and its id.
	putRating(rec *ratingRecord) (out *ratingRecord, existed bool, err error)
	// rating returns a rating by id.
	rating(id string) (*ratingRecord, error)

	// queueStatus records a status change on the submission (ErrNotFound when unknown)
	// and queues the update for its terminal, atomically.
	queueStatus(st *protocol.Status, terminalID string) error
	// pendingStatus returns a terminal's unacknowledged status updates.
	pendingStatus(terminalID string) ([]*protocol.Status, error)
	// ackStatus removes one of the terminal's own updates and says whether it existed.
	ackStatus(terminalID, updateID string) (bool, error)

	// putPublished stores the current catalog, config or announcements.
	putPublished(kind string, rec publishedRecord) error
	// published returns what putPublished stored for kind.
	published(kind string) (*publishedRecord, error)

	// saveHeartbeats stores the latest heartbeat of each terminal in hb.
	saveHeartbeats(hb map[string]heartbeatRecord) error
	// heartbeats returns the stored heartbeats by terminal id.
	heartbeats() (map[string]heartbeatRecord, error)

	// enableOutbox makes commitSubmission queue each newly committed submission for
	// forwarding, in the same transaction. Off unless the hub forwards.
	enableOutbox()
	// claimForward leases up to limit due, live forwarding jobs until now+lease.
	claimForward(now time.Time, lease time.Duration, limit int) ([]*forwardJob, error)
	// forwardQueued reports whether a job is queued under key, due, leased or dead.
	forwardQueued(key string) (bool, error)
	// forwardDone removes a delivered job.
	forwardDone(key string) error
	// forwardFailed records a failed attempt: the job is due again at next, or parked
	// as a dead letter.
	forwardFailed(key string, attempts int, next time.Time, dead bool, lastErr string) error
	// deadLetters lists parked jobs.
	deadLetters() ([]*forwardJob, error)
	// retryDead makes a parked job due at now with its attempts reset.
	retryDead(key string, now time.Time) (bool, error)

	// The operations console's records (console_store.go).
	consoleStorage
	// Counter appointments (booking_store.go).
	bookingStorage
	slotRulesStorage
	// Issued documents (certificates.go).
	certificateStorage
	// Release packages (release_store.go).
	releaseStorage
	// Operators' commands and their results (command_store.go).
	commandStorage
	// Console sessions (session_store.go).
	sessionStorage

	close() error
}

// forwardJob is a committed submission, or a rating of one, on its way to the
// business system.
type forwardJob struct {
	// Key is the submission id, or ratingJobPrefix and the rating id (the prefix is
	// outside the protocol's id alphabet, so the two never meet). Stored as
	// "submission_id", its name from before ratings were handed off.
	Key        string    `json:"submission_id"`
	Attempts   int       `json:"attempts"`
	NextAt     time.Time `json:"next_at"`
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	Dead       bool      `json:"dead,omitempty"`
	LastError  string    `json:"last_error,omitempty"`
}

// attachmentStorage keeps attachment bytes, sealed, while they arrive in chunks and
// once they are verified. The embedded default is files beside the bbolt database
// (attachmentStore).
type attachmentStorage interface {
	// complete reports whether attachment index has been received and verified.
	complete(terminalID, id string, index int, size int64) bool
	// prepare makes room for a submission's attachments, durably.
	prepare(terminalID, id string) error
	// openPart opens (or creates) attachment index for receiving; its offset says
	// where the upload continues.
	openPart(terminalID, id string, index int, meta protocol.Attachment) (attachmentPart, error)
	// read returns a verified attachment's plaintext (ErrNotFound when missing).
	read(terminalID, id string, index int, meta protocol.Attachment) ([]byte, error)
	// drop deletes whatever is stored of an abandoned submission's attachments and
	// returns how many bytes that freed.
	drop(terminalID, id string) (int64, error)
}

// attachmentPart is one attachment being received, owned by one connection.
type attachmentPart interface {
	// offset is how many bytes are stored: where the next chunk must start.
	offset() int64
	// length is the attachment's announced size.
	length() int64
	// append stores one chunk that starts at offset, durably before it returns.
	append(data []byte) error
	// finish verifies a complete attachment against its SHA-256 and makes it
	// permanent; on a mismatch it empties the part and returns errChecksum.
	finish() error
	// close releases the part without finishing it.
	close()
}

var (
	_ storage           = (*store)(nil)
	_ attachmentStorage = (*attachmentStore)(nil)
)
