package client

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/govkiosk/govkiosk/kiosk/clock"
	"github.com/govkiosk/govkiosk/sync/protocol"
	"github.com/govkiosk/govkiosk/sync/queue"
)

// permanentError is a local reason an item can never be delivered (damaged attachment,
// data the protocol cannot carry): it is marked failed, not retried.
type permanentError struct{ reason string }

func (e *permanentError) Error() string { return e.reason }

func permanent(format string, a ...any) error {
	return &permanentError{reason: fmt.Sprintf(format, a...)}
}

// retryInterval is how soon, on the same connection, items that failed for a passing
// reason are tried again when nothing else wakes the client.
func (c *Client) retryInterval() time.Duration {
	return min(max(10*c.opt.BackoffMin, time.Second), c.opt.BackoffMax)
}

// syncPass delivers pending items in enqueue order until none is left. An item that
// fails for a passing reason is skipped for the rest of the pass and one that is refused
// for good is marked failed, so neither holds up the items behind it. It returns a delay
// after which to try again (the hub asked to wait, or items were skipped) and an error
// only when the connection failed.
func (s *session) syncPass(ctx context.Context) (time.Duration, error) {
	c := s.c
	ob := c.opt.Outbox
	skip := map[string]bool{}
	for {
		items, err := ob.Pending(len(skip) + 8)
		if err != nil {
			c.setError(fmt.Errorf("outbox: %w", err))
			return c.retryInterval(), nil
		}
		var it *queue.Item
		for i := range items {
			if !skip[items[i].ID()] {
				it = &items[i]
				break
			}
		}
		if it == nil {
			if len(skip) > 0 {
				return c.retryInterval(), nil
			}
			c.update(func(st *State) { st.LastSync, st.LastError = c.opt.Now(), "" })
			return 0, nil
		}
		id := it.ID()
		err = s.deliver(ctx, *it)
		var ce *connError
		if !errors.As(err, &ce) && c.held.id == id {
			c.held.id, c.held.data = "", nil // only an interrupted upload needs it again
		}
		var he *protocol.Error
		var pe *permanentError
		switch {
		case err == nil:
		case errors.As(err, &ce):
			ob.NoteAttempt(id, ce.err)
			c.setError(ce.err)
			return 0, ce.err
		case hubAsksToWait(err) > 0 || errors.As(err, &he) && he.Code == protocol.CodeTryLater:
			// The hub said when (busy, or its storage failing): the whole outbox waits,
			// not just this item, or every pass would send the backlog into the same wall.
			ob.NoteAttempt(id, err)
			c.setError(err)
			return c.holdFor(max(hubAsksToWait(err), c.opt.BackoffMin)), nil
		case errors.As(err, &he) && he.Code.Permanent() && refusesOwnTime(he):
			// The hub refused the time the kiosk stamped: the resident's submission is not
			// at fault. Stamp it with the trusted time (once; see stampFor) and try again.
			if _, serr := s.stampFor(*it, true); serr != nil {
				c.log.Warn("item refused for its time; no trusted time to stamp it with yet", "id", id, "err", serr)
			} else {
				c.log.Warn("item refused for its time; stamped with the trusted time, will retry", "id", id)
			}
			ob.NoteAttempt(id, he)
			skip[id] = true
			c.setError(he)
		case errors.As(err, &he) && he.Code == protocol.CodeConflict && it.Submission != nil:
			// Not this terminal's doing (its code taken at the hub, or a code from before
			// a re-enrollment): a resident's submission is never given up for that. It is
			// held, reported in every heartbeat, and an operator resolves it.
			c.stats.held.Add(1)
			c.log.Warn("submission refused with a conflict; held for an operator", "id", id, "reason", err)
			if herr := ob.MarkHeld(id, err.Error()); herr != nil {
				c.log.Error("mark held", "id", id, "err", herr)
				skip[id] = true
			}
			c.setError(err)
		case errors.As(err, &pe), errors.As(err, &he) && he.Code.Permanent():
			c.stats.failed.Add(1)
			c.log.Warn("item refused for good; marked failed", "id", id, "reason", err)
			if ferr := ob.MarkFailed(id, err.Error()); ferr != nil {
				c.log.Error("mark failed", "id", id, "err", ferr)
				skip[id] = true
			}
			c.setError(err)
		default:
			c.log.Info("item not delivered; will retry", "id", id, "err", err)
			ob.NoteAttempt(id, err)
			skip[id] = true
			c.setError(err)
		}
	}
}

func (c *Client) setError(err error) {
	c.update(func(st *State) { st.LastError = err.Error() })
}

func (s *session) deliver(ctx context.Context, it queue.Item) error {
	id := it.ID()
	if err := s.c.opt.Outbox.MarkSending(id); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	switch {
	case it.Submission != nil:
		return s.deliverSubmission(ctx, it)
	case it.Rating != nil:
		return s.deliverRating(ctx, it)
	}
	return permanent("outbox item %s is neither a submission nor a rating", id)
}

// refusesOwnTime reports whether the hub refused an item for the time it carries.
func refusesOwnTime(e *protocol.Error) bool {
	return e.Ref != "" && strings.Contains(e.Message, "created_at")
}

// restamper is an outbox that can keep the time an item is sent with (*queue.Queue).
type restamper interface {
	Restamp(id string, t time.Time) (time.Time, error)
}

// errNoTrustedTime: an item needs a new stamp and the kiosk knows no trustworthy time;
// it waits (never fails) until a handshake gives one.
var errNoTrustedTime = errors.New("client: the item's time is implausible and no trusted time is known yet")

// sendTime is the time item it is sent with: its stamp when it has one, its creation time
// when the hub can take it, and otherwise a new stamp from the trusted clock. A resident's
// submission is never failed for the kiosk's own clock.
func (s *session) sendTime(it queue.Item) (time.Time, error) {
	created, stamped := itemTimes(it)
	if !stamped.IsZero() {
		return stamped.UTC(), nil
	}
	if t, ok := s.c.stamps[it.ID()]; ok {
		return t, nil
	}
	if plausibleForHub(created) {
		return created.UTC(), nil
	}
	return s.stampFor(it, false)
}

// stampFor gives item it a trusted time to be sent with, kept by the outbox so every
// later attempt carries the same one. force stamps even an item whose own time looked
// acceptable (the hub refused it).
func (s *session) stampFor(it queue.Item, force bool) (time.Time, error) {
	c := s.c
	id := it.ID()
	if t, ok := c.stamps[id]; ok && !force {
		return t, nil
	}
	now, src := c.opt.Clock.Trusted()
	if src == clock.SourceUnknown {
		return time.Time{}, errNoTrustedTime
	}
	now = now.UTC().Truncate(time.Millisecond)
	if r, ok := c.opt.Outbox.(restamper); ok {
		t, err := r.Restamp(id, now)
		if err != nil {
			return time.Time{}, fmt.Errorf("outbox: restamp: %w", err)
		}
		now = t
	}
	c.stamps[id] = now
	return now, nil
}

// itemTimes returns an item's creation time and its stamp (zero when unstamped).
func itemTimes(it queue.Item) (created, stamped time.Time) {
	switch {
	case it.Submission != nil:
		return it.Submission.CreatedAt, it.Submission.Stamped
	case it.Rating != nil:
		return it.Rating.CreatedAt, it.Rating.Stamped
	}
	return time.Time{}, time.Time{}
}

// plausibleForHub reports whether the hub takes t as an item's time (protocol's range).
func plausibleForHub(t time.Time) bool {
	return !t.IsZero() && t.Year() >= 2000 && t.Year() <= 9999
}

func (s *session) deliverSubmission(ctx context.Context, it queue.Item) error {
	sub := it.Submission
	at, err := s.sendTime(it)
	if err != nil {
		return err
	}
	msg := &protocol.Submit{ID: sub.ID, TrackingCode: sub.TrackingCode, Item: sub.Item, ItemTitle: sub.ItemTitle,
		CreatedAt: at, Fields: sub.Fields}
	for _, a := range sub.Attachments {
		msg.Attachments = append(msg.Attachments, protocol.Attachment{Name: a.Name, ContentType: a.ContentType,
			Size: a.Size, SHA256: a.SHA256})
	}
	if err := msg.Validate(); err != nil {
		return permanent("submission cannot be sent: %v", err)
	}
	if err := s.sendMsg(msg); err != nil {
		return err
	}
	m, err := s.await(ctx, sub.ID)
	if err != nil {
		return err
	}
	switch r := m.(type) {
	case *protocol.Ack:
		return s.delivered(sub.ID, r) // the hub had it already
	case *protocol.Error:
		return hubError(r)
	case *protocol.UploadState:
		if len(r.Offsets) != len(sub.Attachments) {
			return fmt.Errorf("hub reported %d attachments, the submission has %d", len(r.Offsets), len(sub.Attachments))
		}
		for i, a := range sub.Attachments {
			if r.Offsets[i] >= a.Size {
				continue
			}
			data, err := s.c.attachment(sub.ID, i, a.Size)
			if err != nil {
				return err
			}
			if err := s.upload(ctx, sub.ID, i, data, r.Offsets[i]); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("hub answered submit with %s", m.MessageType())
	}
	if err := s.sendMsg(&protocol.Commit{ID: sub.ID}); err != nil {
		return err
	}
	m, err = s.await(ctx, sub.ID)
	if err != nil {
		return err
	}
	switch r := m.(type) {
	case *protocol.Ack:
		return s.delivered(sub.ID, r)
	case *protocol.Error:
		return hubError(r)
	}
	return fmt.Errorf("hub answered commit with %s", m.MessageType())
}

// upload sends one attachment from offset, one chunk at a time, each acknowledged
// before the next: a cut link costs at most the chunk in flight, and the hub's answer to
// the next submit says where to resume.
func (s *session) upload(ctx context.Context, id string, index int, data []byte, off int64) error {
	size := int64(len(data))
	resyncs, restarts := 0, 0
	for off < size {
		n := min(int64(s.chunk), size-off)
		frame, err := protocol.AppendChunk(s.buf[:0], protocol.Chunk{ID: id, Index: index, Offset: off, Data: data[off : off+n]})
		if err != nil {
			return permanent("attachment %d: %v", index, err)
		}
		s.buf = frame[:0]
		if err := s.send(outFrame{kind: websocket.BinaryMessage, data: frame}); err != nil {
			return err
		}
		s.c.stats.chunks.Add(1)
		s.c.stats.bytes.Add(n)
		m, err := s.await(ctx, id)
		if err != nil {
			return err
		}
		switch r := m.(type) {
		case *protocol.ChunkAck:
			if r.Index != index || r.Next <= off || r.Next > size {
				return fmt.Errorf("hub acknowledged attachment %d up to %d after a chunk of %d at %d", r.Index, r.Next, index, off)
			}
			off = r.Next
		case *protocol.Error:
			switch {
			case r.Code == protocol.CodeBadOffset && r.Index == index && r.Next <= size && resyncs < 3:
				resyncs++
				off = r.Next
			case r.Code == protocol.CodeChecksum && restarts < 2:
				restarts++
				off = 0
			default:
				return hubError(r)
			}
		default:
			return fmt.Errorf("hub answered a chunk with %s", m.MessageType())
		}
	}
	return nil
}

// attachment returns an attachment's bytes, from the outbox or from the copy kept since
// an earlier connection.
func (c *Client) attachment(id string, index int, size int64) ([]byte, error) {
	if c.held.id == id && c.held.index == index {
		return c.held.data, nil
	}
	c.held.id, c.held.data = "", nil
	data, err := c.opt.Outbox.ReadAttachment(id, index)
	if errors.Is(err, queue.ErrCorrupt) || errors.Is(err, queue.ErrNotFound) {
		return nil, permanent("attachment %d cannot be read: %v", index, err)
	}
	if err != nil {
		return nil, fmt.Errorf("outbox: read attachment %d: %w", index, err)
	}
	if int64(len(data)) != size {
		return nil, permanent("attachment %d has %d bytes, its record says %d", index, len(data), size)
	}
	c.held.id, c.held.index, c.held.data = id, index, data
	return data, nil
}

func (s *session) deliverRating(ctx context.Context, it queue.Item) error {
	r := it.Rating
	at, err := s.sendTime(it)
	if err != nil {
		return err
	}
	msg := &protocol.Rating{ID: r.ID, SubmissionID: r.SubmissionID, TrackingCode: r.TrackingCode, Item: r.Item,
		Stars: r.Stars, Reasons: r.Reasons, Comment: r.Comment, CreatedAt: at}
	if err := msg.Validate(); err != nil {
		return permanent("rating cannot be sent: %v", err)
	}
	if err := s.sendMsg(msg); err != nil {
		return err
	}
	m, err := s.await(ctx, r.ID)
	if err != nil {
		return err
	}
	switch a := m.(type) {
	case *protocol.Ack:
		return s.delivered(r.ID, a)
	case *protocol.Error:
		return hubError(a)
	}
	return fmt.Errorf("hub answered a rating with %s", m.MessageType())
}

// hubError passes the hub's error on; one without a reference is never taken as a
// permanent verdict on the item, since it may be about something else, but its delay
// still counts.
func hubError(e *protocol.Error) error {
	if e.Ref == "" {
		return &unrefError{e}
	}
	return e
}

// unrefError is a hub error that names no item.
type unrefError struct{ e *protocol.Error }

func (u *unrefError) Error() string {
	return fmt.Sprintf("hub refused a request: %s: %s", u.e.Code, u.e.Message)
}

// RetryAfter is the delay the hub asked for.
func (u *unrefError) RetryAfter() time.Duration { return u.e.RetryAfter() }

// hubAsksToWait is the delay a hub error asks for (try_later, internal, any code that
// carries retry_after_ms), zero for none or for a permanent refusal.
func hubAsksToWait(err error) time.Duration {
	var he *protocol.Error
	if errors.As(err, &he) && he.Code.Permanent() {
		return 0
	}
	var ra interface{ RetryAfter() time.Duration }
	if errors.As(err, &ra) {
		return max(ra.RetryAfter(), 0)
	}
	return 0
}

// holdFor spreads a delay the hub asked for over up to twice that (many terminals
// answered at once must not come back at once), records until when the outbox waits,
// even across a reconnect, and returns the delay.
func (c *Client) holdFor(d time.Duration) time.Duration {
	d += time.Duration(rand.Int64N(int64(d) + 1))
	c.holdUntil = time.Now().Add(d)
	return d
}

func (s *session) delivered(id string, a *protocol.Ack) error {
	c := s.c
	if err := c.opt.Outbox.MarkDelivered(id, a.HubRef); err != nil {
		// Delivered at the hub but not recorded here: the next attempt gets the same ack.
		return fmt.Errorf("outbox: mark delivered: %w", err)
	}
	c.stats.delivered.Add(1)
	c.log.Debug("delivered", "id", id, "hub_ref", a.HubRef, "duplicate", a.Duplicate)
	c.update(func(st *State) { st.LastSync = c.opt.Now() })
	return nil
}

// conflicts lists the held submissions for the heartbeat (nothing personal: id, code,
// reason, since when).
func (c *Client) conflicts(held int) []protocol.Conflict {
	if held == 0 {
		return nil
	}
	es, err := c.opt.Outbox.Held()
	if err != nil {
		c.log.Warn("list held submissions", "err", err)
		return nil
	}
	var out []protocol.Conflict
	for _, e := range es {
		if len(out) == protocol.MaxConflicts {
			break
		}
		out = append(out, protocol.Conflict{ID: e.ID, TrackingCode: e.TrackingCode,
			Reason: truncate(e.Reason, 256), Since: e.UpdatedAt.UTC()})
	}
	return out
}

// resolveConflict carries out an operator's decision on a held submission and wakes
// delivery. The output of a re-issue is the new tracking code.
func (c *Client) resolveConflict(args map[string]string) (string, error) {
	id := args["id"]
	var code string
	var err error
	switch args["action"] {
	case protocol.ResolveReissue:
		code, err = c.opt.Outbox.Reissue(id)
	case protocol.ResolveRelease:
		err = c.opt.Outbox.Release(id)
	default:
		return "", fmt.Errorf("action must be %q or %q", protocol.ResolveReissue, protocol.ResolveRelease)
	}
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", id, err)
	}
	c.log.Info("held submission resolved", "id", id, "action", args["action"])
	c.SyncNow()
	return code, nil
}
