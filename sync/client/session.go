package client

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/kiosk/clock"
	"github.com/govkiosk/govkiosk/kiosk/tracking"
	"github.com/govkiosk/govkiosk/sync/protocol"
	"github.com/govkiosk/govkiosk/sync/queue"
)

// Errors a session ends with, besides network errors and *protocol.Error from the hub.
var (
	// ErrWrongHub means the hub's id is not the one the terminal enrolled with.
	ErrWrongHub = errors.New("client: connected to a different hub than the one enrolled with")
	// ErrHubUnproven means the hub did not prove it holds the key pinned at enrollment
	// (no proof, a bad one, or an offer of a version without one): it may be an
	// impostor, so nothing is sent to it.
	ErrHubUnproven = errors.New("client: the hub did not prove it holds the key pinned at enrollment")
	// ErrDeadLink means nothing came from the hub for PongWait: the link died silently.
	ErrDeadLink = errors.New("client: no sign of life from the hub; link presumed dead")
	// ErrRequestTimeout means the hub did not answer a request within RequestTimeout.
	ErrRequestTimeout = errors.New("client: the hub did not answer in time")
	// ErrRevoked means an operator revoked this terminal at the hub: its key is refused
	// until a technician enrolls it again. The outbox is kept.
	ErrRevoked = errors.New("client: this terminal was revoked at the hub; a technician must enroll it again")
	// errClosed ends a session on purpose.
	errClosed = errors.New("client: connection closed")
)

// closeRevoked is the close code of a connection the hub ends because an operator
// revoked the terminal.
const closeRevoked = 4003

type outFrame struct {
	kind int
	data []byte
}

// session is one websocket connection. Its reader and writer goroutines are the only
// goroutines that touch the connection; the client's Run goroutine drives the session
// through the in and out channels.
type session struct {
	c  *Client
	ws *websocket.Conn

	out        chan outFrame
	in         chan protocol.Message
	dead       chan struct{}
	deadOnce   sync.Once
	err        error // why dead was closed; read only after <-dead
	wg         sync.WaitGroup
	writerDone chan struct{}

	// queries are the progress queries waiting for their answers, by request id
	// (see QueryProgress); the reader hands each answer over.
	qmu     sync.Mutex
	queries map[string]chan protocol.Message

	welcome *protocol.Welcome
	chunk   int
	hb      *time.Ticker
	buf     []byte // chunk frame buffer, reused: stop-and-wait means one frame in flight
	// sentQueue is the outbox as the last heartbeat reported it: a delivery pass that
	// changes it reports again at once, so the hub never shows a drained outbox as still
	// holding what it just acknowledged until the next interval.
	sentQueue protocol.QueueDepth
}

// connError is a failure of the connection itself (not of the item being sent): the
// session ends and the client reconnects.
type connError struct{ err error }

func (e *connError) Error() string { return e.err.Error() }
func (e *connError) Unwrap() error { return e.err }

// session dials, authenticates and serves one connection until it fails or ctx ends.
// welcomed reports whether the handshake completed.
func (c *Client) session(ctx context.Context) (welcomed bool, err error) {
	c.stats.dials.Add(1)
	d := websocket.Dialer{
		NetDialContext:   c.opt.DialContext,
		Proxy:            c.opt.Proxy,
		TLSClientConfig:  c.opt.TLSConfig,
		HandshakeTimeout: 15 * time.Second,
		Subprotocols:     []string{protocol.Subprotocol},
		ReadBufferSize:   4 << 10,
		WriteBufferSize:  32 << 10,
	}
	ws, resp, err := d.DialContext(ctx, c.connect, nil)
	if err != nil {
		return false, dialError(err, resp)
	}
	s := &session{
		c: c, ws: ws,
		out: make(chan outFrame, 16), in: make(chan protocol.Message, 32),
		dead: make(chan struct{}), writerDone: make(chan struct{}),
		queries: map[string]chan protocol.Message{},
	}
	s.wg.Add(2)
	go s.readLoop()
	go s.writeLoop()
	defer func() { s.close(ctx.Err() != nil) }()

	if err := s.handshake(ctx); err != nil {
		return false, err
	}
	c.stats.connects.Add(1)
	select { // a SyncNow from before this connection is satisfied by it
	case <-c.now:
	default:
	}
	c.mu.Lock()
	c.cur = s
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.cur = nil
		c.mu.Unlock()
	}()
	c.update(func(st *State) { st.Online, st.Revoked = true, false })
	c.log.Info("sync connected", "hub", c.opt.Credentials.HubID, "version", s.welcome.Version)
	return true, s.loop(ctx)
}

// dialError turns a refused upgrade into the hub's error (try_later with its delay).
func dialError(err error, resp *http.Response) error {
	if resp == nil {
		return fmt.Errorf("client: connect: %w", err)
	}
	var e protocol.Error
	if b, rerr := io.ReadAll(io.LimitReader(resp.Body, 4<<10)); rerr == nil && json.Unmarshal(b, &e) == nil && e.Code != "" {
		if e.RetryAfterMS == 0 && e.Code == protocol.CodeTryLater {
			e.RetryAfterMS = 1000
		}
		return &e
	}
	return fmt.Errorf("client: connect: hub answered %s", resp.Status)
}

// fail marks the session dead (once) and closes the connection, which ends both loops.
func (s *session) fail(err error) {
	s.deadOnce.Do(func() {
		s.err = err
		close(s.dead)
		s.ws.Close()
	})
}

// close ends the session; graceful sends a close frame first (best effort, bounded).
func (s *session) close(graceful bool) {
	if graceful {
		f := outFrame{kind: websocket.CloseMessage, data: websocket.FormatCloseMessage(websocket.CloseGoingAway, "terminal stopping")}
		select {
		case s.out <- f:
			select {
			case <-s.writerDone:
			case <-time.After(time.Second):
			}
		default:
		}
	}
	s.fail(errClosed)
	s.wg.Wait()
}

func (s *session) readLoop() {
	defer s.wg.Done()
	opt := &s.c.opt
	alive := func() { s.ws.SetReadDeadline(time.Now().Add(opt.PongWait)) }
	s.ws.SetReadLimit(protocol.MaxHubText)
	alive()
	s.ws.SetPongHandler(func(string) error { alive(); return nil })
	s.ws.SetPingHandler(func(data string) error {
		alive()
		s.trySend(outFrame{kind: websocket.PongMessage, data: []byte(data)})
		return nil
	})
	for {
		mt, r, err := s.ws.NextReader()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				err = ErrDeadLink
			}
			if websocket.IsCloseError(err, closeRevoked) {
				err = fmt.Errorf("%w: %w", ErrRevoked, err)
			}
			s.fail(err)
			return
		}
		alive()
		frame, err := io.ReadAll(r)
		if err != nil {
			s.fail(err)
			return
		}
		if mt != websocket.TextMessage {
			s.refuse(protocol.Errorf(protocol.CodeUnexpected, "", "a hub sends no binary frames"))
			continue
		}
		m, err := protocol.Decode(frame, protocol.Hub)
		if err != nil {
			s.refuse(&protocol.Error{Code: protocol.CodeOf(err), Message: err.Error()})
			continue
		}
		if s.routeQuery(m) {
			continue
		}
		select {
		case s.in <- m:
		case <-s.dead:
			return
		}
	}
}

func (s *session) writeLoop() {
	defer s.wg.Done()
	defer close(s.writerDone)
	opt := &s.c.opt
	ping := time.NewTicker(opt.PingInterval)
	defer ping.Stop()
	for {
		select {
		case f := <-s.out:
			deadline := time.Now().Add(opt.WriteWait)
			var err error
			switch f.kind {
			case websocket.PongMessage, websocket.CloseMessage:
				err = s.ws.WriteControl(f.kind, f.data, deadline)
			default:
				s.ws.SetWriteDeadline(deadline)
				err = s.ws.WriteMessage(f.kind, f.data)
			}
			if err != nil {
				s.fail(fmt.Errorf("client: write: %w", err))
				return
			}
			if f.kind == websocket.CloseMessage {
				return
			}
		case <-ping.C:
			if err := s.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(opt.WriteWait)); err != nil {
				s.fail(fmt.Errorf("client: ping: %w", err))
				return
			}
		case <-s.dead:
			return
		}
	}
}

// send queues a frame for the writer.
func (s *session) send(f outFrame) error {
	select {
	case s.out <- f:
		return nil
	case <-s.dead:
		return &connError{s.err}
	}
}

func (s *session) trySend(f outFrame) {
	select {
	case s.out <- f:
	default:
	}
}

func (s *session) sendMsg(m protocol.Message) error {
	frame, err := protocol.Encode(m)
	if err != nil {
		return err
	}
	return s.send(outFrame{kind: websocket.TextMessage, data: frame})
}

// refuse tells the hub a frame it sent could not be used; nothing else happens.
func (s *session) refuse(e *protocol.Error) {
	s.c.stats.protoErrs.Add(1)
	s.c.log.Warn("refused a frame from the hub", "code", e.Code, "ref", e.Ref, "msg", e.Message)
	if e.Ref != "" && !protocol.ValidID(e.Ref) {
		e.Ref = ""
	}
	if frame, err := protocol.Encode(e); err == nil {
		s.trySend(outFrame{kind: websocket.TextMessage, data: frame})
	}
}

// next waits for the next message during the handshake.
func (s *session) next(ctx context.Context, timeout time.Duration) (protocol.Message, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case m := <-s.in:
		return m, nil
	case <-s.dead:
		// A hub that refuses the handshake sends its error and closes at once; the
		// reader queued the error before it saw the close, and the error says why.
		select {
		case m := <-s.in:
			return m, nil
		default:
		}
		return nil, s.err
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, ErrRequestTimeout
	}
}

func (s *session) handshake(ctx context.Context) error {
	c := s.c
	cr := c.opt.Credentials
	v := c.versions()
	nonce := make([]byte, protocol.NonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return fmt.Errorf("client: handshake nonce: %w", err)
	}
	hello, err := protocol.Encode(&protocol.Hello{TerminalID: cr.TerminalID, Versions: protocol.TerminalVersions(),
		App: c.opt.App, Catalog: v.Catalog, Config: v.Config, Announcements: v.Announcements, Nonce: nonce})
	if err != nil {
		return err
	}
	if err := s.send(outFrame{kind: websocket.TextMessage, data: hello}); err != nil {
		return err
	}
	m, err := s.next(ctx, c.opt.RequestTimeout)
	if err != nil {
		return err
	}
	switch m := m.(type) {
	case *protocol.Challenge:
		if m.HubID != cr.HubID {
			return fmt.Errorf("%w (expected %s, got %s)", ErrWrongHub, cr.HubID, m.HubID)
		}
		if m.Version < protocol.MinTerminalVersion {
			// A hub that knows version 2 never picks 1 for a terminal offering only 2:
			// this is a downgrade to a handshake without the hub's proof.
			c.stats.unproven.Add(1)
			return fmt.Errorf("%w: it chose version %d", ErrHubUnproven, m.Version)
		}
		if _, ok := protocol.Choose([]int{m.Version}); !ok {
			return protocol.Errorf(protocol.CodeUnsupportedVersion, "", "hub chose version %d", m.Version)
		}
		// Nothing of this terminal's (not even its signature) goes to a hub that
		// cannot prove it holds the pinned key.
		if !protocol.VerifyHubProof(cr.HubKey, cr.TerminalID, nonce, hello, m) {
			c.stats.unproven.Add(1)
			return ErrHubUnproven
		}
		if err := s.sendMsg(protocol.SignChallenge(cr.PrivateKey, cr.TerminalID, m)); err != nil {
			return err
		}
	case *protocol.Error:
		return m
	default:
		s.refuse(protocol.Errorf(protocol.CodeUnexpected, "", "expected challenge, got %s", m.MessageType()))
		return fmt.Errorf("client: handshake: hub sent %s instead of challenge", m.MessageType())
	}
	m, err = s.next(ctx, c.opt.RequestTimeout)
	if err != nil {
		return err
	}
	switch m := m.(type) {
	case *protocol.Error:
		if m.Code == protocol.CodeRevoked {
			return fmt.Errorf("%w: %w", ErrRevoked, m)
		}
		return m
	case *protocol.Welcome:
		if m.TerminalID != cr.TerminalID {
			return fmt.Errorf("client: handshake: hub welcomed terminal %s, not %s", m.TerminalID, cr.TerminalID)
		}
		s.welcome = m
		if !c.opt.Clock.SetHub(m.HubTime) {
			// Connect anyway: refusing would keep every submission on the kiosk for as
			// long as the hub's clock is wrong. The reason is on record here.
			c.log.Warn("hub clock implausible; connected without taking its time",
				"hub_time", m.HubTime.UTC(), "floor", clock.Floor())
		} else if !c.opt.Clock.WallPlausible() {
			c.log.Warn("wall clock implausible; using the hub's time until it is set",
				"wall", c.opt.Now().UTC(), "hub_time", m.HubTime.UTC())
		}
		s.chunk = protocol.MaxChunkData
		if c.opt.ChunkSize > 0 {
			s.chunk = c.opt.ChunkSize
		}
		s.chunk = max(protocol.MinChunkData, min(s.chunk, m.MaxChunk, protocol.MaxChunkData))
		return nil
	default:
		s.refuse(protocol.Errorf(protocol.CodeUnexpected, "", "expected welcome, got %s", m.MessageType()))
		return fmt.Errorf("client: handshake: hub sent %s instead of welcome", m.MessageType())
	}
}

// loop serves an established connection: delivery passes when there is something to
// send, heartbeats, and pushes from the hub.
func (s *session) loop(ctx context.Context) error {
	c := s.c
	every := c.opt.HeartbeatInterval
	if every <= 0 {
		every = time.Duration(s.welcome.HeartbeatSeconds) * time.Second
	}
	s.hb = time.NewTicker(every)
	defer s.hb.Stop()
	s.heartbeat()
	var retry <-chan time.Time
	pass := true
	for {
		if pass {
			pass = false
			if wait := time.Until(c.holdUntil); wait > 0 {
				// The hub asked to wait (perhaps on the last connection): no pass sooner.
				retry = time.After(wait)
			} else {
				after, err := s.syncPass(ctx)
				if err != nil {
					return err
				}
				s.heartbeatIfQueueChanged()
				if after > 0 {
					retry = time.After(after)
				}
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.dead:
			return s.err
		case m := <-s.in:
			s.unsolicited(ctx, m)
		case <-s.hb.C:
			s.heartbeat()
		case <-c.report:
			s.heartbeat()
		case <-c.wake:
			// While the hub has asked to wait, a new item waits with the rest.
			if retry == nil {
				pass = true
			}
		case <-c.now:
			c.holdUntil = time.Time{} // a technician's "sync now" does not wait
			pass = true
		case <-retry:
			retry = nil
			pass = true
		}
	}
}

// await waits for the hub's answer about id, handling pushes and heartbeats meanwhile.
// A connection failure or timeout is a *connError.
func (s *session) await(ctx context.Context, id string) (protocol.Message, error) {
	t := time.NewTimer(s.c.opt.RequestTimeout)
	defer t.Stop()
	for {
		select {
		case m := <-s.in:
			if answers(m, id) {
				return m, nil
			}
			s.unsolicited(ctx, m)
		case <-s.hb.C:
			s.heartbeat()
		case <-s.dead:
			return nil, &connError{s.err}
		case <-ctx.Done():
			return nil, &connError{ctx.Err()}
		case <-t.C:
			s.fail(ErrRequestTimeout)
			return nil, &connError{ErrRequestTimeout}
		}
	}
}

// answers reports whether m is the hub's answer to the request about id. An error
// without a reference answers whatever is outstanding (the hub could not read it).
func answers(m protocol.Message, id string) bool {
	switch m := m.(type) {
	case *protocol.Ack:
		return m.ID == id
	case *protocol.UploadState:
		return m.ID == id
	case *protocol.ChunkAck:
		return m.ID == id
	case *protocol.Error:
		return m.Ref == id || m.Ref == ""
	}
	return false
}

// unsolicited handles a message nobody is waiting for: pushes, and stray answers, which
// are refused without effect (a replayed ack must not mark anything delivered).
func (s *session) unsolicited(ctx context.Context, m protocol.Message) {
	switch m := m.(type) {
	case *protocol.Catalog:
		s.c.apply("catalog", m.Version, func() error {
			if s.c.opt.OnCatalog == nil {
				return nil
			}
			return s.c.opt.OnCatalog(m.Version, m.Payload)
		}, func(v *Versions) *string { return &v.Catalog })
	case *protocol.Config:
		err := s.c.apply("config", m.Version, func() error {
			if s.c.opt.OnConfig == nil {
				return nil
			}
			return s.c.opt.OnConfig(m.Version, m.Payload)
		}, func(v *Versions) *string { return &v.Config })
		s.c.mu.Lock()
		if err != nil {
			s.c.configRefused = refusal(m.Version, err)
		} else {
			s.c.configRefused = nil
		}
		s.c.mu.Unlock()
		// The hub hears at once whether the push applied, and why not.
		s.heartbeat()
	case *protocol.Announcements:
		s.c.apply("announcements", m.Version, func() error {
			if s.c.opt.OnAnnouncements == nil {
				return nil
			}
			return s.c.opt.OnAnnouncements(m.Version, m.Items)
		}, func(v *Versions) *string { return &v.Announcements })
	case *protocol.Status:
		s.applyStatus(m)
	case *protocol.Command:
		s.runCommand(ctx, m)
	case *protocol.Error:
		s.c.log.Info("hub reported an error", "code", m.Code, "ref", m.Ref, "msg", m.Message)
	default:
		s.refuse(protocol.Errorf(protocol.CodeUnexpected, refOf(m), "%s was not expected now", m.MessageType()))
	}
}

func refOf(m protocol.Message) string {
	switch m := m.(type) {
	case *protocol.Ack:
		return m.ID
	case *protocol.UploadState:
		return m.ID
	case *protocol.ChunkAck:
		return m.ID
	}
	return ""
}

// apply hands a push to the kiosk unless it already holds that version, and returns the
// kiosk's refusal.
func (c *Client) apply(kind, version string, call func() error, field func(*Versions) *string) error {
	have := c.versions()
	if *field(&have) == version {
		return nil
	}
	if err := call(); err != nil {
		c.log.Warn("push not applied", "kind", kind, "version", version, "err", err)
		return err
	}
	c.mu.Lock()
	*field(&c.applied) = version
	c.mu.Unlock()
	c.log.Info("push applied", "kind", kind, "version", version)
	return nil
}

// refusal turns the kiosk's reasons for refusing a configuration push, one per line,
// into what the heartbeat reports.
func refusal(version string, err error) *protocol.ConfigRefusal {
	r := &protocol.ConfigRefusal{Version: version}
	lines := strings.Split(err.Error(), "\n")
	// An error that lists its reasons is reported reason by reason, without the heading
	// its text starts with ("config: 2 problem(s):"), which is no reason.
	var listed interface{ Reasons() []string }
	if errors.As(err, &listed) {
		lines = listed.Reasons()
	}
	for _, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" || len(r.Problems) == protocol.MaxConfigProblems {
			continue
		}
		r.Problems = append(r.Problems, truncate(line, 256))
	}
	if len(r.Problems) == 0 {
		r.Problems = []string{"refused"}
	}
	if !protocol.ValidVersion(version) {
		return nil
	}
	return r
}

func (s *session) applyStatus(m *protocol.Status) {
	c := s.c
	err := c.opt.Outbox.SetStatus(m.TrackingCode, m.Status, m.At)
	// An update for a receipt that is gone or a code the outbox cannot read will never
	// apply: acknowledge it so the hub stops resending. A storage failure is not
	// acknowledged; the hub resends on the next connection.
	if err != nil && !errors.Is(err, queue.ErrNotFound) && !errors.Is(err, queue.ErrInvalid) &&
		!errors.Is(err, tracking.ErrFormat) && !errors.Is(err, tracking.ErrCheck) {
		c.log.Warn("status update not recorded", "update", m.UpdateID, "err", err)
		return
	}
	if err := s.sendMsg(&protocol.StatusAck{UpdateID: m.UpdateID}); err != nil {
		return
	}
	if c.opt.OnStatus != nil {
		c.opt.OnStatus(*m)
	}
}

// runCommand runs a command once per id in this process, in its own goroutine so a slow
// log collection does not hold up deliveries; a repeat (the hub resends unanswered
// commands after a reconnect) gets the stored result again.
func (s *session) runCommand(ctx context.Context, m *protocol.Command) {
	c := s.c
	c.mu.Lock()
	if len(c.cmdSeen) > 256 {
		clear(c.cmdSeen)
		clear(c.cmdResults)
	}
	if parts := c.cmdResults[m.ID]; parts != nil {
		c.mu.Unlock()
		for _, res := range parts {
			if s.sendMsg(res) != nil {
				return
			}
		}
		return
	}
	if c.cmdSeen[m.ID] {
		c.mu.Unlock()
		return
	}
	c.cmdSeen[m.ID] = true
	c.mu.Unlock()
	cmd := *m
	go func() {
		var out string
		err := errors.New("command not supported by this terminal")
		switch {
		case cmd.Name == protocol.CommandResolveConflict:
			out, err = c.resolveConflict(cmd.Args)
		case c.opt.OnCommand != nil:
			out, err = c.opt.OnCommand(ctx, cmd)
		}
		parts := resultParts(cmd.ID, out, err)
		c.mu.Lock()
		if len(parts) == 1 {
			c.cmdResults[cmd.ID] = parts
		} else {
			// A big output (a screenshot, a bundle) is not kept: a repeat runs again.
			delete(c.cmdSeen, cmd.ID)
		}
		c.mu.Unlock()
		c.log.Info("command done", "command", cmd.ID, "name", cmd.Name, "ok", err == nil, "parts", len(parts))
		for _, res := range parts {
			// Lost if the connection died; resent whole when the hub repeats the command.
			if s.sendMsg(res) != nil {
				return
			}
		}
	}()
}

// resultParts cuts a command's output into results of at most MaxCommandOutput bytes,
// split on UTF-8 boundaries. An output over MaxCommandParts parts is not sent: the
// result says so.
func resultParts(id, out string, err error) []*protocol.CommandResult {
	if err == nil && len(out) > protocol.MaxCommandParts*protocol.MaxCommandOutput {
		out, err = "", fmt.Errorf("the output of %d bytes is over the %d bytes a result may carry", len(out), protocol.MaxCommandParts*protocol.MaxCommandOutput)
	}
	var parts []*protocol.CommandResult
	for {
		chunk := truncate(out, protocol.MaxCommandOutput)
		out = out[len(chunk):]
		parts = append(parts, &protocol.CommandResult{ID: id, Output: chunk, Part: len(parts), More: out != ""})
		if out == "" || chunk == "" {
			break
		}
	}
	last := parts[len(parts)-1]
	last.OK = err == nil
	if err != nil {
		last.Error = truncate(err.Error(), protocol.MaxText)
	}
	return parts
}

// truncate cuts s to at most n bytes on a UTF-8 boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

func (s *session) heartbeat() {
	c := s.c
	st, err := c.opt.Outbox.Stats()
	if err != nil {
		c.log.Warn("outbox stats", "err", err)
	}
	v := c.versions()
	hb := &protocol.Heartbeat{At: c.opt.Now().UTC(), App: c.opt.App,
		Catalog: v.Catalog, Config: v.Config, Announcements: v.Announcements, ConfigRefused: c.refusedConfig(),
		Queue: protocol.QueueDepth{Queued: st.Queued, Sending: st.Sending, Failed: st.Failed, OldestQueued: st.OldestQueued.UTC(),
			Held: st.Held, Conflicts: c.conflicts(st.Held)}}
	if c.opt.Update != nil {
		hb.Update = c.opt.Update()
		if len(hb.Update) > protocol.MaxUpdateSteps {
			hb.Update = hb.Update[len(hb.Update)-protocol.MaxUpdateSteps:]
		}
		if err := (&protocol.Heartbeat{At: hb.At, App: hb.App, Update: hb.Update}).Validate(); err != nil {
			c.log.Warn("update steps cannot be reported", "err", err)
			hb.Update = nil
		}
	}
	if c.opt.Health != nil {
		hb.Devices = sanitizeDevices(c.opt.Health())
	}
	if err := hb.Validate(); err != nil {
		c.log.Warn("device health cannot be reported", "err", err)
		hb.Devices = nil
	}
	if st.OldestQueued.IsZero() {
		hb.Queue.OldestQueued = time.Time{}
	}
	if s.sendMsg(hb) == nil {
		c.stats.heartbeats.Add(1)
		s.sentQueue = hb.Queue
	}
}

// heartbeatIfQueueChanged sends a heartbeat when the outbox's counts differ from what the
// last heartbeat said.
func (s *session) heartbeatIfQueueChanged() {
	st, err := s.c.opt.Outbox.Stats()
	if err != nil {
		return
	}
	q := s.sentQueue
	if st.Queued != q.Queued || st.Sending != q.Sending || st.Failed != q.Failed || st.Held != q.Held {
		s.heartbeat()
	}
}

// sanitizeDevices turns the drivers' health reports into the protocol's device statuses
// and trims them to what the protocol allows, so one chatty driver cannot make every
// heartbeat invalid.
func sanitizeDevices(in []health.Status) []protocol.DeviceStatus {
	if len(in) > protocol.MaxDevices {
		in = in[:protocol.MaxDevices]
	}
	out := make([]protocol.DeviceStatus, 0, len(in))
	for _, d := range in {
		d.Details = maps.Clone(d.Details)
		d.Reason = truncate(d.Reason, 256)
		if len(d.Details) > 32 {
			kept := make(map[string]string, 32)
			for k, v := range d.Details {
				if len(kept) == 32 {
					break
				}
				kept[k] = v
			}
			d.Details = kept
		}
		for k, v := range d.Details {
			if len(k) > 64 || k == "" {
				delete(d.Details, k)
				continue
			}
			d.Details[k] = truncate(v, 256)
		}
		d.Device = truncate(strings.TrimSpace(d.Device), 64)
		out = append(out, protocol.DeviceStatus{Device: d.Device, Kind: string(d.Kind),
			State: protocol.DeviceState(d.State), Reason: d.Reason, Details: d.Details, Since: d.Since})
	}
	return out
}
