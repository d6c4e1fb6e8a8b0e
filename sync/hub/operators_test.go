package hub

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// opHub is a hub with one account of each role; secrets[role] signs in as it.
func opHub(t *testing.T, opt Options) (*testHub, map[Role]string) {
	t.Helper()
	if opt.Dir == "" {
		opt.Dir = t.TempDir()
	}
	secrets := map[Role]string{}
	for _, r := range Roles {
		s, err := AddAccount(filepath.Join(opt.Dir, "operators.json"), "op-"+string(r), r, false)
		if err != nil {
			t.Fatal(err)
		}
		secrets[r] = s
	}
	return startHub(t, opt), secrets
}

func basic(name, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(name+":"+secret))
}

// call sends one request straight to the hub's handler from remote, optionally as if
// over TLS.
func call(h *Hub, method, path, authz, remote string, overTLS bool, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.RemoteAddr = remote
	if overTLS {
		req.TLS = &tls.ConnectionState{}
	}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	rec := httptest.NewRecorder()
	h.Handler().ServeHTTP(rec, req)
	return rec
}

const idBody = `{"name":"测试乙","id_number":"99010219850506002X","purpose":"counter 3, ticket 42"}`

// TestOperatorRoles: each role does what it is for and nothing more.
func TestOperatorRoles(t *testing.T) {
	th, secrets := opHub(t, Options{})
	routes := []struct {
		name, method, path, body string
		allowed                  []Role
	}{
		{"list with full codes", "GET", "/api/terminals", "", Roles},
		{"personal data", "GET", "/api/submissions?personal=1", "", []Role{RoleOperator, RoleAdmin}},
		{"enrollment code", "POST", "/api/enroll-codes", "", []Role{RoleOperator, RoleAdmin}},
		{"identity code", "POST", "/api/identity-codes", idBody, []Role{RoleIssuer, RoleAdmin}},
		{"audit log", "GET", "/api/audit", "", []Role{RoleAdmin}},
	}
	for _, rt := range routes {
		for _, role := range Roles {
			rec := call(th.Hub, rt.method, rt.path, basic("op-"+string(role), secrets[role]), "127.0.0.1:4000", false, rt.body)
			allowed := false
			for _, a := range rt.allowed {
				allowed = allowed || a == role
			}
			if ok := rec.Code < 300; ok != allowed {
				t.Errorf("%s as %s: %d %s, allowed=%v", rt.name, role, rec.Code, rec.Body, allowed)
			}
		}
	}
	// The bootstrap token is an administrator.
	if rec := call(th.Hub, "GET", "/api/audit", "", "127.0.0.1:4000", false, ""); rec.Code != 401 {
		t.Errorf("audit log without credentials: %d", rec.Code)
	}
}

// TestOperatorSignInThrottled is the attack of 2,000 wrong tokens in a row: after the
// source's small budget of failures every further attempt from it is refused with 429
// before any credential is checked, even a right one; other sources are not affected.
func TestOperatorSignInThrottled(t *testing.T) {
	clock := newTestClock() // the hub's sweep loop reads the clock from its own goroutine
	th, secrets := opHub(t, Options{OperatorToken: token, Now: clock.Now})
	attacker, other := "127.0.0.9:5000", "127.0.0.10:5000"
	counts := map[int]int{}
	for i := range 2000 {
		authz := "Bearer guess-" + string(rune('a'+i%26))
		if i%500 == 0 {
			authz = basic("op-admin", "wrong") // a few argon2id checks among them
		}
		counts[call(th.Hub, "POST", "/api/enroll-codes", authz, attacker, false, "").Code]++
	}
	if counts[401] != 10 || counts[429] != 1990 {
		t.Errorf("2000 wrong tokens answered %v, want 10×401 then 1990×429", counts)
	}
	if rec := call(th.Hub, "POST", "/api/enroll-codes", "Bearer "+token, attacker, false, ""); rec.Code != 429 || rec.Header().Get("Retry-After") == "" {
		t.Errorf("right token from the throttled source: %d, want 429 with Retry-After", rec.Code)
	}
	if rec := call(th.Hub, "POST", "/api/enroll-codes", basic("op-operator", secrets[RoleOperator]), other, false, ""); rec.Code != 201 {
		t.Errorf("another source: %d %s", rec.Code, rec.Body)
	}
	if s := th.Stats(); s.OperatorAuthFailures != 10 || s.OperatorThrottled != 1991 {
		t.Errorf("stats: %d failures, %d throttled", s.OperatorAuthFailures, s.OperatorThrottled)
	}
	// The budget refills: one attempt per 10 s.
	clock.Advance(11 * time.Second)
	if rec := call(th.Hub, "POST", "/api/enroll-codes", "Bearer "+token, attacker, false, ""); rec.Code != 201 {
		t.Errorf("after the wait: %d", rec.Code)
	}
}

// TestOperatorRoutesNeedTLS: from another machine, operator routes answer only over TLS.
func TestOperatorRoutesNeedTLS(t *testing.T) {
	th, _ := opHub(t, Options{OperatorToken: token})
	for _, tc := range []struct {
		remote string
		tls    bool
		want   int
	}{
		{"203.0.113.7:5555", false, 403},
		{"[2001:db8::7]:5555", false, 403},
		{"203.0.113.7:5555", true, 201},
		{"127.0.0.1:5555", false, 201},
		{"[::1]:5555", false, 201},
	} {
		rec := call(th.Hub, "POST", "/api/enroll-codes", "Bearer "+token, tc.remote, tc.tls, "")
		if rec.Code != tc.want {
			t.Errorf("from %s (TLS %v): %d %s, want %d", tc.remote, tc.tls, rec.Code, rec.Body, tc.want)
		}
		if tc.want == 403 && !strings.Contains(rec.Body.String(), "TLS") {
			t.Errorf("refusal does not say why: %s", rec.Body)
		}
	}
}

// TestIdentityCodeBudget is the attack of 200 identity codes minted in a row: each
// operator has a small budget, and every code needs a purpose.
func TestIdentityCodeBudget(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	th, secrets := opHub(t, Options{Now: func() time.Time { return now }})
	as := basic("op-identity_issuer", secrets[RoleIssuer])
	if rec := call(th.Hub, "POST", "/api/identity-codes", as, "127.0.0.1:1", false,
		`{"name":"测试乙","id_number":"99010219850506002X"}`); rec.Code != 400 || !strings.Contains(rec.Body.String(), "purpose") {
		t.Errorf("without a purpose: %d %s", rec.Code, rec.Body)
	}
	counts := map[int]int{}
	for range 200 {
		counts[call(th.Hub, "POST", "/api/identity-codes", as, "127.0.0.1:1", false, idBody).Code]++
	}
	if counts[201] != 10 || counts[429] != 190 {
		t.Errorf("200 identity codes in a row answered %v, want 10×201 then 190×429", counts)
	}
	if got := th.Stats().IdentityCodes; got != 10 {
		t.Errorf("%d codes issued", got)
	}
	// The budget is the operator's, not the hub's.
	if rec := call(th.Hub, "POST", "/api/identity-codes", basic("op-admin", secrets[RoleAdmin]), "127.0.0.1:1", false, idBody); rec.Code != 201 {
		t.Errorf("another operator: %d", rec.Code)
	}
}

// TestAuditLog: who did what, on what, why, from where and when is recorded before the
// answer, readable by an administrator through the API, free of personal data, and
// chained so that an edit shows.
func TestAuditLog(t *testing.T) {
	dir := t.TempDir()
	th, secrets := opHub(t, Options{Dir: dir, OperatorToken: token})
	tk := th.enroll(t)
	r := th.connect(t, tk)
	sub := synthetic(t, tk)
	r.upload(sub, nil)
	call(th.Hub, "POST", "/api/identity-codes", basic("op-identity_issuer", secrets[RoleIssuer]), "127.0.0.1:7001", false, idBody)
	call(th.Hub, "GET", "/api/submissions?personal=1", basic("op-operator", secrets[RoleOperator]), "127.0.0.1:7002", false, "")
	call(th.Hub, "POST", "/api/submissions/"+sub.TrackingCode+"/status", "Bearer "+token, "127.0.0.1:7003", false, `{"status":"processing"}`)
	call(th.Hub, "POST", "/api/enroll-codes", basic("op-viewer", secrets[RoleViewer]), "127.0.0.1:7004", false, "")

	rec := call(th.Hub, "GET", "/api/audit", basic("op-admin", secrets[RoleAdmin]), "127.0.0.1:7005", false, "")
	var got struct {
		Entries  []AuditEntry `json:"entries"`
		Verified bool         `json:"verified"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || !got.Verified {
		t.Fatalf("%d %s: %v", rec.Code, rec.Body, err)
	}
	want := []struct {
		actor, action, target, purpose, remote string
		status                                 int
	}{
		{"op-identity_issuer", "identity_code.issue", "", "counter 3, ticket 42", "127.0.0.1:7001", 201},
		{"op-operator", "submissions.read_personal", "", "", "127.0.0.1:7002", 200},
		{"token", "submission.status", sub.TrackingCode, "", "127.0.0.1:7003", 200},
		{"op-viewer", "enroll_code.create", "", "", "127.0.0.1:7004", 403},
	}
	if len(got.Entries) != len(want) {
		t.Fatalf("%d entries: %+v", len(got.Entries), got.Entries)
	}
	for i, w := range want {
		e := got.Entries[i]
		if e.Actor != w.actor || e.Action != w.action || e.Target != w.target || e.Purpose != w.purpose ||
			e.Remote != w.remote || e.Status != w.status || e.At.IsZero() || e.Seq != int64(i+1) {
			t.Errorf("entry %d: %+v, want %+v", i, e, w)
		}
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "audit.log"))
	for _, secret := range []string{"测试乙", "99010219850506002X", "测试甲", "990101199003071237", token, secrets[RoleAdmin]} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("audit log holds %q", secret)
		}
	}
	th.Close()

	// A torn last line (power cut mid-append) is cut off at the next start.
	path := filepath.Join(dir, "audit.log")
	os.WriteFile(path, append(append([]byte{}, raw...), `{"seq":6,"at":"2026`...), 0o600)
	h2, err := New(Options{Dir: dir, OperatorToken: token})
	if err != nil {
		t.Fatalf("torn last line: %v", err)
	}
	h2.Close()
	if n, err := VerifyAuditLog(path); err != nil || n != 5 {
		t.Errorf("after the torn line: %d entries, %v", n, err)
	}

	// Editing an entry (here: who did it) breaks the chain; the hub will not start on it.
	edited := bytes.Replace(raw, []byte(`"actor":"op-operator"`), []byte(`"actor":"op-viewer"`), 1)
	os.WriteFile(path, edited, 0o600)
	if _, err := VerifyAuditLog(path); !errors.Is(err, ErrAuditLog) {
		t.Errorf("edited log verifies: %v", err)
	}
	if h3, err := New(Options{Dir: dir, OperatorToken: token}); !errors.Is(err, ErrAuditLog) {
		if h3 != nil {
			h3.Close()
		}
		t.Errorf("hub started on an edited audit log: %v", err)
	}
	// So does removing one.
	lines := bytes.SplitAfter(raw, []byte("\n"))
	os.WriteFile(path, bytes.Join(append(lines[:1:1], lines[2:]...), nil), 0o600)
	if _, err := VerifyAuditLog(path); !errors.Is(err, ErrAuditLog) {
		t.Errorf("log with an entry removed verifies: %v", err)
	}
}

// TestAccountSecretsHashed: the accounts file holds argon2id hashes, never the secret.
func TestAccountSecretsHashed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "operators.json")
	secret, err := AddAccount(path, "li.ming", RoleOperator, false)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if bytes.Contains(raw, []byte(secret)) || !bytes.Contains(raw, []byte("$argon2id$v=19$")) {
		t.Errorf("accounts file: %s", raw)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("accounts file mode %v", fi.Mode().Perm())
	}
	if _, err := AddAccount(path, "li.ming", RoleAdmin, false); !errors.Is(err, ErrAccounts) {
		t.Errorf("second account of the same name: %v", err)
	}
	for _, bad := range []struct {
		name string
		role Role
	}{{"Li Ming", RoleViewer}, {"x", "root"}} {
		if _, err := AddAccount(path, bad.name, bad.role, false); !errors.Is(err, ErrAccounts) {
			t.Errorf("AddAccount(%q, %q): %v", bad.name, bad.role, err)
		}
	}
	var f accountsFile
	json.Unmarshal(raw, &f)
	if !verifySecret(f.Accounts[0].Hash, secret) || verifySecret(f.Accounts[0].Hash, secret+"x") {
		t.Error("hash does not verify the secret alone")
	}
}
