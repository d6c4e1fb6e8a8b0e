// Package idcode is the identity QR code: a short-lived statement, signed by the hub, of
// who a resident is. The platform issues one to a resident who proved who they are
// elsewhere (the government app or website); the resident shows it on their phone at a
// kiosk whose card reader cannot be used, and the kiosk checks it offline with the hub's
// public key, learnt at enrollment. docs/PROTOCOL.md §12 is its specification.
//
// The package is pure and keeps no state but a Verifier's memory of codes already used.
// A code and every field of Claims are personal data: nothing here logs, and error texts
// name what failed, never a value. Callers must not log a code either.
package idcode

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/identity"
)

// Prefix starts the text of every identity code, so a kiosk tells an identity code from
// any other QR code (a receipt's, a web address) before decoding anything.
const Prefix = "GKID:"

// Version is the format version this package writes and reads: the first byte of the
// signed body.
const Version = 1

// MaxText is the longest code text, prefix included. It keeps the QR code small enough
// for a handheld scanner to read from a phone screen at a glance.
const MaxText = 300

// MaxLifetime is the longest validity a code may carry; a verifier refuses longer ones
// even when signed, so a code leaked from a screenshot is worthless soon.
const MaxLifetime = time.Hour

// DefaultLifetime is how long a hub's codes stay valid unless asked otherwise.
const DefaultLifetime = 10 * time.Minute

// Leeway is how far a verifier's clock may disagree with the hub's: a code counts as
// issued Leeway earlier and expiring Leeway later than it says.
const Leeway = time.Minute

// Field limits, in bytes.
const (
	MaxIDNumber = 32
	MaxName     = 64
	MaxAddress  = 128
)

// Layout sizes: see docs/PROTOCOL.md §12.
const (
	keyIDSize  = 4
	fixedSize  = 1 + keyIDSize + 8 + 4 + 2 + 1 + 4 // version … birth
	minRawSize = fixedSize + 2 + 2 + 1 + ed25519.SignatureSize
	signPrefix = "govkiosk-idcode\x00"
)

// Errors. Verify returns one of these, wrapped; callers compare with errors.Is.
var (
	// ErrNotIdentityCode is a scanned code that is not an identity code at all (no
	// Prefix): a receipt's QR code, a web address.
	ErrNotIdentityCode = errors.New("idcode: not an identity code")
	// ErrTooLarge is a code over MaxText characters.
	ErrTooLarge = errors.New("idcode: code too large")
	// ErrMalformed is a code that does not decode: bad characters, wrong lengths, a
	// field out of range.
	ErrMalformed = errors.New("idcode: malformed code")
	// ErrUnsupportedVersion is a code of a format version this package does not read.
	ErrUnsupportedVersion = errors.New("idcode: unsupported code version")
	// ErrWrongHub is a code signed with another key than the hub this terminal is
	// enrolled with: another platform's, or a hub whose key changed since enrollment.
	ErrWrongHub = errors.New("idcode: code issued by another platform")
	// ErrBadSignature is a code whose signature does not verify: altered or forged.
	ErrBadSignature = errors.New("idcode: signature invalid")
	// ErrExpired is a code whose validity has ended: the resident gets a new one.
	ErrExpired = errors.New("idcode: code expired")
	// ErrNotYetValid is a code issued after the terminal's "now": one of the two
	// clocks is wrong.
	ErrNotYetValid = errors.New("idcode: code not yet valid")
	// ErrReplayed is a code already used on this terminal within its validity.
	ErrReplayed = errors.New("idcode: code already used")
	// ErrTooManyCodes means the verifier remembers MaxRemembered codes still valid and
	// takes no more until some expire: more than a kiosk sees in an hour, so a sign of
	// abuse, and refused rather than forgetting a code that could then be replayed.
	ErrTooManyCodes = errors.New("idcode: too many codes in use")
	// ErrInvalidClaims is what Sign returns for claims it cannot encode.
	ErrInvalidClaims = errors.New("idcode: invalid claims")
)

// NeedsNewCode reports whether err means the resident should fetch a fresh code and scan
// again (it expired, or was used already), rather than that the code is no good at all.
func NeedsNewCode(err error) bool {
	return errors.Is(err, ErrExpired) || errors.Is(err, ErrReplayed)
}

// CodeID is a code's random identifier: what a verifier remembers to refuse a replay,
// and the only thing about a code that may be logged.
type CodeID [8]byte

// String returns the id in hex.
func (c CodeID) String() string { return hex.EncodeToString(c[:]) }

// KeyID is the first 4 bytes of the SHA-256 of a hub's Ed25519 public key: it tells a
// verifier which key signed a code.
type KeyID [keyIDSize]byte

// KeyIDOf returns the key id of a public key.
func KeyIDOf(pub ed25519.PublicKey) KeyID {
	sum := sha256.Sum256(pub)
	var k KeyID
	copy(k[:], sum[:keyIDSize])
	return k
}

// Claims are what a code says: who, and when the statement is valid. All of it but ID,
// IssuedAt and ExpiresAt is personal data.
type Claims struct {
	// ID is random per code (Sign draws one when it is zero).
	ID CodeID
	// IssuedAt and ExpiresAt bound the validity, in whole seconds; the lifetime is 1 s
	// to MaxLifetime.
	IssuedAt  time.Time
	ExpiresAt time.Time
	// IDNumber is the identity-document number: 1–32 of 0-9 A-Z.
	IDNumber string
	// Name is 1–64 bytes of UTF-8 text without control characters.
	Name string
	// Gender is a GB/T 2261.1 code ("0", "1", "2" or "9"), or "" when not stated.
	Gender string
	// Birth is the date of birth, or zero when not stated.
	Birth identity.Date
	// Address is 0–128 bytes of UTF-8 text without control characters.
	Address string
}

// claimsError says which claim failed. It names the field, never its value.
func claimsError(field, reason string) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidClaims, field, reason)
}
