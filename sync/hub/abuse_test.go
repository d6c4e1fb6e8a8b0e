package hub

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/tracking"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

// TestTrackingCodeSquattingRefused is the attack of finding 1: an enrolled terminal A
// submits and commits with terminal B's next tracking code, rates B's submission and
// waits for B's status updates. The hub must refuse all of it, and B's real submission,
// its status and its rating must go through untouched.
func TestTrackingCodeSquattingRefused(t *testing.T) {
	th := startHub(t, Options{})
	a, b := th.enroll(t), th.enroll(t)
	ra := th.connect(t, a)

	// A takes B's next code (B's seq 1) for a submission of its own.
	squat := synthetic(t, a)
	squat.TrackingCode, _ = tracking.New(b.code, 1)
	ra.send(squat)
	ra.expectErr(protocol.CodeConflict)
	ra.send(&protocol.Commit{ID: squat.ID})
	ra.expectErr(protocol.CodeNotFound)
	// Forgiving spellings of B's code are B's code too.
	lower := *squat
	lower.ID = "sub-squat-lower"
	lower.TrackingCode = toLower(squat.TrackingCode)
	ra.send(&lower)
	ra.expectErr(protocol.CodeConflict)

	// B's real submission with that code is stored.
	rb := th.connect(t, b)
	real := synthetic(t, b)
	if real.TrackingCode != squat.TrackingCode {
		t.Fatalf("test set-up: B's code %s, squatted %s", real.TrackingCode, squat.TrackingCode)
	}
	ackB := rb.upload(real, nil)
	if ackB.Duplicate || ackB.HubRef == "" {
		t.Fatalf("B's submission not stored: %+v", ackB)
	}

	// A's ratings of B's submission, by id or by code, are refused; B's own is stored.
	ra.send(&protocol.Rating{ID: "r-a-1", SubmissionID: real.ID, Stars: 1, CreatedAt: real.CreatedAt})
	ra.expectErr(protocol.CodeRejected)
	ra.send(&protocol.Rating{ID: "r-a-2", TrackingCode: real.TrackingCode, Stars: 1, CreatedAt: real.CreatedAt})
	ra.expectErr(protocol.CodeRejected)
	rb.send(&protocol.Rating{ID: "r-b-1", SubmissionID: real.ID, TrackingCode: real.TrackingCode, Stars: 5, CreatedAt: real.CreatedAt})
	expect[*protocol.Ack](rb)
	// A rating of B's that names its own submission with someone else's code is refused.
	other, _ := tracking.New(b.code, 77)
	rb.send(&protocol.Rating{ID: "r-b-2", SubmissionID: real.ID, TrackingCode: other, Stars: 5, CreatedAt: real.CreatedAt})
	rb.expectErr(protocol.CodeRejected)

	// A status for the code reaches B, not A.
	if _, err := th.PostStatus(real.TrackingCode, "processing", ""); err != nil {
		t.Fatal(err)
	}
	st := expect[*protocol.Status](rb)
	if st.SubmissionID != real.ID {
		t.Errorf("status for %s, want %s", st.SubmissionID, real.ID)
	}
	if p, _ := th.st.pendingStatus(a.id); len(p) != 0 {
		t.Errorf("A got %d status updates for B's code", len(p))
	}
	subs, err := th.Submissions(SubmissionQuery{TrackingCode: real.TrackingCode})
	if err != nil || len(subs) != 1 || subs[0].TerminalID != b.id || subs[0].HubRef != ackB.HubRef {
		t.Fatalf("lookup of B's code: %+v %v", subs, err)
	}
	if s := th.Stats(); s.ForeignCodes != 4 {
		t.Errorf("foreign code refusals %d, want 4", s.ForeignCodes)
	}
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// fixedClock is a clock that does not move: token buckets do not refill during a test.
func fixedClock() func() time.Time {
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	return func() time.Time { return t0 }
}

// clientFrom is an HTTP client whose connections come from the given loopback address.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}, Timeout: 5 * time.Second}
}

// postEnroll sends an enrollment request with a wrong code and returns the status.
func postEnroll(t *testing.T, hc *http.Client, th *testHub) int {
	t.Helper()
	pub, _, _ := ed25519.GenerateKey(nil)
	body, _ := json.Marshal(protocol.EnrollRequest{Code: "WRONG-GUESS", PublicKey: pub, App: "attacker"})
	resp, err := hc.Post(th.url(protocol.EnrollPath), "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestEnrollmentFloodDoesNotStarveReconnects is the attack of finding 3: anonymous
// enrollment guesses used to spend the token bucket that reconnecting terminals need.
func TestEnrollmentFloodDoesNotStarveReconnects(t *testing.T) {
	const reconnects = 24
	th := startHub(t, Options{Now: fixedClock(), HandshakeRate: 1, HandshakeBurst: reconnects,
		EnrollRate: 1, EnrollBurst: 100, EnrollSourceRate: 1, EnrollSourceBurst: 5})
	tk := th.enroll(t)

	flood := clientFrom("127.0.0.1")
	codes := map[int]int{}
	for range 400 {
		codes[postEnroll(t, flood, th)]++
	}
	if codes[http.StatusForbidden] != 5 || codes[http.StatusServiceUnavailable] != 395 {
		t.Errorf("flood answers %v: want 5 checked (403) and 395 refused (503)", codes)
	}
	// Another source has its own budget: its guess is checked, not refused.
	if got := postEnroll(t, clientFrom("127.0.0.2"), th); got != http.StatusForbidden {
		t.Errorf("enrollment from a second source answered %d, want 403", got)
	}
	// Every reconnect of the enrolled terminal still gets through.
	for i := range reconnects {
		r := th.connect(t, tk)
		r.ws.Close()
		_ = i
	}
	if s := th.Stats(); s.EnrollRefused != 395 || s.HandshakesRefused != 0 {
		t.Errorf("enroll refused %d (want 395), handshakes refused %d (want 0)", s.EnrollRefused, s.HandshakesRefused)
	}
}

// rawHTTP opens a plain TCP connection to the hub.
func rawHTTP(t *testing.T, th *testHub) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", th.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedWithin reports whether the server closes c (read returns EOF or a reset)
// within d.
func closedWithin(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 4096)
	for {
		_, err := c.Read(buf)
		if err == nil {
			continue
		}
		var ne net.Error
		return !(errors.As(err, &ne) && ne.Timeout())
	}
}

// TestIdleKeepAliveConnectionsClosed is the first attack of finding 4: keep-alive
// connections that never send a second request stayed open for ever.
func TestIdleKeepAliveConnectionsClosed(t *testing.T) {
	th := startHub(t, Options{HTTPIdleTimeout: 200 * time.Millisecond})
	conns := make([]net.Conn, 50)
	for i := range conns {
		conns[i] = rawHTTP(t, th)
		fmt.Fprintf(conns[i], "GET /healthz HTTP/1.1\r\nHost: hub\r\n\r\n")
		br := bufio.NewReader(conns[i])
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.Close {
			t.Fatal("hub closed a keep-alive connection after one request")
		}
	}
	for i, c := range conns {
		if !closedWithin(c, 5*time.Second) {
			t.Fatalf("idle keep-alive connection %d still open after 5s", i)
		}
	}
}

// TestSlowRequestBodyCut is the second attack of finding 4: an enrollment body sent a
// byte at a time held its connection open past a minute.
func TestSlowRequestBodyCut(t *testing.T) {
	th := startHub(t, Options{HTTPReadTimeout: 300 * time.Millisecond})
	c := rawHTTP(t, th)
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{", protocol.EnrollPath)
	start := time.Now()
	for time.Since(start) < 5*time.Second {
		if _, err := c.Write([]byte(" ")); err != nil {
			return // cut
		}
		if closedWithin(c, 50*time.Millisecond) {
			return
		}
	}
	t.Fatal("a slow request body kept its connection for 5s")
}

// TestAllSocketsCapped is the third attack of finding 4: connections that never became
// terminals were not counted by the connection cap at all.
func TestAllSocketsCapped(t *testing.T) {
	const max = 16
	th := startHub(t, Options{MaxSockets: max})
	var conns []net.Conn
	closed := 0
	for range 3 * max {
		c, err := net.Dial("tcp", th.addr)
		if err != nil {
			closed++ // reset before the dial even returned
			continue
		}
		t.Cleanup(func() { c.Close() })
		conns = append(conns, c)
	}
	var wg sync.WaitGroup
	var n atomic.Int64
	for _, c := range conns {
		wg.Go(func() {
			if closedWithin(c, 300*time.Millisecond) {
				n.Add(1)
			}
		})
	}
	wg.Wait()
	closed += int(n.Load())
	if closed < 2*max {
		t.Errorf("%d of %d sockets closed, want at least %d (cap %d)", closed, 3*max, 2*max, max)
	}
	if s := th.Stats(); s.ConnsRefused < 2*max {
		t.Errorf("conns refused %d, want at least %d", s.ConnsRefused, 2*max)
	}
	for _, c := range conns {
		c.Close()
	}
	// Slots come back: the hub serves again.
	waitFor(t, "a free socket", func() bool {
		resp, err := http.Get(th.url("/healthz"))
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// TestTrackingCodesCannotBeUnmasked is the attack of finding 8: the public list showed
// each code's terminal part and check character, sequence numbers were consecutive, and
// anonymous lookups were unlimited, so 120 lookups recovered 12 of 12 codes. The list
// now shows only the terminal part, and lookups from one source are budgeted (the
// operator's are not).
func TestTrackingCodesCannotBeUnmasked(t *testing.T) {
	th := startHub(t, Options{OperatorToken: "op", Now: fixedClock(), LookupRate: 1, LookupBurst: 10})
	tk := th.enroll(t)
	r := th.connect(t, tk)
	var codes []string
	for range 12 {
		sub := synthetic(t, tk)
		r.upload(sub, nil)
		codes = append(codes, sub.TrackingCode)
	}
	// The public list gives away nothing past the terminal code.
	var list struct {
		Submissions []SubmissionInfo `json:"submissions"`
	}
	resp, err := http.Get(th.url("/api/submissions"))
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if len(list.Submissions) != 12 {
		t.Fatalf("public list has %d entries", len(list.Submissions))
	}
	for _, s := range list.Submissions {
		if s.TrackingCode != tk.code+"-*****-*" {
			t.Errorf("public list shows %q", s.TrackingCode)
		}
	}
	// The attacker walks the running numbers around the known ones: 120 lookups.
	attacker := clientFrom("127.0.0.1")
	found, refused := 0, 0
	for seq := uint64(1); seq <= 120; seq++ {
		code, _ := tracking.New(tk.code, seq)
		resp, err := attacker.Get(th.url("/api/submissions?tracking_code=" + code))
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Count int `json:"count"`
		}
		json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
			found += got.Count
		case http.StatusTooManyRequests:
			refused++
			if resp.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		default:
			t.Fatalf("lookup answered %s", resp.Status)
		}
	}
	if refused != 110 || found > 10 {
		t.Errorf("120 lookups: %d refused (want 110), %d codes found", refused, found)
	}
	// Another source and the operator are not held up.
	for _, c := range codes[:3] {
		resp, err := clientFrom("127.0.0.3").Get(th.url("/api/submissions?tracking_code=" + c))
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("lookup from another source: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	for range 20 {
		req, _ := http.NewRequest(http.MethodGet, th.url("/api/submissions?tracking_code="+codes[0]), nil)
		req.Header.Set("Authorization", "Bearer op")
		resp, err := attacker.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("operator lookup: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	if s := th.Stats(); s.LookupsRefused != 110 {
		t.Errorf("lookups refused %d, want 110", s.LookupsRefused)
	}
}

// testClock is a clock a test moves by hand.
type testClock struct{ ns atomic.Int64 }

func newTestClock() *testClock {
	c := &testClock{}
	c.ns.Store(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *testClock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *testClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// declare returns a submission that declares one attachment of size bytes (the bytes
// themselves are never sent in full: the attacker abandons them).
func declare(t *testing.T, tk *termKey, size int64) *protocol.Submit {
	sub := synthetic(t, tk)
	sub.Attachments = []protocol.Attachment{{Name: "big.bin", ContentType: "application/octet-stream",
		Size: size, SHA256: strings.Repeat("ab", 32)}}
	return sub
}

// TestTerminalUploadQuotas is the first part of finding 5: a terminal could declare
// gigabytes of attachments in submission after submission and never finish them. Its
// open submissions and their declared bytes are now bounded; over either, try_later.
func TestTerminalUploadQuotas(t *testing.T) {
	th := startHub(t, Options{MaxOpenPerTerminal: 3, MaxBytesPerTerminal: 3 << 20, FreeSpace: func() (int64, error) { return 1 << 40, nil }})
	a, b := th.enroll(t), th.enroll(t)
	ra := th.connect(t, a)
	// One submission alone is admitted even over the byte quota (it must be able to go).
	huge := declare(t, a, 64<<20)
	ra.send(huge)
	expect[*protocol.UploadState](ra)
	// Anything more while it is open is over the byte quota.
	small := declare(t, a, 1<<20)
	ra.send(small)
	if e := ra.expectErr(protocol.CodeTryLater); e.RetryAfterMS <= 0 || e.Ref != small.ID {
		t.Errorf("quota refusal %+v", e)
	}
	// Count quota: three small open submissions, the fourth refused.
	th2 := startHub(t, Options{MaxOpenPerTerminal: 3, MaxBytesPerTerminal: 3 << 20, FreeSpace: func() (int64, error) { return 1 << 40, nil }})
	c := th2.enroll(t)
	rc := th2.connect(t, c)
	var open []*protocol.Submit
	for range 3 {
		s := declare(t, c, protocol.MinChunkData)
		rc.send(s)
		expect[*protocol.UploadState](rc)
		open = append(open, s)
	}
	fourth := declare(t, c, protocol.MinChunkData)
	rc.send(fourth)
	rc.expectErr(protocol.CodeTryLater)
	// Another terminal is not held up by a's or c's quota.
	rb := th.connect(t, b)
	rb.send(declare(t, b, 1<<20))
	expect[*protocol.UploadState](rb)
	// Finishing one frees its place.
	data := randomBytes(protocol.MinChunkData, 9)
	first := *open[0]
	sum := sha256.Sum256(data)
	first.ID = "sub-finished"
	first.TrackingCode, _ = tracking.New(c.code, 1000)
	first.Attachments = []protocol.Attachment{{Name: "a.bin", ContentType: "application/octet-stream", Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}}
	rc.send(&first)
	rc.expectErr(protocol.CodeTryLater) // still three open
	th2.noteClosed(c.id, open[0].ID)    // as a commit or the sweep would
	if ack := rc.upload(&first, [][]byte{data}); ack.HubRef == "" {
		t.Fatalf("upload after a place was freed: %+v", ack)
	}
	if s := th.Stats(); s.QuotaRefused != 1 {
		t.Errorf("hub 1 quota refusals %d, want 1", s.QuotaRefused)
	}
	if s := th2.Stats(); s.QuotaRefused != 2 || s.OpenSubmissions != 2 {
		t.Errorf("hub 2 quota refusals %d (want 2), open %d (want 2)", s.QuotaRefused, s.OpenSubmissions)
	}
}

// TestLowDiskAnswersTryLater is the second part of finding 5: with the disk nearly
// full, a new submission and a chunk are answered try_later and nothing stored changes;
// with room again, the upload resumes where it was and completes intact.
func TestLowDiskAnswersTryLater(t *testing.T) {
	var free atomic.Int64
	free.Store(1 << 40)
	th := startHub(t, Options{MinFreeBytes: 64 << 20, FreeSpace: func() (int64, error) { return free.Load(), nil }})
	tk := th.enroll(t)
	r := th.connect(t, tk)
	data := randomBytes(3*protocol.MaxChunkData, 11)
	sub := synthetic(t, tk, data)

	free.Store(64<<20 + int64(len(data)) - 1) // one byte short
	r.send(sub)
	if e := r.expectErr(protocol.CodeTryLater); e.RetryAfterMS < time.Minute.Milliseconds() || e.Ref != sub.ID {
		t.Errorf("low-disk refusal %+v", e)
	}
	if rec, _ := th.st.submission(sub.ID); rec != nil {
		t.Fatalf("a refused submission was stored: %+v", rec)
	}

	free.Store(1 << 40)
	r.send(sub)
	expect[*protocol.UploadState](r)
	r.sendChunk(sub.ID, 0, 0, data[:protocol.MaxChunkData])
	expect[*protocol.ChunkAck](r)
	free.Store(64 << 20) // the next chunk would eat into the reserve
	r.sendChunk(sub.ID, 0, protocol.MaxChunkData, data[protocol.MaxChunkData:2*protocol.MaxChunkData])
	r.expectErr(protocol.CodeTryLater)

	free.Store(1 << 40)
	r.send(sub) // resume: the refused chunk left nothing behind
	if st := expect[*protocol.UploadState](r); st.Offsets[0] != protocol.MaxChunkData {
		t.Fatalf("resume at %d, want %d", st.Offsets[0], protocol.MaxChunkData)
	}
	if ack := r.upload(sub, [][]byte{data}); ack.HubRef == "" {
		t.Fatalf("ack %+v", ack)
	}
	got, err := th.ReadAttachment(sub.TrackingCode, 0)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("stored attachment differs (%d bytes, %v)", len(got), err)
	}
	if s := th.Stats(); s.DiskRefused != 2 {
		t.Errorf("disk refusals %d, want 2", s.DiskRefused)
	}
}

// TestAbandonedUploadsSwept is the third part of finding 5: an upload begun and
// abandoned left its .part file and its open record (holding its tracking code) for
// ever. After Options.UploadTTL the sweep removes both; committed submissions and live
// uploads are untouched, and the terminal can start again.
func TestAbandonedUploadsSwept(t *testing.T) {
	clock := newTestClock()
	th := startHub(t, Options{Now: clock.Now, UploadTTL: time.Hour, FreeSpace: func() (int64, error) { return 1 << 40, nil }})
	if th.pg != nil {
		t.Skip("inspects the bbolt store's part files (HUB_TEST_STORE=postgres); the sweep's PostgreSQL twins are in the storage contract")
	}
	tk := th.enroll(t)
	r := th.connect(t, tk)
	done := synthetic(t, tk, randomBytes(1000, 1))
	ackDone := r.upload(done, [][]byte{randomBytes(1000, 1)})

	data := randomBytes(2*protocol.MaxChunkData, 12)
	abandoned := synthetic(t, tk, data)
	r.send(abandoned)
	expect[*protocol.UploadState](r)
	r.sendChunk(abandoned.ID, 0, 0, data[:protocol.MaxChunkData])
	expect[*protocol.ChunkAck](r)
	r.ws.Close() // the terminal goes away mid-upload
	dir := filepath.Join(th.dir, "attachments", tk.id, abandoned.ID)
	waitFor(t, "the connection to end", func() bool { return th.Stats().Uploads == 0 })
	if _, err := os.Stat(filepath.Join(dir, "0.part")); err != nil {
		t.Fatalf("test set-up: no part file: %v", err)
	}

	if n := th.Sweep(); n != 0 {
		t.Fatalf("swept %d before the TTL", n)
	}
	clock.Advance(2 * time.Hour)
	if n := th.Sweep(); n != 1 {
		t.Fatalf("swept %d, want 1", n)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("abandoned attachment directory still there: %v", err)
	}
	if rec, _ := th.st.submission(abandoned.ID); rec != nil {
		t.Errorf("abandoned open record still there: %+v", rec)
	}
	if subs, _ := th.Submissions(SubmissionQuery{TrackingCode: done.TrackingCode}); len(subs) != 1 || subs[0].HubRef != ackDone.HubRef {
		t.Errorf("committed submission changed: %+v", subs)
	}
	if got, err := th.ReadAttachment(done.TrackingCode, 0); err != nil || !bytes.Equal(got, randomBytes(1000, 1)) {
		t.Errorf("committed attachment changed: %v", err)
	}
	s := th.Stats()
	if s.SweptUploads != 1 || s.SweptBytes < protocol.MaxChunkData || s.OpenSubmissions != 0 {
		t.Errorf("swept %d uploads, %d bytes, %d open", s.SweptUploads, s.SweptBytes, s.OpenSubmissions)
	}
	// The terminal comes back: its upload starts again from 0 under the same code.
	r2 := th.connect(t, tk)
	r2.send(abandoned)
	if st := expect[*protocol.UploadState](r2); st.Offsets[0] != 0 {
		t.Errorf("resumed at %d after the sweep, want 0", st.Offsets[0])
	}
	// A live upload is never swept, however old.
	clock.Advance(2 * time.Hour)
	if n := th.Sweep(); n != 0 {
		t.Errorf("swept %d live uploads", n)
	}
	if ack := r2.upload(abandoned, [][]byte{data}); ack.HubRef == "" {
		t.Fatalf("ack %+v", ack)
	}
}
