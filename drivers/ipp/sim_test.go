package ipp

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/drivers/ipp/ipptest"
)

// startSim serves a Sim on loopback for the test and returns a Client of it.
func startSim(t *testing.T) (*Sim, *Client, string) {
	t.Helper()
	out := t.TempDir()
	s := NewSim(SimConfig{OutDir: out, PageTime: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	uri := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, "127.0.0.1:0", func(u string) { uri <- u }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("simulator: %v", err)
		}
	})
	var u string
	select {
	case u = <-uri:
	case err := <-done:
		t.Fatal(err)
	}
	c, err := NewClient(u, ClientOptions{JobPoll: 20 * time.Millisecond, JobTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s, c, out
}

// TestSimPrints: the Client prints on the simulator over real IPP; the simulator keeps the
// very PDF, which poppler reads with its pages.
func TestSimPrints(t *testing.T) {
	_, c, out := startSim(t)
	doc := testPDF(2)
	js, err := c.Print(ctx(t), "test", doc)
	if err != nil {
		t.Fatal(err)
	}
	if js.State != JobCompleted || js.Completed != 2 {
		t.Errorf("job %+v; want completed with 2 pages", js)
	}
	path := filepath.Join(out, "job-1.pdf")
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, doc) {
		t.Fatalf("the simulator kept %d bytes (%v); want the %d sent", len(got), err, len(doc))
	}
	if n := ipptest.PageCount(t, path); n != 2 {
		t.Errorf("poppler counts %d pages; want 2", n)
	}
}

// TestSimFaults: paper out mid-job aborts the job after the pages the paper lasted and
// the printer says media-empty (the Client's ErrMediaEmpty, health: paper out); while
// empty or jammed, nothing is sent; loaded paper prints again; a document that is not a
// PDF is refused as such, not as a paper fault.
func TestSimFaults(t *testing.T) {
	s, c, _ := startSim(t)
	s.RunOutAfter(1)
	js, err := c.Print(ctx(t), "test", testPDF(3))
	var je *JobError
	if !errors.As(err, &je) || !errors.Is(err, ErrMediaEmpty) || je.Completed != 1 || js.State != JobAborted {
		t.Fatalf("paper out mid-job: %+v, %v; want a JobError aborted after 1 page, cause ErrMediaEmpty", js, err)
	}
	st, err := c.Status(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if state, _, _ := StatusHealth(st); state != health.UserError {
		t.Errorf("health of an empty printer: %s", state)
	}
	if _, err := c.Print(ctx(t), "test", testPDF(1)); !errors.Is(err, ErrMediaEmpty) {
		t.Errorf("printing while empty: %v; want ErrMediaEmpty before sending", err)
	}
	s.LoadPaper()
	s.Jam(true)
	if _, err := c.Print(ctx(t), "test", testPDF(1)); !errors.Is(err, ErrMediaJam) {
		t.Errorf("printing while jammed: %v; want ErrMediaJam", err)
	}
	s.Jam(false)
	if _, err := c.Print(ctx(t), "test", testPDF(1)); err != nil {
		t.Errorf("after loading paper: %v", err)
	}
	if _, err := c.Print(ctx(t), "test", []byte("not a pdf")); !errors.Is(err, ErrDocumentRefused) {
		t.Errorf("a document that is not a PDF: %v; want ErrDocumentRefused", err)
	}
	if n := s.Printed(); n != 1 {
		t.Errorf("%d jobs completed; want 1", n)
	}
}
