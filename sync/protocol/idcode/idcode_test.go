package idcode

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skip2/go-qrcode"

	"github.com/govkiosk/govkiosk/kiosk/identity"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testKey is a fixed hub key, so the golden code is reproducible (Ed25519 signatures are
// deterministic).
func testKey(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

var t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// resident is synthetic: region 99, a correct GB 11643 check digit.
func resident() Claims {
	return Claims{
		ID:        CodeID{1, 2, 3, 4, 5, 6, 7, 8},
		IssuedAt:  t0,
		ExpiresAt: t0.Add(DefaultLifetime),
		IDNumber:  "99010219850506002X",
		Name:      "测试乙",
		Gender:    "2",
		Birth:     identity.Date{Year: 1985, Month: time.May, Day: 6},
		Address:   "测试省测试市示例路1号",
	}
}

func TestGolden(t *testing.T) {
	text, err := Sign(testKey(7), resident())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "resident.code")
	if *update {
		if err := os.WriteFile(path, []byte(text+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if text != strings.TrimSpace(string(want)) {
		t.Errorf("code changed:\n got %s\nwant %s", text, want)
	}
	// The golden code verifies and says what was signed.
	v, _ := NewVerifier(testKey(7).Public().(ed25519.PublicKey))
	c, err := v.Verify(strings.TrimSpace(string(want)), t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if *c != resident() {
		t.Errorf("claims %+v, want %+v", *c, resident())
	}
}

// TestLayout pins the byte layout docs/PROTOCOL.md §12 gives, so another platform
// implementing it from the page matches this package.
func TestLayout(t *testing.T) {
	key := testKey(7)
	c := resident()
	text, err := Sign(key, c)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(text, Prefix))
	if err != nil {
		t.Fatal(err)
	}
	kid := KeyIDOf(key.Public().(ed25519.PublicKey))
	var want []byte
	want = append(want, 0x01)
	want = append(want, kid[:]...)
	want = append(want, 1, 2, 3, 4, 5, 6, 7, 8)
	want = append(want, 0x69, 0xA5, 0x58, 0x98) // 2026-03-02T09:30:00Z
	want = append(want, 0x02, 0x58)             // 600 s
	want = append(want, '2')
	want = append(want, 0x07, 0xC1, 5, 6) // 1985-05-06
	want = append(want, 18)
	want = append(want, "99010219850506002X"...)
	want = append(want, 9)
	want = append(want, "测试乙"...)
	want = append(want, byte(len("测试省测试市示例路1号")))
	want = append(want, "测试省测试市示例路1号"...)
	if !bytes.Equal(raw[:len(raw)-64], want) {
		t.Errorf("body\n got % x\nwant % x", raw[:len(raw)-64], want)
	}
	msg := append([]byte("govkiosk-idcode\x00"), want...)
	if !ed25519.Verify(key.Public().(ed25519.PublicKey), msg, raw[len(raw)-64:]) {
		t.Error("the signature does not cover context || body")
	}
}

func TestSignRefuses(t *testing.T) {
	long := func(n int) string { return strings.Repeat("测", n/3) }
	tests := []struct {
		name  string
		edit  func(*Claims)
		field string
		want  error
	}{
		{"no name", func(c *Claims) { c.Name = "" }, "name", ErrInvalidClaims},
		{"long name", func(c *Claims) { c.Name = long(MaxName + 3) }, "name", ErrInvalidClaims},
		{"control in name", func(c *Claims) { c.Name = "测试\n乙" }, "name", ErrInvalidClaims},
		{"bad UTF-8", func(c *Claims) { c.Address = "\xff" }, "address", ErrInvalidClaims},
		{"lower-case x", func(c *Claims) { c.IDNumber = "99010219850506002x" }, "id_number", ErrInvalidClaims},
		{"no id number", func(c *Claims) { c.IDNumber = "" }, "id_number", ErrInvalidClaims},
		{"gender name", func(c *Claims) { c.Gender = "女" }, "gender", ErrInvalidClaims},
		{"31 February", func(c *Claims) { c.Birth = identity.Date{Year: 1990, Month: 2, Day: 31} }, "birth", ErrInvalidClaims},
		{"expires first", func(c *Claims) { c.ExpiresAt = c.IssuedAt }, "expires_at", ErrInvalidClaims},
		{"too long valid", func(c *Claims) { c.ExpiresAt = c.IssuedAt.Add(MaxLifetime + time.Second) }, "expires_at", ErrInvalidClaims},
		{"fraction", func(c *Claims) { c.IssuedAt = c.IssuedAt.Add(time.Millisecond) }, "issued_at", ErrInvalidClaims},
		{"address too long for a QR code", func(c *Claims) { c.Address = long(120) }, "", ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := resident()
			tt.edit(&c)
			_, err := Sign(testKey(7), c)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("Sign: %v, want %v naming %q", err, tt.want, tt.field)
			}
			if strings.Contains(err.Error(), "测") || strings.Contains(err.Error(), "99010219") {
				t.Errorf("error text carries a value: %v", err)
			}
		})
	}
}

// TestLargestCodeFitsASmallQR checks the size budget: the longest code this package
// writes still makes a QR code a handheld scanner reads from a phone at once.
func TestLargestCodeFitsASmallQR(t *testing.T) {
	c := resident()
	c.Address = ""
	base, err := Sign(testKey(7), c)
	if err != nil {
		t.Fatal(err)
	}
	// Fill the address until the next character would not fit.
	var largest string
	for n := 0; n < MaxAddress; n++ {
		c.Address = strings.Repeat("a", n)
		text, err := Sign(testKey(7), c)
		if errors.Is(err, ErrTooLarge) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		largest = text
	}
	if len(largest) > MaxText || len(largest) < MaxText-4 || len(base) >= len(largest) {
		t.Fatalf("largest code %d characters, smallest %d", len(largest), len(base))
	}
	q, err := qrcode.New(largest, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	if q.VersionNumber > 13 {
		t.Errorf("the largest code needs QR version %d at level M, want at most 13 (69×69 modules)", q.VersionNumber)
	}
	t.Logf("largest code: %d characters, QR version %d-M; a typical one: %d characters", len(largest), q.VersionNumber, len(base))
}

func TestVerify(t *testing.T) {
	key, other := testKey(7), testKey(8)
	pub := key.Public().(ed25519.PublicKey)
	good, err := Sign(key, resident())
	if err != nil {
		t.Fatal(err)
	}
	fromOther, _ := Sign(other, resident())
	raw, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(good, Prefix))
	// reencode builds a code from edited raw bytes (signature left as is).
	reencode := func(edit func([]byte) []byte) string {
		b := edit(append([]byte(nil), raw...))
		return Prefix + base64.RawURLEncoding.EncodeToString(b)
	}
	// resign builds a well-signed code from a raw body the encoder would never write.
	resign := func(edit func([]byte) []byte) string {
		body := edit(append([]byte(nil), raw[:len(raw)-64]...))
		return Prefix + base64.RawURLEncoding.EncodeToString(append(body, ed25519.Sign(key, signedMessage(body))...))
	}
	tests := []struct {
		name string
		text string
		at   time.Time
		want error
	}{
		{"receipt QR", "K7Q2-00001-A", t0, ErrNotIdentityCode},
		{"web address", "https://example.org/gkid", t0, ErrNotIdentityCode},
		{"lower-case prefix", strings.ToLower(Prefix) + good[len(Prefix):], t0, ErrNotIdentityCode},
		{"oversized", Prefix + strings.Repeat("A", MaxText), t0, ErrTooLarge},
		{"padding", good + "=", t0, ErrMalformed},
		{"line break", good[:40] + "\n" + good[40:], t0, ErrMalformed},
		{"standard base64", strings.ReplaceAll(strings.ReplaceAll(good, "-", "+"), "_", "/") + "+", t0, ErrMalformed},
		{"empty", Prefix, t0, ErrMalformed},
		{"truncated", good[:len(good)-12], t0, ErrMalformed},
		{"short", good[:60], t0, ErrMalformed},
		{"version 2", reencode(func(b []byte) []byte { b[0] = 2; return b }), t0, ErrUnsupportedVersion},
		{"version 0", reencode(func(b []byte) []byte { b[0] = 0; return b }), t0, ErrUnsupportedVersion},
		{"length past the end", resign(func(b []byte) []byte { b[fixedSize] = 200; return b }), t0, ErrMalformed},
		{"trailing byte", resign(func(b []byte) []byte { return append(b, 0) }), t0, ErrMalformed},
		{"lifetime zero", resign(func(b []byte) []byte { b[17], b[18] = 0, 0; return b }), t0, ErrMalformed},
		{"lifetime two hours", resign(func(b []byte) []byte { b[17], b[18] = 0x1C, 0x20; return b }), t0, ErrMalformed},
		{"gender byte", resign(func(b []byte) []byte { b[19] = 0xE5; return b }), t0, ErrMalformed},
		{"bad birth", resign(func(b []byte) []byte { b[22] = 13; return b }), t0, ErrMalformed},
		{"other platform", fromOther, t0, ErrWrongHub},
		{"key id altered", reencode(func(b []byte) []byte { b[1] ^= 1; return b }), t0, ErrWrongHub},
		{"name altered", reencode(func(b []byte) []byte { b[fixedSize+1+18+1] ^= 0x01; return b }), t0, ErrBadSignature},
		{"expiry stretched", reencode(func(b []byte) []byte { b[18] = 0xFF; return b }), t0, ErrBadSignature},
		{"signature altered", reencode(func(b []byte) []byte { b[len(b)-1] ^= 0x80; return b }), t0, ErrBadSignature},
		{"expired", good, t0.Add(DefaultLifetime + Leeway), ErrExpired},
		{"expired long ago", good, t0.AddDate(1, 0, 0), ErrExpired},
		{"not yet valid", good, t0.Add(-Leeway - time.Second), ErrNotYetValid},
		{"within leeway before", good, t0.Add(-Leeway + time.Second), nil},
		{"within leeway after", good, t0.Add(DefaultLifetime + Leeway - time.Second), nil},
		{"fresh", good, t0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewVerifier(pub) // fresh each time: replay has its own test
			if err != nil {
				t.Fatal(err)
			}
			c, err := v.Verify(tt.text, tt.at)
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("Verify: %v, want %v", err, tt.want)
			}
			if err != nil {
				if c != nil {
					t.Error("claims returned with an error")
				}
				if v.Remembered() != 0 {
					t.Error("a refused code was remembered")
				}
				for _, secret := range []string{"测试", "9901021985", "GKID"} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("error text %q carries part of the code", err)
					}
				}
			}
		})
	}
}

func TestNeedsNewCode(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{ErrExpired, true}, {ErrReplayed, true}, {ErrBadSignature, false}, {ErrWrongHub, false},
		{ErrMalformed, false}, {ErrNotYetValid, false}, {nil, false},
	} {
		if got := NeedsNewCode(tt.err); got != tt.want {
			t.Errorf("NeedsNewCode(%v) = %v", tt.err, got)
		}
	}
}

func TestReplay(t *testing.T) {
	key := testKey(7)
	v, _ := NewVerifier(key.Public().(ed25519.PublicKey))
	code, _ := Sign(key, resident())
	if _, err := v.Verify(code, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(code, t0.Add(5*time.Minute)); !errors.Is(err, ErrReplayed) {
		t.Fatalf("second scan: %v, want ErrReplayed", err)
	}
	// Another code for the same person is a new code.
	c := resident()
	c.ID = CodeID{9}
	other, _ := Sign(key, c)
	if _, err := v.Verify(other, t0.Add(5*time.Minute)); err != nil {
		t.Fatalf("a new code for the same person: %v", err)
	}
	// Once expired, a code is forgotten: refused as expired, not remembered.
	if _, err := v.Verify(code, t0.Add(DefaultLifetime+Leeway)); !errors.Is(err, ErrExpired) {
		t.Fatalf("after expiry: %v, want ErrExpired", err)
	}
	if n := v.Remembered(); n != 0 {
		t.Errorf("%d codes remembered after all expired", n)
	}
}

func TestRememberedIsBounded(t *testing.T) {
	key := testKey(7)
	v, _ := NewVerifier(key.Public().(ed25519.PublicKey))
	c := resident()
	for i := 0; i < MaxRemembered; i++ {
		c.ID = CodeID{byte(i), byte(i >> 8), 1}
		code, _ := Sign(key, c)
		if _, err := v.Verify(code, t0); err != nil {
			t.Fatal(i, err)
		}
	}
	c.ID = CodeID{0xFF, 0xFF, 0xFF}
	code, _ := Sign(key, c)
	if _, err := v.Verify(code, t0); !errors.Is(err, ErrTooManyCodes) {
		t.Fatalf("over the bound: %v, want ErrTooManyCodes", err)
	}
	// Time frees the memory again.
	c.ID = CodeID{0xFE}
	c.IssuedAt, c.ExpiresAt = t0.Add(time.Hour), t0.Add(time.Hour+DefaultLifetime)
	later, _ := Sign(key, c)
	if _, err := v.Verify(later, t0.Add(time.Hour)); err != nil {
		t.Fatalf("an hour later: %v", err)
	}
	if n := v.Remembered(); n != 1 {
		t.Errorf("remembered %d, want 1", n)
	}
}

func TestVerifierConcurrentScans(t *testing.T) {
	key := testKey(7)
	v, _ := NewVerifier(key.Public().(ed25519.PublicKey))
	code, _ := Sign(key, resident())
	const n = 16
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := v.Verify(code, t0)
			errs <- err
		}()
	}
	ok := 0
	for range n {
		if err := <-errs; err == nil {
			ok++
		} else if !errors.Is(err, ErrReplayed) {
			t.Errorf("concurrent scan: %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d of %d simultaneous scans of one code accepted, want 1", ok, n)
	}
}

func TestNewVerifierKey(t *testing.T) {
	if _, err := NewVerifier(make([]byte, 31)); err == nil {
		t.Error("a 31-byte key accepted")
	}
}

// FuzzParse feeds arbitrary scanned text to the parser and the verifier. Whatever the
// parser accepts must re-encode to the same text (one text per code), and every refusal
// is one of the typed errors.
func FuzzParse(f *testing.F) {
	key := testKey(7)
	good, _ := Sign(key, resident())
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add(Prefix)
	f.Add(Prefix + "AQ")
	f.Add("K7Q2-00001-A")
	if b, err := os.ReadFile(filepath.Join("testdata", "resident.code")); err == nil {
		f.Add(strings.TrimSpace(string(b)))
	}
	v, _ := NewVerifier(key.Public().(ed25519.PublicKey))
	typed := []error{ErrNotIdentityCode, ErrTooLarge, ErrMalformed, ErrUnsupportedVersion, ErrWrongHub,
		ErrBadSignature, ErrExpired, ErrNotYetValid, ErrReplayed}
	f.Fuzz(func(t *testing.T, text string) {
		p, err := parse(text)
		if err == nil {
			body, err := encodeBody(p.keyID, &p.claims)
			if err != nil {
				t.Fatalf("parsed claims do not encode: %v", err)
			}
			if again := Prefix + b64.EncodeToString(append(body, p.sig...)); again != text {
				t.Fatalf("re-encoding differs:\n%s\n%s", text, again)
			}
		}
		c, err := v.Verify(text, t0)
		if err == nil {
			if c == nil {
				t.Fatal("nil claims without an error")
			}
			return
		}
		for _, e := range typed {
			if errors.Is(err, e) {
				return
			}
		}
		t.Fatalf("untyped error: %v", err)
	})
}
