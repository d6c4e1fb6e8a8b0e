package hub

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/govkiosk/govkiosk/kiosk/tracking"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

func TestEnrollment(t *testing.T) {
	th := startHub(t, Options{})
	post := func(req any) (*http.Response, []byte) {
		b, _ := json.Marshal(req)
		resp, err := http.Post(th.url(protocol.EnrollPath), "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}
	code, _, err := th.CreateEnrollCode(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _ := ed25519.GenerateKey(nil)
	resp, body := post(protocol.EnrollRequest{Code: strings.ToLower(code), PublicKey: pub, App: "1.0"})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("enroll: %s %s", resp.Status, body)
	}
	var er protocol.EnrollResponse
	if err := json.Unmarshal(body, &er); err != nil || er.Validate() != nil {
		t.Fatalf("enroll response %s: %v", body, err)
	}
	if _, err := tracking.NormalizeTerminal(er.TerminalCode); err != nil {
		t.Errorf("terminal code %q cannot start a tracking code: %v", er.TerminalCode, err)
	}
	if er.HubID != th.ID() {
		t.Errorf("hub id %q, want %q", er.HubID, th.ID())
	}

	expired := "EXPIRED-CODE-1"
	if _, err := th.AddEnrollCode(expired, time.Nanosecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Millisecond)
	tests := []struct {
		name   string
		req    any
		status int
		code   protocol.Code
	}{
		{"used code", protocol.EnrollRequest{Code: code, PublicKey: pub, App: "1.0"}, http.StatusForbidden, protocol.CodeEnrollInvalid},
		{"unknown code", protocol.EnrollRequest{Code: "NOPE-NOPE", PublicKey: pub, App: "1.0"}, http.StatusForbidden, protocol.CodeEnrollInvalid},
		{"expired code", protocol.EnrollRequest{Code: expired, PublicKey: pub, App: "1.0"}, http.StatusForbidden, protocol.CodeEnrollInvalid},
		{"short key", protocol.EnrollRequest{Code: "ABCD-EFGH", PublicKey: pub[:5], App: "1.0"}, http.StatusBadRequest, protocol.CodeBadMessage},
		{"unknown field", map[string]any{"code": "ABCD-EFGH", "public_key": pub, "app_version": "1", "admin": true}, http.StatusBadRequest, protocol.CodeBadMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := post(tt.req)
			var e protocol.Error
			json.Unmarshal(body, &e)
			if resp.StatusCode != tt.status || e.Code != tt.code {
				t.Errorf("got %s %s, want %d %s", resp.Status, body, tt.status, tt.code)
			}
		})
	}
	if n := len(th.Terminals()); n != 1 {
		t.Errorf("%d terminals enrolled, want 1", n)
	}
	if _, err := th.AddEnrollCode("short", time.Hour); !errors.Is(err, ErrInvalid) {
		t.Errorf("weak operator code accepted: %v", err)
	}
}

func TestTerminalCodesUnique(t *testing.T) {
	th := startHub(t, Options{})
	seen := map[string]bool{}
	for range 200 {
		tk := th.enroll(t)
		if seen[tk.code] {
			t.Fatalf("terminal code %s assigned twice", tk.code)
		}
		seen[tk.code] = true
	}
}

func TestHandshakeRefusals(t *testing.T) {
	th := startHub(t, Options{})
	tk := th.enroll(t)
	other := th.enroll(t)
	_, strangerKey, _ := ed25519.GenerateKey(nil)

	// A signature captured from an earlier connection, to replay.
	first := &rawTerm{t: t, ws: dialWS(t, th.wsURL()), tk: tk}
	first.send(&protocol.Hello{TerminalID: tk.id, Versions: []int{1}, App: "test"})
	oldAuth := protocol.SignChallenge(tk.key, tk.id, expect[*protocol.Challenge](first))
	first.ws.Close()

	tests := []struct {
		name string
		run  func(r *rawTerm)
		code protocol.Code
	}{
		{"wrong key", func(r *rawTerm) {
			r.send(&protocol.Hello{TerminalID: tk.id, Versions: []int{1}, App: "test"})
			r.send(protocol.SignChallenge(strangerKey, tk.id, expect[*protocol.Challenge](r)))
		}, protocol.CodeAuthFailed},
		{"other terminal's key", func(r *rawTerm) {
			r.send(&protocol.Hello{TerminalID: tk.id, Versions: []int{1}, App: "test"})
			r.send(protocol.SignChallenge(other.key, tk.id, expect[*protocol.Challenge](r)))
		}, protocol.CodeAuthFailed},
		{"unknown terminal", func(r *rawTerm) {
			r.send(&protocol.Hello{TerminalID: "t-nobody", Versions: []int{1}, App: "test"})
			r.send(protocol.SignChallenge(strangerKey, "t-nobody", expect[*protocol.Challenge](r)))
		}, protocol.CodeAuthFailed},
		{"replayed signature", func(r *rawTerm) {
			r.send(&protocol.Hello{TerminalID: tk.id, Versions: []int{1}, App: "test"})
			expect[*protocol.Challenge](r)
			r.send(oldAuth)
		}, protocol.CodeAuthFailed},
		{"no common version", func(r *rawTerm) {
			r.send(&protocol.Hello{TerminalID: tk.id, Versions: []int{7}, App: "test"})
		}, protocol.CodeUnsupportedVersion},
		{"submit before hello", func(r *rawTerm) {
			r.send(synthetic(t, tk))
		}, protocol.CodeUnexpected},
		{"garbage", func(r *rawTerm) {
			r.sendText([]byte("{not json"))
		}, protocol.CodeBadMessage},
		{"binary before handshake", func(r *rawTerm) {
			r.sendChunk("s-1", 0, 0, []byte{1})
		}, protocol.CodeUnexpected},
		{"hello twice", func(r *rawTerm) {
			r.send(&protocol.Hello{TerminalID: tk.id, Versions: []int{1}, App: "test"})
			expect[*protocol.Challenge](r)
			r.send(&protocol.Hello{TerminalID: tk.id, Versions: []int{1}, App: "test"})
		}, protocol.CodeUnexpected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &rawTerm{t: t, ws: dialWS(t, th.wsURL()), tk: tk}
			tt.run(r)
			r.expectErr(tt.code)
			if code := r.expectClosed(); code != websocket.ClosePolicyViolation {
				t.Errorf("close code %d, want %d", code, websocket.ClosePolicyViolation)
			}
		})
	}
	if s := th.Stats(); s.Handshakes != 0 || s.Online != 0 {
		t.Errorf("a refused handshake got through: %+v", s)
	}

	t.Run("no subprotocol", func(t *testing.T) {
		ws, _, err := websocket.DefaultDialer.Dial(th.wsURL(), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		r := &rawTerm{t: t, ws: ws}
		r.expectErr(protocol.CodeUnsupportedVersion)
	})
}

func TestSubmitStoresOnce(t *testing.T) {
	th := startHub(t, Options{})
	tk := th.enroll(t)
	r := th.connect(t, tk)
	files := [][]byte{randomBytes(600<<10, 1), randomBytes(1000, 2), {}}
	sub := synthetic(t, tk, files...)
	ack := r.upload(sub, files)
	if ack.ID != sub.ID || ack.Kind != protocol.AckSubmission || ack.Duplicate {
		t.Fatalf("ack %+v", ack)
	}
	got, err := th.Submissions(SubmissionQuery{TrackingCode: sub.TrackingCode, Personal: true})
	if err != nil || len(got) != 1 {
		t.Fatalf("Submissions = %v, %v", got, err)
	}
	s := got[0]
	if s.Item != "hukou.move" || s.Attachments != 3 || s.HubRef != ack.HubRef || s.TerminalCode != tk.code {
		t.Errorf("stored %+v", s)
	}
	if s.Fields["name"] != "测试甲" {
		t.Errorf("fields not kept: %v", s.Fields)
	}
	for i, f := range files {
		b, err := th.ReadAttachment(sub.TrackingCode, i)
		if err != nil || !bytes.Equal(b, f) {
			t.Errorf("attachment %d: %d bytes, %v", i, len(b), err)
		}
	}
	if th.pg != nil {
		return // the rest reads the bbolt store's files
	}
	// Nothing personal is stored in the clear.
	db, _ := os.ReadFile(filepath.Join(th.dir, "hub.db"))
	if bytes.Contains(db, []byte("测试甲")) || bytes.Contains(db, []byte("990101199003071237")) {
		t.Error("personal data in the database in plain text")
	}
	bin, _ := os.ReadFile(filepath.Join(th.dir, "attachments", tk.id, sub.ID, "1.bin"))
	if len(bin) == 0 || bytes.Contains(bin, files[1][:64]) {
		t.Error("attachment stored in plain text (or not at all)")
	}
	if st := th.Stats(); st.Submissions != 1 || st.ChunksStored != 4 || st.Uploads != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestDuplicateSubmitReturnsOriginalAck(t *testing.T) {
	th := startHub(t, Options{})
	tk := th.enroll(t)
	files := [][]byte{randomBytes(300<<10, 3)}
	sub := synthetic(t, tk, files...)
	first := th.connect(t, tk).upload(sub, files)

	// The ack was lost; the terminal reconnects and tries again.
	r := th.connect(t, tk)
	r.send(sub)
	again := expect[*protocol.Ack](r)
	r.send(&protocol.Commit{ID: sub.ID})
	third := expect[*protocol.Ack](r)
	for _, a := range []*protocol.Ack{again, third} {
		if a.HubRef != first.HubRef || !a.ReceivedAt.Equal(first.ReceivedAt) || !a.Duplicate {
			t.Errorf("repeat ack %+v, original %+v", a, first)
		}
	}
	// Same id, different content: refused, and the original is untouched.
	changed := *sub
	changed.Item = "other.item"
	r.send(&changed)
	r.expectErr(protocol.CodeConflict)
	rating := &protocol.Rating{ID: "r-1", SubmissionID: sub.ID, Stars: 5, Comment: "样例乙很满意", CreatedAt: sub.CreatedAt}
	r.send(rating)
	ra := expect[*protocol.Ack](r)
	r.send(rating)
	if rb := expect[*protocol.Ack](r); rb.HubRef != ra.HubRef || !rb.Duplicate {
		t.Errorf("repeated rating ack %+v, original %+v", rb, ra)
	}
	if st := th.Stats(); st.Submissions != 1 || st.Ratings != 1 || st.Duplicates != 3 {
		t.Errorf("stats %+v", st)
	}
	if subs, _ := th.Submissions(SubmissionQuery{}); len(subs) != 1 {
		t.Errorf("%d submissions stored, want 1", len(subs))
	}
}

func TestBadFramesChangeNothing(t *testing.T) {
	th := startHub(t, Options{})
	tk := th.enroll(t)
	r := th.connect(t, tk)
	data := randomBytes(protocol.MaxChunkData+1000, 4)
	sub := synthetic(t, tk, data)
	r.send(sub)
	if st := expect[*protocol.UploadState](r); st.Offsets[0] != 0 {
		t.Fatalf("offsets %v", st.Offsets)
	}
	r.sendChunk(sub.ID, 0, 0, data[:protocol.MaxChunkData])
	if a := expect[*protocol.ChunkAck](r); a.Next != protocol.MaxChunkData {
		t.Fatalf("ack %+v", a)
	}
	before := th.Stats()
	other := synthetic(t, tk)
	tests := []struct {
		name string
		send func()
		code protocol.Code
	}{
		{"garbage", func() { r.sendText([]byte("\x00\x01 not json")) }, protocol.CodeBadMessage},
		{"unknown type", func() { r.sendText([]byte(`{"type":"delete_all","body":{}}`)) }, protocol.CodeBadMessage},
		{"hub's message type", func() { r.sendText([]byte(`{"type":"ack","body":{}}`)) }, protocol.CodeUnexpected},
		{"missing field", func() { r.sendText([]byte(`{"type":"commit","body":{}}`)) }, protocol.CodeBadMessage},
		{"oversized text", func() {
			r.sendText([]byte(`{"type":"commit","body":{"id":"` + strings.Repeat("x", protocol.MaxClientText) + `"}}`))
		}, protocol.CodeTooLarge},
		{"hello again", func() { r.send(&protocol.Hello{TerminalID: tk.id, Versions: []int{1}, App: "x"}) }, protocol.CodeUnexpected},
		{"replayed chunk", func() { r.sendChunk(sub.ID, 0, 0, data[:protocol.MaxChunkData]) }, protocol.CodeBadOffset},
		{"chunk from the future", func() { r.sendChunk(sub.ID, 0, 2*protocol.MaxChunkData, data[:10]) }, protocol.CodeBadOffset},
		{"chunk past the end", func() { r.sendChunk(sub.ID, 0, protocol.MaxChunkData, data[:2000]) }, protocol.CodeBadMessage},
		{"no such attachment", func() { r.sendChunk(sub.ID, 3, 0, data[:10]) }, protocol.CodeBadMessage},
		{"bad chunk header", func() { r.sendBinary([]byte{0x01, 200, 'x'}) }, protocol.CodeBadMessage},
		{"chunk for another submission", func() { r.sendChunk(other.ID, 0, 0, data[:10]) }, protocol.CodeNotFound},
		{"commit before complete", func() { r.send(&protocol.Commit{ID: sub.ID}) }, protocol.CodeIncomplete},
		{"commit unknown", func() { r.send(&protocol.Commit{ID: other.ID}) }, protocol.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.send()
			r.t = t
			r.expectErr(tt.code)
		})
	}
	r.t = t
	after := th.Stats()
	if after.ChunksStored != before.ChunksStored || after.Submissions != 0 || after.ChunkBytes != before.ChunkBytes {
		t.Errorf("refused frames changed the hub: before %+v after %+v", before, after)
	}
	// The upload is exactly where it was.
	r.sendChunk(sub.ID, 0, protocol.MaxChunkData, data[protocol.MaxChunkData:])
	if a := expect[*protocol.ChunkAck](r); a.Next != int64(len(data)) {
		t.Fatalf("ack %+v", a)
	}
	r.send(&protocol.Commit{ID: sub.ID})
	expect[*protocol.Ack](r)
	got, _ := th.ReadAttachment(sub.TrackingCode, 0)
	if !bytes.Equal(got, data) {
		t.Error("stored attachment differs")
	}

	// A frame over the read limit ends the connection: reading it to the end would be
	// the attack.
	r.sendBinary(make([]byte, protocol.MaxChunkFrame+1))
	if code := r.expectClosed(); code != websocket.CloseMessageTooBig {
		t.Errorf("close code %d, want %d", code, websocket.CloseMessageTooBig)
	}
}

func TestTerminalsAreIsolated(t *testing.T) {
	th := startHub(t, Options{})
	a, b := th.enroll(t), th.enroll(t)
	ra := th.connect(t, a)
	data := randomBytes(protocol.MaxChunkData*2, 5)
	sub := synthetic(t, a, data)
	ra.send(sub)
	expect[*protocol.UploadState](ra)
	ra.sendChunk(sub.ID, 0, 0, data[:protocol.MaxChunkData])
	expect[*protocol.ChunkAck](ra)
	done := synthetic(t, a)
	ackA := ra.upload(done, nil)
	st, err := th.PostStatus(done.TrackingCode, "processing", "")
	if err != nil {
		t.Fatal(err)
	}
	expect[*protocol.Status](ra) // a's own update reaches a

	rb := th.connect(t, b)
	stolen := *sub
	stolen.TrackingCode, _ = tracking.New(b.code, 99)
	rb.send(&stolen)
	rb.expectErr(protocol.CodeConflict)
	rb.send(done) // the exact metadata of a's committed submission
	rb.expectErr(protocol.CodeConflict)
	rb.send(&protocol.Commit{ID: done.ID})
	rb.expectErr(protocol.CodeNotFound)
	rb.send(&protocol.Commit{ID: sub.ID})
	rb.expectErr(protocol.CodeNotFound)
	rb.sendChunk(sub.ID, 0, protocol.MaxChunkData, data[protocol.MaxChunkData:])
	rb.expectErr(protocol.CodeNotFound)
	rb.send(&protocol.StatusAck{UpdateID: st.UpdateID})
	// b got nothing of a's: no status push, no ack for a's ids.
	rb.send(&protocol.Commit{ID: "probe"})
	rb.expectErr(protocol.CodeNotFound)

	if pending, _ := th.st.pendingStatus(a.id); len(pending) != 1 {
		t.Errorf("another terminal acknowledged a's status update: %d pending", len(pending))
	}
	if subs, _ := th.Submissions(SubmissionQuery{TerminalID: b.id}); len(subs) != 0 {
		t.Errorf("b has submissions: %+v", subs)
	}
	if subs, _ := th.Submissions(SubmissionQuery{TrackingCode: done.TrackingCode}); len(subs) != 1 || subs[0].HubRef != ackA.HubRef {
		t.Errorf("a's submission changed: %+v", subs)
	}
	// a's upload continues untouched (one upload per connection: submit resumes it).
	ra.send(sub)
	if st := expect[*protocol.UploadState](ra); st.Offsets[0] != protocol.MaxChunkData {
		t.Errorf("a's upload moved: %v", st.Offsets)
	}
	ra.sendChunk(sub.ID, 0, protocol.MaxChunkData, data[protocol.MaxChunkData:])
	expect[*protocol.ChunkAck](ra)
	ra.send(&protocol.Commit{ID: sub.ID})
	expect[*protocol.Ack](ra)
}

func TestUploadSlotsAnswerTryLater(t *testing.T) {
	th := startHub(t, Options{MaxUploads: 1, RetryAfter: 1500 * time.Millisecond})
	a, b := th.enroll(t), th.enroll(t)
	ra, rb := th.connect(t, a), th.connect(t, b)
	data := randomBytes(1000, 6)
	subA, subB := synthetic(t, a, data), synthetic(t, b, data)
	ra.send(subA)
	expect[*protocol.UploadState](ra)
	rb.send(subB)
	e := rb.expectErr(protocol.CodeTryLater)
	if e.Ref != subB.ID || e.RetryAfterMS != 1500 {
		t.Errorf("try_later %+v", e)
	}
	// Metadata-only submissions need no slot.
	if ack := rb.upload(synthetic(t, b), nil); ack.Duplicate {
		t.Errorf("ack %+v", ack)
	}
	ra.sendChunk(subA.ID, 0, 0, data)
	expect[*protocol.ChunkAck](ra)
	ra.send(&protocol.Commit{ID: subA.ID})
	expect[*protocol.Ack](ra)
	rb.upload(subB, [][]byte{data})
	if th.Stats().Uploads != 0 {
		t.Error("upload slot leaked")
	}
}

func TestHandshakeRateLimit(t *testing.T) {
	th := startHub(t, Options{HandshakeRate: 0.5, HandshakeBurst: 2, RetryAfter: time.Second})
	tk := th.enroll(t)
	th.connect(t, tk)
	th.connect(t, tk)
	d := websocket.Dialer{Subprotocols: []string{protocol.Subprotocol}}
	_, resp, err := d.Dial(th.wsURL(), nil)
	if err == nil {
		t.Fatal("third handshake within the burst was accepted")
	}
	if resp == nil || resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("refusal: %v %+v", err, resp)
	}
	var e protocol.Error
	body, _ := io.ReadAll(resp.Body)
	if json.Unmarshal(body, &e); e.Code != protocol.CodeTryLater || e.RetryAfterMS < 1000 {
		t.Errorf("refusal body %s", body)
	}
	if th.Stats().HandshakesRefused != 1 {
		t.Errorf("stats %+v", th.Stats())
	}
}

func TestChecksumMismatchRestartsAttachment(t *testing.T) {
	th := startHub(t, Options{})
	tk := th.enroll(t)
	r := th.connect(t, tk)
	data := randomBytes(5000, 7)
	sub := synthetic(t, tk, data)
	sub.Attachments[0].SHA256 = strings.Repeat("ab", 32)
	r.send(sub)
	expect[*protocol.UploadState](r)
	r.sendChunk(sub.ID, 0, 0, data)
	if e := r.expectErr(protocol.CodeChecksum); e.Next != 0 || e.Index != 0 {
		t.Errorf("checksum error %+v", e)
	}
	r.send(sub)
	if st := expect[*protocol.UploadState](r); st.Offsets[0] != 0 {
		t.Errorf("after a mismatch the hub expects offset %d, want 0", st.Offsets[0])
	}
	r.send(&protocol.Commit{ID: sub.ID})
	r.expectErr(protocol.CodeIncomplete)
}

func TestHubRestartResumesFromDisk(t *testing.T) {
	dir := t.TempDir()
	th := startHub(t, Options{Dir: dir})
	if th.pg != nil {
		t.Skip("tears an attachment file of the bbolt store; the PostgreSQL store writes a chunk and its offset in one transaction")
	}
	tk := th.enroll(t)
	r := th.connect(t, tk)
	data := randomBytes(3*protocol.MaxChunkData+77, 8)
	sub := synthetic(t, tk, data)
	r.send(sub)
	expect[*protocol.UploadState](r)
	for off := 0; off < 2*protocol.MaxChunkData; off += protocol.MaxChunkData {
		r.sendChunk(sub.ID, 0, int64(off), data[off:off+protocol.MaxChunkData])
		expect[*protocol.ChunkAck](r)
	}
	th.Close()
	// A power cut mid-write leaves half a record behind.
	part := filepath.Join(dir, "attachments", tk.id, sub.ID, "0.part")
	f, err := os.OpenFile(part, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0, 4, 0, 0, 1, 2, 3})
	f.Close()

	th2 := startHub(t, Options{Dir: dir})
	r2 := th2.connect(t, tk)
	r2.send(sub)
	st := expect[*protocol.UploadState](r2)
	if st.Offsets[0] != 2*protocol.MaxChunkData {
		t.Fatalf("resume at %d, want %d", st.Offsets[0], 2*protocol.MaxChunkData)
	}
	ack := r2.upload(sub, [][]byte{data})
	if ack.Duplicate {
		t.Error("first commit reported as duplicate")
	}
	got, err := th2.ReadAttachment(sub.TrackingCode, 0)
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("attachment after restart: %d bytes, %v", len(got), err)
	}
	if s := th2.Stats(); s.ChunksStored != 2 {
		t.Errorf("the restarted hub stored %d chunks, want 2 (no resend)", s.ChunksStored)
	}
}

func TestPushes(t *testing.T) {
	th := startHub(t, Options{})
	if _, err := th.SetCatalog("", []byte(`{"items":[1]}`)); err != nil {
		t.Fatal(err)
	}
	tk := th.enroll(t)

	// A stale terminal gets the catalog right after welcome.
	r := &rawTerm{t: t, ws: dialWS(t, th.wsURL()), tk: tk}
	r.send(&protocol.Hello{TerminalID: tk.id, Versions: []int{1}, App: "test", Catalog: "old"})
	r.send(protocol.SignChallenge(tk.key, tk.id, expect[*protocol.Challenge](r)))
	w := expect[*protocol.Welcome](r)
	cat := expect[*protocol.Catalog](r)
	if cat.Version != w.Catalog || string(cat.Payload) != `{"items":[1]}` {
		t.Errorf("catalog push %+v, welcome %+v", cat, w)
	}
	// A heartbeat still reporting the old version gets no second copy on this connection.
	hb := &protocol.Heartbeat{At: time.Now(), App: "test", Catalog: "old",
		Devices: []protocol.DeviceStatus{{Device: "printer", Kind: "printer", State: protocol.DeviceUserError, Reason: "paper out", Since: time.Now()}}}
	r.send(hb)
	v, err := th.SetConfig("cfg-2", []byte(`{"idle":"90s"}`))
	if err != nil || v != "cfg-2" {
		t.Fatal(v, err)
	}
	if c := expect[*protocol.Config](r); c.Version != "cfg-2" {
		t.Errorf("config push %+v", c)
	}
	if _, err := th.SetAnnouncements("", []protocol.Announcement{{ID: "n1", Title: "通知", Body: "测试", Level: protocol.LevelInfo}}); err != nil {
		t.Fatal(err)
	}
	if a := expect[*protocol.Announcements](r); len(a.Items) != 1 {
		t.Errorf("announcements %+v", a)
	}
	waitFor(t, "heartbeat recorded", func() bool {
		ts := th.Terminals()
		return len(ts) == 1 && len(ts[0].Devices) == 1
	})
	if ts := th.Terminals(); !ts[0].Online || ts[0].Devices[0].State != protocol.DeviceUserError || !ts[0].CatalogStale {
		t.Errorf("terminal view %+v", ts[0])
	}
	if _, err := th.SetCatalog("v1", []byte(`not json`)); !errors.Is(err, ErrInvalid) {
		t.Errorf("invalid catalog accepted: %v", err)
	}

	// Published state survives a restart.
	th.Close()
	th2 := startHub(t, Options{Dir: th.dir})
	if v, _, ok := th2.Published(kindConfig); !ok || v != "cfg-2" {
		t.Errorf("config after restart: %q %v", v, ok)
	}
}

func TestStatusUpdatesUntilAcknowledged(t *testing.T) {
	th := startHub(t, Options{})
	tk := th.enroll(t)
	r := th.connect(t, tk)
	sub := synthetic(t, tk)
	r.upload(sub, nil)
	if _, err := th.PostStatus("NOPE-00000-0", "done", ""); err == nil {
		t.Error("status for an unknown code accepted")
	}
	if _, err := th.PostStatus(sub.TrackingCode, "Not A Word", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad status word: %v", err)
	}
	st, err := th.PostStatus(strings.ToLower(sub.TrackingCode), "processing", "材料已受理")
	if err != nil {
		t.Fatal(err)
	}
	got := expect[*protocol.Status](r)
	if got.UpdateID != st.UpdateID || got.TrackingCode != sub.TrackingCode {
		t.Errorf("status %+v", got)
	}
	r.ws.Close() // not acknowledged: resent on the next connection
	r = th.connect(t, tk)
	if again := expect[*protocol.Status](r); again.UpdateID != st.UpdateID {
		t.Errorf("resent %+v", again)
	}
	r.send(&protocol.StatusAck{UpdateID: st.UpdateID})
	waitFor(t, "status ack", func() bool {
		p, _ := th.st.pendingStatus(tk.id)
		return len(p) == 0
	})
	subs, _ := th.Submissions(SubmissionQuery{TrackingCode: sub.TrackingCode})
	if subs[0].Status != "processing" {
		t.Errorf("submission status %q", subs[0].Status)
	}
}

func TestCommands(t *testing.T) {
	th := startHub(t, Options{})
	tk := th.enroll(t)
	if _, err := th.SendCommand("t-nobody", protocol.CommandReload, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("command to unknown terminal: %v", err)
	}
	id, err := th.SendCommand(tk.id, protocol.CommandCollectLogs, map[string]string{"since": "1h"})
	if err != nil {
		t.Fatal(err)
	}
	r := th.connect(t, tk) // offline when sent: delivered on connect
	cmd := expect[*protocol.Command](r)
	if cmd.ID != id || cmd.Name != protocol.CommandCollectLogs {
		t.Fatalf("command %+v", cmd)
	}
	other := th.connect(t, th.enroll(t))
	other.send(&protocol.CommandResult{ID: id, OK: false, Error: "forged"})
	r.send(&protocol.CommandResult{ID: id, OK: true, Output: "42 lines"})
	waitFor(t, "command result", func() bool { _, ok := th.CommandResult(id); return ok })
	if res, _ := th.CommandResult(id); !res.OK || res.Output != "42 lines" {
		t.Errorf("result %+v (another terminal answered?)", res)
	}
}

func TestReplacedConnectionIsClosed(t *testing.T) {
	th := startHub(t, Options{})
	tk := th.enroll(t)
	old := th.connect(t, tk)
	data := randomBytes(protocol.MaxChunkData+5, 9)
	sub := synthetic(t, tk, data)
	old.send(sub)
	expect[*protocol.UploadState](old)
	fresh := th.connect(t, tk)
	if code := old.expectClosed(); code != closeReplaced {
		t.Errorf("old connection closed with %d, want %d", code, closeReplaced)
	}
	fresh.upload(sub, [][]byte{data})
	waitFor(t, "one connection", func() bool { return th.Stats().Connections == 1 })
}

// A crash after the last chunk was stored but before it was checked and renamed leaves a
// complete .part file; the next submit finishes it instead of waiting for bytes that
// will never come.
func TestCompletePartFileAfterCrash(t *testing.T) {
	th := startHub(t, Options{})
	tk := th.enroll(t)
	data := randomBytes(protocol.MaxChunkData+10, 14)
	sub := synthetic(t, tk, data)
	r := th.connect(t, tk)
	r.send(sub)
	expect[*protocol.UploadState](r)
	r.ws.Close()
	waitFor(t, "upload released", func() bool { return th.Stats().Uploads == 0 })

	p, err := th.att.openPart(tk.id, sub.ID, 0, sub.Attachments[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := p.append(data[:protocol.MaxChunkData]); err != nil {
		t.Fatal(err)
	}
	if err := p.append(data[protocol.MaxChunkData:]); err != nil {
		t.Fatal(err)
	}
	p.close()

	r = th.connect(t, tk)
	r.send(sub)
	if st := expect[*protocol.UploadState](r); st.Offsets[0] != int64(len(data)) {
		t.Fatalf("offsets %v, want the whole attachment", st.Offsets)
	}
	r.send(&protocol.Commit{ID: sub.ID})
	expect[*protocol.Ack](r)
	if got, err := th.ReadAttachment(sub.TrackingCode, 0); err != nil || !bytes.Equal(got, data) {
		t.Errorf("attachment: %d bytes, %v", len(got), err)
	}
}
