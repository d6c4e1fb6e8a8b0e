package hub

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/govkiosk/govkiosk/sync/protocol"
)

// enrollAlphabet is Crockford's base 32: 32 symbols (no modulo bias), none of them easy
// to confuse when read aloud or typed from a printout.
const enrollAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// DefaultEnrollTTL is how long a new enrollment code stays valid.
const DefaultEnrollTTL = 24 * time.Hour

// CreateEnrollCode makes a fresh one-time enrollment code ("XXXX-XXXX", 40 random bits)
// valid for ttl (DefaultEnrollTTL if zero). Only its hash is stored.
func (h *Hub) CreateEnrollCode(ttl time.Duration) (code string, expires time.Time, err error) {
	raw, err := randomString(enrollAlphabet, 8)
	if err != nil {
		return "", time.Time{}, err
	}
	code = raw[:4] + "-" + raw[4:]
	expires, err = h.AddEnrollCode(code, ttl)
	return code, expires, err
}

// AddEnrollCode registers an operator-chosen one-time code (for a demo or a scripted
// rollout). Case, spaces and dashes do not matter; at least 8 letters or digits are
// required so a code cannot be guessed within its lifetime.
func (h *Hub) AddEnrollCode(code string, ttl time.Duration) (time.Time, error) {
	if ttl <= 0 {
		ttl = DefaultEnrollTTL
	}
	n := normalizeCode(code)
	if len(n) < 8 || len(n) > 64 || !protocol.ValidVersion(n) {
		return time.Time{}, fmt.Errorf("%w: enrollment code needs 8-64 printable characters besides dashes", ErrInvalid)
	}
	now := h.opt.Now()
	expires := now.Add(ttl)
	if err := h.st.addEnrollCode(code, now, expires); err != nil {
		return time.Time{}, err
	}
	return expires, nil
}

// Enroll consumes a one-time code and registers the terminal's public key, assigning a
// terminal id and a unique 4-character terminal code. The answer carries the hub's
// identity-code key; the HTTP endpoint leaves it out for terminals that did not ask for
// it. It returns ErrEnrollCode for an unknown, used or expired code.
func (h *Hub) Enroll(req *protocol.EnrollRequest) (*protocol.EnrollResponse, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	rec, err := h.st.enroll(req.Code, h.opt.Now(), req.PublicKey, req.Name, req.App)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	h.terms[rec.ID] = &terminal{rec: rec}
	h.mu.Unlock()
	h.m.enrollments.Add(1)
	h.log.Info("terminal enrolled", "terminal", rec.ID, "code", rec.Code)
	return &protocol.EnrollResponse{TerminalID: rec.ID, TerminalCode: rec.Code, HubID: h.id,
		Versions: protocol.Versions(), EnrolledAt: rec.EnrolledAt.UTC(), IdentityKey: h.IdentityKey(),
		HubKey: h.SyncKey()}, nil
}

func (h *Hub) serveEnroll(w http.ResponseWriter, r *http.Request) {
	// Enrollment is anonymous and is where codes could be guessed: it has its own budget,
	// per source and overall, apart from the handshakes of enrolled terminals, so a flood
	// of guesses costs reconnecting terminals nothing.
	ok, wait := h.enrollBySource.take(r.RemoteAddr)
	if ok {
		ok, wait = h.enrollGate.take()
	}
	if !ok {
		h.m.enrollRefused.Add(1)
		h.m.tryLater.Add(1)
		refuse(w, wait+h.opt.RetryAfter, "too many enrollment requests; try again later")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, protocol.MaxEnrollBody+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeJSONError(w, http.StatusRequestEntityTooLarge, protocol.Errorf(protocol.CodeTooLarge, "", "request body too large"))
			return
		}
		writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "enrollment request unreadable"))
		return
	}
	req, err := protocol.DecodeEnrollRequest(body)
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, &protocol.Error{Code: protocol.CodeOf(err), Message: err.Error()})
		return
	}
	resp, err := h.Enroll(req)
	switch {
	case errors.Is(err, ErrEnrollCode):
		h.log.Info("enrollment refused", "remote", r.RemoteAddr)
		writeJSONError(w, http.StatusForbidden, protocol.Errorf(protocol.CodeEnrollInvalid, "", "enrollment code unknown, used or expired"))
	case errors.Is(err, protocol.ErrMissingField), errors.Is(err, protocol.ErrInvalidField):
		writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "%v", err))
	case err != nil:
		h.log.Error("enrollment failed", "err", err)
		writeJSONError(w, http.StatusInternalServerError, protocol.Errorf(protocol.CodeInternal, "", "enrollment failed"))
	default:
		// Terminals that do not list the feature refuse unknown keys in the answer.
		if !protocol.HasFeature(r.Header.Get(protocol.EnrollFeaturesHeader), protocol.FeatureIdentityKey) {
			resp.IdentityKey = nil
		}
		if !protocol.HasFeature(r.Header.Get(protocol.EnrollFeaturesHeader), protocol.FeatureHubKey) {
			resp.HubKey = nil
		}
		writeJSON(w, http.StatusOK, resp)
	}
}
