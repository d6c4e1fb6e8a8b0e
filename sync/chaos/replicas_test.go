package chaos

import (
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/internal/pgtest"
	"github.com/govkiosk/govkiosk/sync/client"
	"github.com/govkiosk/govkiosk/sync/fleet"
	"github.com/govkiosk/govkiosk/sync/hub"
)

// tcpBalancer is a small loopback load balancer: each connection goes to the next
// backend that accepts it, as a TCP proxy in front of hub replicas would.
type tcpBalancer struct {
	ln       net.Listener
	backends []string
	next     atomic.Uint64
	active   [8]atomic.Int64 // open connections per backend
}

func newBalancer(t testing.TB, backends ...string) *tcpBalancer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &tcpBalancer{ln: ln, backends: backends}
	t.Cleanup(func() { ln.Close() })
	go b.serve()
	return b
}

func (b *tcpBalancer) serve() {
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		go b.proxy(c)
	}
}

func (b *tcpBalancer) proxy(c net.Conn) {
	defer c.Close()
	var up net.Conn
	i := 0
	for range len(b.backends) {
		i = int(b.next.Add(1) % uint64(len(b.backends)))
		var err error
		if up, err = net.DialTimeout("tcp", b.backends[i], time.Second); err == nil {
			break
		}
	}
	if up == nil {
		return
	}
	defer up.Close()
	b.active[i].Add(1)
	defer b.active[i].Add(-1)
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); done <- struct{}{} }()
	go func() { io.Copy(c, up); done <- struct{}{} }()
	<-done
}

// endpoint is the business system's hand-off endpoint: it fails a share of requests
// and records, by idempotency key, what it accepted.
type endpoint struct {
	mu       sync.Mutex
	r        *rand.Rand
	failRate float64
	accepted map[string]hub.HandoffSubmission
	repeats  int
	failed   int
	secret   []byte
}

func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	ts, _ := strconv.ParseInt(r.Header.Get(hub.HeaderTimestamp), 10, 64)
	if hub.SignHandoff(e.secret, time.Unix(ts, 0), body) != r.Header.Get(hub.HeaderSignature) {
		http.Error(w, "signature", http.StatusUnauthorized)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.r.Float64() < e.failRate {
		e.failed++
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	var s hub.HandoffSubmission
	if err := json.Unmarshal(body, &s); err != nil {
		http.Error(w, "body", http.StatusBadRequest)
		return
	}
	if _, ok := e.accepted[s.SubmissionID]; ok {
		e.repeats++ // the idempotency key makes it the same hand-off
	} else {
		e.accepted[s.SubmissionID] = s
	}
	w.WriteHeader(http.StatusCreated)
}

func (e *endpoint) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.accepted)
}

// Two hub replicas on one PostgreSQL behind a TCP balancer; a fleet of terminals sends
// 200 KB submissions while one replica or the other is killed with SIGKILL every second
// or two (and restarted), and PostgreSQL itself is crashed and restarted once. At the
// end every submission the terminals made is at the hub exactly once with its bytes,
// and handed off to a business system that fails 20 % of requests, each exactly once
// by idempotency key. SYNC_CHAOS_PG_KIOSKS and SYNC_CHAOS_PG_SUBMISSIONS scale it (the
// issue's run: 20 × 50).
func TestReplicasKilled(t *testing.T) {
	kiosks, perKiosk := envInt(t, "SYNC_CHAOS_PG_KIOSKS", 20), envInt(t, "SYNC_CHAOS_PG_SUBMISSIONS", 4)
	r := rand.New(rand.NewPCG(seed(t), 5))
	pg := pgtest.Shared(t)
	url, err := pg.CreateDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("chaos-handoff-secret-0123456789")
	ep := &endpoint{r: rand.New(rand.NewPCG(seed(t), 6)), failRate: 0.2, accepted: map[string]hub.HandoffSubmission{}, secret: secret}
	srv := httptest.NewServer(ep)
	t.Cleanup(srv.Close)
	keys := t.TempDir()
	secretFile := filepath.Join(keys, "forward-secret")
	if err := os.WriteFile(secretFile, secret, 0o600); err != nil {
		t.Fatal(err)
	}
	bin := buildHub(t)
	var reps []*hubProc
	for range 2 {
		hp := newHubProc(t, bin, "-store", url, "-key", filepath.Join(keys, "hub.key"),
			"-identity-key", filepath.Join(keys, "identity.key"), "-sync-key", filepath.Join(keys, "sync.key"),
			"-forward", srv.URL, "-forward-secret-file", secretFile, "-handshake-rate", "1000", "-handshake-burst", "1000")
		hp.start()
		reps = append(reps, hp)
	}
	t.Cleanup(func() {
		for _, hp := range reps {
			hp.kill()
		}
	})
	lb := newBalancer(t, reps[0].addr, reps[1].addr)
	lbURL := "ws://" + lb.ln.Addr().String()

	f, err := fleet.Open(context.Background(), fleet.Options{HubURL: lbURL, Kiosks: kiosks,
		OperatorToken: operatorToken, Dir: t.TempDir(),
		Client: func(_ int, o *client.Options) { quickClient(o) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if err := f.Start(); err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	var enqErr error
	var errOnce sync.Once
	for _, k := range f.Kiosks {
		wg.Go(func() {
			for range perKiosk {
				if _, err := k.Enqueue(context.Background(), 200_000); err != nil {
					errOnce.Do(func() { enqErr = err })
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
	enqueued := make(chan struct{})
	go func() { wg.Wait(); close(enqueued) }()
	kills, pgRestarted := 0, false
	for done := false; !done; {
		select {
		case <-enqueued:
			done = f.Pending() == 0 && kills >= 6
		default:
		}
		time.Sleep(time.Duration(1000+r.IntN(1000)) * time.Millisecond)
		hp := reps[r.IntN(2)]
		hp.kill()
		kills++
		if !pgRestarted && kills == 2 {
			if err := pg.Restart(); err != nil {
				t.Fatal(err)
			}
			pgRestarted = true
		}
		time.Sleep(time.Duration(r.IntN(300)) * time.Millisecond)
		hp.start()
		if kills > 200 {
			t.Fatalf("still %d waiting after %d kills", f.Pending(), kills)
		}
	}
	if enqErr != nil {
		t.Fatal(enqErr)
	}
	if err := f.Wait(context.Background(), 2*time.Minute); err != nil {
		t.Fatalf("%v (%d still waiting)", err, f.Pending())
	}
	f.Stop()
	t.Logf("delivered after %d kills", kills)

	var sent []fleet.Sent
	for _, k := range f.Kiosks {
		sent = append(sent, k.Sent()...)
	}
	if len(sent) != kiosks*perKiosk {
		t.Fatalf("%d enqueued, want %d", len(sent), kiosks*perKiosk)
	}
	for i, s := range sent {
		hp := reps[i%2]
		got, err := fleet.LookupSubmissionsAs(context.Background(), nil, hp.url(), operatorToken, s.TrackingCode)
		if err != nil || len(got) != 1 || got[0].ID != s.ID {
			t.Errorf("%s (%s) at the hub: %+v %v", s.ID, s.TrackingCode, got, err)
			continue
		}
		var b []byte
		if err := hp.get("/api/submissions/"+s.TrackingCode+"/attachments/0", &b); err != nil ||
			sha(b) != sha(fleet.SyntheticBytes(s.ID, s.Size)) {
			t.Errorf("%s: attachment at the hub differs (%d bytes, %v)", s.ID, len(b), err)
		}
	}
	var list struct {
		Total int `json:"total"`
	}
	if err := reps[0].get("/api/submissions?limit=1", &list); err != nil {
		t.Fatal(err)
	}
	if list.Total != len(sent) {
		t.Errorf("the hub holds %d submissions; the terminals enqueued %d", list.Total, len(sent))
	}

	t.Logf("checked at the hub")
	deadline := time.Now().Add(2 * time.Minute)
	for ep.count() < len(sent) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	ep.mu.Lock()
	defer ep.mu.Unlock()
	for _, s := range sent {
		got, ok := ep.accepted[s.ID]
		if !ok {
			t.Errorf("%s never handed off", s.ID)
			continue
		}
		if len(got.Attachments) != 1 || sha(got.Attachments[0].Data) != sha(fleet.SyntheticBytes(s.ID, s.Size)) {
			t.Errorf("%s handed off without its bytes", s.ID)
		}
	}
	if len(ep.accepted) != len(sent) {
		t.Errorf("%d hand-offs for %d submissions", len(ep.accepted), len(sent))
	}
	var conns int64
	for _, k := range f.Kiosks {
		conns += k.Client.Stats().Connects
	}
	t.Logf("%d replica kills and 1 PostgreSQL crash: %d submissions of 200 KB from %d terminals, each at the hub once with its bytes; "+
		"handed off once each (%d refused by the endpoint and retried, %d repeated requests absorbed by the idempotency key); %d connections",
		kills, len(sent), kiosks, ep.failed, ep.repeats, conns)
}

func envInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive number", name, s)
	}
	return n
}

// BenchmarkReplicaFailover measures fail-over: a terminal with default client settings
// is connected through the balancer to one of two replicas; that replica is killed with
// SIGKILL and the terminal enqueues a submission of 200 KB at once. One op is the time
// from the kill to the hub's acknowledgement through the other replica (then the
// killed replica restarts). Run with -benchtime=10x.
func BenchmarkReplicaFailover(b *testing.B) {
	pg := pgtest.Shared(b)
	url, err := pg.CreateDatabase(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	keys := b.TempDir()
	bin := buildHub(b)
	var reps []*hubProc
	for range 2 {
		hp := newHubProc(b, bin, "-store", url, "-key", filepath.Join(keys, "hub.key"),
			"-identity-key", filepath.Join(keys, "identity.key"), "-sync-key", filepath.Join(keys, "sync.key"))
		hp.start()
		reps = append(reps, hp)
	}
	b.Cleanup(func() {
		for _, hp := range reps {
			hp.kill()
		}
	})
	lb := newBalancer(b, reps[0].addr, reps[1].addr)
	f, err := fleet.Open(context.Background(), fleet.Options{HubURL: "ws://" + lb.ln.Addr().String(), Kiosks: 1,
		OperatorToken: operatorToken, Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	if err := f.Start(); err != nil {
		b.Fatal(err)
	}
	k := f.Kiosks[0]
	var total time.Duration
	for range b.N {
		// Wait until the terminal is connected and idle on one replica.
		if _, err := k.Enqueue(context.Background(), 1000); err != nil {
			b.Fatal(err)
		}
		if err := f.Wait(context.Background(), time.Minute); err != nil {
			b.Fatal(err)
		}
		on := -1
		for i := range reps {
			if lb.active[i].Load() > 0 {
				on = i
			}
		}
		if on < 0 {
			b.Fatal("terminal not connected")
		}
		start := time.Now()
		reps[on].kill()
		if _, err := k.Enqueue(context.Background(), 200_000); err != nil {
			b.Fatal(err)
		}
		if err := f.Wait(context.Background(), time.Minute); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		reps[on].start()
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/failover")
}
