package hub

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/govkiosk/govkiosk/internal/atomicfile"
	"github.com/govkiosk/govkiosk/kiosk/identity"
	"github.com/govkiosk/govkiosk/sync/protocol"
	"github.com/govkiosk/govkiosk/sync/protocol/idcode"
)

// Identity QR codes: the hub signs short-lived codes that say who a resident is, and
// hands its public key to terminals at enrollment so they check the codes offline
// (package idcode, docs/PROTOCOL.md §12). The reference hub issues a code to whoever
// holds the operator token; a real platform does so once the resident has proved who
// they are in its app or on its website.

// MinIdentityCodeTTL and MaxIdentityCodeTTL bound the validity an operator may ask for.
const (
	MinIdentityCodeTTL = time.Minute
	MaxIdentityCodeTTL = idcode.MaxLifetime
)

// loadOrCreateSigningKey reads the hex Ed25519 seed at path, creating it (0600) when
// absent.
func loadOrCreateSigningKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		seed := make([]byte, ed25519.SeedSize)
		if _, err := rand.Read(seed); err != nil {
			return nil, fmt.Errorf("hub: identity key: %w", err)
		}
		if err := atomicfile.WriteFile(path, []byte(hex.EncodeToString(seed)+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("hub: write identity key file: %w", err)
		}
		return ed25519.NewKeyFromSeed(seed), nil
	}
	if err != nil {
		return nil, fmt.Errorf("hub: read identity key file: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("hub: identity key file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s is readable by others (chmod 600)", ErrKeyFile, path)
	}
	seed, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%w: %s must hold 64 hex digits", ErrKeyFile, path)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// IdentityKey returns the public key the hub signs identity codes with; terminals get it
// at enrollment.
func (h *Hub) IdentityKey() ed25519.PublicKey {
	return h.idKey.Public().(ed25519.PublicKey)
}

// IdentityCodeRequest is a resident to issue an identity code for. Everything but TTL is
// personal data.
type IdentityCodeRequest struct {
	// Name and IDNumber are required; the ID number must be 18 characters with a valid
	// GB 11643 check character (a lower-case x is taken).
	Name     string `json:"name"`
	IDNumber string `json:"id_number"`
	// Gender is a GB/T 2261.1 code ("1" male, "2" female, "0", "9"); empty takes it from
	// the ID number.
	Gender string `json:"gender,omitempty"`
	// Birth is YYYY-MM-DD or YYYYMMDD; empty takes it from the ID number.
	Birth string `json:"birth,omitempty"`
	// Address is optional; a long one may not fit the code (ErrInvalid says so).
	Address string `json:"address,omitempty"`
	// TTLSeconds is the validity; 0 means idcode.DefaultLifetime, otherwise 60–3600.
	TTLSeconds int `json:"ttl_seconds,omitempty"`
	// Purpose is why the code is issued (a case or ticket number, "resident at counter
	// 3"): required through the API, written to the audit log, so never personal data.
	Purpose string `json:"purpose,omitempty"`
}

// IdentityCode is an issued code: the text to show as a QR code, and its expiry.
type IdentityCode struct {
	Payload   string    `json:"payload"`
	ExpiresAt time.Time `json:"expires_at"`
}

// IssueIdentityCode signs a short-lived identity code for the resident in req. It returns
// ErrInvalid (wrapped, naming the field, never its value) for input it refuses, including
// fields too long to fit a QR code.
func (h *Hub) IssueIdentityCode(req IdentityCodeRequest) (*IdentityCode, error) {
	c, err := h.identityClaims(req)
	if err != nil {
		return nil, err
	}
	text, err := idcode.Sign(h.idKey, c)
	if errors.Is(err, idcode.ErrTooLarge) || errors.Is(err, idcode.ErrInvalidClaims) {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err != nil {
		return nil, err
	}
	h.m.identityCodes.Add(1)
	return &IdentityCode{Payload: text, ExpiresAt: c.ExpiresAt}, nil
}

// checkIdentityRequest reports what IssueIdentityCode would refuse, without counting.
func (h *Hub) checkIdentityRequest(req IdentityCodeRequest) error {
	c, err := h.identityClaims(req)
	if err != nil {
		return err
	}
	if _, err := idcode.Sign(h.idKey, c); errors.Is(err, idcode.ErrTooLarge) || errors.Is(err, idcode.ErrInvalidClaims) {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

func (h *Hub) identityClaims(req IdentityCodeRequest) (idcode.Claims, error) {
	bad := func(field, reason string) (idcode.Claims, error) {
		return idcode.Claims{}, fmt.Errorf("%w: %s: %s", ErrInvalid, field, reason)
	}
	name := strings.TrimSpace(req.Name)
	if name == "" {
		return bad("name", "required")
	}
	number := identity.NormalizeNumber(req.IDNumber)
	if number == "" {
		return bad("id_number", "required")
	}
	if !identity.ValidNumber(number) {
		return bad("id_number", "want 18 characters with a valid GB 11643 check character")
	}
	gender := strings.TrimSpace(req.Gender)
	switch gender {
	case "":
		if g, ok := identity.GenderFromNumber(number); ok {
			gender = g.Code
		}
	case "0", "1", "2", "9":
	default:
		return bad("gender", `want a GB/T 2261.1 code: "1", "2", "0" or "9"`)
	}
	var birth identity.Date
	switch b := strings.ReplaceAll(strings.TrimSpace(req.Birth), "-", ""); b {
	case "":
		birth, _ = identity.BirthFromNumber(number)
	default:
		var ok bool
		if birth, ok = identity.ParseDate(b); !ok {
			return bad("birth", "want YYYY-MM-DD")
		}
	}
	ttl := time.Duration(req.TTLSeconds) * time.Second
	switch {
	case req.TTLSeconds == 0:
		ttl = idcode.DefaultLifetime
	case ttl < MinIdentityCodeTTL || ttl > MaxIdentityCodeTTL:
		return bad("ttl_seconds", fmt.Sprintf("want %d to %d", int(MinIdentityCodeTTL.Seconds()), int(MaxIdentityCodeTTL.Seconds())))
	}
	now := h.opt.Now().UTC().Truncate(time.Second)
	return idcode.Claims{IssuedAt: now, ExpiresAt: now.Add(ttl), IDNumber: number, Name: name,
		Gender: gender, Birth: birth, Address: strings.TrimSpace(req.Address)}, nil
}

func (h *Hub) serveNewIdentityCode(w http.ResponseWriter, r *http.Request) {
	var req IdentityCodeRequest
	if err := decodeBody(r, 4<<10, &req); err != nil {
		writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "",
			`want {"name":"…","id_number":"…","purpose":"…"} with optional gender, birth, address, ttl_seconds`))
		return
	}
	// The fields first: their errors name the field. Then the purpose and the budget.
	if err := h.checkIdentityRequest(req); errors.Is(err, ErrInvalid) {
		writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "%v", err))
		return
	}
	req.Purpose = strings.TrimSpace(req.Purpose)
	if req.Purpose == "" || len(req.Purpose) > 256 || !utf8.ValidString(req.Purpose) {
		writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "",
			"purpose: required, at most 256 bytes: why the code is issued (it goes to the audit log: no personal data)"))
		return
	}
	if n := noteOf(r); n != nil {
		n.purpose = req.Purpose
	}
	if ok, wait := h.ops.takeIssue(actorOf(r).name); !ok {
		h.m.identityRefused.Add(1)
		writeJSONError(w, http.StatusTooManyRequests, &protocol.Error{Code: protocol.CodeTryLater,
			Message: "identity-code budget of this operator spent; try again later", RetryAfterMS: max(wait, time.Second).Milliseconds()})
		return
	}
	code, err := h.IssueIdentityCode(req)
	switch {
	case errors.Is(err, ErrInvalid):
		writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "%v", err))
	case err != nil:
		h.log.Error("issue identity code", "err", err)
		writeJSONError(w, http.StatusInternalServerError, protocol.Errorf(protocol.CodeInternal, "", "could not issue a code"))
	default:
		// The code is the resident's personal data: answered, never logged or kept.
		h.log.Info("identity code issued", "expires_at", code.ExpiresAt)
		writeJSON(w, http.StatusCreated, code)
	}
}
