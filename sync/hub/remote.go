package hub

import (
	"encoding/base64"
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

// Operations sent through the command channel, each with its own route so the audit log
// names it. The command's result (GET /api/commands/{id}) says whether it was done; the
// screenshot's and the support bundle's bytes come from GET /api/commands/{id}/file.
var operations = map[string]struct {
	name string
	args func(r *http.Request) (map[string]string, error)
}{
	"screenshot":     {name: protocol.CommandScreenshot},
	"restart":        {name: protocol.CommandRestart},
	"safe-mode":      {name: protocol.CommandSafeMode},
	"support-bundle": {name: protocol.CommandSupportBundle, args: bundleArgs},
}

func bundleArgs(r *http.Request) (map[string]string, error) {
	return bundleSince(r.URL.Query().Get("since"))
}

// bundleSince checks a support bundle's "since" (empty: the kiosk's default, 24h).
func bundleSince(since string) (map[string]string, error) {
	if since == "" {
		return nil, nil
	}
	d, err := time.ParseDuration(since)
	if err != nil || d <= 0 || d > 7*24*time.Hour {
		return nil, fmt.Errorf("%w: since: a duration up to 168h, like 24h", ErrInvalid)
	}
	return map[string]string{"since": since}, nil
}

func (h *Hub) routeOperations(mux *http.ServeMux) {
	for path, op := range operations {
		mux.HandleFunc("POST /api/terminals/{id}/"+path, h.operator(permManage, "terminal."+op.name, "id",
			func(w http.ResponseWriter, r *http.Request) {
				var args map[string]string
				if op.args != nil {
					var err error
					if args, err = op.args(r); err != nil {
						writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "%v", err))
						return
					}
				}
				h.sendOperation(w, r.PathValue("id"), op.name, args)
			}))
	}
	mux.HandleFunc("GET /api/terminals/{id}/screenshot", h.operator(permView, "terminal.screenshot.read", "id", h.serveLastScreenshot))
	mux.HandleFunc("GET /api/commands/{id}/file", h.operator(permManage, "command.file", "id", h.serveCommandFile))
}

func (h *Hub) sendOperation(w http.ResponseWriter, terminalID, name string, args map[string]string) {
	id, err := h.SendCommand(terminalID, name, args)
	switch {
	case errors.Is(err, ErrNotFound):
		writeJSONError(w, http.StatusNotFound, protocol.Errorf(protocol.CodeNotFound, "", "no such terminal"))
	case errors.Is(err, ErrRevoked):
		writeJSONError(w, http.StatusConflict, protocol.Errorf(protocol.CodeRevoked, "", "the terminal is revoked"))
	case err != nil:
		writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "%v", err))
	default:
		writeJSON(w, http.StatusAccepted, map[string]string{"id": id})
	}
}

// fileTypes are the commands whose output is a file, base64, with its content type.
var fileTypes = map[string]string{
	protocol.CommandScreenshot:    "image/png",
	protocol.CommandSupportBundle: "application/gzip",
}

// CommandFile returns the file a screenshot or support-bundle command brought back, with
// its content type and the command's name. ErrNotFound until it answered successfully.
func (h *Hub) CommandFile(id string) (data []byte, contentType, name string, err error) {
	h.mu.Lock()
	cs := h.commands[id]
	var out string
	if cs != nil && cs.result != nil && cs.result.OK {
		out, name = cs.result.Output, cs.cmd.Name
	}
	h.mu.Unlock()
	if cs == nil || cs.result == nil {
		// Answered at another replica, or before this hub restarted.
		rec, err := h.storedCommand(id)
		if err != nil {
			return nil, "", "", err
		}
		if rec != nil && rec.Result != nil && rec.Result.OK {
			out, name = rec.Result.Output, rec.Cmd.Name
		}
	}
	ct, ok := fileTypes[name]
	if !ok {
		return nil, "", "", ErrNotFound
	}
	b, err := base64.StdEncoding.DecodeString(out)
	if err != nil {
		return nil, "", "", fmt.Errorf("%w: the terminal's file is not base64", ErrInvalid)
	}
	return b, ct, name, nil
}

// LastScreenshot returns the newest screenshot a terminal sent (the store keeps each
// terminal's newest one) and when it arrived; ErrNotFound if none.
func (h *Hub) LastScreenshot(terminalID string) ([]byte, time.Time, error) {
	var id string
	var at time.Time
	for _, c := range h.TerminalCommands(terminalID) {
		if c.Name == protocol.CommandScreenshot && c.OK && (id == "" || c.Answered.After(at)) {
			id, at = c.ID, c.Answered
		}
	}
	if id == "" {
		return nil, time.Time{}, ErrNotFound
	}
	b, _, _, err := h.CommandFile(id)
	return b, at, err
}

func (h *Hub) serveCommandFile(w http.ResponseWriter, r *http.Request) {
	b, ct, name, err := h.CommandFile(r.PathValue("id"))
	switch {
	case errors.Is(err, ErrNotFound):
		writeJSONError(w, http.StatusNotFound, protocol.Errorf(protocol.CodeNotFound, "", "no file: the command is unknown, not answered yet, failed, or brings back no file"))
		return
	case err != nil:
		writeJSONError(w, http.StatusBadGateway, protocol.Errorf(protocol.CodeBadMessage, "", "%v", err))
		return
	}
	ext := map[string]string{protocol.CommandScreenshot: ".png", protocol.CommandSupportBundle: ".tar.gz"}[name]
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", `attachment; filename="`+r.PathValue("id")+ext+`"`)
	w.Write(b)
}

func (h *Hub) serveLastScreenshot(w http.ResponseWriter, r *http.Request) {
	b, at, err := h.LastScreenshot(r.PathValue("id"))
	if err != nil {
		writeJSONError(w, http.StatusNotFound, protocol.Errorf(protocol.CodeNotFound, "", "no screenshot of this terminal"))
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Taken-At", at.UTC().Format(time.RFC3339))
	w.Write(b)
}
