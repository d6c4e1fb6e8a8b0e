package client

import (
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/govkiosk/govkiosk/sync/protocol"
)

// impostor is a hub an on-path attacker runs: it answers every connection with the hub
// id the terminal expects (anyone can read it off the dashboard), accepts any signature,
// welcomes the terminal and acknowledges everything it is sent. What it can put in the
// challenge is decided by prove.
type impostor struct {
	srv   *httptest.Server
	prove func(hello *protocol.Hello, frame []byte, ch *protocol.Challenge)

	mu       sync.Mutex
	auths    int // auth messages received
	received int // submissions, ratings and chunks received
}

func newImpostor(t *testing.T, hubID string, prove func(hello *protocol.Hello, frame []byte, ch *protocol.Challenge)) *impostor {
	t.Helper()
	im := &impostor{prove: prove}
	up := websocket.Upgrader{Subprotocols: []string{protocol.Subprotocol}}
	im.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		im.serve(ws, hubID)
	}))
	t.Cleanup(im.srv.Close)
	return im
}

func (im *impostor) url() string { return "ws://" + strings.TrimPrefix(im.srv.URL, "http://") }

func (im *impostor) serve(ws *websocket.Conn, hubID string) {
	send := func(m protocol.Message) {
		b, _ := protocol.Encode(m)
		ws.WriteMessage(websocket.TextMessage, b)
	}
	var helloSeen bool
	var terminalID string
	for {
		ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		mt, b, err := ws.ReadMessage()
		if err != nil {
			return
		}
		if mt == websocket.BinaryMessage {
			im.count(&im.received)
			if c, err := protocol.ParseChunk(b); err == nil {
				send(&protocol.ChunkAck{ID: c.ID, Index: c.Index, Next: c.Offset + int64(len(c.Data))})
			}
			continue
		}
		m, err := protocol.Decode(b, protocol.Terminal)
		if err != nil {
			continue
		}
		switch m := m.(type) {
		case *protocol.Hello:
			if helloSeen {
				continue
			}
			helloSeen, terminalID = true, m.TerminalID
			ch := &protocol.Challenge{Version: 2, HubID: hubID, Nonce: make([]byte, protocol.NonceSize)}
			im.prove(m, b, ch)
			send(ch)
		case *protocol.Auth:
			im.count(&im.auths)
			send(&protocol.Welcome{Version: 2, TerminalID: terminalID, TerminalCode: "K7Q2", HubTime: time.Now(),
				HeartbeatSeconds: 30, MaxChunk: protocol.MaxChunkData})
		case *protocol.Submit:
			im.count(&im.received)
			send(&protocol.Ack{ID: m.ID, Kind: protocol.AckSubmission, HubRef: "H1", ReceivedAt: time.Now()})
		case *protocol.Commit:
			send(&protocol.Ack{ID: m.ID, Kind: protocol.AckSubmission, HubRef: "H1", ReceivedAt: time.Now()})
		case *protocol.Rating:
			im.count(&im.received)
			send(&protocol.Ack{ID: m.ID, Kind: protocol.AckRating, HubRef: "R1", ReceivedAt: time.Now()})
		}
	}
}

func (im *impostor) count(n *int) {
	im.mu.Lock()
	*n++
	im.mu.Unlock()
}

func (im *impostor) counts() (auths, received int) {
	im.mu.Lock()
	defer im.mu.Unlock()
	return im.auths, im.received
}

// TestImpostorHubReceivesNothing is the attack of a fake hub on the terminal's link: it
// knows the hub id, accepts any signature and acks everything. A terminal must send it
// nothing (not even its signature) and keep every submission in its outbox. The last
// case is the control: with a proof by the pinned key the same harness does receive the
// submissions, so the others fail for the right reason.
func TestImpostorHubReceivesNothing(t *testing.T) {
	_, attackerKey, _ := ed25519.GenerateKey(nil)
	tests := []struct {
		name   string
		prove  func(pinned ed25519.PrivateKey) func(*protocol.Hello, []byte, *protocol.Challenge)
		honest bool
	}{
		{"no proof: version 1", func(ed25519.PrivateKey) func(*protocol.Hello, []byte, *protocol.Challenge) {
			return func(_ *protocol.Hello, _ []byte, ch *protocol.Challenge) { ch.Version = 1 }
		}, false},
		{"proof by the attacker's own key", func(ed25519.PrivateKey) func(*protocol.Hello, []byte, *protocol.Challenge) {
			return func(h *protocol.Hello, frame []byte, ch *protocol.Challenge) {
				protocol.SignHubProof(attackerKey, frame, h, ch)
			}
		}, false},
		{"random signature", func(ed25519.PrivateKey) func(*protocol.Hello, []byte, *protocol.Challenge) {
			return func(_ *protocol.Hello, _ []byte, ch *protocol.Challenge) {
				ch.HubSignature = make([]byte, ed25519.SignatureSize)
				rand.Read(ch.HubSignature)
			}
		}, false},
		{"pinned key's proof replayed from another connection", func(pinned ed25519.PrivateKey) func(*protocol.Hello, []byte, *protocol.Challenge) {
			// A proof the real hub made for an earlier hello (another terminal nonce).
			return func(h *protocol.Hello, _ []byte, ch *protocol.Challenge) {
				old := *h
				old.Nonce = make([]byte, protocol.NonceSize)
				oldFrame, _ := protocol.Encode(&old)
				protocol.SignHubProof(pinned, oldFrame, &old, ch)
			}
		}, false},
		{"control: proof by the pinned key", func(pinned ed25519.PrivateKey) func(*protocol.Hello, []byte, *protocol.Challenge) {
			return func(h *protocol.Hello, frame []byte, ch *protocol.Challenge) {
				protocol.SignHubProof(pinned, frame, h, ch)
			}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, key, _ := ed25519.GenerateKey(nil)
			hubPub, hubKey, _ := ed25519.GenerateKey(nil)
			cr := Credentials{HubID: "hub-real", TerminalID: "t-victim", TerminalCode: "K7Q2", PrivateKey: key,
				EnrolledAt: time.Now(), HubKey: hubPub}
			im := newImpostor(t, cr.HubID, tt.prove(hubKey))
			cr.Hub = im.url()
			q := openQueue(t, cr)
			const n = 3
			for range n {
				enqueue(t, q, "", 1000)
			}
			c := run(t, fast(cr, q))
			if tt.honest {
				waitFor(t, 10*time.Second, "delivery to a hub that proved its key", func() bool { return delivered(q) == n })
				return
			}
			waitFor(t, 10*time.Second, "three refused handshakes", func() bool { return c.Stats().HubUnproven >= 3 })
			if auths, received := im.counts(); auths != 0 || received != 0 {
				t.Errorf("impostor got %d signatures and %d submissions/chunks, want none", auths, received)
			}
			st, err := q.Stats()
			if err != nil {
				t.Fatal(err)
			}
			if st.Delivered != 0 || st.Failed != 0 || st.Queued+st.Sending != n {
				t.Errorf("outbox after the impostor: %+v, want all %d still queued", st, n)
			}
			if s := c.State(); s.Online || !strings.Contains(s.LastError, ErrHubUnproven.Error()) {
				t.Errorf("state %+v, want offline with %q", s, ErrHubUnproven)
			}
			if c.Stats().Connects != 0 {
				t.Error("client counted a connection to the impostor as established")
			}
		})
	}
}
