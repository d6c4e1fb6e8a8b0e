package hub

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
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
	raw      map[string][]byte // accepted bodies by idempotency key
	order    []string          // idempotency keys in the order first accepted
	dupes    int
	badSigs  int
}

func newBusinessSystem(t testing.TB, fail func(key string, attempt int) bool) *businessSystem {
	b := &businessSystem{t: t, fail: fail, attempts: map[string]int{}, accepted: map[string]HandoffSubmission{}, raw: map[string][]byte{}}
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
	} else {
		b.order = append(b.order, key)
	}
	b.accepted[key] = s
	b.raw[key] = body
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

// sendRatingOf sends a terminal's rating and waits for its ack.
func sendRatingOf(t *testing.T, r *rawTerm, m *protocol.Rating) {
	t.Helper()
	r.send(m)
	m2, err := r.recv()
	for err == nil && isPush(m2) {
		m2, err = r.recv()
	}
	if ack, ok := m2.(*protocol.Ack); err != nil || !ok || ack.ID != m.ID {
		t.Fatalf("rating %s: %#v %v", m.ID, m2, err)
	}
}

// A resident's rating reaches the business system as its own signed event, once,
// after its submission, through failures, on both stores: a rating sent before its
// submission waits for it, a repeated rating is one event, and a rating of a visit
// alone is not handed off.
func TestForwardRatingHandedOff(t *testing.T) {
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
			first := synthetic(t, tk)
			r.upload(first, nil)
			sendRatingOf(t, r, &protocol.Rating{ID: "r-first", SubmissionID: first.ID, TrackingCode: first.TrackingCode, Item: first.Item,
				Stars: 2, Reasons: []string{"等候时间长"}, Comment: "窗口人少", CreatedAt: first.CreatedAt.Add(time.Minute)})
			sendRatingOf(t, r, &protocol.Rating{ID: "r-first", SubmissionID: first.ID, TrackingCode: first.TrackingCode, Item: first.Item,
				Stars: 2, Reasons: []string{"等候时间长"}, Comment: "窗口人少", CreatedAt: first.CreatedAt.Add(time.Minute)}) // the terminal repeats it
			second := synthetic(t, tk) // rated by tracking code before the hub has it
			sendRatingOf(t, r, &protocol.Rating{ID: "r-second", TrackingCode: second.TrackingCode, Stars: 5, CreatedAt: second.CreatedAt})
			sendRatingOf(t, r, &protocol.Rating{ID: "r-visit", Item: first.Item, Stars: 4, CreatedAt: first.CreatedAt})
			r.upload(second, nil)

			waitFor(t, "two submissions and two ratings handed off", func() bool { return bs.count() == 4 })
			bs.mu.Lock()
			defer bs.mu.Unlock()
			at := func(key string) int { return slices.Index(bs.order, key) }
			for _, c := range []struct {
				rating string
				sub    *protocol.Submit
				stars  int
			}{{"r-first", first, 2}, {"r-second", second, 5}} {
				key := th.ID() + "/rating/" + c.rating
				subKey := th.ID() + "/" + c.sub.ID
				if at(key) < 0 || at(subKey) < 0 || at(key) < at(subKey) {
					t.Fatalf("order %q: rating %s must follow its submission", bs.order, c.rating)
				}
				var got HandoffRating
				if err := json.Unmarshal(bs.raw[key], &got); err != nil {
					t.Fatal(err)
				}
				if got.Event != HandoffEventRating || got.IdempotencyKey != key || got.RatingID != c.rating || got.SubmissionID != c.sub.ID ||
					got.TrackingCode != c.sub.TrackingCode || got.SubmissionHubRef != bs.accepted[subKey].HubRef || got.SubmissionHubRef == "" ||
					got.Stars != c.stars || got.Item != c.sub.Item || got.HubRef == "" || got.TerminalID != tk.id || got.HubID != th.ID() {
					t.Errorf("rating hand-off %+v", got)
				}
				if bs.accepted[subKey].Event != HandoffEventSubmission {
					t.Errorf("submission event %q", bs.accepted[subKey].Event)
				}
				if bs.attempts[key] != 3 {
					t.Errorf("%s: %d attempts, want 3 (two failures)", key, bs.attempts[key])
				}
			}
			var firstRating HandoffRating
			json.Unmarshal(bs.raw[th.ID()+"/rating/r-first"], &firstRating)
			if firstRating.Comment != "窗口人少" || !slices.Equal(firstRating.Reasons, []string{"等候时间长"}) {
				t.Errorf("comment %q, reasons %q", firstRating.Comment, firstRating.Reasons)
			}
			if q, err := th.st.forwardQueued(ratingJobPrefix + "r-visit"); q || err != nil {
				t.Errorf("a rating of a visit alone queued for hand-off (%v)", err)
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

// A rating waits, without using up attempts, while its submission is a dead letter;
// once the submission is retried and delivered, the rating's own failures park it as a
// dead letter of kind rating, and the operator's retry of it delivers it once.
func TestForwardRatingDeadLetterRetry(t *testing.T) {
	for _, store := range []string{"bbolt", "postgres"} {
		t.Run(store, func(t *testing.T) {
			var mu sync.Mutex
			failSubs, failRatings := true, true
			bs := newBusinessSystem(t, func(key string, _ int) bool {
				mu.Lock()
				defer mu.Unlock()
				if strings.Contains(key, "/rating/") {
					return failRatings
				}
				return failSubs
			})
			opt := forwardOptions(bs.srv.URL)
			opt.ForwardAttempts = 3
			opt.OperatorToken = "operator-token-0123456789"
			if store == "postgres" {
				opt.Store = pgtest.New(t)
			}
			th := startHub(t, opt)
			tk := th.enroll(t)
			r := th.connect(t, tk)
			sub := synthetic(t, tk)
			r.upload(sub, nil)
			sendRatingOf(t, r, &protocol.Rating{ID: "r-dl", SubmissionID: sub.ID, Stars: 1, CreatedAt: sub.CreatedAt})
			var dead []DeadLetter
			waitFor(t, "the submission parked", func() bool { dead, _ = th.DeadLetters(); return len(dead) == 1 })
			if dead[0].Kind != HandoffEventSubmission || dead[0].SubmissionID != sub.ID {
				t.Fatalf("dead letter %+v", dead[0])
			}
			retry := func(path string) {
				t.Helper()
				req, _ := http.NewRequest(http.MethodPost, th.url(path), nil)
				req.Header.Set("Authorization", "Bearer "+opt.OperatorToken)
				resp, err := http.DefaultClient.Do(req)
				if err != nil || resp.StatusCode != http.StatusNoContent {
					t.Fatalf("retry %s: %v %v", path, resp, err)
				}
				resp.Body.Close()
			}
			mu.Lock()
			failSubs = false
			mu.Unlock()
			// Had the rating spent its attempts waiting, it would have been parked
			// without one request reaching the endpoint (checked below).
			retry("/api/forward/dead/" + sub.ID + "/retry")
			waitFor(t, "the rating parked after its submission went", func() bool {
				dead, _ = th.DeadLetters()
				return bs.count() == 1 && len(dead) == 1 && dead[0].Kind == HandoffEventRating
			})
			rkey := th.ID() + "/rating/r-dl"
			bs.mu.Lock()
			attempts := bs.attempts[rkey]
			bs.mu.Unlock()
			if d := dead[0]; d.RatingID != "r-dl" || d.SubmissionID != sub.ID || d.Attempts != 3 || attempts != 3 || d.TrackingCode == sub.TrackingCode || d.TrackingCode == "" {
				t.Fatalf("rating dead letter %+v after %d requests (tracking code must be masked)", d, attempts)
			}
			mu.Lock()
			failRatings = false
			mu.Unlock()
			retry("/api/forward/dead/ratings/r-dl/retry")
			waitFor(t, "the rating delivered after the retry", func() bool { return bs.count() == 2 })
			if dead, _ = th.DeadLetters(); len(dead) != 0 {
				t.Errorf("still parked: %+v", dead)
			}
			if err := th.RetryDeadRating("r-dl"); err == nil {
				t.Error("retried a rating hand-off that is not parked")
			}
			bs.mu.Lock()
			defer bs.mu.Unlock()
			if bs.dupes != 0 || bs.attempts[rkey] != 4 {
				t.Errorf("%d repeats, %d rating requests (want 0, 4)", bs.dupes, bs.attempts[rkey])
			}
		})
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
	// The rating event's vector: the hub encodes HandoffRating to exactly these bytes.
	rating := HandoffRating{Event: HandoffEventRating, IdempotencyKey: "hub-test/rating/r-0001", HubID: "hub-test", HubRef: "R000000007",
		RatingID: "r-0001", SubmissionID: "sub-0001", SubmissionHubRef: "H000000042", TrackingCode: "TEST-0001-X", TerminalID: "t-0001",
		Item: "hukou.move", Stars: 2, Reasons: []string{"等候时间长"}, Comment: "样例",
		CreatedAt: time.Date(2025, 3, 14, 9, 41, 0, 0, time.UTC), ReceivedAt: time.Date(2025, 3, 14, 9, 41, 2, 0, time.UTC)}
	const ratingBody = `{"event":"rating","idempotency_key":"hub-test/rating/r-0001","hub_id":"hub-test","hub_ref":"R000000007","rating_id":"r-0001","submission_id":"sub-0001","submission_hub_ref":"H000000042","tracking_code":"TEST-0001-X","terminal_id":"t-0001","item":"hukou.move","stars":2,"reasons":["等候时间长"],"comment":"样例","created_at":"2025-03-14T09:41:00Z","received_at":"2025-03-14T09:41:02Z"}`
	if raw, _ := json.Marshal(rating); string(raw) != ratingBody {
		t.Fatalf("rating body\n%s\nwant\n%s", raw, ratingBody)
	}
	const wantRating = "v1=c4654652d93c1b6b2da96a7af58de34723a1f1eff90b373a5de2ab13939980e5"
	if got := SignHandoff(testForwardSecret, time.Unix(1700000000, 0), []byte(ratingBody)); got != wantRating {
		t.Fatalf("rating signature %s, want %s", got, wantRating)
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
