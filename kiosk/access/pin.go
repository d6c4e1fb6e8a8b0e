package access

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Iterations is the PBKDF2-HMAC-SHA256 iteration count of new hashes: 600,000, what
// OWASP's password storage guidance gives for this construction. On the kiosk's low-power
// CPU one check takes a fraction of a second, which a technician does not notice and which
// makes guessing a 6-digit PIN from a stolen configuration file cost hours rather than
// seconds. Stored hashes carry their own count, so raising it later keeps old hashes valid.
const Iterations = 600_000

// Bounds on the iteration count a stored hash may carry: below MinIterations is too weak
// to accept, above MaxIterations would stall the kiosk (a corrupt or hostile file).
const (
	MinIterations = 1_000
	MaxIterations = 10_000_000
)

// PIN length limits. PINs are digits only: the technician types them on the kiosk's keypad.
const (
	MinPINLength = 6
	MaxPINLength = 12
)

const (
	scheme  = "pbkdf2-sha256"
	saltLen = 16
	keyLen  = 32
)

// Errors a caller branches on.
var (
	// ErrWrongPIN is what a *WrongPINError matches with errors.Is.
	ErrWrongPIN = errors.New("access: wrong PIN")
	// ErrLocked is what a *LockedError matches with errors.Is.
	ErrLocked = errors.New("access: locked after too many wrong PINs")
	// ErrNoPIN is returned when no PIN has been set: the technician screens stay closed
	// until one is enrolled (kioskctl).
	ErrNoPIN = errors.New("access: no technician PIN set")
	// ErrBadHash is returned for a stored hash that cannot be read.
	ErrBadHash = errors.New("access: malformed PIN hash")
	// ErrWeakPIN is returned by HashPIN for a PIN that is not 6–12 digits or is trivially
	// guessable (all one digit, a straight run).
	ErrWeakPIN = errors.New("access: PIN must be 6 to 12 digits, not one repeated digit or a straight run")
)

// HashPIN returns the stored form of a new PIN:
// "pbkdf2-sha256$<iterations>$<salt>$<key>" with a random 16-byte salt and a 32-byte key,
// both base64 (raw standard encoding). It refuses weak PINs with ErrWeakPIN.
func HashPIN(pin string) (string, error) {
	return hashPIN(pin, Iterations)
}

func hashPIN(pin string, iter int) (string, error) {
	if err := CheckPIN(pin); err != nil {
		return "", err
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("access: salt: %w", err)
	}
	key, err := pbkdf2.Key(sha256.New, pin, salt, iter, keyLen)
	if err != nil {
		return "", fmt.Errorf("access: derive key: %w", err)
	}
	enc := base64.RawStdEncoding
	return fmt.Sprintf("%s$%d$%s$%s", scheme, iter, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// CheckPIN reports whether pin is acceptable as a new PIN (ErrWeakPIN if not).
func CheckPIN(pin string) error {
	if len(pin) < MinPINLength || len(pin) > MaxPINLength {
		return ErrWeakPIN
	}
	same, up, down := true, true, true
	for i := 0; i < len(pin); i++ {
		if pin[i] < '0' || pin[i] > '9' {
			return ErrWeakPIN
		}
		if i > 0 {
			same = same && pin[i] == pin[i-1]
			up = up && pin[i] == pin[i-1]+1
			down = down && pin[i]+1 == pin[i-1]
		}
	}
	if same || up || down {
		return ErrWeakPIN
	}
	return nil
}

// parsedHash is a stored hash split into its parts.
type parsedHash struct {
	iter      int
	salt, key []byte
}

func parseHash(h string) (parsedHash, error) {
	parts := strings.Split(h, "$")
	if len(parts) != 4 || parts[0] != scheme {
		return parsedHash{}, fmt.Errorf("%w: want %s$ITERATIONS$SALT$KEY", ErrBadHash, scheme)
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < MinIterations || iter > MaxIterations {
		return parsedHash{}, fmt.Errorf("%w: iteration count %q outside %d..%d", ErrBadHash, parts[1], MinIterations, MaxIterations)
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[2])
	if err != nil || len(salt) < 8 || len(salt) > 64 {
		return parsedHash{}, fmt.Errorf("%w: salt", ErrBadHash)
	}
	key, err := enc.DecodeString(parts[3])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return parsedHash{}, fmt.Errorf("%w: key", ErrBadHash)
	}
	return parsedHash{iter, salt, key}, nil
}

// CheckHash reports whether a stored hash is well-formed (ErrBadHash if not), without
// any PIN; the configuration's validation uses it.
func CheckHash(h string) error {
	_, err := parseHash(h)
	return err
}

// VerifyPIN reports whether pin matches the stored hash, comparing in constant time. It
// does not count tries; Guard does.
func VerifyPIN(hash, pin string) (bool, error) {
	if hash == "" {
		return false, ErrNoPIN
	}
	p, err := parseHash(hash)
	if err != nil {
		return false, err
	}
	key, err := pbkdf2.Key(sha256.New, pin, p.salt, p.iter, len(p.key))
	if err != nil {
		return false, fmt.Errorf("access: derive key: %w", err)
	}
	return subtle.ConstantTimeCompare(key, p.key) == 1, nil
}
