package hub

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/sync/protocol"
)

// TestStorageRevokeTerminal: a revocation is durable, keeps its first time and reason,
// leaves the terminal's submissions alone, and an unknown terminal is not found.
func TestStorageRevokeTerminal(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage, _ attachmentStorage) {
		now := time.Unix(1700000000, 0).UTC()
		if err := st.addEnrollCode("CODE-1", now, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		pub, _, _ := ed25519.GenerateKey(nil)
		rec, err := st.enroll("CODE-1", now, pub, "hall 1", "1.0")
		if err != nil {
			t.Fatal(err)
		}
		sub := openRec(t, "s-1", rec.Code, 1)
		sub.TerminalID = rec.ID
		if _, _, err := st.openSubmission(sub); err != nil {
			t.Fatal(err)
		}
		if _, err := st.commitSubmission("s-1", now); err != nil {
			t.Fatal(err)
		}
		got, err := st.revokeTerminal(rec.ID, now.Add(time.Minute), "op-operator", "stolen")
		if err != nil {
			t.Fatal(err)
		}
		if !got.revoked() || got.RevokedBy != "op-operator" || got.RevokeReason != "stolen" || !got.RevokedAt.Equal(now.Add(time.Minute)) {
			t.Fatalf("revoked record %+v", got)
		}
		again, err := st.revokeTerminal(rec.ID, now.Add(time.Hour), "op-admin", "lost")
		if err != nil || again.RevokeReason != "stolen" || !again.RevokedAt.Equal(now.Add(time.Minute)) {
			t.Fatalf("second revocation: %+v, %v; want the first kept", again, err)
		}
		stored, err := st.terminal(rec.ID)
		if err != nil || stored == nil || !stored.revoked() || stored.Code != rec.Code || !ed25519.PublicKey(stored.PublicKey).Equal(pub) {
			t.Fatalf("stored terminal %+v, %v", stored, err)
		}
		if s, err := st.submission("s-1"); err != nil || s == nil || s.State != stateCommitted {
			t.Fatalf("the revoked terminal's submission: %+v, %v", s, err)
		}
		if _, err := st.revokeTerminal("t-unknown", now, "op", "lost"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown terminal: %v, want ErrNotFound", err)
		}
	})
}

// handshakeV2 runs hello, challenge and auth for tk and returns the hub's answer to auth.
func handshakeV2(t *testing.T, th *testHub, tk *termKey) (*rawTerm, protocol.Message) {
	t.Helper()
	r := &rawTerm{t: t, ws: dialWS(t, th.wsURL()), tk: tk}
	r.send(&protocol.Hello{TerminalID: tk.id, Versions: []int{2}, App: "test", Nonce: make([]byte, protocol.NonceSize)})
	ch := expect[*protocol.Challenge](r)
	r.send(protocol.SignChallenge(tk.key, tk.id, ch))
	m, err := r.recv()
	for err == nil && isPush(m) {
		m, err = r.recv()
	}
	if err != nil {
		t.Fatalf("answer to auth: %v", err)
	}
	return r, m
}

// TestRevokedTerminalRefused: an operator revokes a terminal. Its open connection is
// closed with 4003, its key is refused at the next handshake with the reason "revoked"
// (a stranger without the key still hears only auth_failed), it can be sent no commands,
// the revocation is in the audit log, and what it delivered stays.
func TestRevokedTerminalRefused(t *testing.T) {
	th, secrets := opHub(t, Options{})
	tk := th.enroll(t)
	other := th.enroll(t)
	r := th.connect(t, tk)
	sub := synthetic(t, tk, []byte("scan of page one"))
	if ack := r.upload(sub, [][]byte{[]byte("scan of page one")}); ack.HubRef == "" {
		t.Fatalf("ack %+v", ack)
	}
	op := basic("op-operator", secrets[RoleOperator])

	// A viewer may not revoke; the refusal is audited too.
	if rec := call(th.Hub, "POST", "/api/terminals/"+tk.id+"/revoke", basic("op-viewer", secrets[RoleViewer]), "127.0.0.1:4000", false, `{"reason":"stolen"}`); rec.Code != 403 {
		t.Fatalf("viewer revoked: %d %s", rec.Code, rec.Body)
	}
	if rec := call(th.Hub, "POST", "/api/terminals/"+tk.id+"/revoke", op, "127.0.0.1:4000", false, `{}`); rec.Code != 400 {
		t.Fatalf("revocation without a reason: %d %s", rec.Code, rec.Body)
	}
	rec := call(th.Hub, "POST", "/api/terminals/"+tk.id+"/revoke", op, "127.0.0.1:4000", false, `{"reason":"stolen from hall 2"}`)
	if rec.Code != 200 {
		t.Fatalf("revoke: %d %s", rec.Code, rec.Body)
	}
	var ti TerminalInfo
	if err := json.Unmarshal(rec.Body.Bytes(), &ti); err != nil || ti.RevokedAt.IsZero() || ti.RevokedBy != "op-operator" || ti.RevokeReason != "stolen from hall 2" {
		t.Fatalf("revoke answered %s (%v)", rec.Body, err)
	}

	// The open connection: told why, then closed with 4003.
	if e := r.expectErr(protocol.CodeRevoked); !strings.Contains(e.Message, "revoked") {
		t.Errorf("message %q", e.Message)
	}
	if code := r.expectClosed(); code != closeRevoked {
		t.Fatalf("open connection closed with %d, want %d", code, closeRevoked)
	}

	// The key is refused, with the reason.
	r2, m := handshakeV2(t, th, tk)
	e, ok := m.(*protocol.Error)
	if !ok || e.Code != protocol.CodeRevoked || !strings.Contains(e.Message, "enroll it again") {
		t.Fatalf("handshake of the revoked terminal answered %T %+v", m, m)
	}
	if code := r2.expectClosed(); code != 1008 {
		t.Errorf("closed with %d, want 1008", code)
	}
	// Someone with the terminal's id but not its key learns nothing.
	stranger := &termKey{id: tk.id, code: tk.code}
	_, stranger.key, _ = ed25519.GenerateKey(nil)
	if _, m := handshakeV2(t, th, stranger); m.(*protocol.Error).Code != protocol.CodeAuthFailed {
		t.Fatalf("stranger with the revoked id got %+v", m)
	}
	// Other terminals are not affected.
	th.connect(t, other)

	// No commands to a revoked terminal.
	if rec := call(th.Hub, "POST", "/api/terminals/"+tk.id+"/commands", op, "127.0.0.1:4000", false, `{"name":"collect_logs"}`); rec.Code != 409 {
		t.Errorf("command to a revoked terminal: %d %s", rec.Code, rec.Body)
	}

	// What it delivered stays.
	subs, err := th.Submissions(SubmissionQuery{TerminalID: tk.id})
	if err != nil || len(subs) != 1 || subs[0].ID != sub.ID {
		t.Fatalf("submissions of the revoked terminal: %+v, %v", subs, err)
	}
	// The revocation survives a restart of the hub.
	th.Close()
	th2 := startHub(t, th.opt)
	if _, m := handshakeV2(t, th2, tk); m.(*protocol.Error).Code != protocol.CodeRevoked {
		t.Fatalf("after a restart the revoked terminal got %+v", m)
	}

	entries, err := th2.AuditLog(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, e := range entries {
		if e.Action == "terminal.revoke" {
			seen = append(seen, e.Actor+"/"+e.Target+"/"+e.Purpose+"/"+itoa(e.Status))
		}
	}
	want := []string{"op-viewer/" + tk.id + "//403", "op-operator/" + tk.id + "//400", "op-operator/" + tk.id + "/stolen from hall 2/200"}
	if strings.Join(seen, "|") != strings.Join(want, "|") {
		t.Errorf("audit entries %q, want %q", seen, want)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestReplicasRevoke: revoked at one replica, the terminal's connection at the other is
// closed and its key refused there too.
func TestReplicasRevoke(t *testing.T) {
	hubs := startReplicas(t, 2)
	a, b := hubs[0], hubs[1]
	tk := a.enroll(t)
	rb := b.connect(t, tk)
	if _, err := a.RevokeTerminal(tk.id, "op-admin", "replaced"); err != nil {
		t.Fatal(err)
	}
	if code := rb.expectClosed(); code != closeRevoked {
		t.Fatalf("connection at the other replica closed with %d, want %d", code, closeRevoked)
	}
	if _, m := handshakeV2(t, b, tk); m.(*protocol.Error).Code != protocol.CodeRevoked {
		t.Fatalf("the other replica answered %+v", m)
	}
}

// TestOperationsThroughTheCommandChannel: the operations' routes send their commands (a
// viewer may not), a screenshot coming back in parts is joined in order (a stray part is
// ignored) and served as the command's file and the terminal's last screenshot.
func TestOperationsThroughTheCommandChannel(t *testing.T) {
	th, secrets := opHub(t, Options{})
	tk := th.enroll(t)
	r := th.connect(t, tk)
	op, viewer := basic("op-operator", secrets[RoleOperator]), basic("op-viewer", secrets[RoleViewer])

	for path, name := range map[string]string{"restart": protocol.CommandRestart, "safe-mode": protocol.CommandSafeMode,
		"support-bundle?since=48h": protocol.CommandSupportBundle} {
		if rec := call(th.Hub, "POST", "/api/terminals/"+tk.id+"/"+path, viewer, "127.0.0.1:4000", false, ""); rec.Code != 403 {
			t.Errorf("viewer %s: %d", path, rec.Code)
		}
		rec := call(th.Hub, "POST", "/api/terminals/"+tk.id+"/"+path, op, "127.0.0.1:4000", false, "")
		if rec.Code != 202 {
			t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
		cmd := expect[*protocol.Command](r)
		if cmd.Name != name || (name == protocol.CommandSupportBundle && cmd.Args["since"] != "48h") {
			t.Errorf("%s sent %+v", path, cmd)
		}
	}
	if rec := call(th.Hub, "POST", "/api/terminals/"+tk.id+"/support-bundle?since=soon", op, "127.0.0.1:4000", false, ""); rec.Code != 400 {
		t.Errorf("a bad since: %d", rec.Code)
	}

	rec := call(th.Hub, "POST", "/api/terminals/"+tk.id+"/screenshot", op, "127.0.0.1:4000", false, "")
	var sent struct{ ID string }
	if rec.Code != 202 || json.Unmarshal(rec.Body.Bytes(), &sent) != nil {
		t.Fatalf("screenshot: %d %s", rec.Code, rec.Body)
	}
	cmd := expect[*protocol.Command](r)
	if cmd.ID != sent.ID || cmd.Name != protocol.CommandScreenshot {
		t.Fatalf("command %+v", cmd)
	}
	png := randomBytes(3*protocol.MaxCommandOutput, 9) // stands in for the image
	b64 := base64.StdEncoding.EncodeToString(png)
	var parts []string
	for len(b64) > 0 {
		n := min(len(b64), protocol.MaxCommandOutput)
		parts = append(parts, b64[:n])
		b64 = b64[n:]
	}
	if len(parts) < 4 {
		t.Fatalf("%d parts", len(parts))
	}
	for i, p := range parts {
		if i == 2 {
			r.send(&protocol.CommandResult{ID: cmd.ID, Output: "stray", Part: 7, More: true}) // out of order: ignored
		}
		r.send(&protocol.CommandResult{ID: cmd.ID, OK: i == len(parts)-1, Output: p, Part: i, More: i < len(parts)-1})
	}
	waitFor(t, "the joined result", func() bool { _, ok := th.CommandResult(cmd.ID); return ok })
	file := call(th.Hub, "GET", "/api/commands/"+cmd.ID+"/file", op, "127.0.0.1:4000", false, "")
	if file.Code != 200 || file.Header().Get("Content-Type") != "image/png" || !bytes.Equal(file.Body.Bytes(), png) {
		t.Fatalf("file: %d %s, %d bytes (want %d)", file.Code, file.Header().Get("Content-Type"), file.Body.Len(), len(png))
	}
	last := call(th.Hub, "GET", "/api/terminals/"+tk.id+"/screenshot", viewer, "127.0.0.1:4000", false, "")
	if last.Code != 200 || !bytes.Equal(last.Body.Bytes(), png) || last.Header().Get("X-Taken-At") == "" {
		t.Errorf("last screenshot for a viewer: %d, %d bytes", last.Code, last.Body.Len())
	}
	if rec := call(th.Hub, "GET", "/api/terminals/"+other(th, t).id+"/screenshot", viewer, "127.0.0.1:4000", false, ""); rec.Code != 404 {
		t.Errorf("screenshot of a terminal that sent none: %d", rec.Code)
	}
}

func other(th *testHub, t *testing.T) *termKey { return th.enroll(t) }

// TestCommandsSurviveRestart: a command sent while the terminal is away waits through a
// hub restart and reaches it when it connects; its answer (a screenshot) is still served
// after another restart, and a day later only the newest screenshot is kept.
func TestCommandsSurviveRestart(t *testing.T) {
	clock := newTestClock()
	th := startHub(t, Options{Dir: t.TempDir(), Now: clock.Now})
	tk := th.enroll(t)
	restartID, err := th.SendCommand(tk.id, protocol.CommandRestart, nil)
	if err != nil {
		t.Fatal(err)
	}
	shotID, err := th.SendCommand(tk.id, protocol.CommandScreenshot, nil)
	if err != nil {
		t.Fatal(err)
	}
	th.Close()
	th = startHub(t, th.opt)
	r := th.connect(t, tk)
	got := map[string]string{}
	for range 2 {
		cmd := expect[*protocol.Command](r)
		got[cmd.ID] = cmd.Name
	}
	if got[restartID] != protocol.CommandRestart || got[shotID] != protocol.CommandScreenshot {
		t.Fatalf("after the restart the terminal got %v", got)
	}
	png := randomBytes(protocol.MaxCommandOutput, 3)
	b64 := base64.StdEncoding.EncodeToString(png)
	r.send(&protocol.CommandResult{ID: shotID, Output: b64[:protocol.MaxCommandOutput], Part: 0, More: true})
	r.send(&protocol.CommandResult{ID: shotID, OK: true, Output: b64[protocol.MaxCommandOutput:], Part: 1})
	r.send(&protocol.CommandResult{ID: restartID, OK: true, Output: "done at 09:00"})
	waitFor(t, "both results", func() bool {
		_, a := th.CommandResult(shotID)
		_, b := th.CommandResult(restartID)
		return a && b
	})
	r.ws.Close()
	th.Close()

	th = startHub(t, th.opt)
	if img, _, err := th.LastScreenshot(tk.id); err != nil || !bytes.Equal(img, png) {
		t.Fatalf("screenshot after a restart: %d bytes, %v", len(img), err)
	}
	if res, ok := th.CommandResult(restartID); !ok || !res.OK || res.Output != "done at 09:00" {
		t.Fatalf("restart's result after a restart: %+v %v", res, ok)
	}
	if cmds := th.TerminalCommands(tk.id); len(cmds) != 2 || cmds[0].Waiting || cmds[1].Waiting {
		t.Fatalf("the terminal page lists %+v", cmds)
	}
	// A day later: the restart's record goes, the newest screenshot stays. The restarted
	// hub's own first clean-up must have run before the clock moves, or it prunes first.
	waitSwept(t, th.Hub)
	clock.Advance(25 * time.Hour)
	if n := th.PruneCommands(); n != 1 {
		t.Fatalf("pruned %d commands, want 1", n)
	}
	if img, _, err := th.LastScreenshot(tk.id); err != nil || !bytes.Equal(img, png) {
		t.Fatalf("the newest screenshot was pruned: %v", err)
	}
	if _, ok := th.CommandResult(restartID); ok {
		t.Error("the day-old restart result is still kept")
	}
	// A command older than a day is not sent to a terminal that comes back.
	if _, err := th.SendCommand(tk.id, protocol.CommandRestart, nil); err != nil {
		t.Fatal(err)
	}
	clock.Advance(25 * time.Hour)
	th.Close()
	th = startHub(t, th.opt)
	r = th.connect(t, tk)
	fresh, err := th.SendCommand(tk.id, protocol.CommandScreenshot, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cmd := expect[*protocol.Command](r); cmd.ID != fresh {
		t.Fatalf("a day-old command was sent: %+v", cmd)
	}
}
