package client

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"github.com/govkiosk/govkiosk/kiosk/identity"
	"github.com/govkiosk/govkiosk/kiosk/licence"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

// Requests: questions the kiosk asks the hub while a resident waits (which e-licences
// they hold, which appointment slots are free). They go out on the current connection
// beside the outbox's delivery and are never queued: without a connection they fail at
// once with ErrOffline, and the screen offers what works offline.

// ErrOffline means there is no connection to the hub now.
var ErrOffline = errors.New("client: not connected to the hub")

// live is what requests need of the current connection.
type live struct {
	s        *session
	queryKey []byte
}

// requests are the outstanding requests by id, and the connection they use.
type requests struct {
	mu      sync.Mutex
	cur     *live
	pending map[string]chan protocol.Message
}

func (c *Client) setLive(l *live) {
	c.reqs.mu.Lock()
	defer c.reqs.mu.Unlock()
	c.reqs.cur = l
	if l == nil {
		// The connection is gone: nothing will answer the outstanding requests on it.
		for id, ch := range c.reqs.pending {
			close(ch)
			delete(c.reqs.pending, id)
		}
	}
}

// Online reports whether the client holds a connection to the hub now.
func (c *Client) Online() bool {
	c.reqs.mu.Lock()
	defer c.reqs.mu.Unlock()
	return c.reqs.cur != nil
}

// answerRequest hands m to the request it answers, if one waits, and reports that.
func (c *Client) answerRequest(m protocol.Message) bool {
	var id string
	switch m := m.(type) {
	case *protocol.Licences:
		id = m.ID
	case *protocol.Error:
		id = m.Ref
	default:
		if r, ok := m.(interface{ RequestID() string }); ok {
			id = r.RequestID()
		}
	}
	if id == "" {
		return false
	}
	c.reqs.mu.Lock()
	defer c.reqs.mu.Unlock()
	ch, ok := c.reqs.pending[id]
	if !ok {
		return false
	}
	delete(c.reqs.pending, id)
	ch <- m
	return true
}

// request sends m (whose request id is id) and waits for the hub's answer. A
// *protocol.Error answer is returned as the error.
func (c *Client) request(ctx context.Context, id string, m func(key []byte) (protocol.Message, error)) (protocol.Message, error) {
	c.reqs.mu.Lock()
	l := c.reqs.cur
	if l == nil {
		c.reqs.mu.Unlock()
		return nil, ErrOffline
	}
	msg, err := m(l.queryKey)
	if err != nil {
		c.reqs.mu.Unlock()
		return nil, err
	}
	if c.reqs.pending == nil {
		c.reqs.pending = map[string]chan protocol.Message{}
	}
	ch := make(chan protocol.Message, 1)
	c.reqs.pending[id] = ch
	c.reqs.mu.Unlock()
	forget := func() {
		c.reqs.mu.Lock()
		delete(c.reqs.pending, id)
		c.reqs.mu.Unlock()
	}
	if err := l.s.sendMsg(msg); err != nil {
		forget()
		return nil, fmt.Errorf("%w: %w", ErrOffline, err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.opt.RequestTimeout)
	defer cancel()
	select {
	case a, ok := <-ch:
		if !ok {
			return nil, ErrOffline
		}
		if e, isErr := a.(*protocol.Error); isErr {
			return nil, e
		}
		return a, nil
	case <-ctx.Done():
		forget()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, ErrRequestTimeout
		}
		return nil, ctx.Err()
	}
}

func requestID(prefix string) string {
	b := make([]byte, 8)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// ErrUnknownLicenceType is a licence query the hub refused for a type it does not know.
var ErrUnknownLicenceType = errors.New("client: the hub does not know this licence type")

// Licences asks the hub which e-licences of the given types the platform holds for the
// holder of idNumber. Only a keyed hash of the number leaves the kiosk. None found is an
// empty result; ErrOffline, a timeout or a busy hub are errors the kiosk answers by
// having the resident scan.
func (c *Client) Licences(ctx context.Context, idNumber string, types []licence.Type) ([]licence.Licence, error) {
	n := identity.NormalizeNumber(idNumber)
	if n == "" || len(types) == 0 {
		return nil, nil
	}
	id := requestID("l-")
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = string(t)
	}
	a, err := c.request(ctx, id, func(key []byte) (protocol.Message, error) {
		if len(key) == 0 {
			return nil, errors.New("client: the hub gave no query key")
		}
		return &protocol.LicenceQuery{ID: id, IDHash: protocol.IDHash(key, n), Types: names}, nil
	})
	var pe *protocol.Error
	if errors.As(err, &pe) && pe.Code == protocol.CodeUnknownLicenceType {
		return nil, fmt.Errorf("%w: %s", ErrUnknownLicenceType, pe.Message)
	}
	if errors.As(err, &pe) && pe.Code == protocol.CodeNotFound {
		return nil, nil // the hub has no library: nothing to offer
	}
	if err != nil {
		return nil, fmt.Errorf("client: licence query: %w", err)
	}
	ls, ok := a.(*protocol.Licences)
	if !ok {
		return nil, fmt.Errorf("client: licence query answered with %s", a.MessageType())
	}
	out := make([]licence.Licence, 0, len(ls.Items))
	for _, it := range ls.Items {
		l := licence.Licence{Type: licence.Type(it.Type), Ref: it.Ref, Number: it.Number, Issued: it.Issued, Expires: it.Expires}
		l.Title.Zh, l.Title.En, l.Issuer.Zh = it.TitleZh, it.TitleEn, it.Issuer
		out = append(out, l)
	}
	return out, nil
}
