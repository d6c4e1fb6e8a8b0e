package protocol

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"
)

// signedHandshake returns a version 2 hello frame and the challenge that proves key
// over it.
func signedHandshake(t testing.TB, key ed25519.PrivateKey) ([]byte, *Hello, *Challenge) {
	t.Helper()
	hello := &Hello{TerminalID: "t-1", Versions: []int{2}, App: "1.0", Nonce: bytes.Repeat([]byte{7}, NonceSize)}
	frame, err := Encode(hello)
	if err != nil {
		t.Fatal(err)
	}
	ch := &Challenge{Version: 2, HubID: "hub-a", Nonce: bytes.Repeat([]byte{1}, NonceSize)}
	SignHubProof(key, frame, hello, ch)
	return frame, hello, ch
}

func TestHubProof(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	_, otherKey, _ := ed25519.GenerateKey(nil)
	frame, hello, ch := signedHandshake(t, key)
	with := func(f func(c *Challenge)) *Challenge {
		c := *ch
		f(&c)
		return &c
	}
	otherHello := *hello
	otherHello.Versions = []int{1, 2}
	otherFrame, _ := Encode(&otherHello)
	byOther := *ch
	SignHubProof(otherKey, frame, hello, &byOther)
	tests := []struct {
		name     string
		terminal string
		nonce    []byte
		frame    []byte
		ch       *Challenge
		want     bool
	}{
		{"good", "t-1", hello.Nonce, frame, ch, true},
		{"other terminal", "t-2", hello.Nonce, frame, ch, false},
		{"other terminal nonce (replayed proof)", "t-1", bytes.Repeat([]byte{8}, NonceSize), frame, ch, false},
		{"other hello (versions changed on the way)", "t-1", hello.Nonce, otherFrame, ch, false},
		{"other hub nonce", "t-1", hello.Nonce, frame, with(func(c *Challenge) { c.Nonce = bytes.Repeat([]byte{2}, NonceSize) }), false},
		{"other hub id", "t-1", hello.Nonce, frame, with(func(c *Challenge) { c.HubID = "hub-b" }), false},
		{"other version", "t-1", hello.Nonce, frame, with(func(c *Challenge) { c.Version = 3 }), false},
		{"another key", "t-1", hello.Nonce, frame, &byOther, false},
		{"no signature", "t-1", hello.Nonce, frame, with(func(c *Challenge) { c.HubSignature = nil }), false},
		{"short signature", "t-1", hello.Nonce, frame, with(func(c *Challenge) { c.HubSignature = c.HubSignature[:10] }), false},
		{"no terminal nonce", "t-1", nil, frame, ch, false},
	}
	for _, tt := range tests {
		if got := VerifyHubProof(pub, tt.terminal, tt.nonce, tt.frame, tt.ch); got != tt.want {
			t.Errorf("%s: VerifyHubProof = %v, want %v", tt.name, got, tt.want)
		}
	}
	if VerifyHubProof(nil, "t-1", hello.Nonce, frame, ch) {
		t.Error("VerifyHubProof accepted without a pinned key")
	}
	// The hub's proof and a terminal's auth signature can never stand in for each other.
	if VerifyAuth(pub, "t-1", ch, &Auth{Signature: ch.HubSignature}) {
		t.Error("a hub proof verified as a terminal's auth signature")
	}
}

func TestHandshakeV2Validate(t *testing.T) {
	sig := bytes.Repeat([]byte{1}, ed25519.SignatureSize)
	n := bytes.Repeat([]byte{1}, NonceSize)
	tests := []struct {
		name string
		m    Message
		want error
	}{
		{"v2 challenge with proof", &Challenge{Version: 2, HubID: "h", Nonce: n, HubSignature: sig}, nil},
		{"v2 challenge without proof", &Challenge{Version: 2, HubID: "h", Nonce: n}, ErrMissingField},
		{"v2 challenge, short proof", &Challenge{Version: 2, HubID: "h", Nonce: n, HubSignature: sig[:63]}, ErrInvalidField},
		{"v1 challenge with a proof field", &Challenge{Version: 1, HubID: "h", Nonce: n, HubSignature: sig}, ErrInvalidField},
		{"hello with nonce", &Hello{TerminalID: "t", Versions: []int{2}, App: "1", Nonce: n}, nil},
		{"hello with short nonce", &Hello{TerminalID: "t", Versions: []int{2}, App: "1", Nonce: n[:31]}, ErrInvalidField},
	}
	for _, tt := range tests {
		if err := tt.m.Validate(); !errors.Is(err, tt.want) {
			t.Errorf("%s: Validate = %v, want %v", tt.name, err, tt.want)
		}
	}
	if vs := TerminalVersions(); len(vs) == 0 || vs[0] < 2 {
		t.Errorf("TerminalVersions = %v: a terminal must not offer a version without the hub's proof", vs)
	}
}

// FuzzHubProof feeds arbitrary challenge frames to a terminal that sent a fixed hello.
// The decoder must never panic, and no frame but the hub's genuine one may pass the
// proof check: any change to what the proof covers makes it fail.
func FuzzHubProof(f *testing.F) {
	seedKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize))
	pub := seedKey.Public().(ed25519.PublicKey)
	frame, hello, good := signedHandshake(f, seedKey)
	goodFrame, _ := Encode(good)
	f.Add(goodFrame)
	f.Add(bytes.Replace(goodFrame, []byte(`"version":2`), []byte(`"version":1`), 1))
	f.Add([]byte(`{"type":"challenge","body":{"version":2,"hub_id":"hub-a","nonce":"` +
		"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=" + `"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b, Hub)
		if err != nil {
			return
		}
		ch, ok := m.(*Challenge)
		if !ok {
			return
		}
		same := ch.Version == good.Version && ch.HubID == good.HubID && bytes.Equal(ch.Nonce, good.Nonce) &&
			bytes.Equal(ch.HubSignature, good.HubSignature)
		if got := VerifyHubProof(pub, hello.TerminalID, hello.Nonce, frame, ch); got != same {
			t.Fatalf("VerifyHubProof = %v for a challenge that is the genuine one: %v", got, same)
		}
	})
}

// FuzzHello feeds arbitrary hello frames to the hub: whatever decodes must carry a
// nonce of exactly NonceSize bytes or none, and signing a proof over it must work.
func FuzzHello(f *testing.F) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize))
	frame, _, _ := signedHandshake(f, key)
	f.Add(frame)
	f.Add([]byte(`{"type":"hello","body":{"terminal_id":"t-1","versions":[1],"app_version":"1"}}`))
	f.Add([]byte(`{"type":"hello","body":{"terminal_id":"t-1","versions":[2],"app_version":"1","nonce":"AAAA"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b, Terminal)
		if err != nil {
			return
		}
		h, ok := m.(*Hello)
		if !ok {
			return
		}
		if h.Nonce != nil && len(h.Nonce) != NonceSize {
			t.Fatalf("accepted a %d-byte nonce", len(h.Nonce))
		}
		ch := &Challenge{Version: 2, HubID: "hub-a", Nonce: bytes.Repeat([]byte{1}, NonceSize)}
		SignHubProof(key, b, h, ch)
		if err := ch.Validate(); err != nil {
			t.Fatalf("signed challenge does not validate: %v", err)
		}
		if len(h.Nonce) == NonceSize && !VerifyHubProof(key.Public().(ed25519.PublicKey), h.TerminalID, h.Nonce, b, ch) {
			t.Fatal("proof over an accepted hello does not verify")
		}
	})
}
