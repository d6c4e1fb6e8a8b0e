package protocol

import (
	"errors"
	"fmt"
	"time"
)

// Decoding and validation failures. Callers compare with errors.Is; CodeOf maps them to
// the wire code a receiver answers with.
var (
	// ErrMalformed is a frame that is not a well-formed message: not JSON, not one
	// object, an unknown or duplicated envelope key, a field of the wrong JSON type,
	// trailing data, a bad chunk header.
	ErrMalformed = errors.New("protocol: malformed message")
	// ErrUnknownType is an envelope whose type this version does not define.
	ErrUnknownType = errors.New("protocol: unknown message type")
	// ErrWrongSender is a message type the sending side may not send (a terminal
	// sending "welcome").
	ErrWrongSender = errors.New("protocol: message type not allowed from this side")
	// ErrTooLarge is a frame over the size limit for its kind and sender.
	ErrTooLarge = errors.New("protocol: message too large")
	// ErrMissingField is a required field that is absent or empty.
	ErrMissingField = errors.New("protocol: missing field")
	// ErrInvalidField is a field whose value is out of range or badly formed.
	ErrInvalidField = errors.New("protocol: invalid field")
)

// FieldError says which field of which message failed validation. It wraps
// ErrMissingField or ErrInvalidField. Its text names the field, never its value, so it
// is safe to log and to send back.
type FieldError struct {
	Type   Type
	Field  string
	Err    error
	Reason string
}

func (e *FieldError) Error() string {
	what := "missing"
	if errors.Is(e.Err, ErrInvalidField) {
		what = "invalid"
	}
	s := fmt.Sprintf("protocol: %s: %s field %q", e.Type, what, e.Field)
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Unwrap returns ErrMissingField or ErrInvalidField.
func (e *FieldError) Unwrap() error { return e.Err }

func missing(t Type, field string) error {
	return &FieldError{Type: t, Field: field, Err: ErrMissingField}
}

func invalid(t Type, field, reason string) error {
	return &FieldError{Type: t, Field: field, Err: ErrInvalidField, Reason: reason}
}

// Code is an error code carried by an Error message (and by the JSON body of a refused
// HTTP request).
type Code string

// Error codes. docs/PROTOCOL.md says, for each, what changed (nothing, unless stated)
// and what the receiver of the error does next.
const (
	// CodeBadMessage: the frame could not be decoded or failed validation.
	CodeBadMessage Code = "bad_message"
	// CodeTooLarge: the frame was over its size limit.
	CodeTooLarge Code = "too_large"
	// CodeUnexpected: a valid message at the wrong time (out of order, before the
	// handshake finished, a second hello).
	CodeUnexpected Code = "unexpected"
	// CodeUnsupportedVersion: no protocol version in common.
	CodeUnsupportedVersion Code = "unsupported_version"
	// CodeAuthFailed: unknown terminal or a signature that does not verify.
	CodeAuthFailed Code = "auth_failed"
	// CodeRevoked: an operator revoked this terminal (lost, stolen, replaced); its key
	// is refused from then on. Sent only to a terminal that proved it holds the key.
	// The terminal stops delivering and needs a technician to enroll it again.
	CodeRevoked Code = "revoked"
	// CodeTryLater: the hub is busy (handshake rate, upload slots) or briefly unable;
	// retry after RetryAfterMS. Nothing about the referenced item is wrong.
	CodeTryLater Code = "try_later"
	// CodeRejected: the item will never be accepted; the terminal marks it failed and
	// moves on to the next one.
	CodeRejected Code = "rejected"
	// CodeConflict: the id is already used for different content (or by another
	// terminal); permanent, like CodeRejected.
	CodeConflict Code = "conflict"
	// CodeNotFound: no such item for this terminal (never reveals other terminals'
	// data).
	CodeNotFound Code = "not_found"
	// CodeBadOffset: a chunk did not start at the next expected offset; Index and Next
	// say where to continue.
	CodeBadOffset Code = "bad_offset"
	// CodeChecksum: the attachment's bytes did not match its SHA-256; the hub dropped
	// them and expects the attachment again from offset 0.
	CodeChecksum Code = "checksum_mismatch"
	// CodeIncomplete: commit before every attachment was complete.
	CodeIncomplete Code = "incomplete"
	// CodeInternal: the receiver failed (disk, database); retry later.
	CodeInternal Code = "internal"
	// CodeEnrollInvalid: the enrollment code is unknown, used or expired.
	CodeEnrollInvalid Code = "enroll_code_invalid"
)

// Permanent reports whether an error with this code about an item means the item can
// never be delivered as it is, so the terminal should mark it failed rather than retry.
func (c Code) Permanent() bool {
	switch c {
	case CodeRejected, CodeConflict, CodeBadMessage, CodeTooLarge:
		return true
	}
	return false
}

// CodeOf returns the wire code for a decoding, validation or protocol error: what a
// receiver answers when it cannot use a frame.
func CodeOf(err error) Code {
	var pe *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &pe):
		return pe.Code
	case errors.Is(err, ErrTooLarge):
		return CodeTooLarge
	case errors.Is(err, ErrWrongSender):
		return CodeUnexpected
	default:
		return CodeBadMessage
	}
}

// RetryAfter returns the delay the error asks for, zero if none.
func (m *Error) RetryAfter() time.Duration {
	return time.Duration(m.RetryAfterMS) * time.Millisecond
}

// Error makes an Error message usable as a Go error on the receiving side.
func (m *Error) Error() string {
	s := "hub error " + string(m.Code)
	if m.Ref != "" {
		s += " (" + m.Ref + ")"
	}
	if m.Message != "" {
		s += ": " + m.Message
	}
	return s
}

// Errorf builds an Error message with a code, the id it refers to and a reason.
func Errorf(code Code, ref, format string, a ...any) *Error {
	return &Error{Code: code, Ref: ref, Message: fmt.Sprintf(format, a...)}
}
