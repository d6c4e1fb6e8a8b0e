package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/sync/client"
	"github.com/govkiosk/govkiosk/sync/fleet"
	"github.com/govkiosk/govkiosk/sync/queue"
)

const operatorToken = "chaos-test-operator-token"

// buildHub builds the real kiosk-hub binary for the test.
func buildHub(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kiosk-hub")
	cmd := exec.Command("go", "build", "-o", bin,
		"github.com/govkiosk/govkiosk/cmd/kiosk-hub")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build kiosk-hub: %v\n%s", err, out)
	}
	return bin
}

// hubProc runs the kiosk-hub binary on one data directory and one address, so a
// restarted hub is the same hub to its terminals.
type hubProc struct {
	t     testing.TB
	bin   string
	dir   string
	keys  string // key files, apart from dir as in production
	addr  string
	token string
	args  []string
	p     *proc
}

func newHubProc(t testing.TB, bin string, args ...string) *hubProc {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	token := filepath.Join(t.TempDir(), "operator-token")
	if err := os.WriteFile(token, []byte(operatorToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return &hubProc{t: t, bin: bin, dir: t.TempDir(), keys: t.TempDir(), addr: addr, token: token, args: args}
}

func (hp *hubProc) url() string { return "ws://" + hp.addr }

// start starts the hub and waits until it listens.
func (hp *hubProc) start() {
	hp.t.Helper()
	args := append([]string{"-data", hp.dir, "-key", filepath.Join(hp.keys, "hub.key"), "-listen", hp.addr, "-operator-token-file", hp.token,
		"-log-level", "error"}, hp.args...)
	cmd := exec.Command(hp.bin, args...)
	cmd.Stderr = os.Stderr
	hp.p = startProc(hp.t, cmd)
	hp.p.waitLine(hp.t, "kiosk-hub ", 30*time.Second)
}

// kill ends the hub with SIGKILL: no shutdown, no flush, whatever it was doing.
func (hp *hubProc) kill() { hp.p.kill() }

func (hp *hubProc) get(path string, v any) error {
	req, err := http.NewRequest(http.MethodGet, "http://"+hp.addr+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+operatorToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	if p, ok := v.(*[]byte); ok {
		*p = b
		return nil
	}
	return json.Unmarshal(b, v)
}

// The kiosk-hub process is killed with SIGKILL at random points while three terminals
// enqueue and deliver, and restarted on the same data directory: mid-chunk, between a
// chunk's write and its fsync, between commit and ack, during enrollment-free
// reconnects. At the end every submission the terminals acknowledged is at the hub once,
// under its id, with its bytes; the hub committed nothing else.
func TestHubKilled(t *testing.T) {
	n := cycles(t, 4)
	r := rand.New(rand.NewPCG(seed(t), 2))
	hp := newHubProc(t, buildHub(t))
	hp.start()

	f, err := fleet.Open(context.Background(), fleet.Options{HubURL: hp.url(), Kiosks: 3,
		OperatorToken: operatorToken, Dir: t.TempDir(),
		Client: func(_ int, o *client.Options) { quickClient(o) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if err := f.Start(); err != nil {
		t.Fatal(err)
	}

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var enqErr error
	var errOnce sync.Once
	for _, k := range f.Kiosks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rk := rand.New(rand.NewPCG(uint64(k.Index), 3))
			for i := 0; ctx.Err() == nil; i++ {
				if _, err := k.Enqueue(context.Background(), childSize(i)); err != nil {
					errOnce.Do(func() { enqErr = err })
					return
				}
				time.Sleep(time.Duration(20+rk.IntN(80)) * time.Millisecond)
			}
		}()
	}
	for cycle := range n {
		time.Sleep(time.Duration(50+r.IntN(800)) * time.Millisecond)
		hp.kill()
		time.Sleep(time.Duration(r.IntN(100)) * time.Millisecond) // down a little while, sometimes
		hp.start()
		if testing.Verbose() && (cycle%10 == 9 || n <= 10) {
			t.Logf("cycle %d: %d waiting at the terminals", cycle, f.Pending())
		}
	}
	stop()
	wg.Wait()
	if enqErr != nil {
		t.Fatal(enqErr)
	}
	if err := f.Wait(context.Background(), 2*time.Minute); err != nil {
		t.Fatalf("after the last restart: %v (%d still waiting)", err, f.Pending())
	}
	f.Stop()

	var sent []fleet.Sent
	for _, k := range f.Kiosks {
		sent = append(sent, k.Sent()...)
		st, err := k.Queue.Stats()
		if err != nil || st.Queued+st.Sending+st.Failed != 0 {
			t.Errorf("kiosk %d outbox: %+v %v", k.Index, st, err)
		}
		es, _ := k.Queue.List(0)
		for _, e := range es {
			if e.State != queue.Delivered {
				t.Errorf("kiosk %d: %s is %s", k.Index, e.ID, e.State)
			}
		}
	}
	if len(sent) == 0 {
		t.Fatal("nothing was enqueued: the test tested nothing")
	}
	for _, s := range sent {
		got, err := fleet.LookupSubmissionsAs(context.Background(), nil, hp.url(), operatorToken, s.TrackingCode)
		if err != nil || len(got) != 1 || got[0].ID != s.ID {
			t.Errorf("%s (%s) at the hub: %+v %v", s.ID, s.TrackingCode, got, err)
			continue
		}
		if s.Size > 0 {
			var b []byte
			if err := hp.get("/api/submissions/"+s.TrackingCode+"/attachments/0", &b); err != nil ||
				sha(b) != sha(fleet.SyntheticBytes(s.ID, s.Size)) {
				t.Errorf("%s: attachment at the hub differs (%d bytes, %v)", s.ID, len(b), err)
			}
		}
	}
	var list struct {
		Total int `json:"total"`
	}
	if err := hp.get("/api/submissions?limit=1", &list); err != nil {
		t.Fatal(err)
	}
	if list.Total != len(sent) {
		t.Errorf("the hub holds %d submissions; the terminals enqueued %d", list.Total, len(sent))
	}
	var conns int64
	for _, k := range f.Kiosks {
		conns += k.Client.Stats().Connects
	}
	t.Logf("%d hub kills: %d submissions enqueued, all at the hub once; %d connections", n, len(sent), conns)
}
