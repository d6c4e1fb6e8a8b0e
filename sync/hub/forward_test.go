package hub

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/internal/pgtest"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

var testForwardSecret = []byte("govkiosk-handoff-test-secret")

// businessSystem is a test endpoint of the business system: it checks signatures,
// fails requests as fail says, and remembers what it accepted by idempotency key.
type businessSystem struct {
	t        testing.TB
	srv      *httptest.Server
	mu       sync.Mutex
	fail     func(key string, attempt int) bool
	attempts map[string]int
	accepted map[string]HandoffSubmission
	dupes    int
	badSigs  int
}

func newBusinessSystem(t testing.TB, fail func(key string, attempt int) bool) *businessSystem {
	b := &businessSystem{t: t, fail: fail, attempts: map[string]int{}, accepted: map[string]HandoffSubmission{}}
	b.srv = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.srv.Close)
	return b
}

func (b *businessSystem) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := verifyHandoff(testForwardSecret, time.Now(), time.Minute, r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), body); err != nil {
		b.mu.Lock()
		b.badSigs++
		b.mu.Unlock()
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	key := r.Header.Get(HeaderIdempotencyKey)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.attempts[key]++
	if b.fail != nil && b.fail(key, b.attempts[key]) {
		http.Error(w, "try later", http.StatusServiceUnavailable)
		return
	}
	var s HandoffSubmission
	if err := json.Unmarshal(body, &s); err != nil || s.IdempotencyKey != key {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	if _, ok := b.accepted[key]; ok {
		b.dupes++ // idempotent: accepted once, answered OK again
	}
	b.accepted[key] = s
	w.WriteHeader(http.StatusCreated)
}

func (b *businessSystem) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.accepted)
}

func forwardOptions(url string) Options {
	return Options{Forward: url, ForwardSecret: testForwardSecret, ForwardBackoff: 20 * time.Millisecond, ForwardPoll: 20 * time.Millisecond}
}

// Each committed submission reaches the business system with its fields and bytes,
// through failures, on both stores.
func TestForwardDeliversThroughFailures(t *testing.T) {
	for _, store := range []string{"bbolt", "postgres"} {
		t.Run(store, func(t *testing.T) {
			bs := newBusinessSystem(t, func(_ string, attempt int) bool { return attempt <= 2 })
			opt := forwardOptions(bs.srv.URL)
			if store == "postgres" {
				opt.Store = pgtest.New(t)
			}
			th := startHub(t, opt)
			tk := th.enroll(t)
			r := th.connect(t, tk)
			files := [][]byte{randomBytes(70_000, 31)}
			var subs []*protocol.Submit
			for range 3 {
				sub := synthetic(t, tk, files...)
				r.upload(sub, files)
				subs = append(subs, sub)
			}
			waitFor(t, "three hand-offs", func() bool { return bs.count() == 3 })
			bs.mu.Lock()
			defer bs.mu.Unlock()
			for _, sub := range subs {
				got, ok := bs.accepted[th.ID()+"/"+sub.ID]
				if !ok {
					t.Fatalf("%s not handed off", sub.ID)
				}
				if got.TrackingCode != sub.TrackingCode || got.Fields["name"] != sub.Fields["name"] || got.HubRef == "" {
					t.Errorf("hand-off %+v", got)
				}
				if len(got.Attachments) != 1 || !bytes.Equal(got.Attachments[0].Data, files[0]) {
					t.Errorf("attachment not handed off intact")
				}
				if bs.attempts[got.IdempotencyKey] != 3 {
					t.Errorf("%d attempts, want 3 (two failures)", bs.attempts[got.IdempotencyKey])
				}
			}
			if bs.badSigs != 0 || bs.dupes != 0 {
				t.Errorf("%d bad signatures, %d repeats", bs.badSigs, bs.dupes)
			}
			if d, _ := th.DeadLetters(); len(d) != 0 {
				t.Errorf("dead letters %+v", d)
			}
		})
	}
}

// After ForwardAttempts failures a hand-off is parked where operators see it, and an
// operator's retry delivers it.
func TestForwardDeadLetterRetry(t *testing.T) {
	var down sync.Mutex
	failing := true
	bs := newBusinessSystem(t, func(string, int) bool { down.Lock(); defer down.Unlock(); return failing })
	opt := forwardOptions(bs.srv.URL)
	opt.ForwardAttempts = 3
	opt.OperatorToken = "operator-token-0123456789"
	th := startHub(t, opt)
	tk := th.enroll(t)
	r := th.connect(t, tk)
	sub := synthetic(t, tk)
	r.upload(sub, nil)
	var dead []DeadLetter
	waitFor(t, "a dead letter", func() bool { dead, _ = th.DeadLetters(); return len(dead) == 1 })
	if dead[0].SubmissionID != sub.ID || dead[0].Attempts != 3 || dead[0].TrackingCode == sub.TrackingCode {
		t.Fatalf("dead letter %+v (tracking code must be masked)", dead[0])
	}
	down.Lock()
	failing = false
	down.Unlock()
	req, _ := http.NewRequest(http.MethodPost, th.url("/api/forward/dead/"+sub.ID+"/retry"), nil)
	req.Header.Set("Authorization", "Bearer "+opt.OperatorToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("retry: %v %v", resp, err)
	}
	resp.Body.Close()
	waitFor(t, "delivered after the retry", func() bool { return bs.count() == 1 })
	if dead, _ = th.DeadLetters(); len(dead) != 0 {
		t.Errorf("still parked: %+v", dead)
	}
	if err := th.RetryDeadLetter(sub.ID); err == nil {
		t.Error("retried a hand-off that is not parked")
	}
}

// The signature test vector of docs/HANDOFF.md (checked independently with Python's
// hmac module).
func TestHandoffSignatureVector(t *testing.T) {
	body := []byte(`{"update_id":"bs-0001","tracking_code":"TEST-0001-X","status":"accepted","note":"样例"}`)
	got := SignHandoff(testForwardSecret, time.Unix(1700000000, 0), body)
	const want = "v1=d513739fa34a494c18bfadc8be80e4950743dc88ebcd2cd30d8de508db0d7c24"
	if got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
	now := time.Unix(1700000100, 0)
	if err := verifyHandoff(testForwardSecret, now, 5*time.Minute, "1700000000", want, body); err != nil {
		t.Errorf("vector does not verify: %v", err)
	}
	for name, c := range map[string]struct{ ts, sig string }{
		"stale":          {"1699999000", want},
		"tampered":       {"1700000000", want[:len(want)-1] + "5"},
		"not a number":   {"17e8", want},
		"other time":     {"1700000001", want},
		"missing prefix": {"1700000000", want[3:]},
	} {
		if err := verifyHandoff(testForwardSecret, now, 5*time.Minute, c.ts, c.sig, body); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
}

// The business system's signed status report reaches the terminal; a repeat of the
// same report is the same update; unsigned reports are refused.
func TestHandoffStatusReport(t *testing.T) {
	bs := newBusinessSystem(t, nil)
	th := startHub(t, forwardOptions(bs.srv.URL))
	tk := th.enroll(t)
	r := th.connect(t, tk)
	sub := synthetic(t, tk)
	r.upload(sub, nil)
	post := func(body []byte, sig string) int {
		req, _ := http.NewRequest(http.MethodPost, th.url("/api/handoff/status"), bytes.NewReader(body))
		now := time.Now()
		req.Header.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
		if sig == "" {
			sig = SignHandoff(testForwardSecret, now, body)
		}
		req.Header.Set(HeaderSignature, sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	body, _ := json.Marshal(HandoffStatus{UpdateID: "bs-1", TrackingCode: sub.TrackingCode, Status: "needs_correction", Note: "缺少照片"})
	if code := post(body, "v1=00"); code != http.StatusUnauthorized {
		t.Fatalf("forged report: %d", code)
	}
	for range 2 {
		if code := post(body, ""); code != http.StatusOK {
			t.Fatalf("report: %d", code)
		}
	}
	st := expect[*protocol.Status](r)
	if st.Status != "needs_correction" || st.Note != "缺少照片" {
		t.Fatalf("status %+v", st)
	}
	if p, _ := th.st.pendingStatus(tk.id); len(p) != 1 {
		t.Fatalf("%d queued updates after a repeated report, want 1", len(p))
	}
	bad, _ := json.Marshal(HandoffStatus{UpdateID: "bs-2", TrackingCode: sub.TrackingCode, Status: "approved"})
	if code := post(bad, ""); code != http.StatusBadRequest {
		t.Errorf("unknown status word: %d", code)
	}
}
