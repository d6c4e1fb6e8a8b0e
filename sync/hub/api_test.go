package hub

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/sync/protocol"
)

const token = "operator-secret-for-tests"

func (th *testHub) do(t *testing.T, method, path, tok string, body []byte) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, th.url(path), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func TestHTTPAPI(t *testing.T) {
	th := startHub(t, Options{OperatorToken: token})
	tk := th.enroll(t)
	r := th.connect(t, tk)
	files := [][]byte{randomBytes(2000, 11), randomBytes(10, 12)}
	sub := synthetic(t, tk, files...)
	r.upload(sub, files)
	th.enroll(t)

	type listing struct {
		Count       int              `json:"count"`
		Total       int              `json:"total"`
		Submissions []SubmissionInfo `json:"submissions"`
		Terminals   []TerminalInfo   `json:"terminals"`
	}
	get := func(path, tok string) (int, listing, string) {
		code, b, _ := th.do(t, "GET", path, tok, nil)
		var l listing
		json.Unmarshal(b, &l)
		return code, l, string(b)
	}

	if code, b, _ := th.do(t, "GET", "/healthz", "", nil); code != 200 || string(b) != "ok\n" {
		t.Errorf("healthz %d %q", code, b)
	}
	_, metrics, _ := th.do(t, "GET", "/metrics", "", nil)
	for _, want := range []string{"govkiosk_hub_submissions_total 1", "govkiosk_hub_terminals_online 1",
		"govkiosk_hub_terminals_enrolled 2", "govkiosk_hub_chunks_stored_total 2", "go_goroutines"} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	_, l, raw := get("/api/terminals", "")
	if l.Count != 2 || len(l.Terminals) != 2 || strings.Contains(raw, "127.0.0.1") {
		t.Errorf("open terminal list: %s", raw)
	}
	if _, _, raw := get("/api/terminals", token); !strings.Contains(raw, "127.0.0.1") {
		t.Errorf("operator terminal list lacks the remote address: %s", raw)
	}

	tests := []struct {
		name       string
		path, tok  string
		status     int
		count      int
		masked     bool
		withFields bool
	}{
		{"open list", "/api/submissions", "", 200, 1, true, false},
		{"exact lookup", "/api/submissions?tracking_code=" + sub.TrackingCode, "", 200, 1, false, false},
		{"lookup typed loosely", "/api/submissions?tracking_code=" + strings.ToLower(strings.ReplaceAll(sub.TrackingCode, "-", "")), "", 200, 1, false, false},
		{"unknown code", "/api/submissions?tracking_code=ZZZZ-00000-0", "", 200, 0, false, false},
		{"operator list", "/api/submissions", token, 200, 1, false, false},
		{"personal without token", "/api/submissions?personal=1", "", 401, 0, false, false},
		{"personal with wrong token", "/api/submissions?personal=1", "guess", 401, 0, false, false},
		{"personal for operator", "/api/submissions?personal=1&tracking_code=" + sub.TrackingCode, token, 200, 1, false, true},
		{"other terminal", "/api/submissions?terminal=t-none", "", 200, 0, false, false},
		{"bad limit", "/api/submissions?limit=x", "", 400, 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, l, raw := get(tt.path, tt.tok)
			if code != tt.status || l.Count != tt.count || len(l.Submissions) != tt.count {
				t.Fatalf("got %d %s", code, raw)
			}
			if tt.count == 0 {
				return
			}
			s := l.Submissions[0]
			if s.Item != sub.Item || s.Attachments != 2 || s.AttachmentBytes != 2010 || s.TerminalCode != tk.code {
				t.Errorf("submission %+v", s)
			}
			if masked := s.TrackingCode != sub.TrackingCode; masked != tt.masked {
				t.Errorf("tracking code %q, masked=%v want %v", s.TrackingCode, masked, tt.masked)
			}
			hasPersonal := strings.Contains(raw, "测试甲") || strings.Contains(raw, "990101199003071237")
			if hasPersonal != tt.withFields || (len(s.Fields) > 0) != tt.withFields {
				t.Errorf("personal data shown=%v, want %v: %s", hasPersonal, tt.withFields, raw)
			}
		})
	}

	// Operator endpoints.
	for _, path := range []string{"/api/enroll-codes", "/api/submissions/" + sub.TrackingCode + "/status"} {
		if code, _, h := th.do(t, "POST", path, "", []byte(`{}`)); code != 401 || h.Get("WWW-Authenticate") == "" {
			t.Errorf("POST %s without token: %d", path, code)
		}
	}
	code, b, _ := th.do(t, "POST", "/api/enroll-codes", token, nil)
	var ec struct {
		Code    string    `json:"code"`
		Expires time.Time `json:"expires_at"`
	}
	if json.Unmarshal(b, &ec); code != 201 || len(ec.Code) != 9 || ec.Expires.Before(time.Now()) {
		t.Errorf("new enroll code: %d %s", code, b)
	}
	code, b, _ = th.do(t, "POST", "/api/submissions/"+sub.TrackingCode+"/status", token, []byte(`{"status":"accepted","note":"已受理"}`))
	if code != 200 {
		t.Errorf("status: %d %s", code, b)
	}
	if st := expect[*protocol.Status](r); st.Status != "accepted" {
		t.Errorf("status push %+v", st)
	}
	if code, _, _ := th.do(t, "POST", "/api/submissions/ZZZZ-00000-0/status", token, []byte(`{"status":"x"}`)); code != 404 {
		t.Errorf("status for unknown code: %d", code)
	}
	code, b, _ = th.do(t, "GET", "/api/submissions/"+sub.TrackingCode+"/attachments/0", token, nil)
	if code != 200 || !bytes.Equal(b, files[0]) {
		t.Errorf("attachment download: %d, %d bytes", code, len(b))
	}
	if code, _, _ := th.do(t, "GET", "/api/submissions/"+sub.TrackingCode+"/attachments/0", "", nil); code != 401 {
		t.Errorf("attachment without token: %d", code)
	}

	if code, _, _ := th.do(t, "PUT", "/api/catalog", "", []byte(`{}`)); code != 401 {
		t.Errorf("catalog without token: %d", code)
	}
	if code, _, _ := th.do(t, "PUT", "/api/catalog", token, []byte(`{broken`)); code != 400 {
		t.Errorf("broken catalog: %d", code)
	}
	code, b, _ = th.do(t, "PUT", "/api/catalog?version=cat-9", token, []byte(`{"items":[]}`))
	if code != 200 || !strings.Contains(string(b), "cat-9") {
		t.Errorf("put catalog: %d %s", code, b)
	}
	if c := expect[*protocol.Catalog](r); c.Version != "cat-9" {
		t.Errorf("catalog push %+v", c)
	}
	code, b, h := th.do(t, "GET", "/api/catalog", "", nil)
	if code != 200 || string(b) != `{"items":[]}` || h.Get("X-Version") != "cat-9" {
		t.Errorf("get catalog: %d %s %v", code, b, h)
	}
	if code, _, _ := th.do(t, "PUT", "/api/announcements", token, []byte(`[{"id":"n1","title":"","body":"x","level":"info"}]`)); code != 400 {
		t.Errorf("announcement without title: %d", code)
	}

	code, b, _ = th.do(t, "POST", "/api/terminals/"+tk.id+"/commands", token, []byte(`{"name":"reload"}`))
	var cmd struct{ ID string }
	if json.Unmarshal(b, &cmd); code != 202 || cmd.ID == "" {
		t.Fatalf("command: %d %s", code, b)
	}
	if code, _, _ := th.do(t, "GET", "/api/commands/"+cmd.ID, token, nil); code != 404 {
		t.Errorf("result before the terminal answered: %d", code)
	}
	expect[*protocol.Command](r)
	r.send(&protocol.CommandResult{ID: cmd.ID, OK: true})
	waitFor(t, "command result", func() bool {
		code, _, _ := th.do(t, "GET", "/api/commands/"+cmd.ID, token, nil)
		return code == 200
	})

	// The dashboard shows terminals and masked submissions, nothing personal.
	code, b, h = th.do(t, "GET", "/", "", nil)
	page := string(b)
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("dashboard: %d %s", code, h.Get("Content-Type"))
	}
	if !strings.Contains(page, tk.code) || !strings.Contains(page, maskCode(sub.TrackingCode)) || !strings.Contains(page, "hukou.move") {
		t.Error("dashboard lacks the terminal or the submission")
	}
	if containsAny(page, sub.TrackingCode, "测试甲", "990101199003071237", "13800000000") {
		t.Error("dashboard shows personal data or an unmasked tracking code")
	}
	if code, _, _ := th.do(t, "GET", "/nope", "", nil); code != 404 {
		t.Errorf("unknown path: %d", code)
	}
}

func TestOperatorAPIDisabledWithoutToken(t *testing.T) {
	th := startHub(t, Options{})
	code, b, _ := th.do(t, "POST", "/api/enroll-codes", "anything", nil)
	if code != 403 || !strings.Contains(string(b), "disabled") {
		t.Errorf("operator API without a configured token: %d %s", code, b)
	}
	// Personal data is an operator route like the others: disabled without operators.
	if code, _, _ := th.do(t, "GET", "/api/submissions?personal=1", "", nil); code != 403 {
		t.Errorf("personal data without a configured token: %d", code)
	}
}

func TestMaskCode(t *testing.T) {
	tests := map[string]string{
		"K7Q2-0003F-W": "K7Q2-*****-*",
		"K7Q20003FW":   "K7Q2-*****-*",
		"ABCDE":        "*****",
		"":             "",
	}
	for in, want := range tests {
		if got := maskCode(in); got != want {
			t.Errorf("maskCode(%q) = %q, want %q", in, got, want)
		}
	}
}
