package update

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
)

// Key files are one line of base64: the 32-byte seed for the private key (kept by the
// release manager, never shipped), the 32-byte public key for the public half (shipped
// in the package as /usr/share/govkiosk/release-key.pub).

// GenerateKey makes a release key pair as key-file bytes.
func GenerateKey() (priv, pub []byte, err error) {
	p, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	return []byte(base64.StdEncoding.EncodeToString(k.Seed()) + "\n"), []byte(base64.StdEncoding.EncodeToString(p) + "\n"), nil
}

// ParsePrivateKey reads a private key file.
func ParsePrivateKey(b []byte) (ed25519.PrivateKey, error) {
	seed, err := decodeKey(b, ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// ParsePublicKey reads a public key file.
func ParsePublicKey(b []byte) (ed25519.PublicKey, error) {
	k, err := decodeKey(b, ed25519.PublicKeySize)
	return ed25519.PublicKey(k), err
}

func decodeKey(b []byte, n int) ([]byte, error) {
	k, err := base64.StdEncoding.Strict().DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(k) != n {
		return nil, fmt.Errorf("%w: key file: want one line of base64, %d bytes", ErrMalformed, n)
	}
	return k, nil
}
