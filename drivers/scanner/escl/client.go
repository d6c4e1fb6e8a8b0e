package escl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

var (
	// ErrBusy: the scanner kept answering 503 (another job runs) past the retries.
	ErrBusy = errors.New("escl: scanner busy")
	// ErrJammed: the document feeder jammed or misfed; a person must clear it.
	ErrJammed = errors.New("escl: paper jam in the document feeder")
	// ErrFeederEmpty: a feeder scan was asked for with no paper in the feeder.
	ErrFeederEmpty = errors.New("escl: document feeder is empty")
	// ErrCoverOpen: the feeder's cover or hatch is open.
	ErrCoverOpen = errors.New("escl: scanner cover open")
	// ErrStopped: the scanner reports Stopped or Down.
	ErrStopped = errors.New("escl: scanner stopped")
	// ErrNoPages: the job ended without a page.
	ErrNoPages = errors.New("escl: scan produced no page")
	// ErrTooLarge: a page exceeded ClientOptions.MaxPageBytes.
	ErrTooLarge = errors.New("escl: page too large")
)

// HTTPError is an unexpected HTTP answer.
type HTTPError struct {
	Op     string // "POST ScanJobs", "GET NextDocument", ...
	Status int
}

// Error names the request and the status.
func (e *HTTPError) Error() string {
	return fmt.Sprintf("escl: %s: HTTP %d %s", e.Op, e.Status, http.StatusText(e.Status))
}

// ClientOptions tune a Client; zero values mean the defaults in brackets.
type ClientOptions struct {
	// HTTP is the client to use [a fresh http.Client].
	HTTP *http.Client
	// RequestTimeout bounds each request but NextDocument [15 s].
	RequestTimeout time.Duration
	// PageTimeout bounds the wait for one page, scanning included [2 min].
	PageTimeout time.Duration
	// BusyRetries is how often a 503 is retried before ErrBusy [10].
	BusyRetries int
	// BusyWait is the first wait after a 503 without Retry-After; it doubles up to 5 s
	// [500 ms].
	BusyWait time.Duration
	// MaxBusyWait caps the wait a scanner asks for with Retry-After [30 s].
	MaxBusyWait time.Duration
	// MaxPageBytes bounds one page [64 MiB].
	MaxPageBytes int64
	// Log gets request-level debug lines; never page content [discard].
	Log *slog.Logger
}

// Client talks to one eSCL scanner. It is safe for concurrent use, though a scanner runs
// one job at a time.
type Client struct {
	root *url.URL // ".../eSCL/", with the trailing slash
	o    ClientOptions
}

// NewClient makes a client for the scanner whose eSCL root is rootURL, e.g.
// "http://localhost:60000/eSCL" (ipp-usb) or "http://192.0.2.7/eSCL". A URL with no path
// gets "/eSCL".
func NewClient(rootURL string, o ClientOptions) (*Client, error) {
	u, err := url.Parse(rootURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("escl: scanner URL %q: want http://host[:port]/eSCL", rootURL)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/eSCL"
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{}
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 15 * time.Second
	}
	if o.PageTimeout <= 0 {
		o.PageTimeout = 2 * time.Minute
	}
	if o.BusyRetries <= 0 {
		o.BusyRetries = 10
	}
	if o.BusyWait <= 0 {
		o.BusyWait = 500 * time.Millisecond
	}
	if o.MaxBusyWait <= 0 {
		o.MaxBusyWait = 30 * time.Second
	}
	if o.MaxPageBytes <= 0 {
		o.MaxPageBytes = 64 << 20
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Client{root: u, o: o}, nil
}

// URL is the scanner's eSCL root.
func (c *Client) URL() string { return strings.TrimSuffix(c.root.String(), "/") }

func (c *Client) ref(p string) string {
	r, _ := url.Parse(p)
	return c.root.ResolveReference(r).String()
}

// do runs one request with its own timeout and returns status, body (bounded) and
// headers.
func (c *Client) do(ctx context.Context, method, u string, body []byte, limit int64, timeout time.Duration) (int, []byte, http.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("escl: %s %s: %w", method, u, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "text/xml")
	}
	resp, err := c.o.HTTP.Do(req)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("escl: %s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return resp.StatusCode, nil, resp.Header, fmt.Errorf("escl: %s %s: read: %w", method, u, err)
	}
	if int64(len(b)) > limit {
		return resp.StatusCode, nil, resp.Header, fmt.Errorf("%w: over %d bytes from %s %s", ErrTooLarge, limit, method, u)
	}
	c.o.Log.Debug("escl: request", "method", method, "url", u, "status", resp.StatusCode, "bytes", len(b))
	return resp.StatusCode, b, resp.Header, nil
}

// Capabilities fetches and parses ScannerCapabilities.
func (c *Client) Capabilities(ctx context.Context) (*Capabilities, error) {
	code, b, _, err := c.do(ctx, http.MethodGet, c.ref("ScannerCapabilities"), nil, maxXML, c.o.RequestTimeout)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, &HTTPError{Op: "GET ScannerCapabilities", Status: code}
	}
	return ParseCapabilities(b)
}

// Status fetches and parses ScannerStatus.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	code, b, _, err := c.do(ctx, http.MethodGet, c.ref("ScannerStatus"), nil, maxXML, c.o.RequestTimeout)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, &HTTPError{Op: "GET ScannerStatus", Status: code}
	}
	return ParseStatus(b)
}

// StatusError maps a status to the error a caller branches on: ErrJammed,
// ErrFeederEmpty, ErrCoverOpen, ErrStopped, or nil when nothing is wrong.
func StatusError(st *Status) error {
	switch st.AdfState {
	case AdfJam, AdfMispick, AdfMultipick, "ScannerAdfInputTrayFailed":
		return fmt.Errorf("%w (%s)", ErrJammed, st.AdfState)
	case AdfHatchOpen, "ScannerAdfDoorOpen":
		return fmt.Errorf("%w (%s)", ErrCoverOpen, st.AdfState)
	}
	if st.State == StateStopped || st.State == StateDown {
		return fmt.Errorf("%w (%s)", ErrStopped, st.State)
	}
	return nil
}

// explain asks the scanner why something failed; it returns fallback when the status
// names no fault.
func (c *Client) explain(ctx context.Context, s Settings, fallback error) error {
	st, err := c.Status(ctx)
	if err != nil {
		return fallback
	}
	if e := StatusError(st); e != nil {
		return e
	}
	if s.Source == Feeder && st.AdfState == AdfEmpty {
		return ErrFeederEmpty
	}
	return fallback
}

// retryAfter is how long a 503 asks us to wait (delay-seconds form), at most
// MaxBusyWait.
func (c *Client) retryAfter(h http.Header, def time.Duration) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After"))); err == nil && s >= 0 {
		return min(time.Duration(s)*time.Second, c.o.MaxBusyWait)
	}
	return min(def, c.o.MaxBusyWait)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Scan runs one scan job: it posts the settings (retrying while the scanner is busy),
// fetches every page (one from the platen; from the feeder until the scanner says there
// are no more) and returns them. On failure or cancellation the job is deleted on the
// scanner and no page is returned. Faults come back as ErrBusy, ErrJammed,
// ErrFeederEmpty, ErrCoverOpen, ErrStopped, ErrNoPages or *HTTPError.
func (c *Client) Scan(ctx context.Context, s Settings) ([]Page, error) {
	s = s.withDefaults()
	body, err := EncodeSettings(s)
	if err != nil {
		return nil, err
	}
	job, err := c.createJob(ctx, s, body)
	if err != nil {
		return nil, err
	}
	pages, err := c.fetchPages(ctx, s, job)
	if err != nil {
		// Free the scanner: with a short context of its own, since ctx may be done.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if code, _, _, derr := c.do(dctx, http.MethodDelete, job, nil, maxXML, c.o.RequestTimeout); derr != nil || code >= 300 && code != http.StatusNotFound {
			c.o.Log.Warn("escl: could not cancel the scan job", "job", job, "status", code, "err", derr)
		}
		return nil, err
	}
	return pages, nil
}

func (c *Client) createJob(ctx context.Context, s Settings, body []byte) (string, error) {
	wait := c.o.BusyWait
	for attempt := 0; ; attempt++ {
		code, _, h, err := c.do(ctx, http.MethodPost, c.ref("ScanJobs"), body, maxXML, c.o.RequestTimeout)
		if err != nil {
			return "", err
		}
		switch code {
		case http.StatusCreated:
			loc := h.Get("Location")
			if loc == "" {
				return "", fmt.Errorf("escl: POST ScanJobs: 201 without a Location")
			}
			return c.ref(loc), nil
		case http.StatusServiceUnavailable:
			if attempt >= c.o.BusyRetries {
				return "", c.explain(ctx, s, ErrBusy)
			}
			if err := sleep(ctx, c.retryAfter(h, wait)); err != nil {
				return "", err
			}
			wait = min(wait*2, 5*time.Second)
		case http.StatusConflict:
			return "", c.explain(ctx, s, &HTTPError{Op: "POST ScanJobs", Status: code})
		default:
			return "", &HTTPError{Op: "POST ScanJobs", Status: code}
		}
	}
}

func (c *Client) fetchPages(ctx context.Context, s Settings, job string) ([]Page, error) {
	var pages []Page
	next := strings.TrimSuffix(job, "/") + "/NextDocument"
	for {
		p, more, err := c.nextPage(ctx, s, next)
		if err != nil {
			return nil, err
		}
		if p != nil {
			pages = append(pages, *p)
		}
		// The platen holds one sheet: asking again would only wait for a 404.
		if !more || s.Source == Platen && len(pages) > 0 {
			break
		}
	}
	if len(pages) == 0 {
		return nil, c.explain(ctx, s, ErrNoPages)
	}
	return pages, nil
}

// nextPage gets one page; more is false once the scanner has no more.
func (c *Client) nextPage(ctx context.Context, s Settings, u string) (*Page, bool, error) {
	pctx, cancel := context.WithTimeout(ctx, c.o.PageTimeout)
	defer cancel()
	wait := c.o.BusyWait
	for {
		code, b, h, err := c.do(pctx, http.MethodGet, u, nil, c.o.MaxPageBytes, c.o.PageTimeout)
		if err != nil {
			return nil, false, err
		}
		switch code {
		case http.StatusOK:
			ct, _, perr := mime.ParseMediaType(h.Get("Content-Type"))
			if perr != nil || ct == "" {
				ct = s.Format
			}
			return &Page{Data: b, ContentType: ct, DPI: s.DPI}, true, nil
		case http.StatusNotFound:
			return nil, false, nil
		case http.StatusServiceUnavailable:
			// Still scanning.
			if err := sleep(pctx, c.retryAfter(h, wait)); err != nil {
				return nil, false, fmt.Errorf("escl: waiting for a page: %w", err)
			}
			wait = min(wait*2, 5*time.Second)
		default:
			return nil, false, c.explain(ctx, s, &HTTPError{Op: "GET NextDocument", Status: code})
		}
	}
}
