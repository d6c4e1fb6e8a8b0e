package hub

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/govkiosk/govkiosk/sync/protocol"
)

// The operations console: server-rendered pages under /console/ for hall managers and
// technicians. An operator signs in with an account (kiosk-hub account add) and gets a
// session cookie (HttpOnly, SameSite=Strict, Secure over TLS) that lasts 8 hours or
// until sign-out; every form carries the session's CSRF token. Like the operator API the
// console answers other machines only over TLS, throttles failed sign-ins per source,
// and writes every sign-in and every action to the audit log before it answers. Sessions
// live in the hub process: a restart, or another replica, asks to sign in again.

//go:embed console/*.html
var consoleFiles embed.FS

const (
	consoleCookie  = "govkiosk_console"
	consoleSession = 8 * time.Hour
)

type consoleSessionRec struct {
	actor   actor
	csrf    string
	expires time.Time
}

// consoleState is the console's in-process state: terminal placements. Sessions are in
// the store (session_store.go), shared by the replicas.
type consoleState struct {
	mu    sync.Mutex
	place map[string]placementRecord
}

func (h *Hub) loadConsole() error {
	ps, err := h.st.placements()
	if err != nil {
		return fmt.Errorf("hub: placements: %w", err)
	}
	h.console.place = ps
	return h.loadAlerts()
}

func (h *Hub) placementsCopy() map[string]placementRecord {
	h.console.mu.Lock()
	defer h.console.mu.Unlock()
	out := make(map[string]placementRecord, len(h.console.place))
	for k, v := range h.console.place {
		out[k] = v
	}
	return out
}

// SetPlacement records where a terminal stands.
func (h *Hub) SetPlacement(terminalID, site, township, by string) error {
	site, township = strings.TrimSpace(site), strings.TrimSpace(township)
	if len(site) > 100 || len(township) > 100 {
		return fmt.Errorf("%w: site and township are at most 100 bytes", ErrBadQuery)
	}
	h.mu.Lock()
	_, known := h.terms[terminalID]
	h.mu.Unlock()
	if !known {
		return ErrNotFound
	}
	p := placementRecord{Site: site, Township: township, At: h.opt.Now().UTC(), By: by}
	if err := h.st.setPlacement(terminalID, p); err != nil {
		return err
	}
	h.console.mu.Lock()
	h.console.place[terminalID] = p
	h.console.mu.Unlock()
	return nil
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

var consoleFuncs = template.FuncMap{
	"ago": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		d := time.Since(t)
		if d < 0 {
			d = 0
		}
		return d.Round(time.Second).String() + " ago"
	},
	"clock": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Local().Format("2006-01-02 15:04:05")
	},
	"date": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Local().Format(time.DateOnly)
	},
	"bad":   func(s protocol.DeviceState) bool { return !s.Usable() },
	"stars": func(n int) string { return strings.Repeat("★", n) + strings.Repeat("☆", 5-n) },
	"pct": func(n, of int) string {
		if of == 0 {
			return "0%"
		}
		return fmt.Sprintf("%.0f%%", float64(n)*100/float64(of))
	},
	"add":  func(a, b int) int { return a + b },
	"list": func(s ...string) []string { return s },
	"dict2": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
}

var consoleTmpl = template.Must(template.New("console").Funcs(consoleFuncs).ParseFS(consoleFiles, "console/*.html"))

// consolePage is what every page template gets.
type consolePage struct {
	Title  string
	HubID  string
	Who    string // the signed-in operator
	Role   Role
	CSRF   string
	Nav    string
	Flash  string
	Error  string
	Data   any
	Manage bool // the actor may act (not only view)
	// Refresh reloads a page that follows the fleet every so many seconds.
	Refresh int
}

func (h *Hub) renderConsole(w http.ResponseWriter, status int, name string, p consolePage) {
	p.HubID = h.id
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'")
	var b bytes.Buffer
	if err := consoleTmpl.ExecuteTemplate(&b, name, p); err != nil {
		h.log.Error("console page", "page", name, "err", err)
		http.Error(w, "the page cannot be shown", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// consoleSessionOf returns the request's live session.
func (h *Hub) consoleSessionOf(r *http.Request) *consoleSessionRec {
	c, err := r.Cookie(consoleCookie)
	if err != nil {
		return nil
	}
	rec, err := h.st.consoleSession(sessionKey(c.Value))
	if err != nil {
		h.log.Warn("console session", "err", err)
		return nil
	}
	if rec == nil || h.opt.Now().After(rec.Expires) {
		return nil
	}
	return &consoleSessionRec{actor: actor{name: rec.Name, role: rec.Role}, csrf: rec.CSRF, expires: rec.Expires}
}

// consoleRoute wraps a console page or action: TLS unless local, a live session, the
// role's permission, a matching CSRF token on POST, and an audit entry for every POST
// (and for pages that show personal data: audit set) before the answer is sent.
func (h *Hub) consoleRoute(p perm, action, target string, next func(w http.ResponseWriter, r *http.Request, pg consolePage)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil && !isLoopbackRemote(r.RemoteAddr) {
			http.Error(w, "the console needs TLS (https://) unless opened on the hub's own machine", http.StatusForbidden)
			return
		}
		s := h.consoleSessionOf(r)
		if s == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/console/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			http.Error(w, "signed out; sign in again", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost {
			if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(s.csrf)) != 1 {
				http.Error(w, "the form is stale; reload the page", http.StatusForbidden)
				return
			}
		}
		pg := consolePage{Who: s.actor.name, Role: s.actor.role, CSRF: s.csrf, Manage: s.actor.role.can(permManage), Flash: r.URL.Query().Get("done")}
		if !s.actor.role.can(p) {
			h.m.operatorForbidden.Add(1)
			if err := h.recordAudit(r, s.actor, action, target, "", http.StatusForbidden); err != nil {
				http.Error(w, "the audit log cannot be written", http.StatusInternalServerError)
				return
			}
			pg.Error = fmt.Sprintf("Your role (%s) may not do this.", s.actor.role)
			h.renderConsole(w, http.StatusForbidden, "error", pg)
			return
		}
		if action == "" {
			next(w, r, pg)
			return
		}
		buf := &bufferedResponse{header: http.Header{}}
		r = r.WithContext(withActor(r, s.actor))
		next(buf, r, pg)
		if buf.status == 0 {
			buf.status = http.StatusOK
		}
		if err := h.recordAudit(r, s.actor, action, target, "", buf.status); err != nil {
			http.Error(w, "the audit log cannot be written; nothing was done or shown", http.StatusInternalServerError)
			return
		}
		for k, v := range buf.header {
			w.Header()[k] = v
		}
		w.WriteHeader(buf.status)
		w.Write(buf.body.Bytes())
	}
}

func (h *Hub) routeConsole(mux *http.ServeMux) {
	mux.HandleFunc("GET /console/signin", h.serveConsoleSignIn)
	mux.HandleFunc("POST /console/signin", h.serveConsoleSignIn)
	mux.HandleFunc("POST /console/signout", h.consoleRoute(permView, "console.signout", "", h.serveConsoleSignOut))
	mux.HandleFunc("GET /console/{$}", h.consoleRoute(permView, "", "", h.serveConsoleTerminals))
	mux.HandleFunc("GET /console/terminals/{id}", h.consoleRoute(permView, "", "", h.serveConsoleTerminal))
	mux.HandleFunc("POST /console/terminals/{id}/placement", h.consoleRoute(permManage, "terminal.placement", "id", h.serveConsolePlacement))
	mux.HandleFunc("POST /console/terminals/{id}/revoke", h.consoleRoute(permManage, "terminal.revoke", "id", h.serveConsoleRevoke))
	h.routeConsoleOperations(mux)
	mux.HandleFunc("GET /console/alerts", h.consoleRoute(permView, "", "", h.serveConsoleAlerts))
	mux.HandleFunc("POST /console/alerts/{id}/ack", h.consoleRoute(permManage, "alert.ack", "id", h.serveConsoleAck))
	mux.HandleFunc("GET /console/ratings", h.consoleRoute(permView, "", "", h.serveConsoleRatings))
	mux.HandleFunc("POST /console/ratings/publish", h.consoleRoute(permManage, "ratings.publish", "", h.serveConsolePublishRatings))
	mux.HandleFunc("GET /console/appointments", h.consoleRoute(permView, "", "", h.serveConsoleAppointments))
	mux.HandleFunc("POST /console/appointments/capacity", h.consoleRoute(permManage, "appointments.capacity", "", h.serveConsoleSlotCapacity))
	mux.HandleFunc("POST /console/appointments/holiday", h.consoleRoute(permManage, "appointments.holiday", "", h.serveConsoleHoliday))
	mux.HandleFunc("GET /console/cases", h.consoleRoute(permView, "", "", h.serveConsoleCases))
	mux.HandleFunc("GET /console/cases/{id}", h.consoleRoute(permPersonal, "case.read", "id", h.serveConsoleCase))
	mux.HandleFunc("POST /console/cases/{id}", h.consoleRoute(permManage, "case.update", "id", h.serveConsoleUpdateCase))

	mux.HandleFunc("GET /api/alerts", h.operator(permView, "alerts.list", "", h.serveAlerts))
	mux.HandleFunc("POST /api/alerts/{id}/ack", h.operator(permManage, "alert.ack", "id", h.serveAckAlert))
	mux.HandleFunc("GET /api/ratings/summary", h.operator(permView, "ratings.summary", "", h.serveRatingsSummary))
	mux.HandleFunc("POST /api/ratings/publish", h.operator(permManage, "ratings.publish", "", h.servePublishRatings))
	mux.HandleFunc("GET /api/cases", h.operator(permView, "cases.list", "", h.serveCases))
	mux.HandleFunc("POST /api/cases/{id}", h.operator(permManage, "case.update", "id", h.serveUpdateCase))
	mux.HandleFunc("PUT /api/terminals/{id}/placement", h.operator(permManage, "terminal.placement", "id", h.servePutPlacement))
}

func withActor(r *http.Request, a actor) context.Context {
	return context.WithValue(r.Context(), actorKey{}, a)
}

func jsonBody(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func (h *Hub) serveConsoleSignIn(w http.ResponseWriter, r *http.Request) {
	if r.TLS == nil && !isLoopbackRemote(r.RemoteAddr) {
		http.Error(w, "the console needs TLS (https://) unless opened on the hub's own machine", http.StatusForbidden)
		return
	}
	next := r.FormValue("next")
	if !strings.HasPrefix(next, "/console/") || strings.HasPrefix(next, "//") {
		next = "/console/"
	}
	pg := consolePage{Title: "Sign in", Data: map[string]string{"Next": next}}
	if !h.ops.enabled() || len(h.ops.accounts) == 0 {
		pg.Error = "No operator accounts: create one on the hub with: kiosk-hub account add -data DIR NAME operator"
	}
	if r.Method == http.MethodGet {
		h.renderConsole(w, http.StatusOK, "signin", pg)
		return
	}
	if wait := h.ops.fails.wait(r.RemoteAddr); wait > 0 {
		h.m.operatorThrottled.Add(1)
		w.Header().Set("Retry-After", fmt.Sprint(int(max(wait, time.Second).Seconds()+0.5)))
		pg.Error = "Too many failed sign-ins from this address; try again later."
		h.renderConsole(w, http.StatusTooManyRequests, "signin", pg)
		return
	}
	name, secret := strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("secret")
	a, ok := h.ops.check("Basic " + base64.StdEncoding.EncodeToString([]byte(name+":"+secret)))
	if !ok || name == "" {
		h.ops.fails.take(r.RemoteAddr)
		h.m.operatorAuthFailures.Add(1)
		h.log.Warn("console sign-in failed", "remote", r.RemoteAddr)
		if validAccountName(name) {
			// Refused attempts are recorded under the name tried; the secret never is.
			if err := h.recordAudit(r, actor{name: name}, "console.signin", "", "", http.StatusUnauthorized); err != nil {
				http.Error(w, "the audit log cannot be written", http.StatusInternalServerError)
				return
			}
		}
		pg.Error = "Wrong account name or secret."
		h.renderConsole(w, http.StatusUnauthorized, "signin", pg)
		return
	}
	if err := h.recordAudit(r, a, "console.signin", "", "", http.StatusSeeOther); err != nil {
		http.Error(w, "the audit log cannot be written; not signed in", http.StatusInternalServerError)
		return
	}
	tok := randomToken()
	now := h.opt.Now()
	if _, err := h.st.pruneConsoleSessions(now); err != nil {
		h.log.Warn("prune console sessions", "err", err)
	}
	if err := h.st.putConsoleSession(sessionKey(tok), consoleSessionRecord{Name: a.name, Role: a.role, CSRF: randomToken(), Expires: now.Add(consoleSession)}); err != nil {
		h.log.Error("store console session", "err", err)
		http.Error(w, "the session cannot be stored; not signed in", http.StatusInternalServerError)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: consoleCookie, Value: tok, Path: "/console/", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode, MaxAge: int(consoleSession.Seconds())})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *Hub) serveConsoleSignOut(w http.ResponseWriter, r *http.Request, pg consolePage) {
	if c, err := r.Cookie(consoleCookie); err == nil {
		if err := h.st.deleteConsoleSession(sessionKey(c.Value)); err != nil {
			h.log.Error("end console session", "err", err)
			http.Error(w, "the session cannot be ended; try again", http.StatusInternalServerError)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: consoleCookie, Value: "", Path: "/console/", HttpOnly: true, MaxAge: -1})
	http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
}

// ConsoleTerminal is a terminal as the console lists it.
type ConsoleTerminal struct {
	TerminalInfo
	Site     string `json:"site,omitempty"`
	Township string `json:"township,omitempty"`
	// State is "online", "fault" (online with a device that cannot work), "offline" or
	// "revoked".
	State  string `json:"state"`
	Faults int    `json:"faults"`
}

// TerminalFilter selects terminals for the console.
type TerminalFilter struct{ Site, Township, State, App string }

// SiteGroup is the terminals of one site.
type SiteGroup struct {
	Site      string
	Terminals []ConsoleTerminal
	Online    int
}

// ConsoleTerminals lists terminals with their placement and state, filtered.
func (h *Hub) ConsoleTerminals(f TerminalFilter) []ConsoleTerminal {
	place := h.placementsCopy()
	out := []ConsoleTerminal{}
	for _, t := range h.Terminals() {
		p := place[t.ID]
		ct := ConsoleTerminal{TerminalInfo: t, Site: p.Site, Township: p.Township, State: "offline"}
		for _, d := range t.Devices {
			if alertAction(d) != "" {
				ct.Faults++
			}
		}
		if t.Online {
			ct.State = "online"
			if ct.Faults > 0 {
				ct.State = "fault"
			}
		}
		if !t.RevokedAt.IsZero() {
			ct.State = "revoked"
		}
		if f.Site != "" && ct.Site != f.Site || f.Township != "" && ct.Township != f.Township ||
			f.State != "" && ct.State != f.State || f.App != "" && ct.App != f.App {
			continue
		}
		out = append(out, ct)
	}
	return out
}

func (h *Hub) serveConsoleTerminals(w http.ResponseWriter, r *http.Request, pg consolePage) {
	q := r.URL.Query()
	f := TerminalFilter{Site: q.Get("site"), Township: q.Get("township"), State: q.Get("state"), App: q.Get("app")}
	all := h.ConsoleTerminals(TerminalFilter{})
	sites, towns, apps := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, t := range all {
		sites[t.Site], towns[t.Township], apps[t.App] = true, true, true
	}
	groups := map[string]*SiteGroup{}
	list := h.ConsoleTerminals(f)
	online := 0
	for _, t := range list {
		g := groups[t.Site]
		if g == nil {
			g = &SiteGroup{Site: t.Site}
			groups[t.Site] = g
		}
		g.Terminals = append(g.Terminals, t)
		if t.Online {
			g.Online++
			online++
		}
	}
	var gs []*SiteGroup
	for _, g := range groups {
		gs = append(gs, g)
	}
	slices.SortFunc(gs, func(a, b *SiteGroup) int {
		if (a.Site == "") != (b.Site == "") {
			if a.Site == "" {
				return 1
			}
			return -1
		}
		return strings.Compare(a.Site, b.Site)
	})
	open, _ := h.Alerts(AlertQuery{Open: true})
	pg.Title, pg.Nav, pg.Refresh = "Terminals", "terminals", 15
	pg.Data = map[string]any{"Groups": gs, "Filter": f, "Count": len(list), "Online": online, "Total": len(all),
		"Sites": keys(sites), "Townships": keys(towns), "Apps": keys(apps), "OpenAlerts": len(open)}
	h.renderConsole(w, http.StatusOK, "terminals", pg)
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		if k != "" {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func (h *Hub) consoleTerminal(id string) (ConsoleTerminal, bool) {
	for _, t := range h.ConsoleTerminals(TerminalFilter{}) {
		if t.ID == id {
			return t, true
		}
	}
	return ConsoleTerminal{}, false
}

func (h *Hub) serveConsoleTerminal(w http.ResponseWriter, r *http.Request, pg consolePage) {
	t, ok := h.consoleTerminal(r.PathValue("id"))
	if !ok {
		pg.Error = "No such terminal."
		h.renderConsole(w, http.StatusNotFound, "error", pg)
		return
	}
	h.flushHealthEvents()
	evs, err := h.st.healthEvents(t.ID, 50)
	if err != nil {
		h.log.Warn("health events", "err", err)
	}
	as, _ := h.Alerts(AlertQuery{TerminalID: t.ID, Limit: 20})
	pg.Title, pg.Nav = "Terminal "+t.Code, "terminals"
	cmds := h.TerminalCommands(t.ID)
	for _, c := range cmds {
		if c.Waiting && t.Online {
			pg.Refresh = 5 // until the terminal answers
			break
		}
	}
	_, shotAt, shotErr := h.LastScreenshot(t.ID)
	cfgVersion, cfgPayload, _ := h.Published(kindConfig)
	pg.Data = map[string]any{"T": t, "Events": evs, "Alerts": as, "Commands": cmds,
		"Shot": shotErr == nil, "ShotAt": shotAt, "ConfigVersion": cfgVersion, "ConfigPayload": string(cfgPayload)}
	h.renderConsole(w, http.StatusOK, "terminal", pg)
}

func (h *Hub) serveConsolePlacement(w http.ResponseWriter, r *http.Request, pg consolePage) {
	id := r.PathValue("id")
	if err := h.SetPlacement(id, r.PostFormValue("site"), r.PostFormValue("township"), actorOf(r).name); err != nil {
		pg.Error = "The placement was not saved: " + err.Error()
		h.renderConsole(w, http.StatusBadRequest, "error", pg)
		return
	}
	http.Redirect(w, r, "/console/terminals/"+url.PathEscape(id)+"?done=placement+saved", http.StatusSeeOther)
}

func (h *Hub) serveConsoleRevoke(w http.ResponseWriter, r *http.Request, pg consolePage) {
	id := r.PathValue("id")
	if r.PostFormValue("confirm") != "1" {
		pg.Error = "Tick the box to confirm: a revoked terminal cannot connect again until it is enrolled anew."
		h.renderConsole(w, http.StatusBadRequest, "error", pg)
		return
	}
	if _, err := h.RevokeTerminal(id, actorOf(r).name, strings.TrimSpace(r.PostFormValue("reason"))); err != nil {
		pg.Error = "The terminal was not revoked: " + strings.TrimPrefix(err.Error(), "hub: ")
		h.renderConsole(w, http.StatusConflict, "error", pg)
		return
	}
	http.Redirect(w, r, "/console/terminals/"+url.PathEscape(id)+"?done=revoked", http.StatusSeeOther)
}

func (h *Hub) servePutPlacement(w http.ResponseWriter, r *http.Request) {
	var p struct {
		Site     string `json:"site"`
		Township string `json:"township"`
	}
	if err := jsonBody(r, &p); err != nil {
		writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "body is not a placement"))
		return
	}
	err := h.SetPlacement(r.PathValue("id"), p.Site, p.Township, actorOf(r).name)
	switch {
	case errors.Is(err, ErrNotFound):
		writeJSONError(w, http.StatusNotFound, protocol.Errorf(protocol.CodeNotFound, "", "no such terminal"))
	case errors.Is(err, ErrBadQuery):
		writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "%v", err))
	case err != nil:
		writeJSONError(w, http.StatusInternalServerError, protocol.Errorf(protocol.CodeInternal, "", "placement not saved"))
	default:
		writeJSON(w, http.StatusOK, p)
	}
}

func (h *Hub) serveConsoleAlerts(w http.ResponseWriter, r *http.Request, pg consolePage) {
	q := r.URL.Query()
	open := q.Get("all") != "1"
	as, err := h.Alerts(AlertQuery{Action: q.Get("action"), Open: open})
	if err != nil {
		pg.Error = "Alerts cannot be listed now."
		h.renderConsole(w, http.StatusInternalServerError, "error", pg)
		return
	}
	pg.Title, pg.Nav, pg.Refresh = "Alerts", "alerts", 15
	pg.Data = map[string]any{"Alerts": as, "Action": q.Get("action"), "All": !open, "Actions": AlertActions}
	h.renderConsole(w, http.StatusOK, "alerts", pg)
}

func (h *Hub) serveConsoleAck(w http.ResponseWriter, r *http.Request, pg consolePage) {
	if _, err := h.AckAlert(r.PathValue("id"), actorOf(r).name); err != nil {
		pg.Error = "The alert was not acknowledged: " + err.Error()
		h.renderConsole(w, http.StatusNotFound, "error", pg)
		return
	}
	back := r.PostFormValue("back")
	if !strings.HasPrefix(back, "/console/") || strings.HasPrefix(back, "//") {
		back = "/console/alerts"
	}
	sep := "?"
	if strings.Contains(back, "?") {
		sep = "&"
	}
	http.Redirect(w, r, back+sep+"done=acknowledged", http.StatusSeeOther)
}
