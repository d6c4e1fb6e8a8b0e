package chaos

import (
	"context"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/sync/client"
	"github.com/govkiosk/govkiosk/sync/fleet"
	"github.com/govkiosk/govkiosk/sync/hub"
	"github.com/govkiosk/govkiosk/sync/queue"
)

// durable is a submission a kiosk child reported after Enqueue returned.
type durable struct {
	id, code string
	size     int
}

func parseDurable(t *testing.T, lines []string) []durable {
	t.Helper()
	var out []durable
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) != 4 || f[0] != "D" {
			continue
		}
		size, err := strconv.Atoi(f[3])
		if err != nil {
			t.Fatalf("bad line %q", l)
		}
		out = append(out, durable{f[1], f[2], size})
	}
	return out
}

// The kiosk process is killed with SIGKILL at random points while it enqueues and
// delivers: during Enqueue's writes and fsyncs, mid-chunk, between commit and ack,
// while marking delivered. After every restart delivery continues, and at the end every
// submission the kiosk reported durable is at the hub exactly once, with its bytes, and
// the hub holds nothing else.
func TestKioskKilled(t *testing.T) {
	n := cycles(t, 4)
	sd := seed(t)
	r := rand.New(rand.NewPCG(sd, 1))

	h, err := hub.New(hub.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go h.Serve(ln)
	t.Cleanup(func() { h.Close() })
	url := "ws://" + ln.Addr().String()

	kioskDir := t.TempDir()
	keyFile := filepath.Join(t.TempDir(), "queue.key")
	code, _, err := h.CreateEnrollCode(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cr, err := client.Enroll(context.Background(), url, code)
	if err != nil {
		t.Fatal(err)
	}
	if err := cr.Save(kioskDir); err != nil {
		t.Fatal(err)
	}

	child := func(role string, cycle int) *proc {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), envRole+"="+role, envDir+"="+kioskDir, envKey+"="+keyFile,
			envCycle+"="+strconv.Itoa(cycle), envSeed+"="+strconv.FormatUint(sd, 10))
		cmd.Stderr = os.Stderr
		return startProc(t, cmd)
	}

	var reported []durable
	committed := []int64{}
	for cycle := range n {
		p := child("kiosk", cycle)
		p.waitLine(t, "READY", 30*time.Second)
		time.Sleep(time.Duration(20+r.IntN(700)) * time.Millisecond)
		p.kill()
		got := parseDurable(t, p.output())
		reported = append(reported, got...)
		committed = append(committed, h.Stats().Submissions)
		if testing.Verbose() && (cycle%10 == 9 || n <= 10) {
			t.Logf("cycle %d: %d reported durable this cycle, %d so far; hub has committed %d",
				cycle, len(got), len(reported), committed[len(committed)-1])
		}
	}

	// A last, unkilled run delivers what is left: delivery continues after every kill.
	p := child("drain", n)
	line := p.waitLine(t, "DRAINED", 2*time.Minute)
	if err := p.wait(t, 30*time.Second); err != nil {
		t.Fatalf("drain: %v", err)
	}
	if !strings.HasSuffix(line, " 0") {
		t.Errorf("drain: %s (the last number counts failed items)", line)
	}

	q, err := queue.Open(filepath.Join(kioskDir, "queue"), queue.Options{TerminalCode: cr.TerminalCode, KeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	checkExactlyOnce(t, h, q, reported)
	st := h.Stats()
	t.Logf("%d cycles: %d submissions reported durable, %d in the outbox, hub committed %d, answered %d repeats with the original ack",
		n, len(reported), mustList(t, q), st.Submissions, st.Duplicates)
	if len(reported) == 0 {
		t.Fatal("the kiosk never reported a durable submission: the test tested nothing")
	}
}

func mustList(t *testing.T, q *queue.Queue) int {
	es, err := q.List(0)
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

// checkExactlyOnce checks, against a hub in this process, that every reported submission
// is there once with its id and bytes, that the outbox has every item delivered and none
// failed, and that the hub committed exactly the outbox's items: nothing lost, nothing
// twice.
func checkExactlyOnce(t *testing.T, h *hub.Hub, q *queue.Queue, reported []durable) {
	t.Helper()
	entries, err := q.List(0)
	if err != nil {
		t.Fatal(err)
	}
	inQueue := map[string]string{}
	for _, e := range entries {
		inQueue[e.ID] = e.TrackingCode
		if e.State != queue.Delivered {
			t.Errorf("outbox item %s is %s (%s)", e.ID, e.State, e.Reason)
		}
	}
	seen := map[string]bool{}
	for _, d := range reported {
		if seen[d.id] {
			t.Fatalf("the kiosk reported %s twice", d.id)
		}
		seen[d.id] = true
		if inQueue[d.id] != d.code {
			t.Errorf("%s (%s), acknowledged to the resident, is not in the outbox", d.id, d.code)
		}
		got, err := h.Submissions(hub.SubmissionQuery{TrackingCode: d.code})
		if err != nil || len(got) != 1 || got[0].ID != d.id {
			t.Errorf("%s (%s) at the hub: %+v, %v", d.id, d.code, got, err)
			continue
		}
		if d.size > 0 {
			b, err := h.ReadAttachment(d.code, 0)
			if err != nil || sha(b) != sha(fleet.SyntheticBytes(d.id, d.size)) {
				t.Errorf("%s: attachment at the hub differs (%d bytes, %v)", d.id, len(b), err)
			}
		}
	}
	// Every outbox item (the reported ones and those enqueued just before a kill cut the
	// report short) is at the hub, and the hub committed nothing more.
	for id, code := range inQueue {
		got, err := h.Submissions(hub.SubmissionQuery{TrackingCode: code})
		if err != nil || len(got) != 1 || got[0].ID != id {
			t.Errorf("outbox item %s (%s) at the hub: %+v, %v", id, code, got, err)
		}
	}
	if c := h.Stats().Submissions; c != int64(len(inQueue)) {
		t.Errorf("the hub committed %d submissions; the outbox holds %d", c, len(inQueue))
	}
}
