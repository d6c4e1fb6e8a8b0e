package idcode

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"
	"time"
)

// MaxRemembered bounds how many used codes a Verifier remembers at once. Only codes with
// a valid signature are remembered, each for at most MaxLifetime plus Leeway.
const MaxRemembered = 1024

// Verifier checks identity codes against one hub's public key, offline, and refuses a
// code already used on this terminal while it is still valid. It is safe for concurrent
// use. It remembers code ids only, never what a code says.
type Verifier struct {
	pub   ed25519.PublicKey
	keyID KeyID

	mu   sync.Mutex
	used map[CodeID]time.Time // code id → when it may be forgotten (expiry + Leeway)
}

// NewVerifier makes a verifier for codes signed by the holder of pub, the hub's identity
// key from enrollment.
func NewVerifier(pub ed25519.PublicKey) (*Verifier, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, errors.New("idcode: hub identity key must be 32 bytes")
	}
	return &Verifier{pub: pub, keyID: KeyIDOf(pub), used: map[CodeID]time.Time{}}, nil
}

// Verify checks a scanned code at time now and returns its claims. Checks run in this
// order, and the first failure is returned (wrapped): ErrNotIdentityCode, ErrTooLarge,
// ErrMalformed or ErrUnsupportedVersion (the text), ErrWrongHub (the key id),
// ErrBadSignature, ErrNotYetValid and ErrExpired (with Leeway either side), ErrReplayed,
// ErrTooManyCodes. A code that passes is remembered as used until it expires.
func (v *Verifier) Verify(text string, now time.Time) (*Claims, error) {
	p, err := parse(text)
	if err != nil {
		return nil, err
	}
	if p.keyID != v.keyID {
		return nil, ErrWrongHub
	}
	if !ed25519.Verify(v.pub, signedMessage(p.body), p.sig) {
		return nil, ErrBadSignature
	}
	c := &p.claims
	v.mu.Lock()
	defer v.mu.Unlock()
	for id, until := range v.used {
		if !now.Before(until) {
			delete(v.used, id)
		}
	}
	if now.Before(c.IssuedAt.Add(-Leeway)) {
		return nil, fmt.Errorf("%w: issued %v ahead of this terminal's clock", ErrNotYetValid, c.IssuedAt.Sub(now).Round(time.Second))
	}
	forget := c.ExpiresAt.Add(Leeway)
	if !now.Before(forget) {
		return nil, fmt.Errorf("%w: %v ago", ErrExpired, now.Sub(c.ExpiresAt).Round(time.Second))
	}
	if _, ok := v.used[c.ID]; ok {
		return nil, ErrReplayed
	}
	if len(v.used) >= MaxRemembered {
		return nil, ErrTooManyCodes
	}
	v.used[c.ID] = forget
	return c, nil
}

// Remembered returns how many used codes the verifier holds (for tests and metrics).
func (v *Verifier) Remembered() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.used)
}
