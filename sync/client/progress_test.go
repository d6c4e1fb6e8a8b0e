package client

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/tracking"
	"github.com/govkiosk/govkiosk/sync/hub"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

// A resident submits at terminal A; terminal B, on the same hub, finds the submission
// with the status and note the business system gave it, by tracking code (shown in
// full) and by ID number (the code masked: the card's holder did not type it). A code
// and an ID number nobody used find nothing, without an error.
func TestQueryProgressFromAnyTerminal(t *testing.T) {
	lh := startHub(t, hub.Options{})
	a, b := lh.enroll(t), lh.enroll(t)
	qa := openQueue(t, a)
	sub := enqueue(t, qa, "", 1000) // id_number 990101199003071237
	run(t, fast(a, qa))
	waitFor(t, 10*time.Second, "A delivered", func() bool { return delivered(qa) == 1 })
	const note = "请补充户口簿原件，到3号窗口办理"
	if _, err := lh.PostStatus(sub.TrackingCode, "needs_correction", note); err != nil {
		t.Fatal(err)
	}

	cb := run(t, fast(b, openQueue(t, b)))
	waitFor(t, 10*time.Second, "B online", func() bool { return cb.State().Online })
	ctx := context.Background()

	byCode, err := cb.QueryProgress(ctx, ProgressQuery{TrackingCode: sub.TrackingCode})
	if err != nil {
		t.Fatalf("by code: %v", err)
	}
	if len(byCode) != 1 || byCode[0].TrackingCode != sub.TrackingCode || byCode[0].Status != "needs_correction" ||
		byCode[0].Note != note || byCode[0].Item != sub.Item || byCode[0].HubRef == "" {
		t.Fatalf("by code: %+v", byCode)
	}

	byID, err := cb.QueryProgress(ctx, ProgressQuery{IDNumber: "990101199003071237"})
	if err != nil {
		t.Fatalf("by ID number: %v", err)
	}
	if len(byID) != 1 || byID[0].HubRef != byCode[0].HubRef || byID[0].Status != "needs_correction" || byID[0].Note != note {
		t.Fatalf("by ID number: %+v", byID)
	}
	if byID[0].TrackingCode == sub.TrackingCode || !strings.HasPrefix(byID[0].TrackingCode, a.TerminalCode) {
		t.Errorf("by ID number the code is %q; want it masked after %s", byID[0].TrackingCode, a.TerminalCode)
	}

	unused, err := tracking.New(a.TerminalCode, 999)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []ProgressQuery{{TrackingCode: unused}, {IDNumber: "990101198001011232"}} {
		if got, err := cb.QueryProgress(ctx, q); err != nil || len(got) != 0 {
			t.Errorf("nothing submitted under %+v: got %+v, %v; want none, no error", q, got, err)
		}
	}
	if _, err := cb.QueryProgress(ctx, ProgressQuery{TrackingCode: sub.TrackingCode, IDNumber: "990101199003071237"}); err == nil {
		t.Error("a query by code and ID number at once was sent")
	}
}

// A terminal that asks more often than its budget is told to wait, as an error callers
// tell apart from being offline, and stays connected.
func TestQueryProgressRateLimited(t *testing.T) {
	lh := startHub(t, hub.Options{})
	cr := lh.enroll(t)
	c := run(t, fast(cr, openQueue(t, cr)))
	waitFor(t, 10*time.Second, "online", func() bool { return c.State().Online })
	var err error
	for i := 0; i < 20 && err == nil; i++ {
		_, err = c.QueryProgress(context.Background(), ProgressQuery{IDNumber: "990101198001011232"})
	}
	var he *protocol.Error
	if !errors.Is(err, ErrRateLimited) || errors.Is(err, ErrOffline) || !errors.As(err, &he) || he.RetryAfterMS <= 0 {
		t.Fatalf("after a burst of queries: %v; want ErrRateLimited with a delay", err)
	}
	if !c.State().Online {
		t.Error("a refused query cost the connection")
	}
}

// Without a hub to ask, a query fails at once with ErrOffline: before the first
// connection, and after the hub went away.
func TestQueryProgressOffline(t *testing.T) {
	lh := startHub(t, hub.Options{})
	cr := lh.enroll(t)
	q := openQueue(t, cr)
	code := enqueue(t, q, "").TrackingCode
	c, err := New(fast(cr, q))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.QueryProgress(context.Background(), ProgressQuery{TrackingCode: code}); !errors.Is(err, ErrOffline) {
		t.Fatalf("before Run: %v; want ErrOffline", err)
	}

	c = run(t, fast(cr, q))
	waitFor(t, 10*time.Second, "delivered", func() bool { return delivered(q) == 1 })
	if got, err := c.QueryProgress(context.Background(), ProgressQuery{TrackingCode: code}); err != nil || len(got) != 1 {
		t.Fatalf("online: %+v, %v", got, err)
	}
	lh.Close()
	waitFor(t, 10*time.Second, "offline", func() bool { return !c.State().Online })
	start := time.Now()
	_, err = c.QueryProgress(context.Background(), ProgressQuery{TrackingCode: code})
	if !errors.Is(err, ErrOffline) || errors.Is(err, ErrRateLimited) || errors.Is(err, ErrQueryRefused) {
		t.Fatalf("hub gone: %v; want ErrOffline", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("an offline query took %v; it must not wait for a connection", d)
	}
}

// Queries share the connection with deliveries: one is answered while an upload waits
// for its acknowledgement; a refusal, an answer that never comes and one that comes too
// late each end only their own query, never the connection or the delivery.
func TestQueryProgressAnswers(t *testing.T) {
	timedOut, submitted := make(chan struct{}), make(chan struct{})
	item := protocol.ProgressItem{TrackingCode: "K7Q2-*****-*", Item: "hukou.move", HubRef: "H1",
		ReceivedAt: time.Now().UTC(), Status: "completed", Note: "请到2号窗口领取"}
	fh := newFakeHub(t, honestHandshake, func(t *testing.T, fc *fakeConn) {
		submit := recvAs[*protocol.Submit](fc) // not answered yet: the upload waits
		close(submitted)
		q := recvAs[*protocol.ProgressQuery](fc)
		if q == nil || q.IDHash == "" || q.TrackingCode != "" {
			t.Errorf("query by ID number arrived as %+v", q)
			return
		}
		if strings.Contains(string(fc.last), "990101") {
			t.Errorf("the ID number went to the hub: %s", fc.last)
		}
		fc.send(&protocol.Progress{ID: q.ID, Items: []protocol.ProgressItem{item}})
		fc.send(&protocol.Error{Code: protocol.CodeTryLater, Ref: submit.ID, RetryAfterMS: 60000})

		q = recvAs[*protocol.ProgressQuery](fc)
		fc.send(protocol.Errorf(protocol.CodeUnexpected, q.ID, "progress_query was not expected now"))

		late := recvAs[*protocol.ProgressQuery](fc)
		<-timedOut
		fc.send(&protocol.Progress{ID: late.ID, Items: []protocol.ProgressItem{item}})
		q = recvAs[*protocol.ProgressQuery](fc)
		fc.send(&protocol.Progress{ID: q.ID, Items: []protocol.ProgressItem{}})

		q = recvAs[*protocol.ProgressQuery](fc)
		fc.send(&protocol.Error{Code: protocol.CodeTryLater, Ref: q.ID, RetryAfterMS: 5000})
		for {
			if _, err := fc.recv(); err != nil {
				return
			}
		}
	})
	qu := openQueue(t, fh.creds)
	enqueue(t, qu, "", 1000)
	opt := fast(fh.creds, qu)
	opt.RequestTimeout = 3 * time.Second
	// The scripted hub reads (and so answers pings) only between steps.
	opt.PingInterval, opt.PongWait = 2*time.Second, 30*time.Second
	c := run(t, opt)
	select {
	case <-submitted:
	case <-time.After(5 * time.Second):
		t.Fatal("no upload started")
	}
	ctx := context.Background()

	got, err := c.QueryProgress(ctx, ProgressQuery{IDNumber: "990101199003071237"})
	if err != nil || len(got) != 1 || got[0].Note != item.Note || got[0].Status != "completed" {
		t.Fatalf("during an upload: %+v, %v", got, err)
	}
	if _, err := c.QueryProgress(ctx, ProgressQuery{TrackingCode: "K7Q2-00042-X"}); !errors.Is(err, ErrQueryRefused) || errors.Is(err, ErrOffline) {
		t.Errorf("refused: %v; want ErrQueryRefused", err)
	}
	_, err = c.QueryProgress(ctx, ProgressQuery{TrackingCode: "K7Q2-00042-X"})
	close(timedOut)
	if !errors.Is(err, ErrOffline) || !errors.Is(err, ErrRequestTimeout) {
		t.Errorf("unanswered: %v; want ErrOffline from ErrRequestTimeout", err)
	}
	if got, err := c.QueryProgress(ctx, ProgressQuery{TrackingCode: "K7Q2-00042-X"}); err != nil || len(got) != 0 {
		t.Errorf("after a late answer: %+v, %v; want its own (empty) answer", got, err)
	}
	if _, err := c.QueryProgress(ctx, ProgressQuery{TrackingCode: "K7Q2-00042-X"}); !errors.Is(err, ErrRateLimited) {
		t.Errorf("hub asks to wait: %v; want ErrRateLimited", err)
	}
	st, _ := qu.Stats()
	if s := c.Stats(); s.Connects != 1 || s.ProtocolErrs != 0 || !c.State().Online || st.Queued+st.Sending != 1 {
		t.Errorf("queries disturbed the connection or the outbox: %+v, online %v, outbox %+v", s, c.State().Online, st)
	}
}
