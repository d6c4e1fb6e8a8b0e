package client

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/identity"
	"github.com/govkiosk/govkiosk/kiosk/licence"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

// Requests: questions the kiosk asks the hub while a resident waits (which e-licences
// they hold, which appointment slots are free), beside progress queries and on the same
// routing: they go out on the current connection beside the outbox's delivery, the
// reader hands each answer to its caller, and without a connection they fail at once
// with ErrOffline so the screen offers what works offline.

// requestPrefix starts every such request's id, so the reader recognises the hub's
// errors about them (as queryPrefix does for progress queries).
const requestPrefix = "rq-"

// Online reports whether the client holds an authenticated connection to the hub now.
func (c *Client) Online() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur != nil
}

// request sends the message build makes (with the connection's query key) under a
// fresh request id, and waits for the hub's answer. A *protocol.Error answer is
// returned as the error, wrapped.
func (c *Client) request(ctx context.Context, build func(id string, key []byte) (protocol.Message, error)) (protocol.Message, error) {
	c.mu.Lock()
	s := c.cur
	c.mu.Unlock()
	if s == nil {
		return nil, fmt.Errorf("%w: not connected", ErrOffline)
	}
	var b [8]byte
	rand.Read(b[:])
	id := requestPrefix + hex.EncodeToString(b[:])
	m, err := build(id, s.welcome.QueryKey)
	if err != nil {
		return nil, err
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("client: %s: %w", m.MessageType(), err)
	}
	answer := make(chan protocol.Message, 1)
	s.qmu.Lock()
	s.queries[id] = answer
	s.qmu.Unlock()
	defer func() {
		s.qmu.Lock()
		delete(s.queries, id)
		s.qmu.Unlock()
	}()
	if err := s.sendMsg(m); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOffline, err)
	}
	t := time.NewTimer(c.opt.RequestTimeout)
	defer t.Stop()
	select {
	case a := <-answer:
		if e, ok := a.(*protocol.Error); ok {
			if e.Code == protocol.CodeTryLater {
				return nil, fmt.Errorf("%w: %w", ErrRateLimited, e)
			}
			return nil, fmt.Errorf("%w: %w", ErrQueryRefused, e)
		}
		return a, nil
	case <-s.dead:
		return nil, fmt.Errorf("%w: %w", ErrOffline, s.err)
	case <-t.C:
		return nil, fmt.Errorf("%w: %w", ErrOffline, ErrRequestTimeout)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// requestAnswerID returns the request id a hub message answers, for the messages that
// answer requests; "" for any other.
func requestAnswerID(m protocol.Message) string {
	switch m := m.(type) {
	case *protocol.Licences:
		return m.ID
	case *protocol.Slots:
		return m.ID
	case *protocol.Booked:
		return m.ID
	case *protocol.BookingCancelled:
		return m.ID
	case *protocol.Certificate:
		return m.ID
	}
	return ""
}

// ErrUnknownLicenceType is a licence query the hub refused for a type it does not know.
var ErrUnknownLicenceType = errors.New("client: the hub does not know this licence type")

// Licences asks the hub which e-licences of the given types the platform holds for the
// holder of idNumber. Only a keyed hash of the number leaves the kiosk. None found, or a
// hub without a licence library, is an empty result; ErrOffline, ErrRateLimited and
// other errors are answered by having the resident scan.
func (c *Client) Licences(ctx context.Context, idNumber string, types []licence.Type) ([]licence.Licence, error) {
	n := identity.NormalizeNumber(idNumber)
	if n == "" || len(types) == 0 {
		return nil, nil
	}
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = string(t)
	}
	a, err := c.request(ctx, func(id string, key []byte) (protocol.Message, error) {
		if len(key) == 0 {
			return nil, fmt.Errorf("%w: the hub gave no query key", ErrQueryRefused)
		}
		return &protocol.LicenceQuery{ID: id, IDHash: protocol.IDHash(key, n), Types: names}, nil
	})
	var pe *protocol.Error
	if errors.As(err, &pe) && pe.Code == protocol.CodeUnknownLicenceType {
		return nil, fmt.Errorf("%w: %w", ErrUnknownLicenceType, pe)
	}
	if errors.As(err, &pe) && pe.Code == protocol.CodeNotFound {
		return nil, nil // the hub has no library: nothing to offer
	}
	if err != nil {
		return nil, fmt.Errorf("client: licence query: %w", err)
	}
	ls, ok := a.(*protocol.Licences)
	if !ok {
		return nil, fmt.Errorf("%w: licence query answered with %s", ErrQueryRefused, a.MessageType())
	}
	out := make([]licence.Licence, 0, len(ls.Items))
	for _, it := range ls.Items {
		l := licence.Licence{Type: licence.Type(it.Type), Ref: it.Ref, Number: it.Number, Issued: it.Issued, Expires: it.Expires}
		l.Title.Zh, l.Title.En, l.Issuer.Zh = it.TitleZh, it.TitleEn, it.Issuer
		out = append(out, l)
	}
	return out, nil
}
