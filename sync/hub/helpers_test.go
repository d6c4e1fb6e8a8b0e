package hub

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/govkiosk/govkiosk/internal/pgtest"

	"github.com/govkiosk/govkiosk/kiosk/tracking"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

// testHub is a real hub serving on a loopback port.
type testHub struct {
	*Hub
	dir  string
	addr string
	opt  Options
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("HUB_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

var (
	pgByDirMu sync.Mutex
	pgByDir   = map[string]string{}
)

// startHub starts a hub on opt. With HUB_TEST_STORE=postgres in the environment it runs
// on a fresh PostgreSQL database instead of bbolt, so the whole suite can check the
// PostgreSQL store; the storage contract tests run on both stores every time.
func startHub(t testing.TB, opt Options) *testHub {
	t.Helper()
	if opt.Dir == "" {
		opt.Dir = t.TempDir()
	}
	if opt.Logger == nil {
		opt.Logger = testLogger(t)
	}
	if opt.Store == "" && os.Getenv("HUB_TEST_STORE") == "postgres" {
		// The whole suite on PostgreSQL; a hub restarted on the same directory gets
		// the same database back.
		pgByDirMu.Lock()
		if pgByDir[opt.Dir] == "" {
			pgByDir[opt.Dir] = pgtest.New(t)
		}
		opt.Store = pgByDir[opt.Dir]
		pgByDirMu.Unlock()
	}
	h, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go h.Serve(ln)
	t.Cleanup(func() { h.Close() })
	return &testHub{Hub: h, dir: opt.Dir, addr: ln.Addr().String(), opt: opt}
}

func (th *testHub) url(path string) string { return "http://" + th.addr + path }
func (th *testHub) wsURL() string          { return "ws://" + th.addr + protocol.ConnectPath }

// termKey is an enrolled terminal's identity.
type termKey struct {
	id, code string
	key      ed25519.PrivateKey
	seq      uint64
}

func (th *testHub) enroll(t testing.TB) *termKey {
	t.Helper()
	code, _, err := th.CreateEnrollCode(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	pub, key, _ := ed25519.GenerateKey(nil)
	resp, err := th.Enroll(&protocol.EnrollRequest{Code: code, PublicKey: pub, App: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return &termKey{id: resp.TerminalID, code: resp.TerminalCode, key: key}
}

// rawTerm is a hand-driven terminal: it speaks the protocol message by message so tests
// can send what a real client never would.
type rawTerm struct {
	t       testing.TB
	ws      *websocket.Conn
	tk      *termKey
	welcome *protocol.Welcome // set by connect
}

func dialWS(t testing.TB, url string) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{protocol.Subprotocol}, HandshakeTimeout: 5 * time.Second}
	ws, resp, err := d.Dial(url, nil)
	if err != nil {
		status := ""
		if resp != nil {
			status = resp.Status
		}
		t.Fatalf("dial: %v %s", err, status)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

// connect dials and completes the handshake.
func (th *testHub) connect(t testing.TB, tk *termKey) *rawTerm {
	t.Helper()
	r := &rawTerm{t: t, ws: dialWS(t, th.wsURL()), tk: tk}
	r.send(&protocol.Hello{TerminalID: tk.id, Versions: []int{1}, App: "test"})
	ch := expect[*protocol.Challenge](r)
	r.send(protocol.SignChallenge(tk.key, tk.id, ch))
	w := expect[*protocol.Welcome](r)
	if w.TerminalID != tk.id || w.TerminalCode != tk.code {
		t.Fatalf("welcome for %s/%s, want %s/%s", w.TerminalID, w.TerminalCode, tk.id, tk.code)
	}
	r.welcome = w
	return r
}

func (r *rawTerm) send(m protocol.Message) {
	r.t.Helper()
	frame, err := protocol.Encode(m)
	if err != nil {
		r.t.Fatal(err)
	}
	r.sendText(frame)
}

func (r *rawTerm) sendText(b []byte) {
	r.t.Helper()
	if err := r.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rawTerm) sendBinary(b []byte) {
	r.t.Helper()
	if err := r.ws.WriteMessage(websocket.BinaryMessage, b); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rawTerm) sendChunk(id string, index int, off int64, data []byte) {
	r.t.Helper()
	frame, err := protocol.AppendChunk(nil, protocol.Chunk{ID: id, Index: index, Offset: off, Data: data})
	if err != nil {
		r.t.Fatal(err)
	}
	r.sendBinary(frame)
}

// recv returns the next message, or the error that ended the connection.
func (r *rawTerm) recv() (protocol.Message, error) {
	r.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	mt, b, err := r.ws.ReadMessage()
	if err != nil {
		return nil, err
	}
	if mt != websocket.TextMessage {
		return nil, fmt.Errorf("hub sent a binary frame")
	}
	return protocol.Decode(b, protocol.Hub)
}

// expect reads messages until one of type T arrives, failing on anything else but pushes.
func expect[T protocol.Message](r *rawTerm) T {
	r.t.Helper()
	for {
		m, err := r.recv()
		if err != nil {
			r.t.Fatalf("waiting for %T: %v", *new(T), err)
		}
		if v, ok := m.(T); ok {
			return v
		}
		switch m.(type) {
		case *protocol.Catalog, *protocol.Config, *protocol.Announcements, *protocol.Status, *protocol.Command:
			continue
		}
		r.t.Fatalf("waiting for %T, got %T %+v", *new(T), m, m)
	}
}

func (r *rawTerm) expectErr(code protocol.Code) *protocol.Error {
	r.t.Helper()
	e := expect[*protocol.Error](r)
	if e.Code != code {
		r.t.Fatalf("error %s (%s), want %s", e.Code, e.Message, code)
	}
	return e
}

// expectClosed waits for the hub to end the connection and returns the close code.
func (r *rawTerm) expectClosed() int {
	r.t.Helper()
	for {
		_, err := r.recv()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		return -1
	}
}

// upload sends a whole submission and returns the hub's ack.
func (r *rawTerm) upload(sub *protocol.Submit, files [][]byte) *protocol.Ack {
	r.t.Helper()
	r.send(sub)
	m, err := r.recv()
	for err == nil && isPush(m) {
		m, err = r.recv()
	}
	if err != nil {
		r.t.Fatal(err)
	}
	if ack, ok := m.(*protocol.Ack); ok {
		return ack
	}
	st, ok := m.(*protocol.UploadState)
	if !ok {
		r.t.Fatalf("submit answered with %T %+v", m, m)
	}
	for i, data := range files {
		for off := st.Offsets[i]; off < int64(len(data)); {
			n := min(int64(protocol.MaxChunkData), int64(len(data))-off)
			r.sendChunk(sub.ID, i, off, data[off:off+n])
			ack := expect[*protocol.ChunkAck](r)
			off = ack.Next
		}
	}
	r.send(&protocol.Commit{ID: sub.ID})
	return expect[*protocol.Ack](r)
}

func isPush(m protocol.Message) bool {
	switch m.(type) {
	case *protocol.Catalog, *protocol.Config, *protocol.Announcements, *protocol.Status, *protocol.Command:
		return true
	}
	return false
}

// synthetic builds a submission with fictional personal data: the ID number uses region
// 990101, which GB/T 2260 does not assign, with a correct check digit.
func synthetic(t testing.TB, tk *termKey, files ...[]byte) *protocol.Submit {
	t.Helper()
	tk.seq++
	code, err := tracking.New(tk.code, tk.seq)
	if err != nil {
		t.Fatal(err)
	}
	s := &protocol.Submit{
		ID: fmt.Sprintf("sub-%s-%d", tk.code, tk.seq), TrackingCode: code, Item: "hukou.move", ItemTitle: "户口迁移",
		CreatedAt: time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC),
		Fields:    map[string]string{"name": "测试甲", "id_number": "990101199003071237", "phone": "13800000000"},
	}
	for i, f := range files {
		sum := sha256.Sum256(f)
		s.Attachments = append(s.Attachments, protocol.Attachment{Name: fmt.Sprintf("scan%d.jpg", i),
			ContentType: "image/jpeg", Size: int64(len(f)), SHA256: hex.EncodeToString(sum[:])})
	}
	return s
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// waitSwept waits for the hub's first sweep round (pruning at the start of serving), so a
// test that then moves its clock knows the round saw the clock as it was.
func waitSwept(t testing.TB, h *Hub) {
	t.Helper()
	select {
	case <-h.swept:
	case <-time.After(30 * time.Second):
		t.Fatal("the hub's first sweep did not run")
	}
}
