package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/govkiosk/govkiosk/sync/protocol"
)

// The HTTP API. Reads that carry no personal data are open (to whoever can reach the
// listen address); everything that changes state or shows personal data needs the
// operator token as "Authorization: Bearer TOKEN". docs/PROTOCOL.md lists the routes.

func (h *Hub) routeAPI(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", h.serveReady)
	mux.HandleFunc("GET /readyz", h.serveReady)
	mux.HandleFunc("GET /livez", h.serveLive)
	mux.Handle("GET /metrics", promhttp.HandlerFor(h.m.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /api/terminals", h.serveTerminals)
	mux.HandleFunc("GET /api/submissions", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("personal") == "1" {
			h.operator(permPersonal, "submissions.read_personal", "", h.serveSubmissions)(w, r)
			return
		}
		h.serveSubmissions(w, r)
	})
	mux.HandleFunc("POST /api/submissions/{tracking}/status", h.operator(permManage, "submission.status", "tracking", h.serveStatus))
	mux.HandleFunc("GET /api/submissions/{tracking}/attachments/{index}", h.operator(permPersonal, "attachment.read", "tracking", h.serveAttachment))
	mux.HandleFunc("POST /api/enroll-codes", h.operator(permManage, "enroll_code.create", "", h.serveNewEnrollCode))
	mux.HandleFunc("POST /api/identity-codes", h.operator(permIssue, "identity_code.issue", "", h.serveNewIdentityCode))
	for _, kind := range publishKinds {
		mux.HandleFunc("GET /api/"+kind, h.serveGetPublished(kind))
		mux.HandleFunc("PUT /api/"+kind, h.operator(permManage, kind+".publish", "", h.servePutPublished(kind)))
	}
	mux.HandleFunc("POST /api/terminals/{id}/commands", h.operator(permManage, "command.send", "id", h.serveCommand))
	h.routeOperations(mux)
	mux.HandleFunc("POST /api/terminals/{id}/revoke", h.operator(permManage, "terminal.revoke", "id", h.serveRevoke))
	mux.HandleFunc("GET /api/commands/{id}", h.operator(permView, "command.result", "id", h.serveCommandResult))
	mux.HandleFunc("GET /api/forward/dead", h.operator(permView, "forward.dead_letters", "", h.serveDeadLetters))
	mux.HandleFunc("POST /api/forward/dead/{id}/retry", h.operator(permManage, "forward.retry", "id", h.serveRetryDeadLetter))
	mux.HandleFunc("POST /api/forward/dead/ratings/{id}/retry", h.operator(permManage, "forward.retry_rating", "id", h.serveRetryDeadRating))
	mux.HandleFunc("POST /api/handoff/status", h.serveHandoffStatus)
	mux.HandleFunc("GET /api/conflicts", h.operator(permView, "conflicts.list", "", h.serveConflicts))
	mux.HandleFunc("POST /api/terminals/{id}/conflicts/{submission}", h.operator(permManage, "conflict.resolve", "id", h.serveResolveConflict))
	mux.HandleFunc("GET /api/audit", h.operator(permAudit, "audit.read", "", h.serveAudit))
	mux.HandleFunc("GET /verify/{code}", h.serveVerify)
	mux.HandleFunc("POST /api/releases", h.operator(permManage, "release.publish", "", h.servePublishRelease))
	mux.HandleFunc("GET /api/releases", h.operator(permView, "releases.list", "", h.serveReleases))
	mux.HandleFunc("GET /releases/{file}", h.serveReleaseFile)
	mux.HandleFunc("GET /{$}", h.serveDashboard)
	h.routeConsole(mux)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// writeJSONError answers with an error body shaped like the protocol's error message.
func writeJSONError(w http.ResponseWriter, status int, e *protocol.Error) {
	if e.RetryAfterMS > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt((e.RetryAfterMS+999)/1000, 10))
	}
	writeJSON(w, status, e)
}

// isOperator reports whether r carries valid operator credentials of a role that may see
// the operator's views. Wrong credentials count as a failed attempt of r's source.
func (h *Hub) isOperator(r *http.Request) bool {
	if r.Header.Get("Authorization") == "" {
		return false
	}
	a, err := h.authenticate(r)
	return err == nil && a.role.can(permView)
}

// operator wraps an operator route: it authenticates the caller, checks the role may do
// p, runs next into a buffer, appends the audit entry (action, the path value named
// target, the handler's purpose note, the status) and only then sends the answer. If the
// entry cannot be written the answer is withheld: nothing is shown or confirmed that the
// audit log does not record.
func (h *Hub) operator(p perm, action, target string, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, aerr := h.authenticate(r)
		if aerr != nil {
			if aerr.status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Basic realm="kiosk-hub"`)
			}
			writeJSONError(w, aerr.status, aerr.err)
			return
		}
		if !a.role.can(p) {
			h.m.operatorForbidden.Add(1)
			h.recordAudit(r, a, action, target, "", http.StatusForbidden)
			writeJSONError(w, http.StatusForbidden, protocol.Errorf(protocol.CodeAuthFailed, "", "role %s may not do %s", a.role, action))
			return
		}
		note := &auditNote{}
		r = r.WithContext(context.WithValue(context.WithValue(r.Context(), auditNoteKey{}, note), actorKey{}, a))
		buf := &bufferedResponse{header: http.Header{}}
		next(buf, r)
		if buf.status == 0 {
			buf.status = http.StatusOK
		}
		if err := h.recordAudit(r, a, action, target, note.purpose, buf.status); err != nil {
			writeJSONError(w, http.StatusInternalServerError, protocol.Errorf(protocol.CodeInternal, "", "the audit log cannot be written; nothing was shown"))
			return
		}
		for k, v := range buf.header {
			w.Header()[k] = v
		}
		w.WriteHeader(buf.status)
		w.Write(buf.body.Bytes())
	}
}

type actorKey struct{}

// actorOf is the authenticated operator of a request inside an operator route.
func actorOf(r *http.Request) actor {
	a, _ := r.Context().Value(actorKey{}).(actor)
	return a
}

func (h *Hub) recordAudit(r *http.Request, a actor, action, target, purpose string, status int) error {
	var t string
	if target != "" {
		t = r.PathValue(target)
	}
	err := h.audit.append(AuditEntry{At: h.opt.Now().UTC(), Actor: a.name, Role: a.role, Action: action,
		Target: t, Purpose: purpose, Remote: r.RemoteAddr, Status: status})
	if err != nil {
		h.m.auditFailures.Add(1)
		h.log.Error("audit log", "err", err)
	}
	return err
}

// TerminalInfo is what the hub knows about one terminal. It holds no personal data.
type TerminalInfo struct {
	ID           string                  `json:"id"`
	Code         string                  `json:"code"`
	Name         string                  `json:"name,omitempty"`
	EnrolledAt   time.Time               `json:"enrolled_at"`
	Online       bool                    `json:"online"`
	LastSeen     time.Time               `json:"last_seen,omitzero"`
	Remote       string                  `json:"remote,omitempty"`
	HeartbeatAt  time.Time               `json:"heartbeat_at,omitzero"`
	Devices      []protocol.DeviceStatus `json:"devices"`
	Queue        protocol.QueueDepth     `json:"queue"`
	App          string                  `json:"app_version,omitempty"`
	Catalog      string                  `json:"catalog_version,omitempty"`
	Config       string                  `json:"config_version,omitempty"`
	CatalogStale bool                    `json:"catalog_stale,omitempty"`
	// ConfigApplied is true when the terminal runs the configuration published now;
	// ConfigRefused says which push it refused and why (it keeps Config).
	ConfigApplied bool                    `json:"config_applied,omitempty"`
	ConfigRefused *protocol.ConfigRefusal `json:"config_refused,omitempty"`
	// Update is the terminal's latest software-update steps, oldest first.
	Update []protocol.UpdateStep `json:"update,omitempty"`
	// RevokedAt is when an operator revoked the terminal; it connects no more.
	RevokedAt    time.Time `json:"revoked_at,omitzero"`
	RevokedBy    string    `json:"revoked_by,omitempty"`
	RevokeReason string    `json:"revoke_reason,omitempty"`
}

// Terminals lists enrolled terminals by terminal code. A terminal is online when it is
// connected to this replica or, on PostgreSQL, to another one (see presenceLoop).
func (h *Hub) Terminals() []TerminalInfo {
	elsewhere := h.presentElsewhere()
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]TerminalInfo, 0, len(h.terms))
	cur, curConfig := h.pubVersion(kindCatalog), h.pubVersion(kindConfig)
	for _, t := range h.terms {
		ti := TerminalInfo{ID: t.rec.ID, Code: t.rec.Code, Name: t.rec.Name, EnrolledAt: t.rec.EnrolledAt,
			Online: t.conn != nil || elsewhere[t.rec.ID], LastSeen: t.hb.LastSeen, Remote: t.remote, HeartbeatAt: t.hb.At,
			Devices: t.hb.Devices, Queue: t.hb.Queue, App: t.hb.App, Catalog: t.hb.Catalog, Config: t.hb.Config,
			RevokedAt: t.rec.RevokedAt, RevokedBy: t.rec.RevokedBy, RevokeReason: t.rec.RevokeReason}
		if ti.App == "" {
			ti.App = t.rec.App
		}
		ti.CatalogStale = cur != "" && !t.hb.At.IsZero() && t.hb.Catalog != cur
		ti.ConfigApplied = curConfig != "" && t.hb.Config == curConfig
		ti.ConfigRefused = t.hb.ConfigRefused
		ti.Update = t.hb.Update
		if ti.Devices == nil {
			ti.Devices = []protocol.DeviceStatus{}
		}
		out = append(out, ti)
	}
	slices.SortFunc(out, func(a, b TerminalInfo) int { return strings.Compare(a.Code, b.Code) })
	return out
}

func (h *Hub) serveTerminals(w http.ResponseWriter, r *http.Request) {
	ts := h.Terminals()
	if !h.isOperator(r) {
		for i := range ts {
			ts[i].Remote = ""
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": len(ts), "terminals": ts})
}

// SubmissionInfo is a committed submission as the API shows it. Fields, the form values,
// are filled only when asked for with SubmissionQuery.Personal.
type SubmissionInfo struct {
	ID              string            `json:"id"`
	TrackingCode    string            `json:"tracking_code"`
	TerminalID      string            `json:"terminal_id"`
	TerminalCode    string            `json:"terminal_code"`
	Item            string            `json:"item"`
	ItemTitle       string            `json:"item_title,omitempty"`
	Attachments     int               `json:"attachments"`
	AttachmentBytes int64             `json:"attachment_bytes"`
	CreatedAt       time.Time         `json:"created_at"`
	ReceivedAt      time.Time         `json:"received_at"`
	HubRef          string            `json:"hub_ref"`
	Status          string            `json:"status,omitempty"`
	StatusAt        time.Time         `json:"status_at,omitzero"`
	Fields          map[string]string `json:"fields,omitempty"`
}

// SubmissionQuery selects committed submissions.
type SubmissionQuery struct {
	// TrackingCode finds exactly one submission.
	TrackingCode string
	// TerminalID keeps one terminal's submissions.
	TerminalID string
	// Limit bounds the answer, newest first. Default 50, at most 1000.
	Limit int
	// Personal decrypts the form values into Fields.
	Personal bool
}

// Submissions returns committed submissions, newest first.
func (h *Hub) Submissions(q SubmissionQuery) ([]SubmissionInfo, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	q.Limit = min(q.Limit, 1000)
	var recs []*submissionRecord
	if q.TrackingCode != "" {
		rec, err := h.st.byTracking(q.TrackingCode)
		if err != nil {
			return nil, err
		}
		if rec != nil && rec.State == stateCommitted && (q.TerminalID == "" || rec.TerminalID == q.TerminalID) {
			recs = append(recs, rec)
		}
	} else {
		var err error
		recs, err = h.st.recentSubmissions(q.Limit, func(r *submissionRecord) bool {
			return q.TerminalID == "" || r.TerminalID == q.TerminalID
		})
		if err != nil {
			return nil, err
		}
	}
	out := make([]SubmissionInfo, 0, len(recs))
	h.mu.Lock()
	codes := map[string]string{}
	for _, r := range recs {
		if t := h.terms[r.TerminalID]; t != nil {
			codes[r.TerminalID] = t.rec.Code
		}
	}
	h.mu.Unlock()
	for _, r := range recs {
		si := SubmissionInfo{ID: r.ID, TrackingCode: r.TrackingCode, TerminalID: r.TerminalID,
			TerminalCode: codes[r.TerminalID], Item: r.Item, ItemTitle: r.ItemTitle,
			Attachments: len(r.Attachments), CreatedAt: r.CreatedAt, ReceivedAt: r.ReceivedAt,
			HubRef: r.HubRef, Status: r.Status, StatusAt: r.StatusAt}
		for _, a := range r.Attachments {
			si.AttachmentBytes += a.Size
		}
		if q.Personal {
			plain, err := h.seal.open(r.Fields, []byte("fields:"+r.ID))
			if err != nil {
				return nil, err
			}
			if err := json.Unmarshal(plain, &si.Fields); err != nil {
				return nil, err
			}
		}
		out = append(out, si)
	}
	return out, nil
}

// ReadAttachment returns the plaintext of a committed submission's attachment.
func (h *Hub) ReadAttachment(trackingCode string, index int) ([]byte, error) {
	rec, err := h.st.byTracking(trackingCode)
	if err != nil {
		return nil, err
	}
	if rec == nil || rec.State != stateCommitted || index < 0 || index >= len(rec.Attachments) {
		return nil, ErrNotFound
	}
	return h.att.read(rec.TerminalID, rec.ID, index, rec.Attachments[index])
}

// maskCode keeps only a tracking code's first four characters (the terminal code), so a
// list shows which kiosk without giving away codes residents query with. The check
// character is hidden too: with it, a guess at the rest could be confirmed offline.
func maskCode(s string) string {
	if len(s) <= 5 {
		return strings.Repeat("*", len(s))
	}
	return s[:4] + "-*****-*"
}

func (h *Hub) serveSubmissions(w http.ResponseWriter, r *http.Request) {
	qv := r.URL.Query()
	q := SubmissionQuery{TrackingCode: qv.Get("tracking_code"), TerminalID: qv.Get("terminal")}
	if l := qv.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "limit must be a positive number"))
			return
		}
		q.Limit = n
	}
	op := h.isOperator(r)
	if q.TrackingCode != "" && !op {
		// An exact lookup shows a resident's submission: each source gets a small budget,
		// so codes cannot be found by trying them.
		if ok, wait := h.lookups.take(r.RemoteAddr); !ok {
			h.m.lookupsRefused.Add(1)
			writeJSONError(w, http.StatusTooManyRequests, &protocol.Error{Code: protocol.CodeTryLater,
				Message: "too many lookups; try again later", RetryAfterMS: max(wait, time.Second).Milliseconds()})
			return
		}
	}
	if qv.Get("personal") == "1" {
		if !op {
			writeJSONError(w, http.StatusUnauthorized, protocol.Errorf(protocol.CodeAuthFailed, "", "personal fields need the operator token"))
			return
		}
		q.Personal = true
	}
	subs, err := h.Submissions(q)
	if err != nil {
		h.log.Error("list submissions", "err", err)
		writeJSONError(w, http.StatusInternalServerError, protocol.Errorf(protocol.CodeInternal, "", "listing failed"))
		return
	}
	// Whoever asks by tracking code already knows it; everyone else sees masked codes
	// unless they are an operator.
	if !op && q.TrackingCode == "" {
		for i := range subs {
			subs[i].TrackingCode = maskCode(subs[i].TrackingCode)
		}
	}
	total, _ := h.st.countCommitted()
	writeJSON(w, http.StatusOK, map[string]any{"count": len(subs), "total": total, "submissions": subs})
}

func (h *Hub) serveStatus(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Status string `json:"status"`
		Note   string `json:"note"`
	}
	if err := decodeBody(r, 16<<10, &body); err != nil {
		writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "want {\"status\":\"...\",\"note\":\"...\"}"))
		return
	}
	st, err := h.PostStatus(r.PathValue("tracking"), body.Status, body.Note)
	switch {
	case errors.Is(err, ErrNotFound):
		writeJSONError(w, http.StatusNotFound, protocol.Errorf(protocol.CodeNotFound, "", "no committed submission with that tracking code"))
	case errors.Is(err, ErrInvalid):
		writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "%v", err))
	case err != nil:
		writeJSONError(w, http.StatusInternalServerError, protocol.Errorf(protocol.CodeInternal, "", "status update failed"))
	default:
		writeJSON(w, http.StatusOK, st)
	}
}

func (h *Hub) serveAttachment(w http.ResponseWriter, r *http.Request) {
	idx, err := strconv.Atoi(r.PathValue("index"))
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "index must be a number"))
		return
	}
	b, err := h.ReadAttachment(r.PathValue("tracking"), idx)
	if errors.Is(err, ErrNotFound) {
		writeJSONError(w, http.StatusNotFound, protocol.Errorf(protocol.CodeNotFound, "", "no such attachment"))
		return
	}
	if err != nil {
		h.log.Error("read attachment", "err", err)
		writeJSONError(w, http.StatusInternalServerError, protocol.Errorf(protocol.CodeInternal, "", "read failed"))
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}

func decodeBody(r *http.Request, limit int64, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, limit))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func (h *Hub) serveNewEnrollCode(w http.ResponseWriter, r *http.Request) {
	var body struct {
		TTLSeconds int `json:"ttl_seconds"`
	}
	if r.ContentLength != 0 {
		if err := decodeBody(r, 4<<10, &body); err != nil && !errors.Is(err, io.EOF) {
			writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "want {\"ttl_seconds\":N} or no body"))
			return
		}
	}
	code, exp, err := h.CreateEnrollCode(time.Duration(body.TTLSeconds) * time.Second)
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, protocol.Errorf(protocol.CodeInternal, "", "could not create a code"))
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"code": code, "expires_at": exp.UTC()})
}

func (h *Hub) serveGetPublished(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, payload, ok := h.Published(kind)
		if !ok {
			writeJSONError(w, http.StatusNotFound, protocol.Errorf(protocol.CodeNotFound, "", "nothing published"))
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("X-Version", v)
		w.Write(payload)
	}
}

func (h *Hub) servePutPublished(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, protocol.MaxHubText))
		if err != nil {
			writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "read body"))
			return
		}
		version := r.URL.Query().Get("version")
		if kind == kindAnnouncements {
			var items []protocol.Announcement
			if err := json.Unmarshal(body, &items); err != nil {
				writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "want a JSON array of announcements"))
				return
			}
			version, err = h.SetAnnouncements(version, items)
		} else {
			version, err = h.publish(kind, version, body)
		}
		if errors.Is(err, ErrInvalid) {
			writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "%v", err))
			return
		}
		if err != nil {
			writeJSONError(w, http.StatusInternalServerError, protocol.Errorf(protocol.CodeInternal, "", "publish failed"))
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"kind": kind, "version": version})
	}
}

func (h *Hub) serveCommand(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name string            `json:"name"`
		Args map[string]string `json:"args"`
	}
	if err := decodeBody(r, 16<<10, &body); err != nil {
		writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "want {\"name\":\"collect_logs\",\"args\":{}}"))
		return
	}
	id, err := h.SendCommand(r.PathValue("id"), body.Name, body.Args)
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

func (h *Hub) serveCommandResult(w http.ResponseWriter, r *http.Request) {
	res, ok := h.CommandResult(r.PathValue("id"))
	if !ok {
		writeJSONError(w, http.StatusNotFound, protocol.Errorf(protocol.CodeNotFound, "", "no result (yet)"))
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// TerminalConflicts is one terminal's held submissions, as its last heartbeat reported
// them.
type TerminalConflicts struct {
	TerminalID   string              `json:"terminal_id"`
	TerminalCode string              `json:"terminal_code"`
	Name         string              `json:"name,omitempty"`
	Online       bool                `json:"online"`
	HeartbeatAt  time.Time           `json:"heartbeat_at"`
	Held         int                 `json:"held"`
	Conflicts    []protocol.Conflict `json:"conflicts"`
}

// Conflicts lists the terminals that hold submissions refused with a conflict, by
// terminal code.
func (h *Hub) Conflicts() []TerminalConflicts {
	var out []TerminalConflicts
	for _, t := range h.Terminals() {
		if t.Queue.Held == 0 {
			continue
		}
		cs := t.Queue.Conflicts
		if cs == nil {
			cs = []protocol.Conflict{}
		}
		out = append(out, TerminalConflicts{TerminalID: t.ID, TerminalCode: t.Code, Name: t.Name, Online: t.Online,
			HeartbeatAt: t.HeartbeatAt, Held: t.Queue.Held, Conflicts: cs})
	}
	return out
}

func (h *Hub) serveConflicts(w http.ResponseWriter, r *http.Request) {
	cs := h.Conflicts()
	if cs == nil {
		cs = []TerminalConflicts{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": len(cs), "terminals": cs})
}

// ResolveConflict sends a terminal the operator's decision on a held submission
// (protocol.ResolveReissue or protocol.ResolveRelease) and returns the command id; the
// command's result carries a re-issued tracking code.
func (h *Hub) ResolveConflict(terminalID, submissionID, action string) (string, error) {
	if action != protocol.ResolveReissue && action != protocol.ResolveRelease {
		return "", fmt.Errorf("%w: action must be %q or %q", ErrInvalid, protocol.ResolveReissue, protocol.ResolveRelease)
	}
	if !protocol.ValidID(submissionID) {
		return "", fmt.Errorf("%w: submission id", ErrInvalid)
	}
	return h.SendCommand(terminalID, protocol.CommandResolveConflict, map[string]string{"id": submissionID, "action": action})
}

func (h *Hub) serveResolveConflict(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Action string `json:"action"`
	}
	if err := decodeBody(r, 4<<10, &body); err != nil {
		writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "want {\"action\":\"reissue\"} or {\"action\":\"release\"}"))
		return
	}
	id, err := h.ResolveConflict(r.PathValue("id"), r.PathValue("submission"), body.Action)
	switch {
	case errors.Is(err, ErrNotFound):
		writeJSONError(w, http.StatusNotFound, protocol.Errorf(protocol.CodeNotFound, "", "no such terminal"))
	case err != nil:
		writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "%v", err))
	default:
		h.log.Info("operator resolved a conflict", "terminal", r.PathValue("id"), "submission", r.PathValue("submission"), "action", body.Action, "remote", r.RemoteAddr)
		writeJSON(w, http.StatusAccepted, map[string]string{"id": id})
	}
}
