package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/catalog"
	"github.com/govkiosk/govkiosk/kiosk/form"
	"github.com/govkiosk/govkiosk/kiosk/session"
	"github.com/govkiosk/govkiosk/kiosk/tracking"
	"github.com/govkiosk/govkiosk/sync/client"
	"github.com/govkiosk/govkiosk/sync/protocol"
	"github.com/govkiosk/govkiosk/sync/queue"
	"github.com/govkiosk/govkiosk/ui"
)

// submitter stores the resident's submissions and ratings in the outbox and answers
// progress queries from it.
type submitter struct {
	s        *syncer
	catalogs *catalog.Store
}

// Enqueue copies the draft into the outbox, which encrypts the personal fields and scans
// and syncs them to disk before returning; the session wipes the draft afterwards.
func (m *submitter) Enqueue(ctx context.Context, d session.Draft) (string, error) {
	q, err := m.s.queue()
	if err != nil {
		return "", err
	}
	if !m.s.timeKnown() {
		// A receipt stamped 1970 would mislead the resident and the hub: send them to
		// staff until the clock is set or the hub has given its time.
		m.s.log.Error("submission refused: the wall clock is implausible and no hub has given its time; set the clock")
		return "", fmt.Errorf("%w: wall clock implausible and no hub time yet", ui.ErrTimeUnknown)
	}
	fields := make(map[string]string, len(d.Values)+4)
	for k, v := range d.Values {
		fields[k] = v
	}
	if id := d.Identity; id != nil {
		// What the card said, beside what the form holds: the clerk checks one against
		// the other. Encrypted at rest with the rest of the fields.
		fields["_card.type"] = string(id.CardType)
		fields["_card.name"] = id.Name
		fields["_card.id_number"] = id.IDNumber
	}
	if len(d.ItemIDs) > 0 {
		fields["_items"] = strings.Join(d.ItemIDs, ",")
	}
	if len(d.Short) > 0 {
		// The resident went on with fewer pages than a material has, where the item
		// allows it: the clerk sees which and how many ("lease:2/4").
		short := make([]string, len(d.Short))
		for i, f := range d.Short {
			short[i] = fmt.Sprintf("%s:%d/%d", f.MaterialID, f.Scanned, f.Want)
		}
		fields["_pages_short"] = strings.Join(short, ",")
	}
	for _, l := range d.Licences {
		// The platform's reference to the e-licence the resident agreed to use instead
		// of a scan ("household_register:EL-…"): the clerk's system fetches the licence
		// itself; no copy travels.
		fields["_licence."+l.MaterialID] = string(l.Type) + ":" + l.Ref
	}
	if b := d.Booking; b != nil {
		// The counter appointment the hub confirmed for this very submission id.
		fields["_appointment"] = b.Slot.String()
	}
	if d.Delivery != "" {
		fields["_delivery"] = string(d.Delivery)
		if d.Address != "" {
			fields["_delivery.address"] = d.Address
		}
	}
	// A booking was made for the id the visit chose in advance: the submission keeps it,
	// so the booking follows its tracking code at the hub.
	sub := queue.NewSubmission{ID: d.ID, Item: d.ServiceID, ItemTitle: m.title(d.ServiceID).Zh, Fields: fields}
	if d.Identity != nil {
		// Only a number the card (or identity code) gave, never one typed into the form:
		// placing that card later lists this submission, and a typed number could be
		// anyone's. The queue keeps just a keyed hash of it for the query screen.
		sub.IdentityNumber = d.Identity.IDNumber
	}
	for _, sc := range d.Scans {
		sub.Attachments = append(sub.Attachments, queue.NewAttachment{
			Name:        fmt.Sprintf("%s-p%d", sc.MaterialID, sc.Page),
			ContentType: http.DetectContentType(sc.Data),
			Data:        sc.Data,
		})
	}
	s, err := q.Enqueue(ctx, sub)
	clear(fields)
	if errors.Is(err, queue.ErrDiskFull) {
		return "", fmt.Errorf("%w: %w", ui.ErrStorageFull, err)
	}
	if err != nil {
		return "", err
	}
	return s.TrackingCode, nil
}

// title is the service's title in both languages, or its ID for a service the current
// catalog no longer has.
func (m *submitter) title(id string) form.Text {
	if c := m.catalogs.Current(); c != nil {
		if s := c.Service(id); s != nil {
			return s.Title
		}
	}
	return form.Text{Zh: id}
}

// Rate queues the rating as its own outbox item.
func (m *submitter) Rate(ctx context.Context, r ui.Rating) error {
	q, err := m.s.queue()
	if err != nil {
		return err
	}
	_, err = q.Rate(ctx, queue.RatingInput{TrackingCode: r.Code, Item: r.ServiceID, Stars: r.Stars, Reasons: r.Reasons})
	return err
}

// hubQueryTimeout bounds the wait for the platform's answer to a progress query: a
// resident waiting at the screen is better served by this terminal's own receipts after a
// few seconds than by "looking up…" until the screen's own limit.
const hubQueryTimeout = 6 * time.Second

// Lookup asks the platform when the terminal is online, which knows the submissions made
// at every terminal, and otherwise answers from the outbox's receipt records (which keep
// no personal data) and says so. Online, this terminal's own submissions the platform
// does not have yet (waiting to be sent, or refused) are listed beside its answer.
// The ID number goes to the sync client, which sends only its keyed hash, and is
// logged nowhere.
func (m *submitter) Lookup(ctx context.Context, q ui.Query) (ui.Found, error) {
	if q.Code == "" && q.IDNumber == "" {
		return ui.Found{}, nil
	}
	local, lerr := m.receipts(ctx, q)
	c := m.s.client()
	if c == nil {
		return m.localOnly(local, ui.LocalOffline), lerr
	}
	qctx, cancel := context.WithTimeout(ctx, hubQueryTimeout)
	items, err := c.QueryProgress(qctx, client.ProgressQuery{TrackingCode: q.Code, IDNumber: q.IDNumber})
	cancel()
	switch {
	case errors.Is(err, client.ErrRateLimited):
		m.s.log.Warn("progress query: the platform asks to wait; answering from this terminal's receipts", "err", err)
		return m.localOnly(local, ui.LocalBusy), lerr
	case err != nil:
		m.s.log.Warn("progress query: the platform cannot answer; answering from this terminal's receipts", "err", err)
		return m.localOnly(local, ui.LocalOffline), lerr
	}
	if lerr != nil {
		m.s.log.Warn("progress query: this terminal's receipts cannot be read; showing the platform's answer", "err", lerr)
	}
	out := ui.Found{Items: make([]ui.Progress, 0, len(items)+len(local))}
	for _, it := range items {
		out.Items = append(out.Items, m.hubProgress(it))
	}
	for _, r := range local {
		// The platform has every delivered one; by code, it answered for that code.
		if r.State != queue.Delivered && (q.Code == "" || len(items) == 0) {
			out.Items = append(out.Items, m.progress(r))
		}
	}
	return out, nil
}

func (m *submitter) localOnly(rs []*queue.Receipt, why ui.LocalReason) ui.Found {
	out := ui.Found{Local: why, Items: make([]ui.Progress, 0, len(rs))}
	for _, r := range rs {
		out.Items = append(out.Items, m.progress(r))
	}
	return out
}

// receipts finds this terminal's receipts by tracking code (typed or scanned from the
// receipt), or by ID card through the keyed hash of the number the queue keeps beside
// each receipt of a submission made with that card, within the queue's retention.
func (m *submitter) receipts(ctx context.Context, q ui.Query) ([]*queue.Receipt, error) {
	qu, err := m.s.queue()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if q.Code == "" {
		rs, err := qu.LookupIdentity(q.IDNumber)
		if errors.Is(err, queue.ErrNotFound) || errors.Is(err, queue.ErrInvalid) {
			return nil, nil
		}
		return rs, err
	}
	r, err := qu.Lookup(q.Code)
	if errors.Is(err, queue.ErrNotFound) || errors.Is(err, tracking.ErrFormat) || errors.Is(err, tracking.ErrCheck) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return []*queue.Receipt{r}, nil
}

// hubProgress is what the query screen shows for a submission the platform reported,
// made at this terminal or any other.
func (m *submitter) hubProgress(it protocol.ProgressItem) ui.Progress {
	p := ui.Progress{Code: it.TrackingCode, Service: m.title(it.Item), Status: statusOf(it.Status), Updated: it.ReceivedAt}
	if p.Service.Zh == it.Item && it.ItemTitle != "" {
		p.Service = form.Text{Zh: it.ItemTitle} // a service this terminal's catalog lacks
	}
	if !it.StatusAt.IsZero() {
		p.Updated = it.StatusAt
	}
	if it.Note != "" {
		p.Note = form.Text{Zh: it.Note}
	}
	return p
}

// progress is what the query screen shows for one receipt: its latest change is the
// platform's status, else the delivery, else the submission.
func (m *submitter) progress(r *queue.Receipt) ui.Progress {
	p := ui.Progress{Code: r.TrackingCode, Service: m.title(r.Item), Status: progressStatus(r), Updated: r.CreatedAt}
	if !r.DeliveredAt.IsZero() {
		p.Updated = r.DeliveredAt
	}
	if !r.StatusAt.IsZero() {
		p.Updated = r.StatusAt
	}
	return p
}

// progressStatus maps the outbox state and the platform's status word to the stages the
// query screen explains.
func progressStatus(r *queue.Receipt) ui.Status {
	switch r.State {
	case queue.Queued, queue.Sending:
		return ui.StatusQueued
	case queue.Failed:
		return ui.StatusRejected
	}
	return statusOf(r.Status)
}

// statusOf maps the platform's status word (the business system's 受理 / 补正 / 办结 /
// 不予受理, docs/HANDOFF.md, or an operator's word) to a stage of the query screen.
func statusOf(word string) ui.Status {
	switch strings.ToLower(word) {
	case "accepted":
		return ui.StatusAccepted
	case "needs_correction":
		return ui.StatusCorrection
	case "processing", "in_progress":
		return ui.StatusProcessing
	case "done", "completed", "finished":
		return ui.StatusDone
	case "rejected":
		return ui.StatusNotTaken
	case "refused":
		return ui.StatusRejected
	}
	return ui.StatusReceived
}
