package hub

import (
	"errors"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/govkiosk/govkiosk/sync/protocol"
)

// Remote operations on terminals: revocation here, and the commands an operator sends
// through the command channel (remote.go's routes). Each is an operator route, so each
// is written to the audit log before its answer is given.

// closeRevoked closes the connection of a terminal an operator revoked.
const closeRevoked = 4003

// ErrRevoked is a terminal an operator revoked: it may no longer connect or be sent
// commands.
var ErrRevoked = errors.New("hub: terminal revoked")

// RevokeTerminal revokes a terminal (lost, stolen, replaced): its key is refused from
// now on and an open connection is closed. What it delivered stays. Revoking twice keeps
// the first revocation. by is the operator; reason is for the record (no personal data).
func (h *Hub) RevokeTerminal(terminalID, by, reason string) (TerminalInfo, error) {
	if len(reason) > 256 || !utf8.ValidString(reason) {
		return TerminalInfo{}, fmt.Errorf("%w: reason: at most 256 bytes of text", ErrInvalid)
	}
	if h.learnTerminal(terminalID) == nil {
		return TerminalInfo{}, ErrNotFound
	}
	rec, err := h.st.revokeTerminal(terminalID, h.opt.Now(), by, reason)
	if err != nil {
		return TerminalInfo{}, err
	}
	h.revoked(*rec)
	h.log.Warn("terminal revoked", "terminal", terminalID, "code", rec.Code, "by", by)
	for _, ti := range h.Terminals() {
		if ti.ID == terminalID {
			return ti, nil
		}
	}
	return TerminalInfo{}, ErrNotFound
}

// revoked takes a revoked record into memory, forgets the terminal's unanswered
// commands and closes its connection on this replica.
func (h *Hub) revoked(rec terminalRecord) {
	h.mu.Lock()
	t := h.terms[rec.ID]
	var c *conn
	if t != nil {
		t.rec = rec
		c = t.conn
	}
	for id, cs := range h.commands {
		if cs.terminalID == rec.ID && cs.result == nil {
			delete(h.commands, id)
		}
	}
	h.mu.Unlock()
	if c != nil {
		c.sendMsg(revokedError(rec))
		c.closeWith(closeRevoked, "terminal revoked")
	}
}

// reloadRevoked acts on another replica's revocation.
func (h *Hub) reloadRevoked(terminalID string) {
	rec, err := h.st.terminal(terminalID)
	if err != nil || rec == nil {
		h.log.Warn("replica events: revoked terminal", "terminal", terminalID, "err", err)
		return
	}
	h.learnTerminal(terminalID)
	h.revoked(*rec)
}

// isRevoked reports whether the terminal is revoked, with its record.
func (h *Hub) isRevoked(terminalID string) (terminalRecord, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.terms[terminalID]
	if t == nil {
		return terminalRecord{}, false
	}
	return t.rec, t.rec.revoked()
}

func revokedError(rec terminalRecord) *protocol.Error {
	return protocol.Errorf(protocol.CodeRevoked, "", "this terminal was revoked by an operator at %s; a technician must enroll it again",
		rec.RevokedAt.UTC().Format(time.RFC3339))
}

func (h *Hub) serveRevoke(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Reason string `json:"reason"`
	}
	if err := decodeBody(r, 4<<10, &body); err != nil {
		writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "want {\"reason\":\"lost|stolen|replaced|...\"}"))
		return
	}
	if body.Reason == "" {
		writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "reason: required (lost, stolen, replaced, ...)"))
		return
	}
	if n := noteOf(r); n != nil {
		n.purpose = body.Reason
	}
	ti, err := h.RevokeTerminal(r.PathValue("id"), actorOf(r).name, body.Reason)
	switch {
	case errors.Is(err, ErrNotFound):
		writeJSONError(w, http.StatusNotFound, protocol.Errorf(protocol.CodeNotFound, "", "no such terminal"))
	case errors.Is(err, ErrInvalid):
		writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "%v", err))
	case err != nil:
		h.log.Error("revoke terminal", "err", err)
		writeJSONError(w, http.StatusInternalServerError, protocol.Errorf(protocol.CodeInternal, "", "revocation failed"))
	default:
		writeJSON(w, http.StatusOK, ti)
	}
}
