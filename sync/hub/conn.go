package hub

import (
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/govkiosk/govkiosk/kiosk/clock"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

// Close codes the hub uses besides the standard ones.
const (
	closeReplaced = 4001 // a newer connection of the same terminal took over
)

// outFrame is one write for the writer goroutine.
type outFrame struct {
	kind int // websocket.TextMessage, PongMessage or CloseMessage
	data []byte
}

// conn is one terminal connection. The HTTP handler goroutine reads (and handles each
// message in turn); one writer goroutine owns every write. gorilla/websocket allows
// exactly one of each, and nothing else runs per connection.
type conn struct {
	h      *Hub
	ws     *websocket.Conn
	log    *slog.Logger
	remote string

	out        chan outFrame
	done       chan struct{} // closed when the connection is shut down
	writerDone chan struct{}
	cleaned    chan struct{} // closed after cleanup released everything
	closeOnce  sync.Once
	closing    atomic.Bool // a close frame is queued

	// Owned by the reader goroutine.
	state     connState
	hello     *protocol.Hello
	challenge *protocol.Challenge
	term      *terminal
	up        *upload

	pmu    sync.Mutex
	pushed map[string]string // publish kind → version sent on this connection
}

type connState int

const (
	awaitHello connState = iota
	awaitAuth
	ready
)

// outQueue is deep enough for a reply, a few pushes and pongs; a terminal that does not
// read falls behind and is closed by the write timeout instead of growing memory.
const outQueue = 16

// chunkBufs holds frame buffers for binary messages: only connections that are uploading
// borrow one, so idle connections hold none.
var chunkBufs = sync.Pool{New: func() any { b := make([]byte, protocol.MaxChunkFrame); return &b }}

func (h *Hub) serveConnect(w http.ResponseWriter, r *http.Request) {
	if ok, wait := h.gate.take(); !ok {
		h.m.handshakesRefused.Add(1)
		h.m.tryLater.Add(1)
		refuse(w, wait+h.opt.RetryAfter, "too many connections at once")
		return
	}
	h.mu.Lock()
	closed, full := h.closed, len(h.conns) >= h.opt.MaxConns
	h.mu.Unlock()
	if closed || full {
		h.m.handshakesRefused.Add(1)
		h.m.tryLater.Add(1)
		refuse(w, h.opt.RetryAfter, "hub is full or shutting down")
		return
	}
	ws, err := h.up.Upgrade(w, r, nil)
	if err != nil {
		return // the Upgrader has answered
	}
	c := &conn{
		h: h, ws: ws, log: h.log.With("remote", r.RemoteAddr), remote: r.RemoteAddr,
		out: make(chan outFrame, outQueue), done: make(chan struct{}), writerDone: make(chan struct{}),
		cleaned: make(chan struct{}),
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		ws.Close()
		return
	}
	h.conns[c] = struct{}{}
	h.wg.Add(2)
	h.mu.Unlock()
	go func() {
		defer h.wg.Done()
		c.writeLoop()
	}()
	defer h.wg.Done()
	c.serve()
}

// refuse answers an HTTP request with 503, Retry-After and a try_later error body.
func refuse(w http.ResponseWriter, after time.Duration, why string) {
	writeJSONError(w, http.StatusServiceUnavailable, &protocol.Error{
		Code: protocol.CodeTryLater, Message: why, RetryAfterMS: after.Milliseconds()})
}

func (c *conn) writeLoop() {
	defer close(c.writerDone)
	for {
		select {
		case f := <-c.out:
			deadline := time.Now().Add(c.h.opt.WriteTimeout)
			var err error
			switch f.kind {
			case websocket.PongMessage, websocket.CloseMessage:
				err = c.ws.WriteControl(f.kind, f.data, deadline)
			default:
				c.ws.SetWriteDeadline(deadline)
				err = c.ws.WriteMessage(f.kind, f.data)
			}
			if err != nil || f.kind == websocket.CloseMessage {
				c.shutdown()
				return
			}
		case <-c.done:
			return
		}
	}
}

// shutdown closes the network connection, which ends the reader too.
func (c *conn) shutdown() {
	c.closeOnce.Do(func() {
		close(c.done)
		c.ws.Close()
	})
}

// closeWith sends a close frame after whatever is queued, then shuts down.
func (c *conn) closeWith(code int, reason string) {
	if !c.closing.CompareAndSwap(false, true) {
		return
	}
	f := outFrame{kind: websocket.CloseMessage, data: websocket.FormatCloseMessage(code, reason)}
	select {
	case c.out <- f:
	case <-c.done:
	default:
		c.shutdown()
	}
}

// send queues a frame, waiting while the queue is full; false if the connection is gone.
func (c *conn) send(f outFrame) bool {
	select {
	case c.out <- f:
		return true
	case <-c.done:
		return false
	}
}

// trySend queues a frame only if there is room now.
func (c *conn) trySend(f outFrame) bool {
	select {
	case c.out <- f:
		return true
	default:
		return false
	}
}

// sendMsg encodes and queues a message from the reader goroutine.
func (c *conn) sendMsg(m protocol.Message) bool {
	frame, err := protocol.Encode(m)
	if err != nil {
		c.log.Error("hub built an invalid message", "type", m.MessageType(), "err", err)
		return false
	}
	return c.send(outFrame{kind: websocket.TextMessage, data: frame})
}

// reply sends an error message and counts it.
func (c *conn) reply(e *protocol.Error) {
	c.h.m.protocolErrors.Add(1)
	if e.Code == protocol.CodeTryLater {
		c.h.m.tryLater.Add(1)
	}
	if e.Ref != "" && !protocol.ValidID(e.Ref) {
		e.Ref = ""
	}
	c.log.Debug("error reply", "code", e.Code, "ref", e.Ref, "msg", e.Message)
	c.sendMsg(e)
}

func (c *conn) serve() {
	defer c.cleanup()
	h := c.h
	c.ws.SetReadLimit(protocol.MaxChunkFrame)
	c.ws.SetReadDeadline(time.Now().Add(h.opt.HandshakeTimeout))
	c.ws.SetPingHandler(func(data string) error {
		if c.state == ready {
			c.ws.SetReadDeadline(time.Now().Add(h.opt.IdleTimeout))
		}
		c.trySend(outFrame{kind: websocket.PongMessage, data: []byte(data)})
		return nil
	})
	if c.ws.Subprotocol() != protocol.Subprotocol {
		c.reply(protocol.Errorf(protocol.CodeUnsupportedVersion, "", "ask for websocket subprotocol %s", protocol.Subprotocol))
		c.closeWith(websocket.ClosePolicyViolation, "subprotocol required")
		return
	}
	for !c.closing.Load() {
		mt, r, err := c.ws.NextReader()
		if err != nil {
			if !c.closing.Load() {
				c.log.Debug("connection ended", "err", err)
			}
			return
		}
		if c.state == ready {
			c.ws.SetReadDeadline(time.Now().Add(h.opt.IdleTimeout))
		}
		switch mt {
		case websocket.TextMessage:
			frame, err := readMessage(r, protocol.MaxClientText)
			if errors.Is(err, protocol.ErrTooLarge) {
				c.refuseFrame(protocol.Errorf(protocol.CodeTooLarge, "", "text frames are limited to %d bytes", protocol.MaxClientText))
				continue
			}
			if err != nil {
				return
			}
			c.handleText(frame)
		case websocket.BinaryMessage:
			h.m.chunkFrames.Add(1)
			if c.state != ready {
				c.refuseFrame(protocol.Errorf(protocol.CodeUnexpected, "", "binary frame before the handshake"))
				continue
			}
			bp := chunkBufs.Get().(*[]byte)
			n, err := readInto(r, *bp)
			if err != nil {
				chunkBufs.Put(bp)
				return
			}
			c.handleChunk((*bp)[:n])
			chunkBufs.Put(bp)
		}
	}
}

// refuseFrame answers a frame that cannot be used. During the handshake that ends the
// connection; afterwards the connection goes on and nothing changed.
func (c *conn) refuseFrame(e *protocol.Error) {
	c.reply(e)
	if c.state != ready {
		c.closeWith(websocket.ClosePolicyViolation, string(e.Code))
	}
}

// readMessage reads a whole text message of at most limit bytes.
func readMessage(r io.Reader, limit int) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > limit {
		return nil, protocol.ErrTooLarge
	}
	return b, nil
}

// readInto reads a whole message into buf, which the read limit makes big enough.
func readInto(r io.Reader, buf []byte) (int, error) {
	n := 0
	for {
		if n == len(buf) {
			return n, protocol.ErrTooLarge
		}
		m, err := r.Read(buf[n:])
		n += m
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

func (c *conn) handleText(frame []byte) {
	m, err := protocol.Decode(frame, protocol.Terminal)
	if err != nil {
		e := &protocol.Error{Code: protocol.CodeOf(err), Message: err.Error()}
		c.refuseFrame(e)
		return
	}
	switch c.state {
	case awaitHello:
		c.handleHello(m, frame)
	case awaitAuth:
		c.handleAuth(m)
	default:
		c.dispatch(m)
	}
}

func (c *conn) handleHello(m protocol.Message, frame []byte) {
	hello, ok := m.(*protocol.Hello)
	if !ok {
		c.refuseFrame(protocol.Errorf(protocol.CodeUnexpected, "", "expected hello, got %s", m.MessageType()))
		return
	}
	v, ok := protocol.Choose(hello.Versions)
	if !ok {
		c.h.m.authFailures.Add(1)
		c.refuseFrame(protocol.Errorf(protocol.CodeUnsupportedVersion, "", "this hub speaks versions %v", protocol.Versions()))
		return
	}
	if v >= 2 && len(hello.Nonce) == 0 {
		c.h.m.authFailures.Add(1)
		c.refuseFrame(protocol.Errorf(protocol.CodeBadMessage, "", "hello: nonce: missing (required from version 2)"))
		return
	}
	nonce := make([]byte, protocol.NonceSize)
	rand.Read(nonce)
	c.hello = hello
	c.challenge = &protocol.Challenge{Version: v, HubID: c.h.id, Nonce: nonce}
	if v >= 2 {
		// Prove the hub holds the key the terminal pinned at enrollment, over the
		// terminal's nonce and the hello exactly as it arrived.
		protocol.SignHubProof(c.h.sync, frame, hello, c.challenge)
	}
	c.state = awaitAuth
	// An unknown terminal gets a challenge too and fails at auth, so terminal ids
	// cannot be probed.
	c.sendMsg(c.challenge)
}

func (c *conn) handleAuth(m protocol.Message) {
	h := c.h
	a, ok := m.(*protocol.Auth)
	if !ok {
		c.refuseFrame(protocol.Errorf(protocol.CodeUnexpected, "", "expected auth, got %s", m.MessageType()))
		return
	}
	pub, known := h.publicKey(c.hello.TerminalID)
	if !known || !protocol.VerifyAuth(pub, c.hello.TerminalID, c.challenge, a) {
		h.m.authFailures.Add(1)
		c.log.Info("terminal failed authentication", "terminal", c.hello.TerminalID, "known", known)
		c.refuseFrame(protocol.Errorf(protocol.CodeAuthFailed, "", "unknown terminal or bad signature"))
		return
	}
	if rec, revoked := h.isRevoked(c.hello.TerminalID); revoked {
		// Only the key's holder gets here: it learns why, nobody else does.
		h.m.authFailures.Add(1)
		c.log.Warn("revoked terminal refused", "terminal", rec.ID, "revoked_at", rec.RevokedAt)
		c.refuseFrame(revokedError(rec))
		return
	}
	h.mu.Lock()
	t := h.terms[c.hello.TerminalID]
	old := t.conn
	t.conn = c
	t.remote = c.remote
	t.hb.LastSeen = h.opt.Now()
	t.dirty = true
	catalogV, configV, annV := h.pubVersion(kindCatalog), h.pubVersion(kindConfig), h.pubVersion(kindAnnouncements)
	h.mu.Unlock()
	h.notePresence()
	if old != nil {
		old.closeWith(closeReplaced, "replaced by a newer connection")
	} else {
		h.connectionEvent(t.rec.ID, true, h.opt.Now().UTC())
	}
	c.term = t
	c.log = c.log.With("terminal", t.rec.ID)
	c.state = ready
	c.ws.SetReadDeadline(time.Now().Add(h.opt.IdleTimeout))
	h.m.handshakes.Add(1)
	hb := max(1, int(h.opt.HeartbeatInterval/time.Second))
	if now := h.opt.Now(); now.Before(clock.Floor()) {
		// Let the terminal in: it judges the hub's time itself and stamps submissions with
		// its own trusted time. Refusing would strand every terminal's queue on a clock.
		c.log.Warn("hub clock implausible; terminal connected anyway, set the hub's clock",
			"hub_time", now.UTC(), "floor", clock.Floor())
	}
	c.sendMsg(&protocol.Welcome{
		Version: c.challenge.Version, TerminalID: t.rec.ID, TerminalCode: t.rec.Code,
		HubTime: h.opt.Now().UTC(), HeartbeatSeconds: hb, MaxChunk: h.opt.MaxChunk,
		Catalog: catalogV, Config: configV, Announcements: annV, QueryKey: h.seal.queryKey,
	})
	c.log.Debug("terminal connected", "app", c.hello.App)
	c.reconcile(c.hello.Catalog, c.hello.Config, c.hello.Announcements)
	c.sendPending()
}

func (c *conn) dispatch(m protocol.Message) {
	switch m := m.(type) {
	case *protocol.Submit:
		c.handleSubmit(m)
	case *protocol.Commit:
		c.handleCommit(m)
	case *protocol.Rating:
		c.handleRating(m)
	case *protocol.Heartbeat:
		c.handleHeartbeat(m)
	case *protocol.StatusAck:
		if _, err := c.h.st.ackStatus(c.term.rec.ID, m.UpdateID); err != nil {
			c.log.Warn("status ack", "err", err)
		}
	case *protocol.CommandResult:
		c.h.commandDone(c.term.rec.ID, m)
	case *protocol.ProgressQuery:
		c.handleProgress(m)
	case *protocol.CertificateQuery:
		c.handleCertificateQuery(m)
	case *protocol.LicenceQuery:
		c.handleLicenceQuery(m)
	case *protocol.SlotsQuery:
		c.handleSlotsQuery(m)
	case *protocol.Book:
		c.handleBook(m)
	case *protocol.ConfirmBooking:
		c.handleConfirmBooking(m)
	case *protocol.CancelBooking:
		c.handleCancelBooking(m)
	case *protocol.Error:
		c.log.Info("terminal reported an error", "code", m.Code, "ref", m.Ref)
	default:
		c.reply(protocol.Errorf(protocol.CodeUnexpected, "", "%s is not allowed after the handshake", m.MessageType()))
	}
}

func (c *conn) handleHeartbeat(m *protocol.Heartbeat) {
	h := c.h
	h.m.heartbeats.Add(1)
	h.mu.Lock()
	prev, prevUpdate := c.term.hb.Devices, c.term.hb.Update
	c.term.hb = heartbeatRecord{LastSeen: h.opt.Now(), At: m.At, Devices: m.Devices, Queue: m.Queue,
		App: m.App, Catalog: m.Catalog, Config: m.Config, ConfigRefused: m.ConfigRefused, Update: m.Update}
	c.term.dirty = true
	h.mu.Unlock()
	for _, u := range newUpdateSteps(prevUpdate, m.Update) {
		c.log.Info("terminal software update", "step", u.Step, "version", u.Version, "detail", u.Detail, "at", u.At)
	}
	h.observeHealth(c.term.rec.ID, prev, m.Devices, h.opt.Now().UTC())
	c.reconcile(m.Catalog, m.Config, m.Announcements)
}

// cleanup runs when the reader stops: it releases the upload, forgets the connection and
// lets a queued close frame go out before shutting down.
func (c *conn) cleanup() {
	h := c.h
	c.dropUpload()
	h.mu.Lock()
	delete(h.conns, c)
	left := false
	if c.term != nil && c.term.conn == c {
		c.term.conn = nil
		c.term.hb.LastSeen = h.opt.Now()
		c.term.dirty = true
		left = true
	}
	h.mu.Unlock()
	if left {
		h.notePresence()
		h.connectionEvent(c.term.rec.ID, false, h.opt.Now().UTC())
	}
	if c.closing.Load() {
		select {
		case <-c.writerDone:
		case <-time.After(h.opt.WriteTimeout):
		}
	}
	c.shutdown()
	close(c.cleaned)
}
