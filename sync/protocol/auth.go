package protocol

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// authContext separates these signatures from any other use of a terminal's key.
const authContext = "govkiosk-sync auth v"

// AuthMessage is what a terminal signs to answer a challenge:
//
//	"govkiosk-sync auth v" || decimal version || 0x00 || hub id || 0x00 ||
//	terminal id || 0x00 || nonce
//
// Binding the hub id and terminal id means a signature can be replayed neither to
// another hub nor as another terminal; the nonce is fresh on every connection, so an
// old signature is worthless.
func AuthMessage(version int, hubID, terminalID string, nonce []byte) []byte {
	b := make([]byte, 0, len(authContext)+4+len(hubID)+len(terminalID)+len(nonce)+3)
	b = append(b, authContext...)
	b = strconv.AppendInt(b, int64(version), 10)
	b = append(b, 0)
	b = append(b, hubID...)
	b = append(b, 0)
	b = append(b, terminalID...)
	b = append(b, 0)
	return append(b, nonce...)
}

// SignChallenge answers ch for the terminal holding key.
func SignChallenge(key ed25519.PrivateKey, terminalID string, ch *Challenge) *Auth {
	return &Auth{Signature: ed25519.Sign(key, AuthMessage(ch.Version, ch.HubID, terminalID, ch.Nonce))}
}

// VerifyAuth reports whether a answers ch for the terminal with public key pub.
func VerifyAuth(pub ed25519.PublicKey, terminalID string, ch *Challenge, a *Auth) bool {
	if len(pub) != ed25519.PublicKeySize || len(a.Signature) != ed25519.SignatureSize {
		return false
	}
	return ed25519.Verify(pub, AuthMessage(ch.Version, ch.HubID, terminalID, ch.Nonce), a.Signature)
}

// hubProofContext separates the hub's handshake signatures from any other use of its key.
const hubProofContext = "govkiosk-sync hub proof v"

// HubProofMessage is what the hub signs in a version 2 challenge:
//
//	"govkiosk-sync hub proof v" || decimal version || 0x00 || hub id || 0x00 ||
//	terminal id || 0x00 || terminal nonce (32) || SHA-256(hello frame) (32) ||
//	hub nonce (32)
//
// hello is the hello frame exactly as the terminal sent it (the bytes of the websocket
// message). The terminal's fresh nonce makes an old proof worthless on a new connection;
// the hash of the hello binds the proof to what the terminal offered (so the version
// cannot be talked down) and the terminal id to this terminal.
func HubProofMessage(version int, hubID, terminalID string, terminalNonce, hello, hubNonce []byte) []byte {
	sum := sha256.Sum256(hello)
	b := make([]byte, 0, len(hubProofContext)+4+len(hubID)+len(terminalID)+3+len(terminalNonce)+len(sum)+len(hubNonce))
	b = append(b, hubProofContext...)
	b = strconv.AppendInt(b, int64(version), 10)
	b = append(b, 0)
	b = append(b, hubID...)
	b = append(b, 0)
	b = append(b, terminalID...)
	b = append(b, 0)
	b = append(b, terminalNonce...)
	b = append(b, sum[:]...)
	return append(b, hubNonce...)
}

// SignHubProof sets ch.HubSignature: the hub with key answers the hello frame it
// received (hello is its parsed form).
func SignHubProof(key ed25519.PrivateKey, helloFrame []byte, hello *Hello, ch *Challenge) {
	ch.HubSignature = ed25519.Sign(key, HubProofMessage(ch.Version, ch.HubID, hello.TerminalID, hello.Nonce, helloFrame, ch.Nonce))
}

// VerifyHubProof reports whether ch proves possession of the private half of hubKey for
// the hello frame the terminal sent (helloFrame, whose nonce is terminalNonce).
func VerifyHubProof(hubKey ed25519.PublicKey, terminalID string, terminalNonce, helloFrame []byte, ch *Challenge) bool {
	if len(hubKey) != ed25519.PublicKeySize || len(ch.HubSignature) != ed25519.SignatureSize ||
		len(terminalNonce) != NonceSize || len(ch.Nonce) != NonceSize {
		return false
	}
	return ed25519.Verify(hubKey, HubProofMessage(ch.Version, ch.HubID, terminalID, terminalNonce, helloFrame, ch.Nonce), ch.HubSignature)
}

// EnrollRequest is the JSON body a terminal POSTs to EnrollPath, once, with the one-time
// code an operator gave the technician.
type EnrollRequest struct {
	Code string `json:"code"`
	// PublicKey is the terminal's Ed25519 public key (32 bytes, base64 in JSON).
	PublicKey []byte `json:"public_key"`
	App       string `json:"app_version"`
	// Name is an optional label for the operator's list ("Hall 2, left").
	Name string `json:"name,omitempty"`
}

// Validate checks the request's fields.
func (r *EnrollRequest) Validate() error {
	const t = Type("enroll")
	if r.Code == "" {
		return missing(t, "code")
	}
	if len(r.Code) > 64 || !ValidVersion(r.Code) {
		return invalid(t, "code", "want 1-64 printable ASCII characters")
	}
	if len(r.PublicKey) == 0 {
		return missing(t, "public_key")
	}
	if len(r.PublicKey) != ed25519.PublicKeySize {
		return invalid(t, "public_key", "want 32 bytes")
	}
	if err := checkVersion(t, "app_version", r.App, true); err != nil {
		return err
	}
	return checkText(t, "name", r.Name, 128, false)
}

// EnrollResponse is the hub's answer to a successful enrollment.
type EnrollResponse struct {
	TerminalID   string    `json:"terminal_id"`
	TerminalCode string    `json:"terminal_code"`
	HubID        string    `json:"hub_id"`
	Versions     []int     `json:"versions"`
	EnrolledAt   time.Time `json:"enrolled_at"`
	// IdentityKey is the Ed25519 public key (32 bytes) the hub signs identity QR codes
	// with (package idcode). A hub sends it only to a terminal that lists
	// FeatureIdentityKey in the EnrollFeaturesHeader of its request: terminals that do
	// not know the field refuse an answer carrying it.
	IdentityKey []byte `json:"identity_key,omitempty"`
	// HubKey is the Ed25519 public key (32 bytes) the hub proves itself with in every
	// handshake of version 2 (see HubProofMessage); the terminal pins it. Sent only to
	// a terminal that lists FeatureHubKey.
	HubKey []byte `json:"hub_key,omitempty"`
}

// EnrollFeaturesHeader is the HTTP request header in which a terminal lists, separated
// by commas, the optional EnrollResponse fields it understands. A hub that does not
// know the header ignores it, so asking is safe with any hub.
const EnrollFeaturesHeader = "Govkiosk-Enroll-Features"

// FeatureIdentityKey asks for EnrollResponse.IdentityKey.
const FeatureIdentityKey = "identity_key"

// FeatureHubKey asks for EnrollResponse.HubKey.
const FeatureHubKey = "hub_key"

// HasFeature reports whether a comma-separated feature list (the value of
// EnrollFeaturesHeader) names feature. Spaces around names and their case do not matter.
func HasFeature(list, feature string) bool {
	for f := range strings.SplitSeq(list, ",") {
		if strings.EqualFold(strings.TrimSpace(f), feature) {
			return true
		}
	}
	return false
}

// Validate checks the response's fields.
func (r *EnrollResponse) Validate() error {
	const t = Type("enroll")
	if err := checkID(t, "terminal_id", r.TerminalID); err != nil {
		return err
	}
	if !ValidTerminalCode(r.TerminalCode) {
		return invalid(t, "terminal_code", "want 4 of 0-9 A-Z")
	}
	if err := checkID(t, "hub_id", r.HubID); err != nil {
		return err
	}
	if _, ok := Choose(r.Versions); !ok {
		return invalid(t, "versions", "no version in common")
	}
	if len(r.IdentityKey) != 0 && len(r.IdentityKey) != ed25519.PublicKeySize {
		return invalid(t, "identity_key", "want 32 bytes")
	}
	if len(r.HubKey) != 0 && len(r.HubKey) != ed25519.PublicKeySize {
		return invalid(t, "hub_key", "want 32 bytes")
	}
	return checkReading(t, "enrolled_at", r.EnrolledAt)
}

// MaxEnrollBody is the largest enrollment request or response body.
const MaxEnrollBody = 4 << 10

// DecodeEnrollRequest parses an enrollment request body as strictly as Decode parses a
// control frame: one JSON object, no unknown keys, nothing after it, valid fields.
func DecodeEnrollRequest(body []byte) (*EnrollRequest, error) {
	var r EnrollRequest
	if err := decodeHTTPBody(body, &r); err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// DecodeEnrollResponse parses the hub's answer to an enrollment; unknown keys are
// refused like everywhere in version 1.
func DecodeEnrollResponse(body []byte) (*EnrollResponse, error) {
	var r EnrollResponse
	if err := decodeHTTPBody(body, &r); err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

func decodeHTTPBody(body []byte, v any) error {
	if len(body) > MaxEnrollBody {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(body), MaxEnrollBody)
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %s", ErrMalformed, jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: data after the object", ErrMalformed)
	}
	return nil
}
