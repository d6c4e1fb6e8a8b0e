package client

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/govkiosk/govkiosk/sync/protocol"
)

// Errors QueryProgress returns, wrapped; callers branch on them with errors.Is.
var (
	// ErrOffline means the hub could not be asked or did not answer: no connection, the
	// connection failed while waiting, or no answer within RequestTimeout. The kiosk
	// then answers from its own receipts.
	ErrOffline = errors.New("client: the hub cannot be asked now")
	// ErrRateLimited means the hub asked to wait before the next query (this terminal's
	// query budget is spent, or the hub's storage is busy). The hub's *protocol.Error
	// is wrapped too: its RetryAfterMS says for how long.
	ErrRateLimited = errors.New("client: the hub asks to wait before the next query")
	// ErrQueryRefused means the hub refused the query for good (a hub that does not
	// know progress queries, or a query it cannot read): asking again will not help.
	ErrQueryRefused = errors.New("client: the hub refused the query")
)

// ProgressQuery asks for submissions by exactly one of TrackingCode or IDNumber.
// IDNumber is personal data: it never leaves the client, which sends only its keyed hash
// (protocol.IDHash with the key of the current connection's welcome), and never logs it.
type ProgressQuery struct {
	TrackingCode string
	IDNumber     string
}

// queryPrefix starts every progress query's request id, so an answer that comes after
// its query gave up is recognised as one and dropped rather than taken for an answer
// about a delivery.
const queryPrefix = "pq-"

// QueryProgress asks the hub for the state of submissions made at any terminal of the
// hub: the one with the tracking code, or every one made with that ID number (their
// codes masked). It does not wait for a connection: offline, it fails at once with
// ErrOffline. It may be called from any goroutine, also while an upload is under way.
func (c *Client) QueryProgress(ctx context.Context, q ProgressQuery) ([]protocol.ProgressItem, error) {
	c.mu.Lock()
	s := c.cur
	c.mu.Unlock()
	if s == nil {
		return nil, fmt.Errorf("%w: not connected", ErrOffline)
	}
	var b [8]byte
	rand.Read(b[:])
	m := &protocol.ProgressQuery{ID: queryPrefix + hex.EncodeToString(b[:])}
	switch {
	case q.TrackingCode != "" && q.IDNumber == "":
		m.TrackingCode = q.TrackingCode
	case q.IDNumber != "" && q.TrackingCode == "":
		if len(s.welcome.QueryKey) == 0 {
			return nil, fmt.Errorf("%w: the hub gave no query key", ErrQueryRefused)
		}
		m.IDHash = protocol.IDHash(s.welcome.QueryKey, q.IDNumber)
	default:
		return nil, errors.New("client: progress query: want a tracking code or an ID number")
	}
	if err := m.Validate(); err != nil {
		// The message names the field, never the value.
		return nil, fmt.Errorf("client: progress query: %w", err)
	}

	answer := make(chan protocol.Message, 1)
	s.qmu.Lock()
	s.queries[m.ID] = answer
	s.qmu.Unlock()
	defer func() {
		s.qmu.Lock()
		delete(s.queries, m.ID)
		s.qmu.Unlock()
	}()
	if err := s.sendMsg(m); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOffline, err)
	}
	t := time.NewTimer(c.opt.RequestTimeout)
	defer t.Stop()
	select {
	case a := <-answer:
		switch a := a.(type) {
		case *protocol.Progress:
			return a.Items, nil
		case *protocol.Error:
			if hubAsksToWait(a) > 0 || a.Code == protocol.CodeTryLater {
				return nil, fmt.Errorf("%w: %w", ErrRateLimited, a)
			}
			return nil, fmt.Errorf("%w: %w", ErrQueryRefused, a)
		}
		return nil, fmt.Errorf("%w: hub answered %s", ErrQueryRefused, a.MessageType())
	case <-s.dead:
		return nil, fmt.Errorf("%w: %w", ErrOffline, s.err)
	case <-t.C:
		// Unlike a delivery, a query that goes unanswered leaves the connection up: the
		// pings find out whether the link is dead, and a late answer is dropped.
		return nil, fmt.Errorf("%w: %w", ErrOffline, ErrRequestTimeout)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// routeQuery hands an answer to a progress query to the goroutine waiting for it and
// reports whether m was one; the reader calls it for every message, so a query is
// answered even while the Run goroutine waits for an upload's acknowledgement.
func (s *session) routeQuery(m protocol.Message) bool {
	var id string
	switch m := m.(type) {
	case *protocol.Progress:
		id = m.ID
	case *protocol.Error:
		if !strings.HasPrefix(m.Ref, queryPrefix) && !strings.HasPrefix(m.Ref, requestPrefix) {
			return false
		}
		id = m.Ref
	default:
		if id = requestAnswerID(m); id == "" {
			return false
		}
	}
	s.qmu.Lock()
	answer := s.queries[id]
	delete(s.queries, id)
	s.qmu.Unlock()
	if answer == nil {
		s.c.log.Info("answer to a progress query nobody waits for; dropped", "ref", id)
		return true
	}
	answer <- m
	return true
}
