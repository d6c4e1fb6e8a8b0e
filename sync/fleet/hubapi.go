package fleet

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The hub's HTTP side as the fleet uses it: the operator API for enrollment codes, the
// open exact lookup by tracking code, and the Prometheus metrics.

// httpBase turns a hub address (ws, wss, http, https) into its http(s) base URL.
func httpBase(hub string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(hub))
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("fleet: hub address %q: want ws://HOST:PORT or http://HOST:PORT", hub)
	}
	switch u.Scheme {
	case "ws", "http":
		u.Scheme = "http"
	case "wss", "https":
		u.Scheme = "https"
	default:
		return "", fmt.Errorf("fleet: hub address %q: scheme must be ws, wss, http or https", hub)
	}
	u.Path, u.RawQuery, u.Fragment = strings.TrimSuffix(u.Path, "/"), "", ""
	return u.String(), nil
}

// CreateEnrollCode asks the hub's operator API for a fresh one-time enrollment code valid
// for ttl.
func CreateEnrollCode(ctx context.Context, hc *http.Client, hubURL, operatorToken string, ttl time.Duration) (string, error) {
	base, err := httpBase(hubURL)
	if err != nil {
		return "", err
	}
	body := fmt.Sprintf(`{"ttl_seconds":%d}`, int(ttl/time.Second))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/enroll-codes", strings.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("fleet: enrollment code: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+operatorToken)
	req.Header.Set("Content-Type", "application/json")
	var out struct {
		Code string `json:"code"`
	}
	if err := doJSON(hc, req, http.StatusCreated, &out); err != nil {
		return "", fmt.Errorf("fleet: enrollment code: %w", err)
	}
	if out.Code == "" {
		return "", fmt.Errorf("fleet: enrollment code: the hub answered without a code")
	}
	return out.Code, nil
}

// HubSubmission is what the hub's open API says about one committed submission.
type HubSubmission struct {
	ID           string `json:"id"`
	TrackingCode string `json:"tracking_code"`
	TerminalID   string `json:"terminal_id"`
	HubRef       string `json:"hub_ref"`
	Attachments  int    `json:"attachments"`
	Bytes        int64  `json:"attachment_bytes"`
}

// LookupSubmissions asks the hub for the committed submissions with this tracking code
// (an exact lookup, open without the operator token). A hub that holds a code once
// answers one entry. The hub budgets anonymous lookups per source address; see
// LookupSubmissionsAs.
func LookupSubmissions(ctx context.Context, hc *http.Client, hubURL, trackingCode string) ([]HubSubmission, error) {
	return LookupSubmissionsAs(ctx, hc, hubURL, "", trackingCode)
}

// LookupSubmissionsAs is LookupSubmissions with the operator token, which the hub's
// lookup budget does not limit; with an empty token, an answer "too many lookups" is
// waited out as the hub asks.
func LookupSubmissionsAs(ctx context.Context, hc *http.Client, hubURL, token, trackingCode string) ([]HubSubmission, error) {
	base, err := httpBase(hubURL)
	if err != nil {
		return nil, err
	}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet,
			base+"/api/submissions?tracking_code="+url.QueryEscape(trackingCode), nil)
		if err != nil {
			return nil, fmt.Errorf("fleet: lookup: %w", err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		var out struct {
			Submissions []HubSubmission `json:"submissions"`
		}
		err = doJSON(hc, req, http.StatusOK, &out)
		var busy *busyError
		if errors.As(err, &busy) {
			select {
			case <-time.After(busy.wait):
				continue
			case <-ctx.Done():
				return nil, fmt.Errorf("fleet: lookup: %w", ctx.Err())
			}
		}
		if err != nil {
			return nil, fmt.Errorf("fleet: lookup: %w", err)
		}
		return out.Submissions, nil
	}
}

// busyError is a 429 answer and how long the hub asked to wait.
type busyError struct{ wait time.Duration }

func (e *busyError) Error() string { return fmt.Sprintf("hub asked to wait %s", e.wait) }

func doJSON(hc *http.Client, req *http.Request, want int, v any) error {
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode == http.StatusTooManyRequests && want != http.StatusTooManyRequests {
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return &busyError{wait: time.Duration(max(secs, 1)) * time.Second}
	}
	if resp.StatusCode != want {
		return fmt.Errorf("hub answered %s: %s", resp.Status, bytes.TrimSpace(b))
	}
	return json.Unmarshal(b, v)
}

// Metrics are the hub's Prometheus samples without labels, by name, e.g.
// "govkiosk_hub_duplicates_total" or "process_resident_memory_bytes".
type Metrics map[string]float64

// ScrapeMetrics reads the hub's /metrics.
func ScrapeMetrics(ctx context.Context, hc *http.Client, hubURL string) (Metrics, error) {
	base, err := httpBase(hubURL)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return nil, fmt.Errorf("fleet: metrics: %w", err)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fleet: metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fleet: metrics: hub answered %s", resp.Status)
	}
	m := Metrics{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || strings.ContainsRune(line, '{') {
			continue
		}
		name, val, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
			m[name] = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("fleet: metrics: %w", err)
	}
	return m, nil
}
