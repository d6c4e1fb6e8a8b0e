package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/govkiosk/govkiosk/sync/client"
	"github.com/govkiosk/govkiosk/sync/protocol"
	"github.com/govkiosk/govkiosk/sync/queue"
)

// impostorHub answers every terminal with the real hub's id (public on its dashboard),
// a challenge it cannot prove, welcomes any signature and acknowledges everything. It
// counts every signature and every submission, rating or chunk it is given.
func impostorHub(t *testing.T, hubID string) (url string, got *atomic.Int64) {
	t.Helper()
	got = new(atomic.Int64)
	up := websocket.Upgrader{Subprotocols: []string{protocol.Subprotocol}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		send := func(m protocol.Message) {
			b, _ := protocol.Encode(m)
			ws.WriteMessage(websocket.TextMessage, b)
		}
		for {
			ws.SetReadDeadline(time.Now().Add(10 * time.Second))
			mt, b, err := ws.ReadMessage()
			if err != nil {
				return
			}
			if mt == websocket.BinaryMessage {
				got.Add(1)
				continue
			}
			m, err := protocol.Decode(b, protocol.Terminal)
			if err != nil {
				continue
			}
			switch m := m.(type) {
			case *protocol.Hello:
				// No key to sign with: a version 1 challenge, or garbage in version 2.
				send(&protocol.Challenge{Version: 2, HubID: hubID, Nonce: make([]byte, protocol.NonceSize),
					HubSignature: make([]byte, 64)})
			case *protocol.Auth:
				got.Add(1)
				send(&protocol.Welcome{Version: 2, TerminalID: "t-x", TerminalCode: "K7Q2", HubTime: time.Now(),
					HeartbeatSeconds: 30, MaxChunk: protocol.MaxChunkData})
			case *protocol.Submit:
				got.Add(1)
				send(&protocol.Ack{ID: m.ID, Kind: protocol.AckSubmission, HubRef: "H1", ReceivedAt: time.Now()})
			case *protocol.Commit:
				send(&protocol.Ack{ID: m.ID, Kind: protocol.AckSubmission, HubRef: "H1", ReceivedAt: time.Now()})
			case *protocol.Rating:
				got.Add(1)
			}
		}
	}))
	t.Cleanup(srv.Close)
	return "ws://" + strings.TrimPrefix(srv.URL, "http://"), got
}

// TestSimFleetAgainstImpostorHub: terminals enrolled with the real hub, pointed at a hub
// that cannot prove the key they pinned, deliver nothing, and every submission is still
// in their outboxes afterwards.
func TestSimFleetAgainstImpostorHub(t *testing.T) {
	h, realURL, tokenFile := fleetHub(t)
	data := t.TempDir()
	// Enroll two terminals with the real hub (nothing to send yet).
	if code, _, errs := runCmd("sim", "fleet", "--hub", realURL, "--kiosks", "2", "--submissions", "0",
		"--operator-token-file", tokenFile, "--data", data, "--timeout", "1m"); code != 0 {
		t.Fatalf("enrolling: exit %d: %s", code, errs)
	}
	fake, got := impostorHub(t, h.ID())
	code, out, errs := runCmd("sim", "fleet", "--hub", fake, "--kiosks", "2", "--submissions", "3",
		"--attachment-size", "10K", "--data", data, "--preload", "--verify=false", "--timeout", "3s", "--json")
	if code == 0 {
		t.Fatalf("sim fleet against an impostor succeeded: %s", out)
	}
	var r struct {
		Enqueued  int `json:"enqueued"`
		Delivered int `json:"delivered"`
		Dials     int `json:"dials"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v in %q (%s)", err, out, errs)
	}
	if r.Enqueued != 6 || r.Delivered != 0 || r.Dials == 0 {
		t.Errorf("report %+v: want 6 enqueued, none delivered, some dials", r)
	}
	if n := got.Load(); n != 0 {
		t.Errorf("the impostor received %d signatures/submissions/chunks", n)
	}
	for _, k := range []string{"kiosk-0001", "kiosk-0002"} {
		dir := filepath.Join(data, k)
		cr, err := client.LoadCredentials(dir)
		if err != nil {
			t.Fatal(err)
		}
		q, err := queue.Open(filepath.Join(dir, "queue"), queue.Options{TerminalCode: cr.TerminalCode,
			KeyFile: filepath.Join(dir, "queue.key"), MinFreeBytes: -1})
		if err != nil {
			t.Fatal(err)
		}
		st, err := q.Stats()
		q.Close()
		if err != nil {
			t.Fatal(err)
		}
		if st.Queued+st.Sending != 3 || st.Delivered != 0 || st.Failed != 0 {
			t.Errorf("%s outbox %+v, want all 3 still queued", k, st)
		}
	}
}
