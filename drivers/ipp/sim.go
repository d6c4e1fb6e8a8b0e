package ipp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"
)

// Sim is an A4 printer speaking IPP over HTTP from the printer's side, with this
// package's own codec: the kiosk's simulated devices (-simulate, `make run`) include it so
// a certificate prints without a printer on the desk, and the simulated-devices panel
// empties its paper or jams it. It keeps each completed job as a PDF file.
//
// It answers what an IPP Everywhere printer answers to the operations the Client uses
// (Get-Printer-Attributes, Print-Job, Get-Job-Attributes, Cancel-Job) and no more; tests
// of the Client against a real implementation use ippeveprinter (see ipptest).
type Sim struct {
	out string
	log *slog.Logger
	// pageTime is how long a page takes to print.
	pageTime time.Duration

	mu    sync.Mutex
	empty bool // out of paper
	jam   bool
	// sheets is how many pages the loaded paper lasts; -1 without end.
	sheets int
	jobs   map[int]*simJob
	nextID int
	busy   int // jobs processing
}

type simJob struct {
	id, pages, done int
	state           int
	reasons         []string
	message         string
	data            []byte
	timer           *time.Timer
}

// SimConfig configures a Sim.
type SimConfig struct {
	// OutDir receives job-N.pdf for each completed job; "" keeps none.
	OutDir string
	// PageTime is how long each page takes [300 ms].
	PageTime time.Duration
	Log      *slog.Logger
}

// NewSim makes a printer with paper loaded.
func NewSim(c SimConfig) *Sim {
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.PageTime <= 0 {
		c.PageTime = 300 * time.Millisecond
	}
	return &Sim{out: c.OutDir, log: c.Log, pageTime: c.PageTime, sheets: -1, jobs: map[int]*simJob{}}
}

// LoadPaper fills the tray: the printer prints again after running out.
func (s *Sim) LoadPaper() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.empty, s.sheets = false, -1
}

// EmptyPaper takes the paper out.
func (s *Sim) EmptyPaper() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.empty, s.sheets = true, 0
}

// RunOutAfter leaves paper for this many more pages, the printer still saying it has
// paper: the job that needs one more stops there, aborted, and only then the printer
// reports media-empty (paper out mid-job; 0: on the next job's first page).
func (s *Sim) RunOutAfter(pages int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.empty, s.sheets = false, max(pages, 0)
}

// Jam jams the paper, or clears the jam.
func (s *Sim) Jam(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jam = on
}

// Printed returns the number of completed jobs.
func (s *Sim) Printed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, j := range s.jobs {
		if j.state == JobCompleted {
			n++
		}
	}
	return n
}

// Serve listens on addr ("127.0.0.1:0" for any port), calls ready with the printer's URI
// (http://host:port/ipp/print) and serves until ctx ends.
func (s *Sim) Serve(ctx context.Context, addr string, ready func(uri string)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("ipp: simulator: %w", err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	if ready != nil {
		ready("http://" + ln.Addr().String() + "/ipp/print")
	}
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	})
	defer stop()
	err = srv.Serve(ln)
	s.mu.Lock()
	for _, j := range s.jobs {
		if j.timer != nil {
			j.timer.Stop()
		}
	}
	s.mu.Unlock()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// simMaxRequest bounds a request: a certificate is some KiB, the hub sends at most 2 MiB.
const simMaxRequest = 8 << 20

// ServeHTTP answers one IPP request.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/ipp" {
		http.Error(w, "IPP only", http.StatusBadRequest)
		return
	}
	req, doc, err := ReadMessage(r.Body, simMaxRequest)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	resp := s.answer(req, doc)
	b, err := resp.Encode()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/ipp")
	_, _ = w.Write(b)
}

func (s *Sim) answer(req *Message, doc []byte) *Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	status, msg := uint16(StatusOK), "successful-ok"
	var groups []Group
	switch req.Code {
	case OpGetPrinterAttributes:
		groups = []Group{{Tag: TagPrinter, Attrs: s.printerAttrs()}}
	case OpPrintJob:
		status, msg, groups = s.printJob(req, doc)
	case OpGetJobAttributes, OpCancelJob:
		a, _ := req.Get(TagOperation, "job-id")
		j := s.jobs[a.Int()]
		switch {
		case j == nil:
			status, msg = 0x0406, "client-error-not-found"
		case req.Code == OpCancelJob && j.state < JobCanceled:
			j.timer.Stop()
			s.finish(j, JobCanceled, []string{"job-canceled-by-user"}, "canceled")
		case req.Code == OpGetJobAttributes:
			groups = []Group{{Tag: TagJob, Attrs: j.attrs()}}
		}
	default:
		status, msg = 0x0501, "server-error-operation-not-supported"
	}
	head := Group{Tag: TagOperation, Attrs: []Attribute{
		attr("attributes-charset", str(TagCharset, "utf-8")),
		attr("attributes-natural-language", str(TagLanguage, "en")),
		attr("status-message", str(TagText, msg)),
	}}
	return &Message{Major: 1, Minor: 1, Code: status, RequestID: req.RequestID, Groups: append([]Group{head}, groups...)}
}

func (s *Sim) reasons() []string {
	var rs []string
	if s.empty {
		rs = append(rs, "media-empty-error", "media-needed-error")
	}
	if s.jam {
		rs = append(rs, "media-jam-error")
	}
	if len(rs) == 0 {
		rs = []string{"none"}
	}
	return rs
}

func (s *Sim) printerAttrs() []Attribute {
	state, message := PrinterIdle, "ready"
	switch {
	case s.empty || s.jam:
		state, message = PrinterStopped, "out of paper"
		if s.jam {
			message = "paper jam"
		}
	case s.busy > 0:
		state, message = PrinterProcessing, "printing"
	}
	keywords := func(name string, vs ...string) Attribute {
		a := Attribute{Name: name}
		for _, v := range vs {
			a.Values = append(a.Values, str(TagKeyword, v))
		}
		return a
	}
	return []Attribute{
		attr("printer-name", str(TagName, "govkiosk simulated A4 printer")),
		attr("printer-make-and-model", str(TagText, "govkiosk A4 simulator")),
		attr("printer-state", integer(TagEnum, state)),
		keywords("printer-state-reasons", s.reasons()...),
		attr("printer-state-message", str(TagText, message)),
		attr("printer-is-accepting-jobs", integer(TagBoolean, 1)),
		attr("document-format-supported", str(TagMimeType, FormatPDF)),
		keywords("media-supported", MediaA4),
		keywords("media-default", MediaA4),
	}
}

// pageRe counts a PDF's page objects ("/Type /Page", not "/Pages").
var pageRe = regexp.MustCompile(`/Type\s*/Page\b`)

func (s *Sim) printJob(req *Message, doc []byte) (uint16, string, []Group) {
	if f, ok := req.Get(TagOperation, "document-format"); ok && f.String() != FormatPDF {
		return StatusDocumentFormatUnsupported, "client-error-document-format-not-supported", nil
	}
	s.nextID++
	j := &simJob{id: s.nextID, state: JobProcessing, data: doc, pages: len(pageRe.FindAll(doc, -1))}
	s.jobs[j.id] = j
	s.busy++
	name, _ := req.Get(TagOperation, "job-name")
	s.log.Info("A4 simulator: job received", "job", j.id, "name", name.String(), "bytes", len(doc), "pages", j.pages)
	if !bytes.HasPrefix(doc, []byte("%PDF-")) || j.pages == 0 {
		s.finish(j, JobAborted, []string{"document-format-error"}, "the document is not a PDF the printer can read")
	} else {
		s.step(j)
	}
	return StatusOK, "successful-ok", []Group{{Tag: TagJob, Attrs: j.attrs()}}
}

// step prints the job's next page after pageTime, or stops it on a fault.
func (s *Sim) step(j *simJob) {
	j.timer = time.AfterFunc(s.pageTime, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if j.state != JobProcessing {
			return
		}
		switch {
		case s.jam:
			s.finish(j, JobAborted, []string{"aborted-by-system"}, "paper jam")
			return
		case s.empty || s.sheets == 0:
			s.empty = true
			s.finish(j, JobAborted, []string{"aborted-by-system"}, "out of paper")
			return
		}
		if s.sheets > 0 {
			s.sheets--
		}
		j.done++
		if j.done < j.pages {
			s.step(j)
			return
		}
		s.finish(j, JobCompleted, []string{"job-completed-successfully"}, "printed")
	})
}

// finish ends a job and keeps a completed one's document.
func (s *Sim) finish(j *simJob, state int, reasons []string, message string) {
	j.state, j.reasons, j.message = state, reasons, message
	s.busy--
	data := j.data
	j.data = nil
	if state != JobCompleted {
		s.log.Info("A4 simulator: job ended", "job", j.id, "state", state, "pages_printed", j.done, "reason", message)
		return
	}
	if s.out == "" {
		return
	}
	path := filepath.Join(s.out, fmt.Sprintf("job-%d.pdf", j.id))
	if err := os.WriteFile(path, data, 0o600); err != nil {
		s.log.Error("A4 simulator: keep the document", "job", j.id, "err", err)
		return
	}
	s.log.Info("A4 simulator: printed", "job", j.id, "pages", j.done, "file", path)
}

func (j *simJob) attrs() []Attribute {
	a := Attribute{Name: "job-state-reasons"}
	for _, r := range j.reasons {
		a.Values = append(a.Values, str(TagKeyword, r))
	}
	if len(a.Values) == 0 {
		a.Values = []Value{str(TagKeyword, "none")}
	}
	return []Attribute{
		attr("job-id", integer(TagInteger, j.id)),
		attr("job-state", integer(TagEnum, j.state)),
		a,
		attr("job-state-message", str(TagText, j.message)),
		attr("job-impressions-completed", integer(TagInteger, j.done)),
	}
}
