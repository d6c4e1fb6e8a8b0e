package queue

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// keySize is AES-256.
const keySize = 32

// Associated-data prefixes: what a sealed value belongs to. A value sealed for one
// purpose or one item does not open as another.
const (
	aadKeyCheck = "govkiosk/queue/v1 keycheck"
	aadRecord   = "govkiosk/queue/v1 record "
	aadFile     = "govkiosk/queue/v1 file "
)

// keyCheckPlain is sealed into the database at creation; opening it proves the key.
var keyCheckPlain = []byte("govkiosk queue key check")

// sealer encrypts with AES-256-GCM, a fresh random nonce per value. The nonce is stored
// in front of the ciphertext. Random 96-bit nonces are safe for far more values than a
// kiosk ever writes under one key (NIST SP 800-38D puts the limit at 2^32).
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (*sealer, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	return &sealer{aead: aead}, nil
}

// overhead is how many bytes sealing adds.
func (s *sealer) overhead() int { return s.aead.NonceSize() + s.aead.Overhead() }

func (s *sealer) seal(plain []byte, aad string) []byte {
	out := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(out); err != nil {
		// crypto/rand does not fail on Linux; if it ever does, nothing may be sealed
		// under a predictable nonce.
		panic("queue: crypto/rand: " + err.Error())
	}
	return s.aead.Seal(out, out, plain, []byte(aad))
}

// open authenticates and decrypts; any mismatch (wrong key, tampering, a value moved
// from another item) is ErrCorrupt.
func (s *sealer) open(sealed []byte, aad string) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, fmt.Errorf("%w: sealed value too short", ErrCorrupt)
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(aad))
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed (tampered, damaged or moved)", ErrCorrupt)
	}
	return plain, nil
}

func recordAAD(id string) string      { return aadRecord + id }
func fileAAD(id string, i int) string { return aadFile + id + "/" + strconv.Itoa(i) }

// errKeyAbsent marks a key file that does not exist (as opposed to one that is wrong).
var errKeyAbsent = errors.New("key file does not exist")

// loadKey reads a hex key file, refusing one that others can read.
func loadKey(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s: %w", ErrKey, path, errKeyAbsent)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrKey, path)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s is readable by others (mode %04o); chmod 600 it", ErrKey, path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	key, err := parseKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", err, path)
	}
	return key, nil
}

// parseKey reads a key file's content: 64 hex characters, surrounding white space allowed.
func parseKey(b []byte) ([]byte, error) {
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != keySize {
		return nil, fmt.Errorf("%w: key file does not hold %d hex characters", ErrKey, 2*keySize)
	}
	return key, nil
}

// createKey writes a new random key to path, which must not exist. The key is written
// to a temporary file, fsynced and linked into place, so a crash leaves either no key
// file or a complete one, and an existing key is never replaced.
func createKey(path string) ([]byte, error) {
	key := make([]byte, keySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".key-*")
	if err != nil {
		return nil, fmt.Errorf("%w: create key: %v", ErrKey, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("%w: create key: %v", ErrKey, err)
	}
	_, err = tmp.WriteString(hex.EncodeToString(key) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// Link, not rename: it fails if a key appeared meanwhile instead of replacing it.
		err = os.Link(tmp.Name(), path)
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: create key: %v", ErrKey, err)
	}
	return key, nil
}
