package hub

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/govkiosk/govkiosk/sync/protocol"
)

// TestHandshakeV2ProvesTheHub: in version 2 the hub signs the terminal's nonce and the
// hello as it arrived with the key it hands out at enrollment; a version 2 hello without
// a nonce is refused; version 1 terminals still get the version 1 challenge.
func TestHandshakeV2ProvesTheHub(t *testing.T) {
	th := startHub(t, Options{})
	tk := th.enroll(t)

	t.Run("version 2", func(t *testing.T) {
		r := &rawTerm{t: t, ws: dialWS(t, th.wsURL()), tk: tk}
		hello := &protocol.Hello{TerminalID: tk.id, Versions: []int{1, 2}, App: "test", Nonce: bytes.Repeat([]byte{4}, protocol.NonceSize)}
		frame, _ := protocol.Encode(hello)
		r.sendText(frame)
		ch := expect[*protocol.Challenge](r)
		if ch.Version != 2 || !protocol.VerifyHubProof(th.SyncKey(), tk.id, hello.Nonce, frame, ch) {
			t.Fatalf("challenge %+v does not prove the hub's key", ch)
		}
		r.send(protocol.SignChallenge(tk.key, tk.id, ch))
		if w := expect[*protocol.Welcome](r); w.Version != 2 {
			t.Errorf("welcome version %d", w.Version)
		}
	})
	t.Run("unknown terminal gets a proof too", func(t *testing.T) {
		// The proof reveals nothing about which terminals exist: every hello gets one.
		r := &rawTerm{t: t, ws: dialWS(t, th.wsURL()), tk: tk}
		hello := &protocol.Hello{TerminalID: "t-nobody", Versions: []int{2}, App: "test", Nonce: bytes.Repeat([]byte{5}, protocol.NonceSize)}
		frame, _ := protocol.Encode(hello)
		r.sendText(frame)
		ch := expect[*protocol.Challenge](r)
		if !protocol.VerifyHubProof(th.SyncKey(), "t-nobody", hello.Nonce, frame, ch) {
			t.Error("no valid proof for an unknown terminal")
		}
	})
	t.Run("version 2 without nonce", func(t *testing.T) {
		r := &rawTerm{t: t, ws: dialWS(t, th.wsURL()), tk: tk}
		r.send(&protocol.Hello{TerminalID: tk.id, Versions: []int{2}, App: "test"})
		r.expectErr(protocol.CodeBadMessage)
		if code := r.expectClosed(); code != websocket.ClosePolicyViolation {
			t.Errorf("closed with %d", code)
		}
	})
	t.Run("version 1 still served", func(t *testing.T) {
		r := th.connect(t, tk)
		_ = r
	})
}

// TestEnrollHubKey: a terminal that asks for the hub key gets the key the hub proves
// itself with; one that does not ask gets an answer without it.
func TestEnrollHubKey(t *testing.T) {
	th := startHub(t, Options{})
	for _, features := range []string{"identity_key, HUB_KEY", ""} {
		code, _, _ := th.CreateEnrollCode(time.Hour)
		pub, _, _ := ed25519.GenerateKey(nil)
		b, _ := json.Marshal(protocol.EnrollRequest{Code: code, PublicKey: pub, App: "1.0"})
		req, _ := http.NewRequest("POST", th.url(protocol.EnrollPath), bytes.NewReader(b))
		req.Header.Set(protocol.EnrollFeaturesHeader, features)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		er, err := protocol.DecodeEnrollResponse(body)
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		want := features != ""
		if got := th.SyncKey().Equal(ed25519.PublicKey(er.HubKey)); got != want {
			t.Errorf("features %q: hub key %x, hub's is %x", features, er.HubKey, th.SyncKey())
		}
	}
	if th.SyncKey().Equal(th.IdentityKey()) {
		t.Error("the handshake key is the identity-code key: one key for two jobs")
	}
}
