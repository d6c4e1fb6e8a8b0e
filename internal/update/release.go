// Package update signs and verifies software releases: a release is a .deb and a
// manifest naming its package, version, architecture, channel, size and SHA-256, signed
// with the project's Ed25519 release key. The public half of that key ships in the
// package, so a terminal verifies an update with the key of the version it runs, and
// refuses a tampered file, another key's signature, another package or architecture, and
// any version not newer than its own.
//
// The manifest is a small line-oriented text file (the .deb's name plus ".release"):
//
//	govkiosk-release 1
//	package: govkiosk
//	version: 1.2.0
//	arch: amd64
//	channel: pilot
//	size: 8123456
//	sha256: 5f1c…(64 hex digits)
//	signature: (base64 Ed25519 signature over every byte before this line)
package update

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// Typed errors a caller branches on (errors.Is).
var (
	// ErrMalformed is a manifest or key that does not parse.
	ErrMalformed = errors.New("update: malformed release manifest")
	// ErrBadSignature is a manifest not signed by the release key (another key, or edited).
	ErrBadSignature = errors.New("update: release signature does not verify with the release key")
	// ErrTampered is a package whose size or SHA-256 is not the signed one.
	ErrTampered = errors.New("update: package does not match its signed manifest")
	// ErrDowngrade is a release not newer than the running version.
	ErrDowngrade = errors.New("update: release is not newer than the installed version")
	// ErrWrongTarget is a release for another package, architecture or channel.
	ErrWrongTarget = errors.New("update: release is for another package, architecture or channel")
)

// Channels a release is published on: pilot terminals take pilot and all; others take
// all only.
const (
	ChannelPilot = "pilot"
	ChannelAll   = "all"
)

const magic = "govkiosk-release 1"

// MaxManifest bounds a manifest read from outside.
const MaxManifest = 4 << 10

// Manifest is what a release signature covers.
type Manifest struct {
	Package string `json:"package"`
	Version string `json:"version"`
	Arch    string `json:"arch"`
	Channel string `json:"channel"`
	Size    int64  `json:"size"`
	SHA256  string `json:"sha256"` // lower-case hex
}

var (
	namePat    = regexp.MustCompile(`^[a-z0-9][a-z0-9.+-]{0,63}$`)
	versionPat = regexp.MustCompile(`^([0-9]+:)?[0-9][A-Za-z0-9.+~-]{0,63}$`)
	archPat    = regexp.MustCompile(`^[a-z0-9]{1,16}$`)
	hashPat    = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// Validate checks each field's form.
func (m Manifest) Validate() error {
	switch {
	case !namePat.MatchString(m.Package):
		return fmt.Errorf("%w: package %q", ErrMalformed, m.Package)
	case !versionPat.MatchString(m.Version):
		return fmt.Errorf("%w: version %q", ErrMalformed, m.Version)
	case !archPat.MatchString(m.Arch):
		return fmt.Errorf("%w: arch %q", ErrMalformed, m.Arch)
	case m.Channel != ChannelPilot && m.Channel != ChannelAll:
		return fmt.Errorf("%w: channel %q (pilot or all)", ErrMalformed, m.Channel)
	case m.Size <= 0:
		return fmt.Errorf("%w: size %d", ErrMalformed, m.Size)
	case !hashPat.MatchString(m.SHA256):
		return fmt.Errorf("%w: sha256 %q", ErrMalformed, m.SHA256)
	}
	return nil
}

// body is the signed text: every line before the signature.
func (m Manifest) body() []byte {
	return fmt.Appendf(nil, "%s\npackage: %s\nversion: %s\narch: %s\nchannel: %s\nsize: %d\nsha256: %s\n",
		magic, m.Package, m.Version, m.Arch, m.Channel, m.Size, m.SHA256)
}

// FileName is the .deb's conventional name.
func (m Manifest) FileName() string {
	return fmt.Sprintf("%s_%s_%s.deb", m.Package, strings.ReplaceAll(m.Version, ":", "%3a"), m.Arch)
}

// Release is a manifest with its signature.
type Release struct {
	Manifest
	Signature []byte `json:"signature"`
}

// Marshal is the manifest file's bytes.
func (r Release) Marshal() []byte {
	b := r.body()
	return fmt.Appendf(b, "signature: %s\n", base64.StdEncoding.EncodeToString(r.Signature))
}

// Describe hashes a package read from rd into an unsigned manifest.
func Describe(rd io.Reader, pkg, version, arch, channel string) (Manifest, error) {
	h := sha256.New()
	n, err := io.Copy(h, rd)
	if err != nil {
		return Manifest{}, fmt.Errorf("update: hash package: %w", err)
	}
	m := Manifest{Package: pkg, Version: version, Arch: arch, Channel: channel, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}
	return m, m.Validate()
}

// Sign signs a manifest with the release private key.
func Sign(m Manifest, key ed25519.PrivateKey) (Release, error) {
	if err := m.Validate(); err != nil {
		return Release{}, err
	}
	if len(key) != ed25519.PrivateKeySize {
		return Release{}, fmt.Errorf("%w: private key of %d bytes", ErrMalformed, len(key))
	}
	return Release{Manifest: m, Signature: ed25519.Sign(key, m.body())}, nil
}

// Parse reads a manifest file strictly: the magic line, the six fields in order, the
// signature last, nothing else. It does not verify the signature (Verify does).
func Parse(b []byte) (Release, error) {
	if len(b) > MaxManifest {
		return Release{}, fmt.Errorf("%w: %d bytes (at most %d)", ErrMalformed, len(b), MaxManifest)
	}
	if !bytes.HasSuffix(b, []byte("\n")) {
		return Release{}, fmt.Errorf("%w: no final newline", ErrMalformed)
	}
	lines := strings.Split(string(b[:len(b)-1]), "\n")
	keys := []string{"package", "version", "arch", "channel", "size", "sha256", "signature"}
	if len(lines) != len(keys)+1 || lines[0] != magic {
		return Release{}, fmt.Errorf("%w: want %q and %d fields", ErrMalformed, magic, len(keys))
	}
	vals := make([]string, len(keys))
	for i, k := range keys {
		v, ok := strings.CutPrefix(lines[i+1], k+": ")
		if !ok {
			return Release{}, fmt.Errorf("%w: line %d: want %q", ErrMalformed, i+2, k)
		}
		vals[i] = v
	}
	size, err := strconv.ParseInt(vals[4], 10, 64)
	if err != nil || strconv.FormatInt(size, 10) != vals[4] {
		return Release{}, fmt.Errorf("%w: size %q", ErrMalformed, vals[4])
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(vals[6])
	if err != nil || len(sig) != ed25519.SignatureSize {
		return Release{}, fmt.Errorf("%w: signature", ErrMalformed)
	}
	r := Release{Manifest: Manifest{Package: vals[0], Version: vals[1], Arch: vals[2], Channel: vals[3], Size: size, SHA256: vals[5]}, Signature: sig}
	if err := r.Validate(); err != nil {
		return Release{}, err
	}
	return r, nil
}

// VerifySignature checks the signature with the release public key.
func (r Release) VerifySignature(pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: public key of %d bytes", ErrMalformed, len(pub))
	}
	if err := r.Validate(); err != nil {
		return err
	}
	if !ed25519.Verify(pub, r.body(), r.Signature) {
		return ErrBadSignature
	}
	return nil
}

// Installed is what the terminal runs: the package, its version and architecture.
type Installed struct {
	Package, Version, Arch string
}

// Accept checks a signed manifest before anything is downloaded: signed by the release
// key, for this package and architecture, newer than the installed version.
func (r Release) Accept(pub ed25519.PublicKey, cur Installed) error {
	if err := r.VerifySignature(pub); err != nil {
		return err
	}
	if r.Package != cur.Package || r.Arch != cur.Arch {
		return fmt.Errorf("%w: %s %s, this terminal runs %s %s", ErrWrongTarget, r.Package, r.Arch, cur.Package, cur.Arch)
	}
	if CompareVersions(r.Version, cur.Version) <= 0 {
		return fmt.Errorf("%w: %s is not newer than %s", ErrDowngrade, r.Version, cur.Version)
	}
	return nil
}

// VerifyPackage checks the package bytes against the signed size and SHA-256.
func (r Release) VerifyPackage(rd io.Reader) error {
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(rd, r.Size+1))
	if err != nil {
		return fmt.Errorf("update: read package: %w", err)
	}
	if n != r.Size {
		return fmt.Errorf("%w: %d bytes, signed %d", ErrTampered, n, r.Size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != r.SHA256 {
		return fmt.Errorf("%w: sha256 %s, signed %s", ErrTampered, got, r.SHA256)
	}
	return nil
}
