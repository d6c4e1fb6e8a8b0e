package ipp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// Printer states (printer-state, RFC 8011 section 5.4.11).
const (
	PrinterIdle       = 3
	PrinterProcessing = 4
	PrinterStopped    = 5
)

// Job states (job-state, RFC 8011 section 5.3.7).
const (
	JobPending    = 3
	JobHeld       = 4
	JobProcessing = 5
	JobStopped    = 6
	JobCanceled   = 7
	JobAborted    = 8
	JobCompleted  = 9
)

// Status codes the client branches on (RFC 8011 section 4.1.6).
const (
	StatusOK                        = 0x0000
	StatusDocumentFormatUnsupported = 0x040A
	StatusAttributesUnsupported     = 0x040B
	StatusDocumentFormatError       = 0x0410
	StatusNotAcceptingJobs          = 0x0506
	StatusBusy                      = 0x0507
	StatusDocumentUnprintable       = 0x0418
)

// FormatPDF is the document format the kiosk prints.
const FormatPDF = "application/pdf"

// MediaA4 is the media keyword of A4 paper.
const MediaA4 = "iso_a4_210x297mm"

var (
	// ErrMediaEmpty: the printer is out of paper (media-empty, media-needed).
	ErrMediaEmpty = errors.New("ipp: printer out of paper")
	// ErrMediaJam: paper is jammed in the printer.
	ErrMediaJam = errors.New("ipp: paper jam")
	// ErrDoorOpen: a door or cover of the printer is open.
	ErrDoorOpen = errors.New("ipp: printer door open")
	// ErrTonerEmpty: the printer has no toner or ink left.
	ErrTonerEmpty = errors.New("ipp: toner empty")
	// ErrStopped: the printer is stopped for another reason.
	ErrStopped = errors.New("ipp: printer stopped")
	// ErrDocumentRefused: the printer refused the document itself (format not supported,
	// document unprintable or malformed). Sending it again will not help.
	ErrDocumentRefused = errors.New("ipp: printer refused the document")
)

// HTTPError is an HTTP answer other than 200 to an IPP request.
type HTTPError struct {
	Op     string
	Status int
}

// Error names the operation and the HTTP status.
func (e *HTTPError) Error() string {
	return fmt.Sprintf("ipp: %s: HTTP %d %s", e.Op, e.Status, http.StatusText(e.Status))
}

// StatusError is an IPP status other than success.
type StatusError struct {
	Op      string
	Code    uint16
	Message string // status-message, from the printer
	// Unsupported names the attributes the printer returned as unsupported.
	Unsupported []string
}

// Error names the operation and the status.
func (e *StatusError) Error() string {
	s := fmt.Sprintf("ipp: %s: status %#04x", e.Op, e.Code)
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Unwrap lets errors.Is find ErrDocumentRefused for the document status codes.
func (e *StatusError) Unwrap() error {
	switch e.Code {
	case StatusDocumentFormatUnsupported, StatusDocumentFormatError, StatusDocumentUnprintable:
		return ErrDocumentRefused
	case StatusAttributesUnsupported:
		if slices.Contains(e.Unsupported, "document-format") {
			return ErrDocumentRefused
		}
	}
	return nil
}

// JobError is a job that ended other than completed. Cause is the printer condition that
// ended it (ErrMediaEmpty, ErrMediaJam, ErrDocumentRefused...), or nil when unknown.
type JobError struct {
	JobID   int
	State   int
	Reasons []string
	Message string // job-state-message
	// Completed is how many pages (impressions) were printed before the job ended.
	Completed int
	Cause     error
}

// Error names the job, its state and why.
func (e *JobError) Error() string {
	state := map[int]string{JobCanceled: "canceled", JobAborted: "aborted", JobStopped: "stopped"}[e.State]
	if state == "" {
		state = fmt.Sprint(e.State)
	}
	s := fmt.Sprintf("ipp: job %d %s (%s)", e.JobID, state, strings.Join(e.Reasons, ","))
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *JobError) Unwrap() error { return e.Cause }

// PrinterStatus is what Get-Printer-Attributes says of the printer's state.
type PrinterStatus struct {
	State int
	// Reasons are printer-state-reasons with their severity suffix removed; "none" is
	// left out.
	Reasons []string
	Message string
	// Formats are document-format-supported; Media are media-supported.
	Formats []string
	Media   []string
	// AcceptingJobs is printer-is-accepting-jobs.
	AcceptingJobs bool
}

// Has reports whether a state reason is present.
func (s *PrinterStatus) Has(reason string) bool { return slices.Contains(s.Reasons, reason) }

// Fault is the condition that keeps the printer from printing, or nil. Toner low and paper
// low are no fault.
func (s *PrinterStatus) Fault() error {
	switch {
	case s.Has("media-empty") || s.Has("media-needed"):
		return ErrMediaEmpty
	case s.Has("media-jam"):
		return ErrMediaJam
	case s.Has("door-open") || s.Has("cover-open") || s.Has("interlock-open"):
		return ErrDoorOpen
	case s.Has("toner-empty") || s.Has("marker-supply-empty"):
		return ErrTonerEmpty
	case s.State == PrinterStopped:
		return ErrStopped
	}
	return nil
}

// JobStatus is what Get-Job-Attributes says of a job.
type JobStatus struct {
	ID        int
	State     int
	Reasons   []string
	Message   string
	Completed int // job-impressions-completed
}

// Done reports whether the job reached a final state.
func (j *JobStatus) Done() bool { return j.State >= JobCanceled }

// ClientOptions tune a Client; zero values mean the defaults in brackets.
type ClientOptions struct {
	// HTTP is the client to use [a fresh http.Client].
	HTTP *http.Client
	// RequestTimeout bounds each request [30 s; a Print-Job with a large PDF may take a while].
	RequestTimeout time.Duration
	// JobPoll is the interval of job state polling [500 ms].
	JobPoll time.Duration
	// JobTimeout bounds the wait for a job to end [3 min].
	JobTimeout time.Duration
	// User is requesting-user-name ["govkiosk"].
	User string
	// Log gets request-level debug lines; never document content [discard].
	Log *slog.Logger
}

// maxResponse bounds a response from the printer.
const maxResponse = 4 << 20

// Client talks IPP to one printer. It is safe for concurrent use.
type Client struct {
	http    *url.URL // where requests are posted
	printer string   // printer-uri, ipp:// form
	o       ClientOptions
	reqID   atomic.Uint32
}

// NewClient makes a client for the printer at rawURL: "ipp://host[:port]/path" (port 631
// by default), "ipps://…", or the same URL as "http://…" / "https://…". ipp-usb serves a
// USB printer at "http://localhost:60000/ipp/print".
func NewClient(rawURL string, o ClientOptions) (*Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("ipp: printer URL %q: want ipp://host[:port]/ipp/print", rawURL)
	}
	h, p := *u, *u
	switch u.Scheme {
	case "ipp", "http":
		h.Scheme, p.Scheme = "http", "ipp"
		if u.Scheme == "ipp" && u.Port() == "" {
			h.Host = u.Host + ":631"
		}
	case "ipps", "https":
		h.Scheme, p.Scheme = "https", "ipps"
		if u.Scheme == "ipps" && u.Port() == "" {
			h.Host = u.Host + ":631"
		}
	default:
		return nil, fmt.Errorf("ipp: printer URL %q: scheme %q: want ipp, ipps, http or https", rawURL, u.Scheme)
	}
	if h.Path == "" {
		h.Path, p.Path = "/ipp/print", "/ipp/print"
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{}
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 30 * time.Second
	}
	if o.JobPoll <= 0 {
		o.JobPoll = 500 * time.Millisecond
	}
	if o.JobTimeout <= 0 {
		o.JobTimeout = 3 * time.Minute
	}
	if o.User == "" {
		o.User = "govkiosk"
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Client{http: &h, printer: p.String(), o: o}, nil
}

// URL is the printer URI.
func (c *Client) URL() string { return c.printer }

func opName(op uint16) string {
	switch op {
	case OpPrintJob:
		return "Print-Job"
	case OpValidateJob:
		return "Validate-Job"
	case OpCancelJob:
		return "Cancel-Job"
	case OpGetJobAttributes:
		return "Get-Job-Attributes"
	case OpGetPrinterAttributes:
		return "Get-Printer-Attributes"
	}
	return fmt.Sprintf("operation %#04x", op)
}

// do sends one request: the operation attributes every request carries, then extra
// operation attributes, then the other groups, then the document.
func (c *Client) do(ctx context.Context, op uint16, opAttrs []Attribute, groups []Group, doc []byte) (*Message, error) {
	name := opName(op)
	base := []Attribute{
		attr("attributes-charset", str(TagCharset, "utf-8")),
		attr("attributes-natural-language", str(TagLanguage, "en")),
		attr("printer-uri", str(TagURI, c.printer)),
		attr("requesting-user-name", str(TagName, c.o.User)),
	}
	req := &Message{Major: 1, Minor: 1, Code: op, RequestID: c.reqID.Add(1),
		Groups: append([]Group{{Tag: TagOperation, Attrs: append(base, opAttrs...)}}, groups...)}
	head, err := req.Encode()
	if err != nil {
		return nil, fmt.Errorf("ipp: %s: %w", name, err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.o.RequestTimeout)
	defer cancel()
	body := io.MultiReader(bytes.NewReader(head), bytes.NewReader(doc))
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.http.String(), body)
	if err != nil {
		return nil, fmt.Errorf("ipp: %s: %w", name, err)
	}
	hr.ContentLength = int64(len(head) + len(doc))
	hr.Header.Set("Content-Type", "application/ipp")
	resp, err := c.o.HTTP.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("ipp: %s: %w", name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, &HTTPError{Op: name, Status: resp.StatusCode}
	}
	m, _, err := ReadMessage(resp.Body, maxResponse)
	if err != nil {
		return nil, fmt.Errorf("ipp: %s: %w", name, err)
	}
	if m.RequestID != req.RequestID {
		return nil, fmt.Errorf("ipp: %s: %w: answer to request %d, sent %d", name, ErrMalformed, m.RequestID, req.RequestID)
	}
	c.o.Log.Debug("ipp: answer", "op", name, "status", fmt.Sprintf("%#04x", m.Code))
	if m.Code >= 0x0100 {
		msg, _ := m.Get(TagOperation, "status-message")
		se := &StatusError{Op: name, Code: m.Code, Message: msg.String()}
		for _, g := range m.Groups {
			if g.Tag == TagUnsupported {
				for _, a := range g.Attrs {
					se.Unsupported = append(se.Unsupported, a.Name)
				}
			}
		}
		return m, se
	}
	return m, nil
}

func reasons(a Attribute) []string {
	var out []string
	for _, s := range a.Strings() {
		if s == "none" || s == "" {
			continue
		}
		b := baseReason(s)
		if !slices.Contains(out, b) {
			out = append(out, b)
		}
	}
	return out
}

// Status asks the printer for its state, its state reasons and what it prints.
func (c *Client) Status(ctx context.Context) (*PrinterStatus, error) {
	req := attr("requested-attributes", str(TagKeyword, "printer-state"),
		str(TagKeyword, "printer-state-reasons"), str(TagKeyword, "printer-state-message"),
		str(TagKeyword, "printer-is-accepting-jobs"), str(TagKeyword, "document-format-supported"),
		str(TagKeyword, "media-supported"))
	m, err := c.do(ctx, OpGetPrinterAttributes, []Attribute{req}, nil, nil)
	if err != nil {
		return nil, err
	}
	st := &PrinterStatus{AcceptingJobs: true}
	if a, ok := m.Get(TagPrinter, "printer-state"); ok {
		st.State = a.Int()
	}
	if st.State < PrinterIdle || st.State > PrinterStopped {
		return nil, fmt.Errorf("ipp: Get-Printer-Attributes: %w: printer-state %d", ErrMalformed, st.State)
	}
	if a, ok := m.Get(TagPrinter, "printer-state-reasons"); ok {
		st.Reasons = reasons(a)
	}
	if a, ok := m.Get(TagPrinter, "printer-state-message"); ok {
		st.Message = a.String()
	}
	if a, ok := m.Get(TagPrinter, "printer-is-accepting-jobs"); ok && len(a.Values) > 0 {
		st.AcceptingJobs = a.Values[0].Int != 0
	}
	if a, ok := m.Get(TagPrinter, "document-format-supported"); ok {
		st.Formats = a.Strings()
	}
	if a, ok := m.Get(TagPrinter, "media-supported"); ok {
		st.Media = a.Strings()
	}
	return st, nil
}

// Submit sends a PDF with Print-Job and returns the job's id; media is the media keyword
// to ask for ("" for the printer's default).
func (c *Client) Submit(ctx context.Context, jobName, media string, pdf []byte) (int, error) {
	ops := []Attribute{
		attr("job-name", str(TagName, jobName)),
		attr("document-format", str(TagMimeType, FormatPDF)),
	}
	var groups []Group
	if media != "" {
		groups = []Group{{Tag: TagJob, Attrs: []Attribute{attr("media", str(TagKeyword, media))}}}
	}
	m, err := c.do(ctx, OpPrintJob, ops, groups, pdf)
	if err != nil {
		return 0, err
	}
	a, ok := m.Get(TagJob, "job-id")
	if !ok || a.Int() <= 0 {
		return 0, fmt.Errorf("ipp: Print-Job: %w: no job-id", ErrMalformed)
	}
	return a.Int(), nil
}

// Job asks for a job's state.
func (c *Client) Job(ctx context.Context, id int) (*JobStatus, error) {
	req := attr("requested-attributes", str(TagKeyword, "job-state"), str(TagKeyword, "job-state-reasons"),
		str(TagKeyword, "job-state-message"), str(TagKeyword, "job-impressions-completed"))
	m, err := c.do(ctx, OpGetJobAttributes, []Attribute{attr("job-id", integer(TagInteger, id)), req}, nil, nil)
	if err != nil {
		return nil, err
	}
	js := &JobStatus{ID: id}
	if a, ok := m.Get(TagJob, "job-state"); ok {
		js.State = a.Int()
	}
	if js.State < JobPending || js.State > JobCompleted {
		return nil, fmt.Errorf("ipp: Get-Job-Attributes: %w: job-state %d", ErrMalformed, js.State)
	}
	if a, ok := m.Get(TagJob, "job-state-reasons"); ok {
		js.Reasons = reasons(a)
	}
	if a, ok := m.Get(TagJob, "job-state-message"); ok {
		js.Message = a.String()
	}
	if a, ok := m.Get(TagJob, "job-impressions-completed"); ok {
		js.Completed = a.Int()
	}
	return js, nil
}

// Cancel cancels a job.
func (c *Client) Cancel(ctx context.Context, id int) error {
	_, err := c.do(ctx, OpCancelJob, []Attribute{attr("job-id", integer(TagInteger, id))}, nil, nil)
	return err
}

// Print checks that the printer can print, sends the PDF and waits for the job to end.
// It returns a typed error the caller can branch on: ErrMediaEmpty, ErrMediaJam,
// ErrDoorOpen, ErrTonerEmpty or ErrStopped before sending (nothing was printed);
// ErrDocumentRefused when the printer refuses the PDF; a *JobError (wrapping the printer
// condition that ended it, when known) for a job that did not complete.
func (c *Client) Print(ctx context.Context, jobName string, pdf []byte) (*JobStatus, error) {
	st, err := c.Status(ctx)
	if err != nil {
		return nil, err
	}
	if f := st.Fault(); f != nil {
		return nil, f
	}
	if len(st.Formats) > 0 && !slices.Contains(st.Formats, FormatPDF) {
		return nil, fmt.Errorf("%w: it prints %s, not PDF", ErrDocumentRefused, strings.Join(st.Formats, ", "))
	}
	media := ""
	if slices.Contains(st.Media, MediaA4) {
		media = MediaA4
	}
	id, err := c.Submit(ctx, jobName, media, pdf)
	if err != nil {
		return nil, err
	}
	return c.Wait(ctx, id)
}

// Wait polls a job until it ends. A job that does not complete gives a *JobError whose
// cause is read from the job's and the printer's state reasons.
func (c *Client) Wait(ctx context.Context, id int) (*JobStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, c.o.JobTimeout)
	defer cancel()
	t := time.NewTicker(c.o.JobPoll)
	defer t.Stop()
	for {
		js, err := c.Job(ctx, id)
		if err != nil {
			return nil, err
		}
		switch {
		case js.State == JobCompleted:
			return js, nil
		case js.Done(), js.State == JobStopped && c.printerFault(ctx) != nil:
			je := &JobError{JobID: id, State: js.State, Reasons: js.Reasons, Message: js.Message, Completed: js.Completed}
			je.Cause = jobCause(js)
			if je.Cause == nil {
				je.Cause = c.printerFault(ctx)
			}
			return js, je
		}
		select {
		case <-ctx.Done():
			return js, fmt.Errorf("ipp: job %d still %d: %w", id, js.State, ctx.Err())
		case <-t.C:
		}
	}
}

func (c *Client) printerFault(ctx context.Context) error {
	st, err := c.Status(ctx)
	if err != nil {
		return nil
	}
	return st.Fault()
}

// jobCause reads a job's state reasons (RFC 8011 section 5.3.8).
func jobCause(js *JobStatus) error {
	for _, r := range js.Reasons {
		switch r {
		// Reasons arrive with their severity suffix removed (baseReason), so
		// document-format-error reads "document-format".
		case "document-format", "document-unprintable", "unsupported-document-format",
			"unsupported-compression", "compression":
			return ErrDocumentRefused
		}
	}
	return nil
}
