package queue

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// childEnv selects a helper role when the test binary is re-executed by a test.
const childEnv = "QUEUE_TEST_CHILD"

func TestMain(m *testing.M) {
	var err error
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "crash":
		err = crashChild()
	case "tmpfs":
		err = tmpfsChild()
	default:
		err = fmt.Errorf("unknown child role %q", os.Getenv(childEnv))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// crashSubmission is the content of the crash child's i-th submission, derived from its
// id so the parent can check it without being told.
func crashSubmission(id string, i int) NewSubmission {
	s := NewSubmission{
		ID: id, Item: "crash-test", ItemTitle: "崩溃测试",
		Fields: map[string]string{"name": "测试甲", "id_number": syntheticID(i), "ref": id},
	}
	if i%3 != 0 {
		size := 1 + (i*7919)%300_000
		s.Attachments = []NewAttachment{{Name: "scan.jpg", ContentType: "image/jpeg", Data: syntheticData(id, size)}}
	}
	return s
}

// crashChild enqueues until it is killed. It reports on stdout, one write per line,
// "D id code" after Enqueue returned and "X id" after MarkDelivered returned: from then
// on the parent may rely on them.
func crashChild() error {
	cycle, _ := strconv.Atoi(os.Getenv("QUEUE_TEST_CYCLE"))
	q, err := Open(os.Getenv("QUEUE_TEST_DIR"), Options{
		TerminalCode: testTerminal, KeyFile: os.Getenv("QUEUE_TEST_KEY"), CreateKey: true, MinFreeBytes: -1,
	})
	if err != nil {
		return err
	}
	os.Stdout.WriteString("READY\n")
	var ids []string
	for i := 0; ; i++ {
		id := fmt.Sprintf("c%03d-%05d", cycle, i)
		s, err := q.Enqueue(context.Background(), crashSubmission(id, i))
		if err != nil {
			return err
		}
		os.Stdout.WriteString("D " + id + " " + s.TrackingCode + "\n")
		ids = append(ids, id)
		switch i % 4 {
		case 1:
			if err := q.MarkSending(ids[i-1]); err != nil {
				return err
			}
		case 2:
			if err := q.MarkDelivered(ids[i-2], "hub-"+ids[i-2]); err != nil {
				return err
			}
			os.Stdout.WriteString("X " + ids[i-2] + "\n")
		case 3:
			if err := q.NoteAttempt(ids[i-2], fmt.Errorf("simulated outage")); err != nil {
				return err
			}
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a writer goroutine and a polling reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestCrashDurability re-executes the test binary as a child that enqueues in a loop and
// SIGKILLs it at random points: during Open's recovery, while attachments are written,
// between the files and the commit, mid-delivery. After each kill the parent reopens
// the queue and checks that every submission the child reported durable is present and
// intact, that every reported delivery held, and that nothing is doubled. Set
// QUEUE_CRASH_CYCLES for a longer soak (e.g. 200).
//
// SIGKILL tests crashes of the process, not power loss: the page cache survives a
// killed process. Power-loss safety rests on the fsync ordering in the package
// documentation.
func TestCrashDurability(t *testing.T) {
	cycles := 3
	if v := os.Getenv("QUEUE_CRASH_CYCLES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("QUEUE_CRASH_CYCLES=%q: want a positive number", v)
		}
		cycles = n
	}
	env := newEnv(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	durable := map[string]string{} // id → tracking code, as the child reported
	delivered := map[string]bool{}
	// Random kills can all land before the first Enqueue returns; a run that checked no
	// reported submission proves nothing, so it goes on (up to a bound) until one has.
	for cycle := 0; cycle < cycles || (len(durable) == 0 && cycle < cycles+20); cycle++ {
		var stdout, stderr syncBuffer
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=crash", "QUEUE_TEST_DIR="+env.dir,
			"QUEUE_TEST_KEY="+env.keyFile, "QUEUE_TEST_CYCLE="+strconv.Itoa(cycle))
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		t.Cleanup(func() { cmd.Process.Kill() })

		// Half the cycles die at any moment from the start (possibly inside Open's
		// recovery); the others after the queue is ready, mid-work.
		if rng.IntN(2) == 0 {
			deadline := time.Now().Add(5 * time.Second)
			for !strings.Contains(stdout.String(), "READY") && time.Now().Before(deadline) {
				time.Sleep(2 * time.Millisecond)
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("cycle %d: child exited by itself: %v\n%s", cycle, err, stderr.String())
		case <-time.After(time.Duration(rng.IntN(600)) * time.Millisecond):
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-exited

		out := stdout.String()
		if i := strings.LastIndexByte(out, '\n'); i >= 0 {
			out = out[:i+1]
		} else {
			out = ""
		}
		newD := 0
		for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			f := strings.Fields(line)
			switch {
			case len(f) == 3 && f[0] == "D":
				durable[f[1]] = f[2]
				newD++
			case len(f) == 2 && f[0] == "X":
				delivered[f[1]] = true
			}
		}
		if err := verifyAfterCrash(env, durable, delivered); err != nil {
			t.Fatalf("cycle %d (%d new durable, %d in all): %v\nchild stderr:\n%s", cycle, newD, len(durable), err, stderr.String())
		}
	}
	if len(durable) == 0 {
		t.Fatal("the child never reported a durable submission: nothing was checked")
	}
	t.Logf("%d durable submissions and %d deliveries checked across the kills", len(durable), len(delivered))
}

// verifyAfterCrash reopens the queue (running recovery) and checks it against what the
// child reported.
func verifyAfterCrash(env *testEnv, durable map[string]string, delivered map[string]bool) error {
	opt := env.options()
	opt.Now = nil
	q, err := Open(env.dir, opt)
	if err != nil {
		return fmt.Errorf("reopen: %w", err)
	}
	defer q.Close()
	entries, err := q.List(0)
	if err != nil {
		return err
	}
	ids, codes := map[string]bool{}, map[string]bool{}
	for _, e := range entries {
		if ids[e.ID] || codes[e.TrackingCode] {
			return fmt.Errorf("duplicate: %s %s", e.ID, e.TrackingCode)
		}
		ids[e.ID], codes[e.TrackingCode] = true, true
		if e.State == Sending || e.State == Failed {
			return fmt.Errorf("%s is %s after recovery (%s)", e.ID, e.State, e.Reason)
		}
		// Every stored submission, reported or not, must be whole.
		var cycle, i int
		if _, err := fmt.Sscanf(e.ID, "c%03d-%05d", &cycle, &i); err != nil {
			return fmt.Errorf("unexpected id %q", e.ID)
		}
		want := crashSubmission(e.ID, i)
		it, err := q.Get(e.ID)
		if err != nil {
			return err
		}
		s := it.Submission
		if s.State == Delivered {
			if s.Fields != nil || e.Files != 0 || s.HubRef != "hub-"+e.ID {
				return fmt.Errorf("%s delivered but holds data or lost its hub reference", e.ID)
			}
			continue
		}
		if !reflect.DeepEqual(s.Fields, want.Fields) {
			return fmt.Errorf("%s: fields differ", e.ID)
		}
		if len(s.Attachments) != len(want.Attachments) {
			return fmt.Errorf("%s: %d attachments, want %d", e.ID, len(s.Attachments), len(want.Attachments))
		}
		for j, a := range want.Attachments {
			data, err := q.ReadAttachment(e.ID, j)
			if err != nil {
				return err
			}
			if !bytes.Equal(data, a.Data) {
				return fmt.Errorf("%s: attachment %d differs", e.ID, j)
			}
		}
	}
	for id, code := range durable {
		it, err := q.Get(id)
		if err != nil {
			return fmt.Errorf("reported durable %s: %w", id, err)
		}
		if it.Submission.TrackingCode != code {
			return fmt.Errorf("%s: tracking code %s, child printed %s", id, it.Submission.TrackingCode, code)
		}
		if delivered[id] && it.Submission.State != Delivered {
			return fmt.Errorf("%s reported delivered, is %s", id, it.Submission.State)
		}
	}
	rep, err := q.Check(context.Background())
	if err != nil {
		return err
	}
	if len(rep.Problems) != 0 {
		return fmt.Errorf("check after recovery: %v", rep.Problems)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(env.dir, filesDir, tmpPrefix+"*")); len(leftovers) != 0 {
		return fmt.Errorf("temporary files survived recovery: %v", leftovers)
	}
	return nil
}
