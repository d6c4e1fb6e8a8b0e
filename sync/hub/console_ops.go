package hub

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/govkiosk/govkiosk/sync/protocol"
)

// The terminal page's remote operations: screenshot, restart, safe mode and support
// bundle go through the command channel like the operator API's routes (remote.go) and
// are audited under the same names (terminal.screenshot, terminal.restart, ...); the
// configuration form publishes the hub's one terminal configuration (config.publish, as
// PUT /api/config). Command results live in hub memory for a day (SendCommand), so the
// last screenshot and a fetched bundle are gone after a hub restart.

// ConsoleCommand is an operator's command to a terminal as the terminal page lists it.
type ConsoleCommand struct {
	ID       string
	Name     string
	Sent     time.Time
	Answered time.Time
	// Waiting is true until the terminal answers (an offline terminal gets it when it
	// next connects).
	Waiting bool
	OK      bool
	// InUse is a refusal because a resident's visit was in progress.
	InUse bool
	Error string
	// Output is a short text answer ("done at ..."); File is true when the answer is a
	// file (screenshot PNG, support bundle) served by /console/commands/{id}/file.
	Output string
	File   bool
}

// TerminalCommands lists the commands sent to a terminal that the hub still holds
// (a day; the newest screenshot longer), newest first: this replica's and the store's.
func (h *Hub) TerminalCommands(terminalID string) []ConsoleCommand {
	stored, err := h.st.terminalCommands(terminalID)
	if err != nil {
		h.log.Warn("terminal commands", "terminal", terminalID, "err", err)
	}
	h.mu.Lock()
	var out []ConsoleCommand
	seen := map[string]bool{}
	add := func(cmd protocol.Command, created, answered time.Time, r *protocol.CommandResult) {
		if seen[cmd.ID] {
			return
		}
		seen[cmd.ID] = true
		c := ConsoleCommand{ID: cmd.ID, Name: cmd.Name, Sent: created, Waiting: r == nil}
		if r != nil {
			c.Answered, c.OK, c.Error = answered, r.OK, r.Error
			c.InUse = !r.OK && strings.HasPrefix(r.Error, protocol.ErrTextInUse)
			if _, file := fileTypes[cmd.Name]; file && r.OK {
				c.File = true
			} else if len(r.Output) <= commandPreview {
				c.Output = r.Output
			} else {
				c.Output = r.Output[:commandPreview] + "…"
			}
		}
		out = append(out, c)
	}
	for _, cs := range h.commands {
		if cs.terminalID == terminalID && cs.result != nil {
			add(cs.cmd, cs.created, cs.answered, cs.result)
		}
	}
	// The store knows results from other replicas; this replica's memory the ones
	// answered here (taken first) and nothing the store lacks but unsent commands.
	for _, rec := range stored {
		add(rec.Cmd, rec.Created, rec.Answered, rec.Result)
	}
	for _, cs := range h.commands {
		if cs.terminalID == terminalID {
			add(cs.cmd, cs.created, cs.answered, cs.result)
		}
	}
	h.mu.Unlock()
	slices.SortFunc(out, func(a, b ConsoleCommand) int { return b.Sent.Compare(a.Sent) })
	return out
}

// consoleOperations are the terminal page's command buttons: the path under
// /console/terminals/{id}/ and the operator API's operation it sends.
var consoleOperations = []string{"screenshot", "restart", "safe-mode", "support-bundle"}

func (h *Hub) routeConsoleOperations(mux *http.ServeMux) {
	for _, path := range consoleOperations {
		op := operations[path]
		mux.HandleFunc("POST /console/terminals/{id}/"+path, h.consoleRoute(permManage, "terminal."+op.name, "id",
			func(w http.ResponseWriter, r *http.Request, pg consolePage) {
				h.serveConsoleOperation(w, r, pg, op.name)
			}))
	}
	mux.HandleFunc("GET /console/terminals/{id}/screenshot.png", h.consoleRoute(permView, "terminal.screenshot.read", "id",
		func(w http.ResponseWriter, r *http.Request, _ consolePage) { h.serveLastScreenshot(w, r) }))
	mux.HandleFunc("GET /console/commands/{id}/file", h.consoleRoute(permManage, "command.file", "id",
		func(w http.ResponseWriter, r *http.Request, _ consolePage) { h.serveCommandFile(w, r) }))
	mux.HandleFunc("POST /console/config", h.consoleRoute(permManage, "config.publish", "", h.serveConsoleConfig))
}

func (h *Hub) serveConsoleOperation(w http.ResponseWriter, r *http.Request, pg consolePage, name string) {
	id := r.PathValue("id")
	var args map[string]string
	if name == protocol.CommandSupportBundle {
		var err error
		if args, err = bundleSince(strings.TrimSpace(r.PostFormValue("since"))); err != nil {
			pg.Error = "Nothing was sent: " + strings.TrimPrefix(err.Error(), "hub: ")
			h.renderConsole(w, http.StatusBadRequest, "error", pg)
			return
		}
	}
	if name != protocol.CommandScreenshot && name != protocol.CommandSupportBundle && r.PostFormValue("confirm") != "1" {
		pg.Error = "Tick the box to confirm: the kiosk restarts when no visit is in progress."
		h.renderConsole(w, http.StatusBadRequest, "error", pg)
		return
	}
	_, err := h.SendCommand(id, name, args)
	switch {
	case errors.Is(err, ErrNotFound):
		pg.Error = "No such terminal."
		h.renderConsole(w, http.StatusNotFound, "error", pg)
		return
	case errors.Is(err, ErrRevoked):
		pg.Error = "The terminal is revoked: it takes no commands."
		h.renderConsole(w, http.StatusConflict, "error", pg)
		return
	case err != nil:
		pg.Error = "Nothing was sent: " + strings.TrimPrefix(err.Error(), "hub: ")
		h.renderConsole(w, http.StatusBadRequest, "error", pg)
		return
	}
	done := strings.ReplaceAll(name, "_", " ") + " sent; the answer appears below"
	http.Redirect(w, r, "/console/terminals/"+url.PathEscape(id)+"?done="+url.QueryEscape(done)+"#commands", http.StatusSeeOther)
}

// serveConsoleConfig publishes the terminal configuration from the form. The hub holds
// one configuration for every terminal; each terminal checks it and reports it applied
// or refused with its reasons (the terminal page shows which).
func (h *Hub) serveConsoleConfig(w http.ResponseWriter, r *http.Request, pg consolePage) {
	payload := strings.TrimSpace(r.PostFormValue("config"))
	version, err := h.SetConfig(strings.TrimSpace(r.PostFormValue("version")), []byte(payload))
	if err != nil {
		pg.Error = "The configuration was not published: " + strings.TrimPrefix(err.Error(), "hub: ")
		h.renderConsole(w, http.StatusBadRequest, "error", pg)
		return
	}
	back := r.PostFormValue("back")
	if !strings.HasPrefix(back, "/console/") || strings.HasPrefix(back, "//") {
		back = "/console/"
	}
	sep := "?"
	if strings.Contains(back, "?") {
		sep = "&"
	}
	http.Redirect(w, r, back+sep+"done="+url.QueryEscape("configuration "+version+" published to every terminal")+"#config", http.StatusSeeOther)
}
