package client

import (
	"context"
	"crypto/ed25519"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/govkiosk/govkiosk/sync/protocol"
)

// fakeHub is a scripted hub: on the first connection it performs the handshake its test
// asks for, then hands the connection to the script, so tests can send what a real hub
// never would. Later connections are closed at once.
type fakeHub struct {
	srv    *httptest.Server
	creds  Credentials
	script func(t *testing.T, fc *fakeConn)
}

type fakeConn struct {
	t      *testing.T
	ws     *websocket.Conn
	hubKey ed25519.PrivateKey // the key the terminal pinned
	hello  *protocol.Hello
	last   []byte // the last frame received, as it arrived
}

func newFakeHub(t *testing.T, handshake func(fc *fakeConn, pub ed25519.PublicKey, cr Credentials) bool, script func(t *testing.T, fc *fakeConn)) *fakeHub {
	t.Helper()
	pub, key, _ := ed25519.GenerateKey(nil)
	hubPub, hubKey, _ := ed25519.GenerateKey(nil)
	fh := &fakeHub{script: script}
	up := websocket.Upgrader{Subprotocols: []string{protocol.Subprotocol}}
	var served atomic.Bool
	fh.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		if served.Swap(true) {
			return // the script is for the first connection; reconnects just fail
		}
		fc := &fakeConn{t: t, ws: ws, hubKey: hubKey}
		if handshake(fc, pub, fh.creds) && fh.script != nil {
			fh.script(t, fc)
		}
	}))
	t.Cleanup(fh.srv.Close)
	fh.creds = Credentials{Hub: "ws://" + strings.TrimPrefix(fh.srv.URL, "http://"), HubID: "hub-fake",
		TerminalID: "t-fake", TerminalCode: "K7Q2", PrivateKey: key, EnrolledAt: time.Now(), HubKey: hubPub}
	return fh
}

// honestHandshake is what a real hub does.
func honestHandshake(fc *fakeConn, pub ed25519.PublicKey, cr Credentials) bool {
	ch := fc.challenge(cr)
	hello := fc.hello
	fc.send(ch)
	auth := recvAs[*protocol.Auth](fc)
	if !protocol.VerifyAuth(pub, hello.TerminalID, ch, auth) {
		fc.t.Error("client's signature does not verify")
		return false
	}
	fc.send(&protocol.Welcome{Version: 2, TerminalID: cr.TerminalID, TerminalCode: cr.TerminalCode, HubTime: time.Now(),
		HeartbeatSeconds: 30, MaxChunk: protocol.MaxChunkData, QueryKey: make([]byte, 32)})
	return true
}

// challenge reads the client's hello and returns the challenge an honest hub answers it
// with: version 2, signed with the pinned key over the hello as it arrived.
func (fc *fakeConn) challenge(cr Credentials) *protocol.Challenge {
	fc.hello = recvAs[*protocol.Hello](fc)
	ch := &protocol.Challenge{Version: 2, HubID: cr.HubID, Nonce: make([]byte, protocol.NonceSize)}
	if fc.hello != nil {
		protocol.SignHubProof(fc.hubKey, fc.last, fc.hello, ch)
	}
	return ch
}

func (fc *fakeConn) send(m protocol.Message) {
	b, err := protocol.Encode(m)
	if err != nil {
		fc.t.Fatal(err)
	}
	fc.ws.WriteMessage(websocket.TextMessage, b)
}

// recv returns the client's next message, or the error that ended the connection.
func (fc *fakeConn) recv() (protocol.Message, error) {
	fc.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	mt, b, err := fc.ws.ReadMessage()
	if err != nil {
		return nil, err
	}
	if mt != websocket.TextMessage {
		return nil, errors.New("binary frame from the client")
	}
	fc.last = b
	return protocol.Decode(b, protocol.Terminal)
}

func recvAs[T protocol.Message](fc *fakeConn) T {
	for {
		m, err := fc.recv()
		if err != nil {
			fc.t.Errorf("waiting for %T: %v", *new(T), err)
			var zero T
			return zero
		}
		if v, ok := m.(T); ok {
			return v
		}
		if _, ok := m.(*protocol.Heartbeat); ok {
			continue
		}
		fc.t.Errorf("waiting for %T, got %T", *new(T), m)
	}
}

func TestClientRefusesBadFramesFromTheHub(t *testing.T) {
	result := make(chan error, 1)
	fh := newFakeHub(t, honestHandshake, func(t *testing.T, fc *fakeConn) {
		submit := recvAs[*protocol.Submit](fc) // never answered: the client waits for us
		tests := []struct {
			name string
			send func()
			code protocol.Code
			ref  string
		}{
			{"garbage", func() { fc.ws.WriteMessage(websocket.TextMessage, []byte("{{{")) }, protocol.CodeBadMessage, ""},
			{"unknown type", func() { fc.ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"format_disk","body":{}}`)) }, protocol.CodeBadMessage, ""},
			{"terminal's type", func() {
				fc.ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"commit","body":{"id":"x"}}`))
			}, protocol.CodeUnexpected, ""},
			{"binary frame", func() { fc.ws.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3}) }, protocol.CodeUnexpected, ""},
			{"ack for something else", func() {
				fc.send(&protocol.Ack{ID: "someone-else", Kind: protocol.AckSubmission, HubRef: "H1", ReceivedAt: time.Now()})
			}, protocol.CodeUnexpected, "someone-else"},
			{"stray chunk ack", func() { fc.send(&protocol.ChunkAck{ID: "someone-else", Next: 5}) }, protocol.CodeUnexpected, "someone-else"},
			{"second welcome", func() {
				fc.send(&protocol.Welcome{Version: 1, TerminalID: "t-other", TerminalCode: "ZZZZ", HubTime: time.Now(),
					HeartbeatSeconds: 1, MaxChunk: protocol.MaxChunkData})
			}, protocol.CodeUnexpected, ""},
		}
		for _, tt := range tests {
			tt.send()
			e := recvAs[*protocol.Error](fc)
			if e == nil || e.Code != tt.code || e.Ref != tt.ref {
				t.Errorf("%s: client answered %+v, want code %s ref %q", tt.name, e, tt.code, tt.ref)
			}
		}
		// Now the real answer to the submit: the client must still be waiting for it.
		fc.send(&protocol.Error{Code: protocol.CodeTryLater, Ref: submit.ID, RetryAfterMS: 60000})
		time.Sleep(100 * time.Millisecond)
		// A frame over the limit ends the connection.
		big := `{"type":"catalog","body":{"version":"v","payload":"` + strings.Repeat("x", protocol.MaxHubText) + `"}}`
		fc.ws.WriteMessage(websocket.TextMessage, []byte(big))
		for {
			if _, err := fc.recv(); err != nil {
				result <- err
				return
			}
		}
	})
	cr := fh.creds
	qu := openQueue(t, cr)
	enqueue(t, qu, "", 1000)
	opt := fast(cr, qu)
	opt.HubURL = fh.creds.Hub
	opt.RequestTimeout = 30 * time.Second
	// The scripted hub reads (and so answers pings) only between steps; a slow,
	// race-instrumented run must not look like a dead link.
	opt.PingInterval, opt.PongWait = 2*time.Second, 30*time.Second
	c := run(t, opt)
	select {
	case err := <-result:
		// The client closes with 1009 (message too big); the close frame can be lost
		// to the reset of a connection with unread bytes, so any end will do here.
		var ce *websocket.CloseError
		if errors.As(err, &ce) && ce.Code != websocket.CloseMessageTooBig {
			t.Errorf("oversized frame: connection closed with %d, want %d", ce.Code, websocket.CloseMessageTooBig)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("script did not finish")
	}
	waitFor(t, 5*time.Second, "the client gave up the connection", func() bool {
		return strings.Contains(c.State().LastError, websocket.ErrReadLimit.Error())
	})
	st, _ := qu.Stats()
	if st.Delivered != 0 || st.Failed != 0 || st.Queued+st.Sending != 1 {
		t.Errorf("bad frames changed the outbox: %+v", st)
	}
	if s := c.Stats(); s.ProtocolErrs < 7 || s.Delivered != 0 || s.Connects != 1 {
		t.Errorf("client stats %+v", s)
	}
}

func TestHandshakeWithTheWrongHub(t *testing.T) {
	tests := []struct {
		name      string
		handshake func(fc *fakeConn, pub ed25519.PublicKey, cr Credentials) bool
		want      string
	}{
		{"another hub's id", func(fc *fakeConn, _ ed25519.PublicKey, cr Credentials) bool {
			recvAs[*protocol.Hello](fc)
			fc.send(&protocol.Challenge{Version: 1, HubID: "hub-impostor", Nonce: make([]byte, protocol.NonceSize)})
			if m, err := fc.recv(); err == nil {
				fc.t.Errorf("client answered an impostor's challenge with %T", m)
			}
			return false
		}, ErrWrongHub.Error()},
		{"welcome for another terminal", func(fc *fakeConn, _ ed25519.PublicKey, cr Credentials) bool {
			fc.send(fc.challenge(cr))
			recvAs[*protocol.Auth](fc)
			fc.send(&protocol.Welcome{Version: 2, TerminalID: "t-other", TerminalCode: "ZZZZ", HubTime: time.Now(),
				HeartbeatSeconds: 30, MaxChunk: protocol.MaxChunkData})
			fc.recv()
			return false
		}, "welcomed terminal t-other"},
		{"auth refused", func(fc *fakeConn, _ ed25519.PublicKey, cr Credentials) bool {
			fc.send(fc.challenge(cr))
			recvAs[*protocol.Auth](fc)
			fc.send(protocol.Errorf(protocol.CodeAuthFailed, "", "unknown terminal"))
			fc.recv()
			return false
		}, "auth_failed"},
		{"version the client does not speak", func(fc *fakeConn, _ ed25519.PublicKey, cr Credentials) bool {
			recvAs[*protocol.Hello](fc)
			fc.send(&protocol.Challenge{Version: 9, HubID: cr.HubID, Nonce: make([]byte, protocol.NonceSize),
				HubSignature: make([]byte, ed25519.SignatureSize)})
			fc.recv()
			return false
		}, "unsupported_version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fh := newFakeHub(t, tt.handshake, nil)
			q := openQueue(t, fh.creds)
			enqueue(t, q, "", 10)
			opt := fast(fh.creds, q)
			opt.BackoffMin, opt.BackoffMax = time.Second, time.Second
			// The backoff is full jitter, so the client may come back within
			// milliseconds; the fake hub drops that connection (1006), which would
			// replace the refusal this test reads. Reconnects wait until the test ends.
			var dials atomic.Int32
			opt.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				if dials.Add(1) > 1 {
					<-ctx.Done()
					return nil, ctx.Err()
				}
				var d net.Dialer
				return d.DialContext(ctx, network, addr)
			}
			c := run(t, opt)
			waitFor(t, 5*time.Second, "handshake refused", func() bool { return c.State().LastError != "" })
			if st := c.State(); st.Online || !strings.Contains(st.LastError, tt.want) {
				t.Errorf("state %+v after %d dials, want offline with %q", st, dials.Load(), tt.want)
			}
			if c.Stats().Connects != 0 {
				t.Error("client counted the connection as established")
			}
		})
	}
}

// A hub that refuses the handshake sends its error frame and closes the connection at
// once (the reference hub closes with 1008). The reader has queued the error before the
// session dies, and the handshake must report that error, not the close: select alone
// picks either at random.
func TestHandshakeReadsTheRefusalBeforeTheClose(t *testing.T) {
	for i := range 200 {
		s := &session{in: make(chan protocol.Message, 1), dead: make(chan struct{})}
		s.in <- protocol.Errorf(protocol.CodeAuthFailed, "", "unknown terminal")
		s.err = errors.New("websocket: close 1008 (policy violation): auth_failed")
		close(s.dead)
		m, err := s.next(context.Background(), time.Second)
		if e, ok := m.(*protocol.Error); err != nil || !ok || e.Code != protocol.CodeAuthFailed {
			t.Fatalf("try %d: %v, %v; want the auth_failed frame", i, m, err)
		}
	}
}
