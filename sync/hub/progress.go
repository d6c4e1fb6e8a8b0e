package hub

import (
	"sync"

	"github.com/govkiosk/govkiosk/kiosk/identity"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

// Progress queries: a terminal asks for the state of a resident's submissions made at
// any terminal of the hub, by tracking code or by protocol.IDHash of the ID number. The
// hub stores that hash (never the number in the clear) with each submission whose form
// carries an ID number, computed at intake with the query key every terminal received
// in its welcome.

// Budget of progress queries per terminal: a hall's terminal serves one resident at a
// time, so a burst of a few and one every few seconds is plenty; more looks like someone
// walking through ID numbers.
const (
	progressRate  = 0.2 // per second
	progressBurst = 5
)

// subjectHash returns the query hash of the first form value that is a valid ID number,
// or "".
func (h *Hub) subjectHash(fields map[string]string) string {
	// The "id_number" field first, then any other, in a stable order.
	if v, ok := fields["id_number"]; ok && identity.ValidNumber(identity.NormalizeNumber(v)) {
		return protocol.IDHash(h.seal.queryKey, identity.NormalizeNumber(v))
	}
	best := ""
	for k, v := range fields {
		if n := identity.NormalizeNumber(v); identity.ValidNumber(n) && (best == "" || k < best) {
			best = k
		}
	}
	if best == "" {
		return ""
	}
	return protocol.IDHash(h.seal.queryKey, identity.NormalizeNumber(fields[best]))
}

// queryBudgets holds each terminal's progress-query budget across its connections.
type queryBudgets struct {
	mu sync.Mutex
	by map[string]*tokenBucket
}

func (h *Hub) queryBudget(terminalID string) *tokenBucket {
	h.queries.mu.Lock()
	defer h.queries.mu.Unlock()
	if h.queries.by == nil {
		h.queries.by = map[string]*tokenBucket{}
	}
	b := h.queries.by[terminalID]
	if b == nil {
		b = newTokenBucket(progressRate, progressBurst, h.opt.Now)
		h.queries.by[terminalID] = b
	}
	return b
}

func (c *conn) handleProgress(m *protocol.ProgressQuery) {
	h := c.h
	if ok, wait := h.queryBudget(c.term.rec.ID).take(); !ok {
		e := protocol.Errorf(protocol.CodeTryLater, m.ID, "too many progress queries; try again later")
		e.RetryAfterMS = max(wait, h.opt.RetryAfter).Milliseconds()
		c.reply(e)
		return
	}
	var recs []*submissionRecord
	exact := m.TrackingCode != ""
	if exact {
		rec, err := h.st.byTracking(m.TrackingCode)
		if err != nil {
			c.storageBusy(m.ID, err)
			return
		}
		if rec != nil && rec.State == stateCommitted {
			recs = append(recs, rec)
		}
	} else {
		var err error
		recs, err = h.st.bySubject(m.IDHash, protocol.MaxProgressItems)
		if err != nil {
			c.storageBusy(m.ID, err)
			return
		}
	}
	out := &protocol.Progress{ID: m.ID, Items: []protocol.ProgressItem{}}
	for _, r := range recs {
		code := r.TrackingCode
		if !exact {
			code = maskCode(code)
		}
		out.Items = append(out.Items, protocol.ProgressItem{TrackingCode: code, Item: r.Item, ItemTitle: r.ItemTitle,
			HubRef: r.HubRef, ReceivedAt: r.ReceivedAt, Status: r.Status, StatusAt: r.StatusAt, Note: r.StatusNote})
	}
	c.sendMsg(out)
}

// storageBusy answers a failed read with "try again later", keeping any upload.
func (c *conn) storageBusy(ref string, err error) {
	c.log.Warn("storage failure", "ref", ref, "err", err)
	e := protocol.Errorf(protocol.CodeTryLater, ref, "hub storage unavailable")
	e.RetryAfterMS = c.h.opt.RetryAfter.Milliseconds()
	c.reply(e)
}
