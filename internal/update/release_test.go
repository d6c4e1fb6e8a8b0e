package update

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os/exec"
	"strings"
	"testing"
)

func testKey(t testing.TB) (ed25519.PrivateKey, ed25519.PublicKey) {
	t.Helper()
	privFile, pubFile, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ParsePrivateKey(privFile)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(pubFile)
	if err != nil {
		t.Fatal(err)
	}
	return priv, pub
}

func signed(t testing.TB, priv ed25519.PrivateKey, deb []byte, version string) Release {
	t.Helper()
	m, err := Describe(bytes.NewReader(deb), "govkiosk", version, "amd64", ChannelPilot)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Sign(m, priv)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReleaseRoundTripAndRefusals(t *testing.T) {
	priv, pub := testKey(t)
	_, otherPub := testKey(t)
	deb := []byte("!<arch>\nsynthetic package body")
	r := signed(t, priv, deb, "1.2.0")
	back, err := Parse(r.Marshal())
	if err != nil {
		t.Fatalf("Parse(Marshal): %v", err)
	}
	cur := Installed{Package: "govkiosk", Version: "1.1.0", Arch: "amd64"}
	if err := back.Accept(pub, cur); err != nil {
		t.Fatalf("Accept: %v", err)
	}
	if err := back.VerifyPackage(bytes.NewReader(deb)); err != nil {
		t.Fatalf("VerifyPackage: %v", err)
	}

	flipped := append([]byte(nil), deb...)
	flipped[len(flipped)-1] ^= 1
	edited := back
	edited.Version = "9.9.9"
	tests := []struct {
		name string
		err  error
		got  error
	}{
		{"tampered package", ErrTampered, back.VerifyPackage(bytes.NewReader(flipped))},
		{"truncated package", ErrTampered, back.VerifyPackage(bytes.NewReader(deb[:5]))},
		{"longer package", ErrTampered, back.VerifyPackage(bytes.NewReader(append(deb, 'x')))},
		{"wrong key", ErrBadSignature, back.Accept(otherPub, cur)},
		{"edited manifest", ErrBadSignature, edited.Accept(pub, cur)},
		{"same version", ErrDowngrade, back.Accept(pub, Installed{"govkiosk", "1.2.0", "amd64"})},
		{"downgrade", ErrDowngrade, back.Accept(pub, Installed{"govkiosk", "1.10.0", "amd64"})},
		{"other arch", ErrWrongTarget, back.Accept(pub, Installed{"govkiosk", "1.0", "arm64"})},
		{"other package", ErrWrongTarget, back.Accept(pub, Installed{"govkiosk-hub", "1.0", "amd64"})},
	}
	for _, tc := range tests {
		if !errors.Is(tc.got, tc.err) {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.err)
		}
	}
}

func TestParseRefusesMalformed(t *testing.T) {
	priv, _ := testKey(t)
	good := string(signed(t, priv, []byte("x"), "1.0").Marshal())
	tests := map[string]string{
		"empty":          "",
		"no newline":     strings.TrimSuffix(good, "\n"),
		"other magic":    strings.Replace(good, "govkiosk-release 1", "govkiosk-release 2", 1),
		"extra line":     good + "extra: 1\n",
		"fields swapped": strings.Replace(strings.Replace(good, "package: ", "P", 1), "version: ", "package: ", 1),
		"bad channel":    strings.Replace(good, "channel: pilot", "channel: beta", 1),
		"size sign":      strings.Replace(good, "size: 1\n", "size: +1\n", 1),
		"size zero":      strings.Replace(good, "size: 1\n", "size: 0\n", 1),
		"upper hash":     strings.Replace(good, "sha256: 2d", "sha256: 2D", 1),
		"crlf":           strings.ReplaceAll(good, "\n", "\r\n"),
		"short sig":      good[:len(good)-6] + "\n",
		"version space":  strings.Replace(good, "version: 1.0", "version: 1.0 ", 1),
	}
	for name, in := range tests {
		if _, err := Parse([]byte(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: Parse = %v, want ErrMalformed", name, err)
		}
	}
}

func TestCompareVersionsAgreesWithDpkg(t *testing.T) {
	pairs := [][2]string{
		{"1.0", "1.0"}, {"1.0", "1.1"}, {"1.10", "1.9"}, {"1.0~rc1", "1.0"}, {"1.0", "1.0+b1"},
		{"1:0.1", "2.0"}, {"1.0-1", "1.0-2"}, {"1.0-1", "1.0"}, {"0.0.0~git20261203.abc", "0.0.0~git20261204.abc"},
		{"1.0a", "1.0"}, {"1.0a", "1.0+"}, {"1.0~", "1.0~~"}, {"2.0.0", "10.0"}, {"1.01", "1.1"},
		{"1.0-1~bpo1", "1.0-1"}, {"0:1.0", "1.0"}, {"1.0.", "1.0"}, {"1.0-a", "1.0-A"},
	}
	_, err := exec.LookPath("dpkg")
	for _, p := range pairs {
		got := CompareVersions(p[0], p[1])
		if back := CompareVersions(p[1], p[0]); back != -got {
			t.Errorf("Compare(%q,%q)=%d but reversed %d", p[0], p[1], got, back)
		}
		if err != nil {
			continue
		}
		want := 0
		for _, op := range []struct {
			op string
			v  int
		}{{"lt", -1}, {"gt", 1}} {
			if exec.Command("dpkg", "--compare-versions", p[0], op.op, p[1]).Run() == nil {
				want = op.v
			}
		}
		if got != want {
			t.Errorf("Compare(%q, %q) = %d, dpkg says %d", p[0], p[1], got, want)
		}
	}
	if err != nil {
		t.Log("no dpkg here: checked antisymmetry only")
	}
}

func TestKeyFilesRefuseGarbage(t *testing.T) {
	for _, in := range []string{"", "not base64!", "AAAA", strings.Repeat("A", 44) + "x"} {
		if _, err := ParsePublicKey([]byte(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParsePublicKey(%q) = %v", in, err)
		}
		if _, err := ParsePrivateKey([]byte(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParsePrivateKey(%q) = %v", in, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	priv, pub := testKey(f)
	good := signed(f, priv, []byte("x"), "1.0").Marshal()
	f.Add(good)
	f.Add([]byte(magic + "\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		// Whatever parses marshals back to the same bytes, so the signed body is exactly
		// what was read.
		if out := r.Marshal(); !bytes.Equal(out, b) {
			t.Fatalf("Parse/Marshal not identical:\n%q\n%q", b, out)
		}
		if err := r.VerifySignature(pub); err != nil && !errors.Is(err, ErrBadSignature) {
			t.Fatalf("VerifySignature: %v", err)
		}
	})
}

func FuzzCompareVersions(f *testing.F) {
	f.Add("1.0~rc1", "1.0")
	f.Add("1:2-3", "1:2-3~")
	f.Fuzz(func(t *testing.T, a, b string) {
		if CompareVersions(a, b) != -CompareVersions(b, a) {
			t.Fatalf("not antisymmetric: %q %q", a, b)
		}
		if CompareVersions(a, a) != 0 {
			t.Fatalf("%q != itself", a)
		}
	})
}

func TestArgsRoundTrip(t *testing.T) {
	priv, pub := testKey(t)
	r := signed(t, priv, []byte("deb"), "2.0")
	back, err := FromArgs(r.Args())
	if err != nil || back.VerifySignature(pub) != nil || !bytes.Equal(back.Marshal(), r.Marshal()) {
		t.Fatalf("FromArgs(Args) = %+v, %v", back, err)
	}
	for _, k := range []string{"signature", "size", "sha256", "channel"} {
		a := r.Args()
		a[k] = "!"
		if _, err := FromArgs(a); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s garbled: %v", k, err)
		}
	}
}
