package idcode

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/govkiosk/govkiosk/kiosk/identity"
)

// b64 is base64url without padding, strict: non-zero trailing bits are refused, so every
// body has exactly one text form.
var b64 = base64.RawURLEncoding.Strict()

// Sign encodes the claims, signs them with the hub's key and returns the code's text.
// A zero c.ID gets a random one. It returns ErrInvalidClaims (wrapped, naming the field)
// for claims outside the format and ErrTooLarge when the text would exceed MaxText.
func Sign(key ed25519.PrivateKey, c Claims) (string, error) {
	if len(key) != ed25519.PrivateKeySize {
		return "", claimsError("key", "not an Ed25519 private key")
	}
	if c.ID == (CodeID{}) {
		if _, err := rand.Read(c.ID[:]); err != nil {
			return "", fmt.Errorf("idcode: code id: %w", err)
		}
	}
	body, err := encodeBody(KeyIDOf(key.Public().(ed25519.PublicKey)), &c)
	if err != nil {
		return "", err
	}
	raw := append(body, ed25519.Sign(key, signedMessage(body))...)
	text := Prefix + b64.EncodeToString(raw)
	if len(text) > MaxText {
		return "", fmt.Errorf("%w: %d characters, limit %d (shorten the address or leave it out)", ErrTooLarge, len(text), MaxText)
	}
	return text, nil
}

// signedMessage is what the signature covers: a context string that keeps these
// signatures apart from any other use of the key, then the body (version byte first).
func signedMessage(body []byte) []byte {
	return append([]byte(signPrefix), body...)
}

// encodeBody lays out everything but the signature (docs/PROTOCOL.md §12).
func encodeBody(kid KeyID, c *Claims) ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	issued := c.IssuedAt.Unix()
	life := c.ExpiresAt.Unix() - issued
	b := make([]byte, 0, fixedSize+3+len(c.IDNumber)+len(c.Name)+len(c.Address))
	b = append(b, Version)
	b = append(b, kid[:]...)
	b = append(b, c.ID[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(issued))
	b = binary.BigEndian.AppendUint16(b, uint16(life))
	if c.Gender == "" {
		b = append(b, 0)
	} else {
		b = append(b, c.Gender[0])
	}
	b = binary.BigEndian.AppendUint16(b, uint16(c.Birth.Year))
	b = append(b, byte(c.Birth.Month), byte(c.Birth.Day))
	for _, s := range []string{c.IDNumber, c.Name, c.Address} {
		b = append(b, byte(len(s)))
		b = append(b, s...)
	}
	return b, nil
}

// check reports the first claim the format cannot carry, as ErrInvalidClaims.
func (c *Claims) check() error {
	if field, reason := c.problem(); field != "" {
		return claimsError(field, reason)
	}
	return nil
}

// problem names the first claim the format cannot carry and why, or returns "".
func (c *Claims) problem() (field, reason string) {
	issued, expires := c.IssuedAt.Unix(), c.ExpiresAt.Unix()
	switch {
	case c.IssuedAt.Nanosecond() != 0 || c.ExpiresAt.Nanosecond() != 0:
		return "issued_at", "times are whole seconds"
	case issued <= 0 || issued > 1<<32-1:
		return "issued_at", "outside 1970-2106"
	case expires <= issued:
		return "expires_at", "not after issued_at"
	case expires-issued > int64(MaxLifetime/time.Second):
		return "expires_at", "lifetime over " + MaxLifetime.String()
	case !validGender(c.Gender):
		return "gender", `want "", "0", "1", "2" or "9"`
	case !validBirth(c.Birth):
		return "birth", "not a calendar date"
	case !validIDNumber(c.IDNumber):
		return "id_number", fmt.Sprintf("want 1-%d of 0-9 A-Z", MaxIDNumber)
	case c.Name == "":
		return "name", "missing"
	case !validText(c.Name, MaxName):
		return "name", fmt.Sprintf("want at most %d bytes of text without control characters", MaxName)
	case !validText(c.Address, MaxAddress):
		return "address", fmt.Sprintf("want at most %d bytes of text without control characters", MaxAddress)
	}
	return "", ""
}

func validGender(g string) bool {
	switch g {
	case "", "0", "1", "2", "9":
		return true
	}
	return false
}

func validBirth(d identity.Date) bool {
	if d.IsZero() {
		return true
	}
	if d.Year < 1 || d.Year > 9999 || d.Month < 1 || d.Month > 12 || d.Day < 1 {
		return false
	}
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
	return t.Day() == d.Day // 31 February rolls over into March
}

func validIDNumber(n string) bool {
	if n == "" || len(n) > MaxIDNumber {
		return false
	}
	for i := 0; i < len(n); i++ {
		if c := n[i]; !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

func validText(s string, max int) bool {
	if len(s) > max || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// parsed is a code taken apart, its signature not yet checked.
type parsed struct {
	claims Claims
	keyID  KeyID
	body   []byte // what the signature covers, without the context string
	sig    []byte
}

// parse decodes a code's text strictly: whatever it accepts re-encodes to the same
// text. It checks the layout and every field, not the signature or the time.
func parse(text string) (*parsed, error) {
	rest, ok := strings.CutPrefix(text, Prefix)
	if !ok {
		return nil, ErrNotIdentityCode
	}
	if len(text) > MaxText {
		return nil, fmt.Errorf("%w: %d characters, limit %d", ErrTooLarge, len(text), MaxText)
	}
	// The decoder skips CR and LF; a code has none, so refuse them here.
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return nil, fmt.Errorf("%w: character outside base64url at %d", ErrMalformed, len(Prefix)+i)
		}
	}
	raw, err := b64.DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("%w: not base64url", ErrMalformed)
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrMalformed)
	}
	if raw[0] != Version {
		return nil, fmt.Errorf("%w: version %d", ErrUnsupportedVersion, raw[0])
	}
	if len(raw) < minRawSize {
		return nil, fmt.Errorf("%w: %d bytes, at least %d", ErrMalformed, len(raw), minRawSize)
	}
	p := &parsed{}
	body := raw[:len(raw)-ed25519.SignatureSize]
	p.sig = raw[len(body):]
	p.body = body
	c := &p.claims
	copy(p.keyID[:], body[1:5])
	copy(c.ID[:], body[5:13])
	issued := int64(binary.BigEndian.Uint32(body[13:17]))
	life := int64(binary.BigEndian.Uint16(body[17:19]))
	c.IssuedAt = time.Unix(issued, 0).UTC()
	c.ExpiresAt = time.Unix(issued+life, 0).UTC()
	if g := body[19]; g != 0 {
		c.Gender = string(rune(g))
		if g >= utf8.RuneSelf {
			c.Gender = "?" // refused by check below, without decoding a byte as text
		}
	}
	c.Birth = identity.Date{Year: int(binary.BigEndian.Uint16(body[20:22])), Month: time.Month(body[22]), Day: int(body[23])}
	at := fixedSize
	var fields [3]string
	for i, name := range []string{"id_number", "name", "address"} {
		if at >= len(body) {
			return nil, fmt.Errorf("%w: %s: missing", ErrMalformed, name)
		}
		n := int(body[at])
		at++
		if at+n > len(body) {
			return nil, fmt.Errorf("%w: %s: runs past the end", ErrMalformed, name)
		}
		fields[i] = string(body[at : at+n])
		at += n
	}
	if at != len(body) {
		return nil, fmt.Errorf("%w: %d bytes after the address", ErrMalformed, len(body)-at)
	}
	c.IDNumber, c.Name, c.Address = fields[0], fields[1], fields[2]
	if issued == 0 || life == 0 || life > int64(MaxLifetime/time.Second) {
		return nil, fmt.Errorf("%w: validity: lifetime 1 s to %v", ErrMalformed, MaxLifetime)
	}
	if field, reason := c.problem(); field != "" {
		return nil, fmt.Errorf("%w: %s: %s", ErrMalformed, field, reason)
	}
	return p, nil
}
