package fleet

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/identity"
	"github.com/govkiosk/govkiosk/sync/client"
	"github.com/govkiosk/govkiosk/sync/hub"
)

const testToken = "fleet-test-operator-token"

func testLogger() *slog.Logger {
	if os.Getenv("FLEET_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// startHub runs a real hub on a loopback port for the test.
func startHub(t testing.TB, opt hub.Options) (*hub.Hub, string) {
	t.Helper()
	if opt.Dir == "" {
		opt.Dir = t.TempDir()
	}
	if opt.Logger == nil {
		opt.Logger = testLogger()
	}
	h, err := hub.New(opt)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.Close()
		t.Fatal(err)
	}
	go h.Serve(ln)
	t.Cleanup(func() { h.Close() })
	return h, "ws://" + ln.Addr().String()
}

// quick are client timers for tests: a lost connection is retried within milliseconds.
func quick(_ int, o *client.Options) {
	o.BackoffMin, o.BackoffMax = 10*time.Millisecond, 200*time.Millisecond
	o.RequestTimeout = 10 * time.Second
}

func TestRunDeliversEverythingOnce(t *testing.T) {
	for _, tc := range []struct {
		name    string
		preload bool
		size    int
	}{
		{"forms while enqueueing", false, 0},
		{"scans while enqueueing", false, 150 << 10},
		{"scans preloaded", true, 300 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, url := startHub(t, hub.Options{OperatorToken: testToken})
			r, err := Run(context.Background(), RunOptions{
				Options: Options{HubURL: url, Kiosks: 3, OperatorToken: testToken, Dir: t.TempDir(),
					Client: quick, Logger: testLogger()},
				Submissions: 4, AttachmentSize: tc.size, Preload: tc.preload, Timeout: time.Minute, Verify: true,
			})
			if err != nil {
				t.Fatalf("Run: %v (report %+v)", err, r)
			}
			if r.Enqueued != 12 || r.Delivered != 12 || r.Failed != 0 || r.TimedOut {
				t.Errorf("enqueued %d, delivered %d, failed %d, timed out %v; want 12, 12, 0, false",
					r.Enqueued, r.Delivered, r.Failed, r.TimedOut)
			}
			if r.Verified != 12 || r.Missing != 0 || r.Mismatched != 0 {
				t.Errorf("verified %d, missing %d, mismatched %d", r.Verified, r.Missing, r.Mismatched)
			}
			if r.HubCommitted != 12 || r.HubDuplicates < 0 {
				t.Errorf("hub committed %d, duplicates %d", r.HubCommitted, r.HubDuplicates)
			}
			if got := h.Stats().Submissions; got != 12 {
				t.Errorf("hub stats: %d submissions", got)
			}
			if r.Deliver.N != 12 || r.Enqueue.N != 12 || r.Deliver.P50 <= 0 || r.Deliver.P99 < r.Deliver.P50 {
				t.Errorf("latencies: enqueue %+v, deliver %+v", r.Enqueue, r.Deliver)
			}
			if r.DeliveredBytes != int64(12*tc.size) || r.SubmissionsPerSecond <= 0 {
				t.Errorf("bytes %d, rate %v", r.DeliveredBytes, r.SubmissionsPerSecond)
			}
		})
	}
}

// Terminals keep their identity in the data directory: a second run enrolls nobody and
// needs no codes, and the given codes are used one per new terminal.
func TestCodesAndReusedIdentities(t *testing.T) {
	h, url := startHub(t, hub.Options{})
	var codes []string
	for range 2 {
		c, _, err := h.CreateEnrollCode(time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, c)
	}
	dir := t.TempDir()
	ro := RunOptions{Options: Options{HubURL: url, Kiosks: 2, EnrollCodes: codes, Dir: dir, Client: quick},
		Submissions: 2, Timeout: time.Minute}
	for run := range 2 {
		r, err := Run(context.Background(), ro)
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if r.Delivered != 4 {
			t.Errorf("run %d delivered %d, want 4", run, r.Delivered)
		}
		ro.EnrollCodes = nil
	}
	if n := len(h.Terminals()); n != 2 {
		t.Errorf("hub has %d terminals, want 2", n)
	}
	if n := h.Stats().Submissions; n != 8 {
		t.Errorf("hub has %d submissions, want 8", n)
	}

	_, err := Open(context.Background(), Options{HubURL: url, Kiosks: 3, Dir: dir})
	if !errors.Is(err, ErrNoEnrollCode) {
		t.Errorf("a third terminal without a code: %v, want ErrNoEnrollCode", err)
	}
}

func TestOpenRefusesBadOptions(t *testing.T) {
	for _, o := range []Options{
		{HubURL: "ws://127.0.0.1:1", Kiosks: 0},
		{HubURL: "ftp://127.0.0.1:1", Kiosks: 1},
		{HubURL: "", Kiosks: 1},
	} {
		if f, err := Open(context.Background(), o); err == nil {
			f.Close()
			t.Errorf("Open(%+v) succeeded", o)
		}
	}
}

// The wait ends with ErrTimeout when the hub is gone, and the report says what arrived.
func TestRunTimesOutWithoutHub(t *testing.T) {
	h, url := startHub(t, hub.Options{OperatorToken: testToken})
	f, err := Open(context.Background(), Options{HubURL: url, Kiosks: 1, OperatorToken: testToken, Client: quick})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	h.Close()
	if err := f.Start(); err != nil {
		t.Fatal(err)
	}
	if err := f.Enqueue(context.Background(), 2, 1000); err != nil {
		t.Fatal(err)
	}
	if err := f.Wait(context.Background(), 300*time.Millisecond); !errors.Is(err, ErrTimeout) {
		t.Fatalf("Wait: %v, want ErrTimeout", err)
	}
	if f.Pending() != 2 || f.Online() != 0 {
		t.Errorf("pending %d, online %d; want 2, 0", f.Pending(), f.Online())
	}
}

func TestSummarise(t *testing.T) {
	ms := func(n ...int) []time.Duration {
		var out []time.Duration
		for _, v := range n {
			out = append(out, time.Duration(v)*time.Millisecond)
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i
	}
	for _, tc := range []struct {
		name          string
		in            []time.Duration
		p50, p99, max time.Duration
	}{
		{"empty", nil, 0, 0, 0},
		{"one", ms(7), 7 * time.Millisecond, 7 * time.Millisecond, 7 * time.Millisecond},
		{"unsorted", ms(5, 1, 3), 3 * time.Millisecond, 5 * time.Millisecond, 5 * time.Millisecond},
		{"hundred", ms(hundred...), 50 * time.Millisecond, 99 * time.Millisecond, 100 * time.Millisecond},
	} {
		l := Summarise(tc.in)
		if l.N != len(tc.in) || l.P50 != tc.p50 || l.P99 != tc.p99 || l.Max != tc.max {
			t.Errorf("%s: %+v, want p50 %v p99 %v max %v", tc.name, l, tc.p50, tc.p99, tc.max)
		}
	}
}

func TestSyntheticData(t *testing.T) {
	seen := map[string]bool{}
	for i := range 2000 {
		n := SyntheticIDNumber(i * 167)
		if !identity.ValidNumber(n) || !strings.HasPrefix(n, "99") {
			t.Fatalf("%s: not a valid synthetic number", n)
		}
		seen[n] = true
	}
	if len(seen) != 2000 {
		t.Errorf("%d distinct numbers of 2000", len(seen))
	}
	a, b := SyntheticBytes("s-1", 1000), SyntheticBytes("s-1", 1000)
	if string(a) != string(b) || string(a) == string(SyntheticBytes("s-2", 1000)) {
		t.Error("synthetic bytes are not a function of the id")
	}
	s := Synthetic("s-1", 3, 10)
	if len(s.Attachments) != 1 || len(s.Attachments[0].Data) != 10 || s.Fields["name"] == "" {
		t.Errorf("synthetic submission %+v", s)
	}
	if s := Synthetic("s-2", 3, 0); len(s.Attachments) != 0 {
		t.Error("a form-only submission has attachments")
	}
}

func TestHTTPBase(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"ws://127.0.0.1:8470", "http://127.0.0.1:8470"},
		{"wss://hub.example/base/", "https://hub.example/base"},
		{"http://h:1", "http://h:1"},
	} {
		got, err := httpBase(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("httpBase(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// Enqueueing from several goroutines on one terminal makes distinct submissions, all
// delivered.
func TestConcurrentEnqueueOnOneKiosk(t *testing.T) {
	_, url := startHub(t, hub.Options{OperatorToken: testToken})
	f, err := Open(context.Background(), Options{HubURL: url, Kiosks: 1, OperatorToken: testToken, Client: quick})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if err := f.Start(); err != nil {
		t.Fatal(err)
	}
	k := f.Kiosks[0]
	errs := make(chan error, 10)
	for range 10 {
		go func() {
			_, err := k.Enqueue(context.Background(), 100)
			errs <- err
		}()
	}
	for range 10 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Wait(context.Background(), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, s := range k.Sent() {
		ids[s.ID] = true
	}
	if st, _ := k.Queue.Stats(); len(ids) != 10 || st.Delivered != 10 {
		t.Errorf("%d distinct ids, %d delivered; want 10, 10", len(ids), st.Delivered)
	}
}
