package ipp

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/drivers/ipp/ipptest"
	"github.com/govkiosk/govkiosk/internal/pdf"
)

func testPDF(pages int) []byte {
	d := &pdf.Doc{Title: "test"}
	for i := range pages {
		d.AddPage().Text(72, 760, 14, "测试页 "+string(rune('1'+i)))
	}
	return d.Bytes()
}

func newTestClient(t *testing.T, p *ipptest.Printer) *Client {
	t.Helper()
	c, err := NewClient(p.URL, ClientOptions{JobPoll: 50 * time.Millisecond, JobTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// TestPrintPDFArrives: a 3-page PDF sent to ippeveprinter completes, and the printer holds
// exactly that PDF, 3 pages as poppler counts them.
func TestPrintPDFArrives(t *testing.T) {
	p := ipptest.Start(t, ipptest.Options{})
	c := newTestClient(t, p)
	st, err := c.Status(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if st.State != PrinterIdle || st.Fault() != nil || !strings.Contains(strings.Join(st.Formats, ","), FormatPDF) {
		t.Fatalf("fresh printer: %+v", st)
	}
	doc := testPDF(3)
	js, err := c.Print(ctx(t), "certificate", doc)
	if err != nil {
		t.Fatalf("Print: %v\n%s", err, p.Log())
	}
	if js.State != JobCompleted {
		t.Errorf("job state %d", js.State)
	}
	jobs := p.Printed(t)
	if len(jobs) != 1 {
		t.Fatalf("printer holds %d documents, want 1", len(jobs))
	}
	if jobs[0].ID != js.ID || jobs[0].Pages != 3 || string(jobs[0].Data) != string(doc) {
		t.Errorf("printed job %d, %d pages, %d bytes; want job %d, 3 pages, %d bytes",
			jobs[0].ID, jobs[0].Pages, len(jobs[0].Data), js.ID, len(doc))
	}
}

// TestPrintOutOfPaperMidJob: the printer runs out of paper after one page of three. Print
// returns a *JobError whose cause is ErrMediaEmpty and that says one page was printed; the
// device's health turns to paper out; with paper back the same document prints whole.
func TestPrintOutOfPaperMidJob(t *testing.T) {
	p := ipptest.Start(t, ipptest.Options{})
	c := newTestClient(t, p)
	d := NewDevice("a4", c, time.Hour, nil)
	p.OutOfPaperAfter(1)
	doc := testPDF(3)
	_, err := d.Print(ctx(t), "certificate", doc)
	var je *JobError
	if !errors.As(err, &je) || !errors.Is(err, ErrMediaEmpty) {
		t.Fatalf("Print = %v; want a *JobError for paper out\n%s", err, p.Log())
	}
	if je.State != JobAborted || je.Completed != 1 {
		t.Errorf("job error %+v; want aborted after 1 page", je)
	}
	h := d.Health()
	if h.State != health.UserError || h.Reason != "paper out" || h.Details["paper"] != "out" {
		t.Errorf("health after paper out: %+v", h)
	}
	// Printing again before the paper is back is refused before sending anything.
	if _, err := c.Print(ctx(t), "certificate", doc); !errors.Is(err, ErrMediaEmpty) || errors.As(err, &je) {
		t.Errorf("Print with no paper = %v; want ErrMediaEmpty before a job", err)
	}
	if n := len(p.Printed(t)); n != 0 {
		t.Errorf("%d documents printed with no paper", n)
	}
	// A person loads paper; the same document then prints whole.
	p.OutOfPaperAfter(-1)
	p.LoadPaper(t, 250)
	if _, err := d.Print(ctx(t), "certificate", doc); err != nil {
		t.Fatalf("reprint: %v", err)
	}
	jobs := p.Printed(t)
	if last := jobs[len(jobs)-1]; last.Pages != 3 || string(last.Data) != string(doc) {
		t.Errorf("reprint arrived with %d pages", last.Pages)
	}
	if h := d.Health(); h.State != health.Online {
		t.Errorf("health after reprint: %+v", h)
	}
}

// TestPaperOutBeforePrinting: an empty tray shows in health at the next poll, and Print
// refuses with ErrMediaEmpty without sending a job.
func TestPaperOutBeforePrinting(t *testing.T) {
	p := ipptest.Start(t, ipptest.Options{})
	d := NewDevice("a4", newTestClient(t, p), time.Hour, nil)
	d.check(ctx(t))
	if h := d.Health(); h.State != health.Online {
		t.Fatalf("health with paper: %+v", h)
	}
	p.LoadPaper(t, 0)
	d.check(ctx(t))
	if h := d.Health(); h.State != health.UserError || h.Details["paper"] != "out" {
		t.Errorf("health with an empty tray: %+v", h)
	}
	var je *JobError
	if _, err := d.Print(ctx(t), "certificate", testPDF(1)); !errors.Is(err, ErrMediaEmpty) || errors.As(err, &je) {
		t.Errorf("Print = %v; want ErrMediaEmpty before any job", err)
	}
	if n := len(p.Printed(t)); n != 0 {
		t.Errorf("%d documents printed", n)
	}
}

// TestPrintJam: a jam ends the job with ErrMediaJam and shows in health as a user error.
func TestPrintJam(t *testing.T) {
	p := ipptest.Start(t, ipptest.Options{})
	d := NewDevice("a4", newTestClient(t, p), time.Hour, nil)
	p.Jam(true)
	if _, err := d.Print(ctx(t), "certificate", testPDF(1)); !errors.Is(err, ErrMediaJam) {
		t.Fatalf("Print = %v; want ErrMediaJam", err)
	}
	if h := d.Health(); h.State != health.UserError || h.Reason != "paper jam" {
		t.Errorf("health %+v", h)
	}
}

// TestPrintRefused: a printer that takes no PDF refuses before anything is sent, and one
// that fails to read the document ends the job with the printer's message; neither is a
// paper or hardware fault.
func TestPrintRefused(t *testing.T) {
	t.Run("format", func(t *testing.T) {
		p := ipptest.Start(t, ipptest.Options{Formats: []string{"image/pwg-raster"}})
		c := newTestClient(t, p)
		_, err := c.Print(ctx(t), "certificate", testPDF(1))
		if !errors.Is(err, ErrDocumentRefused) {
			t.Fatalf("Print = %v; want ErrDocumentRefused", err)
		}
		// Sent anyway, the printer itself refuses it with its IPP status.
		_, err = c.Submit(ctx(t), "certificate", "", testPDF(1))
		var se *StatusError
		if !errors.As(err, &se) || !errors.Is(err, ErrDocumentRefused) {
			t.Errorf("Submit = %v; want the printer's refusal of the format", err)
		}
	})
	t.Run("unreadable", func(t *testing.T) {
		p := ipptest.Start(t, ipptest.Options{})
		d := NewDevice("a4", newTestClient(t, p), time.Hour, nil)
		p.Refuse(true)
		_, err := d.Print(ctx(t), "certificate", testPDF(1))
		var je *JobError
		if !errors.As(err, &je) || je.State != JobAborted || !strings.Contains(je.Message, "cannot read") {
			t.Fatalf("Print = %v; want an aborted job with the printer's message", err)
		}
		for _, e := range []error{ErrMediaEmpty, ErrMediaJam, ErrDoorOpen} {
			if errors.Is(err, e) {
				t.Errorf("a refused document reads as %v", e)
			}
		}
		if h := d.Health(); h.State != health.Online {
			t.Errorf("health after a refused document: %+v", h)
		}
	})
}

// TestDeviceOffline: a printer that does not answer is offline.
func TestDeviceOffline(t *testing.T) {
	c, err := NewClient("ipp://127.0.0.1:1/ipp/print", ClientOptions{RequestTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	d := NewDevice("a4", c, time.Hour, nil)
	d.check(ctx(t))
	if h := d.Health(); h.State != health.Offline {
		t.Errorf("health %+v", h)
	}
}

// TestStatusHealth: each printer-state-reasons condition maps onto the health model.
func TestStatusHealth(t *testing.T) {
	cases := []struct {
		name    string
		st      PrinterStatus
		state   health.State
		reason  string
		details map[string]string
	}{
		{"idle", PrinterStatus{State: PrinterIdle, AcceptingJobs: true}, health.Online, "", nil},
		{"printing", PrinterStatus{State: PrinterProcessing, AcceptingJobs: true}, health.Busy, "", nil},
		{"paper out", PrinterStatus{State: PrinterStopped, Reasons: []string{"media-empty"}, AcceptingJobs: true},
			health.UserError, "paper out", map[string]string{"paper": "out"}},
		{"media needed", PrinterStatus{State: PrinterIdle, Reasons: []string{"media-needed"}, AcceptingJobs: true},
			health.UserError, "paper out", map[string]string{"paper": "out"}},
		{"jam", PrinterStatus{State: PrinterStopped, Reasons: []string{"media-jam"}, AcceptingJobs: true},
			health.UserError, "paper jam", map[string]string{"paper": "jam"}},
		{"door", PrinterStatus{State: PrinterStopped, Reasons: []string{"door-open"}, AcceptingJobs: true},
			health.UserError, "door open", map[string]string{"door": "open"}},
		{"toner low", PrinterStatus{State: PrinterIdle, Reasons: []string{"toner-low"}, AcceptingJobs: true},
			health.Online, "toner low", map[string]string{"toner": "low"}},
		{"toner empty", PrinterStatus{State: PrinterStopped, Reasons: []string{"toner-empty"}, AcceptingJobs: true},
			health.HardwareError, "toner empty", map[string]string{"toner": "empty"}},
		{"stopped", PrinterStatus{State: PrinterStopped, AcceptingJobs: true}, health.HardwareError, "printer stopped", nil},
		{"not accepting", PrinterStatus{State: PrinterIdle}, health.HardwareError, "printer not accepting jobs", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			state, reason, details := StatusHealth(&c.st)
			if state != c.state || reason != c.reason {
				t.Errorf("got %s %q; want %s %q", state, reason, c.state, c.reason)
			}
			for k, v := range c.details {
				if details[k] != v {
					t.Errorf("details[%s] = %q; want %q", k, details[k], v)
				}
			}
		})
	}
}

// TestNewClientURLs: printer URLs in their accepted forms.
func TestNewClientURLs(t *testing.T) {
	cases := []struct{ in, uri, post string }{
		{"ipp://printer.local/ipp/print", "ipp://printer.local/ipp/print", "http://printer.local:631/ipp/print"},
		{"http://localhost:60000/ipp/print", "ipp://localhost:60000/ipp/print", "http://localhost:60000/ipp/print"},
		{"ipps://192.0.2.7", "ipps://192.0.2.7/ipp/print", "https://192.0.2.7:631/ipp/print"},
	}
	for _, c := range cases {
		cl, err := NewClient(c.in, ClientOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if cl.URL() != c.uri || cl.http.String() != c.post {
			t.Errorf("%s: uri %s post %s", c.in, cl.URL(), cl.http)
		}
	}
	for _, bad := range []string{"", "lpd://x/q", "ipp://", "://"} {
		if _, err := NewClient(bad, ClientOptions{}); err == nil {
			t.Errorf("NewClient(%q) accepted", bad)
		}
	}
}
