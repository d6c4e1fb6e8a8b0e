package hub

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/govkiosk/govkiosk/sync/protocol"
)

// Alerts. Every heartbeat's device report is compared with the last one: a change is a
// health event, and a device that cannot work raises an alert carrying the action of the
// XFS4IoT device-status taxonomy that says who can fix it:
//
//   - clear: hall staff can fix it (paper out or near its end, a jam, a cover open);
//   - maintenance: a technician must come (hardware error, a device that does not answer);
//   - configuration: the terminal's configuration is wrong (a device that is not set up);
//   - reset: a reset of the device is expected to recover it;
//   - softwareError: the software failed (a driver that crashed).
//
// A driver may name the action itself in its details ("action"); otherwise the state
// and reason decide. An alert stays active until the device reports itself usable again,
// and a person acknowledges it (audited).

// The alert actions.
const (
	ActionClear         = "clear"
	ActionMaintenance   = "maintenance"
	ActionConfiguration = "configuration"
	ActionReset         = "reset"
	ActionSoftwareError = "softwareError"
)

// AlertActions lists the actions, in the order the console shows them.
var AlertActions = []string{ActionClear, ActionMaintenance, ActionConfiguration, ActionReset, ActionSoftwareError}

// alertAction returns the action a device status calls for, or "" when it needs none.
func alertAction(d protocol.DeviceStatus) string {
	if d.State.Usable() || d.State == protocol.DeviceUnknown || d.State == "" {
		return ""
	}
	if a := d.Details["action"]; a != "" {
		for _, known := range AlertActions {
			if a == known {
				return a
			}
		}
	}
	reason := strings.ToLower(d.Reason)
	switch {
	case containsWord(reason, "config", "not configured", "no port configured", "misconfigured"):
		return ActionConfiguration
	case containsWord(reason, "driver crashed", "panic", "software", "firmware"):
		return ActionSoftwareError
	case containsWord(reason, "recoverable", "reset"):
		return ActionReset
	}
	switch d.State {
	case protocol.DeviceUserError:
		return ActionClear
	default: // hardware_error, offline
		return ActionMaintenance
	}
}

func containsWord(s string, words ...string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// alertBook holds the active alerts by terminal and device, loaded at start.
type alertBook struct {
	mu     sync.Mutex
	active map[string]*alertRecord // terminal id "/" device
	// pending health events, written in batches with the heartbeats (a write per
	// connect would be a disk sync per terminal in a reconnection storm) and before
	// a terminal's page is shown.
	pending []healthEventRecord
}

// flushHealthEvents writes the pending health events.
func (h *Hub) flushHealthEvents() {
	b := &h.alerts
	b.mu.Lock()
	evs := b.pending
	b.pending = nil
	b.mu.Unlock()
	if err := h.st.addHealthEvents(evs); err != nil {
		h.log.Warn("store health events", "err", err, "lost", len(evs))
	}
}

func (h *Hub) loadAlerts() error {
	as, err := h.st.alerts()
	if err != nil {
		return fmt.Errorf("hub: alerts: %w", err)
	}
	h.alerts.active = map[string]*alertRecord{}
	for _, a := range as {
		if a.Cleared.IsZero() {
			h.alerts.active[a.TerminalID+"/"+a.Device] = a
		}
	}
	return nil
}

// observeHealth records what changed between a terminal's previous device report and
// this one, raises and clears alerts, and stores both.
func (h *Hub) observeHealth(terminalID string, prev, cur []protocol.DeviceStatus, now time.Time) {
	before := map[string]protocol.DeviceStatus{}
	for _, d := range prev {
		before[d.Device] = d
	}
	var evs []healthEventRecord
	var changed []*alertRecord
	b := &h.alerts
	b.mu.Lock()
	for _, d := range cur {
		act := alertAction(d)
		if p, ok := before[d.Device]; !ok || p.State != d.State || p.Reason != d.Reason {
			evs = append(evs, healthEventRecord{TerminalID: terminalID, At: now, Device: d.Device, Kind: d.Kind,
				State: string(d.State), Reason: d.Reason, Action: act})
		}
		k := terminalID + "/" + d.Device
		a := b.active[k]
		if a != nil && (act == "" || a.Action != act || a.Reason != d.Reason || a.State != string(d.State)) {
			c := *a
			c.Cleared = now
			changed = append(changed, &c)
			delete(b.active, k)
			a = nil
		}
		if a == nil && act != "" {
			a = &alertRecord{ID: fmt.Sprintf("A%d-%s", now.UnixNano(), randomID("")[:6]), TerminalID: terminalID, Device: d.Device,
				Kind: d.Kind, Action: act, State: string(d.State), Reason: d.Reason, Raised: now}
			b.active[k] = a
			c := *a
			changed = append(changed, &c)
		}
	}
	b.pending = append(b.pending, evs...)
	b.mu.Unlock()
	for _, a := range changed {
		if err := h.st.putAlert(a); err != nil {
			h.log.Warn("store alert", "err", err)
		}
	}
}

// connectionEvent records a terminal coming online or going offline.
func (h *Hub) connectionEvent(terminalID string, online bool, now time.Time) {
	state := "offline"
	if online {
		state = "online"
	}
	h.alerts.mu.Lock()
	h.alerts.pending = append(h.alerts.pending, healthEventRecord{TerminalID: terminalID, At: now, Device: "terminal", State: state})
	h.alerts.mu.Unlock()
}

// AlertInfo is an alert as the API and console show it.
type AlertInfo struct {
	ID           string    `json:"id"`
	TerminalID   string    `json:"terminal_id"`
	TerminalCode string    `json:"terminal_code"`
	TerminalName string    `json:"terminal_name,omitempty"`
	Site         string    `json:"site,omitempty"`
	Device       string    `json:"device"`
	Kind         string    `json:"kind,omitempty"`
	Action       string    `json:"action"`
	State        string    `json:"state"`
	Reason       string    `json:"reason,omitempty"`
	Raised       time.Time `json:"raised"`
	Active       bool      `json:"active"`
	Cleared      time.Time `json:"cleared,omitzero"`
	AckedBy      string    `json:"acked_by,omitempty"`
	AckedAt      time.Time `json:"acked_at,omitzero"`
}

// AlertQuery selects alerts.
type AlertQuery struct {
	// Action keeps one action; TerminalID one terminal.
	Action     string
	TerminalID string
	// Open keeps the alerts still active or not yet acknowledged.
	Open bool
	// Limit bounds the answer, newest first. Default 200.
	Limit int
}

// Alerts lists alerts, newest raised first.
func (h *Hub) Alerts(q AlertQuery) ([]AlertInfo, error) {
	as, err := h.st.alerts()
	if err != nil {
		return nil, err
	}
	if q.Limit <= 0 {
		q.Limit = 200
	}
	names := h.terminalNames()
	out := []AlertInfo{}
	for _, a := range as {
		if q.Action != "" && a.Action != q.Action || q.TerminalID != "" && a.TerminalID != q.TerminalID {
			continue
		}
		if q.Open && !a.Cleared.IsZero() && a.AckedBy != "" {
			continue
		}
		n := names[a.TerminalID]
		out = append(out, AlertInfo{ID: a.ID, TerminalID: a.TerminalID, TerminalCode: n.code, TerminalName: n.name, Site: n.site,
			Device: a.Device, Kind: a.Kind, Action: a.Action, State: a.State, Reason: a.Reason, Raised: a.Raised,
			Active: a.Cleared.IsZero(), Cleared: a.Cleared, AckedBy: a.AckedBy, AckedAt: a.AckedAt})
		if len(out) >= q.Limit {
			break
		}
	}
	return out, nil
}

// AckAlert records that person acknowledged alert id (ErrNotFound when unknown). An
// alert already acknowledged keeps its first acknowledgement.
func (h *Hub) AckAlert(id, person string) (*AlertInfo, error) {
	as, err := h.st.alerts()
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		if a.ID != id {
			continue
		}
		if a.AckedBy == "" {
			a.AckedBy, a.AckedAt = person, h.opt.Now().UTC()
			b := &h.alerts
			b.mu.Lock()
			if cur := b.active[a.TerminalID+"/"+a.Device]; cur != nil && cur.ID == a.ID {
				cur.AckedBy, cur.AckedAt = a.AckedBy, a.AckedAt
				a.Cleared = cur.Cleared
			}
			b.mu.Unlock()
			if err := h.st.putAlert(a); err != nil {
				return nil, err
			}
		}
		out, err := h.Alerts(AlertQuery{Limit: 1 << 30})
		if err != nil {
			return nil, err
		}
		for _, ai := range out {
			if ai.ID == id {
				return &ai, nil
			}
		}
	}
	return nil, ErrNotFound
}

type termNames struct{ code, name, site, township string }

func (h *Hub) terminalNames() map[string]termNames {
	place := h.placementsCopy()
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]termNames, len(h.terms))
	for id, t := range h.terms {
		p := place[id]
		out[id] = termNames{code: t.rec.Code, name: t.rec.Name, site: p.Site, township: p.Township}
	}
	return out
}

func (h *Hub) serveAlerts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	as, err := h.Alerts(AlertQuery{Action: q.Get("action"), TerminalID: q.Get("terminal"), Open: q.Get("open") == "1"})
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, protocol.Errorf(protocol.CodeInternal, "", "listing failed"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": len(as), "alerts": as})
}

func (h *Hub) serveAckAlert(w http.ResponseWriter, r *http.Request) {
	a, err := h.AckAlert(r.PathValue("id"), actorOf(r).name)
	if err != nil {
		status := http.StatusInternalServerError
		if err == ErrNotFound {
			status = http.StatusNotFound
		}
		writeJSONError(w, status, protocol.Errorf(protocol.CodeNotFound, "", "%v", err))
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// PruneAlerts deletes the alerts cleared and acknowledged longer than
// Options.AlertRetention ago, and the health events older than that, so the console's
// records do not grow forever. It returns how many alerts and events it removed.
func (h *Hub) PruneAlerts() (alerts, events int) {
	cutoff := h.opt.Now().Add(-h.opt.AlertRetention)
	alerts, err := h.st.pruneAlerts(cutoff)
	if err != nil {
		h.log.Warn("prune alerts", "err", err)
	}
	events, err = h.st.pruneHealthEvents(cutoff)
	if err != nil {
		h.log.Warn("prune health events", "err", err)
	}
	if alerts+events > 0 {
		h.log.Info("pruned old alerts and health events", "alerts", alerts, "events", events, "before", cutoff)
	}
	return alerts, events
}
