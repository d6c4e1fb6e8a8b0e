package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// testEnv is a command's environment in a test: the given output streams and a log that
// goes nowhere.
func testEnv(stdout, stderr io.Writer) *env {
	return &env{stdout: stdout, stderr: stderr, log: discardLogger()}
}

// runCmd runs a kioskctl command to its end.
func runCmd(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(context.Background(), testEnv(&o, &e), args)
	return code, o.String(), e.String()
}

// startCmd runs a kioskctl command in the background until the test ends (or stop is
// called) and returns its output streams and stop, which cancels it and returns its exit
// status.
func startCmd(t *testing.T, args ...string) (stdout, stderr *liveOut, stop func() int) {
	t.Helper()
	stdout, stderr = &liveOut{}, &liveOut{}
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() { code <- run(ctx, testEnv(stdout, stderr), args) }()
	var once sync.Once
	status := -1
	stop = func() int {
		once.Do(func() {
			cancel()
			select {
			case status = <-code:
			case <-time.After(10 * time.Second):
				t.Errorf("kioskctl %s did not stop", strings.Join(args, " "))
			}
		})
		return status
	}
	t.Cleanup(func() { stop() })
	return stdout, stderr, stop
}

// liveOut is an output stream a test reads while the command still writes.
type liveOut struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *liveOut) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *liveOut) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// lines is the complete lines written so far.
func (o *liveOut) lines() []string {
	s := o.String()
	if !strings.HasSuffix(s, "\n") {
		s = s[:strings.LastIndex(s, "\n")+1]
	}
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// waitLine waits for the n-th complete line (from 1).
func (o *liveOut) waitLine(t *testing.T, n int) string {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if l := o.lines(); len(l) >= n {
			return l[n-1]
		}
	}
	t.Fatalf("no line %d; output so far %q", n, o.String())
	return ""
}

// waitLines waits until the stream holds at least n complete lines and returns all it
// holds, a line still being written included.
func (o *liveOut) waitLines(t *testing.T, n int) []string {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if out := o.String(); strings.Count(out, "\n") >= n {
			return strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		}
	}
	t.Fatalf("waited for %d lines, have %q", n, o.String())
	return nil
}
