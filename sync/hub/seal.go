package hub

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/govkiosk/govkiosk/internal/atomicfile"
)

// ErrKeyFile is returned when the key file exists but cannot be used: wrong length, not
// hex, or readable by group or others.
var ErrKeyFile = errors.New("hub: unusable key file")

// sealer encrypts personal data at rest (form values, rating comments, attachment bytes)
// with AES-256-GCM under one key kept in its own file.
type sealer struct {
	aead cipher.AEAD
	// queryKey keys the ID-number hashes of progress queries (protocol.IDHash).
	queryKey []byte
}

// loadOrCreateKey reads the hex AES-256 key at path, creating it (0600) when absent.
func loadOrCreateKey(path string) (*sealer, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("hub: key: %w", err)
		}
		if err := atomicfile.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("hub: write key file: %w", err)
		}
		return newSealer(key)
	}
	if err != nil {
		return nil, fmt.Errorf("hub: read key file: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("hub: key file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s is readable by others (chmod 600)", ErrKeyFile, path)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("%w: %s must hold 64 hex digits", ErrKeyFile, path)
	}
	return newSealer(key)
}

func newSealer(key []byte) (*sealer, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("hub: key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("hub: key: %w", err)
	}
	// The progress-query key is derived, so replicas sharing the key file agree on it
	// and terminals, who receive it, learn nothing about the sealing key.
	m := hmac.New(sha256.New, key)
	m.Write([]byte("govkiosk progress query key v1"))
	return &sealer{aead: aead, queryKey: m.Sum(nil)}, nil
}

// seal returns nonce || ciphertext. The AAD binds the ciphertext to its record, so
// swapping sealed values between records fails to open.
func (s *sealer) seal(plain, aad []byte) []byte {
	out := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(out); err != nil {
		panic("hub: crypto/rand failed: " + err.Error()) // never returns an error on Linux
	}
	return s.aead.Seal(out, out, plain, aad)
}

func (s *sealer) open(sealed, aad []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, errors.New("hub: sealed value too short")
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], aad)
	if err != nil {
		return nil, fmt.Errorf("hub: open sealed value: %w", err)
	}
	return plain, nil
}
