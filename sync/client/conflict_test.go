package client

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/sync/hub"
	"github.com/govkiosk/govkiosk/sync/protocol"
	"github.com/govkiosk/govkiosk/sync/queue"
)

// TestConflictedSubmissionHeldUntilOperatorResolves is the terminal half of finding 1:
// a submission the hub refused with a conflict the terminal did not cause used to be
// marked failed for good. Here the kiosk's outbox was rebuilt with its key but without
// raising the sequence floor, so a new resident's submission gets a tracking code the
// hub already holds. The terminal must hold it (never failed), report it in its
// heartbeat, and deliver it once an operator re-issues its code.
func TestConflictedSubmissionHeldUntilOperatorResolves(t *testing.T) {
	const token = "operator-token"
	lh := startHub(t, hub.Options{OperatorToken: token})
	cr := lh.enroll(t)
	keyFile := filepath.Join(t.TempDir(), "queue.key")
	openWith := func(create bool) *queue.Queue {
		q, err := queue.Open(t.TempDir(), queue.Options{TerminalCode: cr.TerminalCode, KeyFile: keyFile,
			CreateKey: create, MinFreeBytes: -1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { q.Close() })
		return q
	}

	// The first outbox delivers one submission, then its database is lost.
	q1 := openWith(true)
	s1 := enqueue(t, q1, "", 0)
	ctx, cancel := context.WithCancel(context.Background())
	c1, err := New(fast(cr, q1))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c1.Run(ctx) }()
	waitFor(t, 10*time.Second, "first submission delivered", func() bool { return delivered(q1) == 1 })
	cancel()
	<-done

	// The rebuilt outbox issues the same code again for another resident.
	q2 := openWith(false)
	s2 := enqueue(t, q2, "", 3000)
	if s2.TrackingCode != s1.TrackingCode {
		t.Fatalf("test set-up: rebuilt outbox issued %s, want the reused %s", s2.TrackingCode, s1.TrackingCode)
	}
	opt := fast(cr, q2)
	opt.HeartbeatInterval = 100 * time.Millisecond
	c2 := run(t, opt)
	waitFor(t, 10*time.Second, "submission held", func() bool {
		st, _ := q2.Stats()
		return st.Held == 1
	})
	if st, _ := q2.Stats(); st.Failed != 0 || st.Queued != 0 {
		t.Errorf("outbox after the conflict: %+v", st)
	}
	if c2.Stats().Held != 1 || c2.Stats().Failed != 0 {
		t.Errorf("client stats %+v", c2.Stats())
	}

	// The heartbeat tells the hub; the operator sees it.
	var list struct {
		Terminals []hub.TerminalConflicts `json:"terminals"`
	}
	waitFor(t, 10*time.Second, "conflict listed at the hub", func() bool {
		operatorJSON(t, lh, token, http.MethodGet, "/api/conflicts", nil, &list)
		return len(list.Terminals) == 1 && len(list.Terminals[0].Conflicts) == 1
	})
	if cf := list.Terminals[0].Conflicts[0]; list.Terminals[0].TerminalID != cr.TerminalID || cf.ID != s2.ID ||
		cf.TrackingCode != s2.TrackingCode || cf.Reason == "" {
		t.Errorf("conflict listed as %+v", list.Terminals[0])
	}

	// The operator re-issues the code; the terminal delivers under the new one.
	var cmd struct {
		ID string `json:"id"`
	}
	if code := operatorJSON(t, lh, token, http.MethodPost, "/api/terminals/"+cr.TerminalID+"/conflicts/"+s2.ID,
		map[string]string{"action": protocol.ResolveReissue}, &cmd); code != http.StatusAccepted {
		t.Fatalf("resolve answered %d", code)
	}
	var res *protocol.CommandResult
	waitFor(t, 10*time.Second, "command result", func() bool {
		r, ok := lh.CommandResult(cmd.ID)
		res = r
		return ok
	})
	if !res.OK || res.Output == "" || res.Output == s1.TrackingCode {
		t.Fatalf("resolve result %+v", res)
	}
	waitFor(t, 10*time.Second, "held submission delivered", func() bool { return delivered(q2) == 1 })
	subs, err := lh.Submissions(hub.SubmissionQuery{TrackingCode: res.Output})
	if err != nil || len(subs) != 1 || subs[0].ID != s2.ID || subs[0].AttachmentBytes != 3000 {
		t.Errorf("new code at the hub: %+v %v", subs, err)
	}
	if subs, _ := lh.Submissions(hub.SubmissionQuery{TrackingCode: s1.TrackingCode}); len(subs) != 1 || subs[0].ID != s1.ID {
		t.Errorf("the first resident's submission changed: %+v", subs)
	}
	waitFor(t, 10*time.Second, "conflict cleared at the hub", func() bool { return len(lh.Conflicts()) == 0 })
}

// operatorJSON calls the hub's operator API and decodes the answer into out.
func operatorJSON(t *testing.T, lh *liveHub, token, method, path string, body, out any) int {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, "http://"+lh.addr+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}
