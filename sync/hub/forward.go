package hub

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/govkiosk/govkiosk/sync/protocol"
)

// Hand-off to the business system (docs/HANDOFF.md is the contract). Committing a
// submission queues it in the store's outbox in the same transaction; a forwarder on
// every replica claims due jobs with a lease, POSTs each to the business system with
// an idempotency key and an HMAC-SHA256 signature, and retries with exponential
// backoff and full jitter. After ForwardAttempts failures the job is parked as a dead
// letter that operators list and retry. Intake never waits for any of this.
//
// A resident's rating (好差评) usually arrives after its submission, so it is handed
// off as its own event to the same endpoint: storing a new rating that names a
// submission queues it in the same outbox, in the same transaction, with its own
// idempotency key. A rating job waits, without using up attempts, until its
// submission is committed and handed off, so the business system never sees a rating
// of a case it does not have.

// Headers of a hand-off request (and of a status update coming back).
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderTimestamp      = "X-Govkiosk-Timestamp"
	HeaderSignature      = "X-Govkiosk-Signature"
)

// SignHandoff returns the signature header value of body sent at ts: "v1=" and the hex
// HMAC-SHA256, keyed with the shared secret, of the decimal Unix time, a full stop and
// the body bytes.
func SignHandoff(secret []byte, ts time.Time, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strconv.FormatInt(ts.Unix(), 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// ErrSignature is a hand-off request whose signature or timestamp does not verify.
var ErrSignature = errors.New("hub: hand-off signature invalid or expired")

// verifyHandoff checks a request's timestamp (within skew of now) and signature.
func verifyHandoff(secret []byte, now time.Time, skew time.Duration, tsHeader, sigHeader string, body []byte) error {
	if len(secret) == 0 {
		return ErrSignature
	}
	sec, err := strconv.ParseInt(tsHeader, 10, 64)
	if err != nil {
		return ErrSignature
	}
	ts := time.Unix(sec, 0)
	if ts.Before(now.Add(-skew)) || ts.After(now.Add(skew)) {
		return ErrSignature
	}
	if !hmac.Equal([]byte(SignHandoff(secret, ts, body)), []byte(sigHeader)) {
		return ErrSignature
	}
	return nil
}

// Events of the hand-off body's "event" field.
const (
	HandoffEventSubmission = "submission"
	HandoffEventRating     = "rating"
)

// ratingJobPrefix marks a rating's forwarding job. "/" is outside the protocol's id
// alphabet, so no submission id starts with it.
const ratingJobPrefix = "rating/"

// handedOff reports whether a rating goes to the business system: one that names a
// submission. A rating of a visit without a submission stays at the hub.
func (r *ratingRecord) handedOff() bool { return r.SubmissionID != "" || r.TrackingCode != "" }

// HandoffSubmission is the body the hub POSTs to the business system.
type HandoffSubmission struct {
	Event          string              `json:"event"` // HandoffEventSubmission
	IdempotencyKey string              `json:"idempotency_key"`
	HubID          string              `json:"hub_id"`
	HubRef         string              `json:"hub_ref"`
	SubmissionID   string              `json:"submission_id"`
	TrackingCode   string              `json:"tracking_code"`
	TerminalID     string              `json:"terminal_id"`
	Item           string              `json:"item"`
	ItemTitle      string              `json:"item_title,omitempty"`
	CreatedAt      time.Time           `json:"created_at"`
	ReceivedAt     time.Time           `json:"received_at"`
	Fields         map[string]string   `json:"fields"`
	Attachments    []HandoffAttachment `json:"attachments"`
}

// HandoffRating is the body the hub POSTs when a resident rates a submission's service.
type HandoffRating struct {
	Event string `json:"event"` // HandoffEventRating
	// IdempotencyKey is the hub id, "/rating/" and the rating id.
	IdempotencyKey string `json:"idempotency_key"`
	HubID          string `json:"hub_id"`
	// HubRef is the rating's own reference (R…); SubmissionHubRef the submission's.
	HubRef           string    `json:"hub_ref"`
	RatingID         string    `json:"rating_id"`
	SubmissionID     string    `json:"submission_id"`
	SubmissionHubRef string    `json:"submission_hub_ref"`
	TrackingCode     string    `json:"tracking_code"`
	TerminalID       string    `json:"terminal_id"`
	Item             string    `json:"item"`
	Stars            int       `json:"stars"`
	Reasons          []string  `json:"reasons"`
	Comment          string    `json:"comment,omitempty"`
	CreatedAt        time.Time `json:"created_at"`
	ReceivedAt       time.Time `json:"received_at"`
}

// HandoffAttachment is an attachment, inline: a submission's files are small (the
// protocol caps them) and an inline body needs no link back into the hub.
type HandoffAttachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	Data        []byte `json:"data"` // base64 in JSON
}

// forwardLease is how long a claimed job belongs to one replica: longer than one
// request may take (forwardTimeout), so a slow request is not sent twice at once, and
// short, because it is how long a killed replica's claimed jobs wait for another.
const (
	forwardLease   = 30 * time.Second
	forwardTimeout = 20 * time.Second
	// forwardBatch jobs are claimed and sent at once by each replica.
	forwardBatch = 8
)

func (h *Hub) forwardURL(item string) string {
	best, url := -1, h.opt.Forward
	for prefix, u := range h.opt.ForwardRoutes {
		if strings.HasPrefix(item, prefix) && len(prefix) > best {
			best, url = len(prefix), u
		}
	}
	return url
}

// forwardLoop delivers due jobs until ctx ends.
func (h *Hub) forwardLoop(ctx context.Context) {
	defer h.wg.Done()
	for ctx.Err() == nil {
		jobs, err := h.st.claimForward(h.opt.Now(), forwardLease, forwardBatch)
		if err != nil {
			h.log.Warn("forward: claim", "err", err)
		}
		var wg sync.WaitGroup
		for _, j := range jobs {
			wg.Go(func() { h.forwardOne(ctx, j) })
		}
		wg.Wait()
		if len(jobs) > 0 {
			continue
		}
		select {
		case <-ctx.Done():
		case <-h.forwardWake:
		case <-time.After(h.opt.ForwardPoll):
		}
	}
}

// errWaitSubmission is a rating whose submission is not committed or not handed off
// yet: its job waits without using up an attempt.
var errWaitSubmission = errors.New("waiting for its submission's hand-off")

func (h *Hub) forwardOne(ctx context.Context, j *forwardJob) {
	var err error
	if id, ok := strings.CutPrefix(j.Key, ratingJobPrefix); ok {
		err = h.deliverRating(ctx, id)
	} else {
		err = h.deliver(ctx, j.Key)
	}
	if ctx.Err() != nil {
		return // shutting down: the lease runs out and a replica tries again
	}
	if errors.Is(err, errWaitSubmission) {
		// Not a failure: look again a little later (jittered, as for retries).
		wait := min(h.opt.ForwardBackoff<<3, time.Minute)
		next := h.opt.Now().Add(wait/2 + time.Duration(rand.Int64N(int64(wait/2)+1)))
		if err := h.st.forwardFailed(j.Key, j.Attempts, next, false, err.Error()); err != nil {
			h.log.Warn("forward: postpone rating", "id", j.Key, "err", err)
		}
		return
	}
	if err == nil {
		if err := h.st.forwardDone(j.Key); err != nil {
			h.log.Warn("forward: mark delivered", "id", j.Key, "err", err)
		}
		h.m.forwarded.Add(1)
		return
	}
	attempts := j.Attempts + 1
	dead := attempts >= h.opt.ForwardAttempts
	// Exponential backoff with full jitter: a business system that comes back is not
	// hit by every hub at the same instant.
	backoff := min(h.opt.ForwardBackoff<<min(attempts-1, 20), 10*time.Minute)
	next := h.opt.Now().Add(time.Duration(rand.Int64N(int64(backoff)) + 1))
	if err := h.st.forwardFailed(j.Key, attempts, next, dead, err.Error()); err != nil {
		h.log.Warn("forward: record failure", "id", j.Key, "err", err)
	}
	h.m.forwardFailures.Add(1)
	if dead {
		h.log.Warn("forward: parked as a dead letter", "id", j.Key, "attempts", attempts, "err", err)
	}
}

// deliver POSTs one submission; an error means try again.
func (h *Hub) deliver(ctx context.Context, id string) error {
	rec, err := h.st.submission(id)
	if err != nil {
		return err
	}
	if rec == nil || rec.State != stateCommitted {
		return fmt.Errorf("submission %s is not committed", id)
	}
	body := HandoffSubmission{Event: HandoffEventSubmission, IdempotencyKey: h.id + "/" + rec.ID, HubID: h.id, HubRef: rec.HubRef, SubmissionID: rec.ID,
		TrackingCode: rec.TrackingCode, TerminalID: rec.TerminalID, Item: rec.Item, ItemTitle: rec.ItemTitle,
		CreatedAt: rec.CreatedAt, ReceivedAt: rec.ReceivedAt, Attachments: []HandoffAttachment{}}
	plain, err := h.seal.open(rec.Fields, []byte("fields:"+rec.ID))
	if err != nil {
		return fmt.Errorf("open fields: %w", err)
	}
	if err := json.Unmarshal(plain, &body.Fields); err != nil {
		return fmt.Errorf("fields: %w", err)
	}
	for i, a := range rec.Attachments {
		data, err := h.att.read(rec.TerminalID, rec.ID, i, a)
		if err != nil {
			return fmt.Errorf("attachment %d: %w", i, err)
		}
		body.Attachments = append(body.Attachments, HandoffAttachment{Name: a.Name, ContentType: a.ContentType, Size: a.Size, SHA256: a.SHA256, Data: data})
	}
	return h.post(ctx, rec.Item, body.IdempotencyKey, body)
}

// deliverRating POSTs one rating once its submission is handed off; an error means
// try again (errWaitSubmission: not yet).
func (h *Hub) deliverRating(ctx context.Context, id string) error {
	r, err := h.st.rating(id)
	if err != nil {
		return err
	}
	if r == nil {
		return fmt.Errorf("rating %s is not stored", id)
	}
	var sub *submissionRecord
	if r.SubmissionID != "" {
		sub, err = h.st.submission(r.SubmissionID)
	} else {
		sub, err = h.st.byTracking(r.TrackingCode)
	}
	if err != nil {
		return err
	}
	if sub == nil || sub.State != stateCommitted {
		return errWaitSubmission // still in the terminal's outbox, or uploading
	}
	if queued, err := h.st.forwardQueued(sub.ID); err != nil {
		return err
	} else if queued {
		return errWaitSubmission // on its way, or a dead letter an operator may retry
	}
	body := HandoffRating{Event: HandoffEventRating, IdempotencyKey: h.id + "/" + ratingJobPrefix + r.ID, HubID: h.id,
		HubRef: r.HubRef, RatingID: r.ID, SubmissionID: sub.ID, SubmissionHubRef: sub.HubRef, TrackingCode: sub.TrackingCode,
		TerminalID: r.TerminalID, Item: sub.Item, Stars: r.Stars, Reasons: r.Reasons, CreatedAt: r.CreatedAt, ReceivedAt: r.ReceivedAt}
	if body.Reasons == nil {
		body.Reasons = []string{}
	}
	if len(r.Comment) > 0 {
		plain, err := h.seal.open(r.Comment, []byte("rating:"+r.ID))
		if err != nil {
			return fmt.Errorf("open comment: %w", err)
		}
		body.Comment = string(plain)
	}
	return h.post(ctx, sub.Item, body.IdempotencyKey, body)
}

// post sends one signed hand-off request to the endpoint for item.
func (h *Hub) post(ctx context.Context, item, key string, body any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, forwardTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, h.forwardURL(item), bytes.NewReader(raw))
	if err != nil {
		return err
	}
	now := h.opt.Now()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderIdempotencyKey, key)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(HeaderSignature, SignHandoff(h.opt.ForwardSecret, now, raw))
	resp, err := h.forwardClient.Do(req)
	if err != nil {
		return fmt.Errorf("POST: %w", err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("business system answered %s", resp.Status)
	}
	return nil
}

// DeadLetters lists the submissions and ratings whose hand-off was given up, for
// operators.
func (h *Hub) DeadLetters() ([]DeadLetter, error) {
	jobs, err := h.st.deadLetters()
	if err != nil {
		return nil, err
	}
	out := make([]DeadLetter, 0, len(jobs))
	for _, j := range jobs {
		d := DeadLetter{Kind: HandoffEventSubmission, SubmissionID: j.Key, Attempts: j.Attempts, LastError: j.LastError}
		if id, ok := strings.CutPrefix(j.Key, ratingJobPrefix); ok {
			d.Kind, d.RatingID, d.SubmissionID = HandoffEventRating, id, ""
			if r, err := h.st.rating(id); err == nil && r != nil {
				d.SubmissionID, d.Item, d.TrackingCode = r.SubmissionID, r.Item, maskCode(r.TrackingCode)
			}
		}
		if d.SubmissionID != "" {
			if rec, err := h.st.submission(d.SubmissionID); err == nil && rec != nil {
				d.Item, d.TrackingCode = rec.Item, maskCode(rec.TrackingCode)
				if d.Kind == HandoffEventSubmission {
					d.HubRef = rec.HubRef
				}
			}
		}
		out = append(out, d)
	}
	return out, nil
}

// DeadLetter is a parked hand-off of a submission or of a rating (Kind). The tracking
// code is masked: the list is for operators, who retry by submission id, or by rating
// id for a rating.
type DeadLetter struct {
	Kind         string `json:"kind"` // HandoffEventSubmission or HandoffEventRating
	RatingID     string `json:"rating_id,omitempty"`
	SubmissionID string `json:"submission_id"`
	HubRef       string `json:"hub_ref"`
	Item         string `json:"item"`
	TrackingCode string `json:"tracking_code"`
	Attempts     int    `json:"attempts"`
	LastError    string `json:"last_error"`
}

// RetryDeadLetter puts a parked hand-off back in the queue (ErrNotFound if it is not
// parked).
func (h *Hub) RetryDeadLetter(submissionID string) error {
	ok, err := h.st.retryDead(submissionID, h.opt.Now())
	if err != nil {
		return err
	}
	if !ok {
		return ErrNotFound
	}
	h.wakeForwarder()
	return nil
}

// RetryDeadRating puts a parked rating hand-off back in the queue (ErrNotFound if it
// is not parked).
func (h *Hub) RetryDeadRating(ratingID string) error {
	if !protocol.ValidID(ratingID) {
		return ErrNotFound
	}
	return h.RetryDeadLetter(ratingJobPrefix + ratingID)
}

func (h *Hub) wakeForwarder() {
	if h.forwardWake == nil {
		return
	}
	select {
	case h.forwardWake <- struct{}{}:
	default:
	}
}

func (h *Hub) serveDeadLetters(w http.ResponseWriter, r *http.Request) {
	d, err := h.DeadLetters()
	if err != nil {
		writeJSONError(w, http.StatusServiceUnavailable, protocol.Errorf(protocol.CodeTryLater, "", "storage unavailable"))
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (h *Hub) serveRetryDeadLetter(w http.ResponseWriter, r *http.Request) {
	h.writeRetried(w, h.RetryDeadLetter(r.PathValue("id")))
}

func (h *Hub) serveRetryDeadRating(w http.ResponseWriter, r *http.Request) {
	h.writeRetried(w, h.RetryDeadRating(r.PathValue("id")))
}

func (h *Hub) writeRetried(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		writeJSONError(w, http.StatusNotFound, protocol.Errorf(protocol.CodeNotFound, "", "no dead letter with that id"))
	case err != nil:
		writeJSONError(w, http.StatusServiceUnavailable, protocol.Errorf(protocol.CodeTryLater, "", "storage unavailable"))
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// Statuses the business system reports, with the words terminals receive.
var handoffStatuses = map[string]string{
	"accepted":         "accepted",         // 受理
	"needs_correction": "needs_correction", // 补正
	"completed":        "completed",        // 办结
	"rejected":         "rejected",         // 不予受理
}

// HandoffStatus is the body the business system POSTs to report a status.
type HandoffStatus struct {
	// UpdateID makes the report idempotent: the same id again changes nothing new.
	UpdateID     string `json:"update_id"`
	TrackingCode string `json:"tracking_code"`
	Status       string `json:"status"`
	Note         string `json:"note,omitempty"`
}

// serveHandoffStatus takes a signed status report from the business system.
func (h *Hub) serveHandoffStatus(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<10))
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "unreadable body"))
		return
	}
	if err := verifyHandoff(h.opt.ForwardSecret, h.opt.Now(), 5*time.Minute, r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), body); err != nil {
		writeJSONError(w, http.StatusUnauthorized, protocol.Errorf(protocol.CodeAuthFailed, "", "signature invalid or timestamp too far off"))
		return
	}
	var st HandoffStatus
	if err := json.Unmarshal(body, &st); err != nil || st.UpdateID == "" || handoffStatuses[st.Status] == "" {
		writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "want {update_id, tracking_code, status: accepted|needs_correction|completed|rejected, note}"))
		return
	}
	out, err := h.postStatus("b-"+st.UpdateID, st.TrackingCode, handoffStatuses[st.Status], st.Note)
	switch {
	case errors.Is(err, ErrNotFound):
		writeJSONError(w, http.StatusNotFound, protocol.Errorf(protocol.CodeNotFound, "", "no committed submission with that tracking code"))
	case errors.Is(err, ErrInvalid):
		writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "%v", err))
	case err != nil:
		writeJSONError(w, http.StatusServiceUnavailable, protocol.Errorf(protocol.CodeTryLater, "", "storage unavailable"))
	default:
		writeJSON(w, http.StatusOK, out)
	}
}
