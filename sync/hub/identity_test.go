package hub

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/identity"
	"github.com/govkiosk/govkiosk/sync/protocol"
	"github.com/govkiosk/govkiosk/sync/protocol/idcode"
)

// logBuffer collects a hub's log lines to check them for personal data.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Synthetic resident: region 99, a correct GB 11643 check character.
const (
	qrName    = "测试乙"
	qrNumber  = "99010219850506002X"
	qrAddress = "测试省测试市示例路1号"
)

func TestIdentityKeyFile(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(t.TempDir(), "keys")
	os.MkdirAll(keys, 0o700)
	th := startHub(t, Options{Dir: dir, KeyFile: filepath.Join(keys, "hub.key")})
	path := filepath.Join(keys, "identity.key")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("no identity key beside the sealing key: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("identity key mode %v, want 0600", fi.Mode().Perm())
	}
	pub := th.IdentityKey()
	th.Close()

	// The key survives a restart: terminals enrolled before keep verifying codes.
	again := startHub(t, Options{Dir: dir, KeyFile: filepath.Join(keys, "hub.key")})
	if !pub.Equal(again.IdentityKey()) {
		t.Error("identity key changed across a restart")
	}
	again.Close()

	tests := []struct {
		name    string
		content string
		mode    os.FileMode
	}{
		{"readable by others", strings.Repeat("ab", 32) + "\n", 0o644},
		{"not hex", strings.Repeat("zz", 32), 0o600},
		{"short", "abcd", 0o600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "identity.key")
			os.WriteFile(p, []byte(tt.content), tt.mode)
			os.Chmod(p, tt.mode)
			_, err := New(Options{Dir: t.TempDir(), IdentityKeyFile: p})
			if !errors.Is(err, ErrKeyFile) {
				t.Fatalf("New: %v, want ErrKeyFile", err)
			}
		})
	}
}

func TestEnrollIdentityKey(t *testing.T) {
	th := startHub(t, Options{})
	enroll := func(features string) (map[string]json.RawMessage, []byte) {
		t.Helper()
		code, _, _ := th.CreateEnrollCode(time.Hour)
		pub, _, _ := ed25519.GenerateKey(nil)
		b, _ := json.Marshal(protocol.EnrollRequest{Code: code, PublicKey: pub, App: "1.0"})
		req, _ := http.NewRequest("POST", th.url(protocol.EnrollPath), bytes.NewReader(b))
		if features != "" {
			req.Header.Set(protocol.EnrollFeaturesHeader, features)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("enroll: %s %s", resp.Status, body)
		}
		var keys map[string]json.RawMessage
		json.Unmarshal(body, &keys)
		return keys, body
	}

	// A terminal that asks gets the key.
	_, body := enroll(protocol.FeatureIdentityKey)
	er, err := protocol.DecodeEnrollResponse(body)
	if err != nil {
		t.Fatal(err)
	}
	if !th.IdentityKey().Equal(ed25519.PublicKey(er.IdentityKey)) {
		t.Errorf("enrollment answered key %x, hub's is %x", er.IdentityKey, th.IdentityKey())
	}
	// One that does not ask gets the version 1 answer, without the key.
	keys, body := enroll("")
	if _, ok := keys["identity_key"]; ok || len(keys) != 5 {
		t.Errorf("answer to a terminal that did not ask: %s", body)
	}
	keys, _ = enroll("something_else")
	if _, ok := keys["identity_key"]; ok {
		t.Error("identity key sent for another feature")
	}
}

func TestIdentityCodeAPI(t *testing.T) {
	logs := &logBuffer{}
	now := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	th := startHub(t, Options{OperatorToken: token, Now: func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	v, err := idcode.NewVerifier(th.IdentityKey())
	if err != nil {
		t.Fatal(err)
	}
	post := func(tok, body string) (int, []byte) {
		code, b, _ := th.do(t, "POST", "/api/identity-codes", tok, []byte(body))
		return code, b
	}
	good := `{"name":"` + qrName + `","id_number":"` + qrNumber + `","gender":"2","birth":"1985-05-06","address":"` + qrAddress + `","purpose":"counter 3, ticket 42"}`

	tests := []struct {
		name   string
		tok    string
		body   string
		status int
		field  string // named in the error
	}{
		{"no token", "", good, 401, ""},
		{"wrong token", "guess-the-operator-token", good, 401, ""},
		{"not JSON", token, `name=x`, 400, ""},
		{"unknown field", token, `{"name":"` + qrName + `","id_number":"` + qrNumber + `","photo":"x"}`, 400, ""},
		{"no name", token, `{"id_number":"` + qrNumber + `"}`, 400, "name"},
		{"blank name", token, `{"name":"  ","id_number":"` + qrNumber + `"}`, 400, "name"},
		{"no number", token, `{"name":"` + qrName + `"}`, 400, "id_number"},
		{"wrong check digit", token, `{"name":"` + qrName + `","id_number":"990102198505060021"}`, 400, "id_number"},
		{"short number", token, `{"name":"` + qrName + `","id_number":"99010219850506"}`, 400, "id_number"},
		{"gender word", token, `{"name":"` + qrName + `","id_number":"` + qrNumber + `","gender":"女"}`, 400, "gender"},
		{"bad birth", token, `{"name":"` + qrName + `","id_number":"` + qrNumber + `","birth":"1985-02-30"}`, 400, "birth"},
		{"ttl too short", token, `{"name":"` + qrName + `","id_number":"` + qrNumber + `","ttl_seconds":5}`, 400, "ttl_seconds"},
		{"ttl too long", token, `{"name":"` + qrName + `","id_number":"` + qrNumber + `","ttl_seconds":86400}`, 400, "ttl_seconds"},
		{"control in name", token, `{"name":"测试\u0007乙","id_number":"` + qrNumber + `"}`, 400, "name"},
		{"address too long for a QR code", token, `{"name":"` + qrName + `","id_number":"` + qrNumber + `","address":"` + strings.Repeat("测", 42) + `"}`, 400, "address"},
		{"no purpose", token, `{"name":"` + qrName + `","id_number":"` + qrNumber + `"}`, 400, "purpose"},
		{"blank purpose", token, `{"name":"` + qrName + `","id_number":"` + qrNumber + `","purpose":"  "}`, 400, "purpose"},
		{"good", token, good, 201, ""},
		{"lower-case x, derived gender and birth", token, `{"name":"` + qrName + `","id_number":"` + strings.ToLower(qrNumber) + `","ttl_seconds":120,"purpose":"p"}`, 201, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, b := post(tt.tok, tt.body)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, b)
			}
			if status != 201 {
				var e protocol.Error
				if json.Unmarshal(b, &e) != nil || e.Code == "" || !strings.Contains(e.Message, tt.field) {
					t.Errorf("error body %s, want a code and a message naming %q", b, tt.field)
				}
				for _, secret := range []string{qrName, "测", qrNumber[:10], "19850506", "\u0007"} {
					if strings.Contains(string(b), secret) {
						t.Errorf("error echoes the input: %s", b)
					}
				}
				return
			}
			var ic IdentityCode
			if err := json.Unmarshal(b, &ic); err != nil {
				t.Fatal(err)
			}
			if len(ic.Payload) > idcode.MaxText || !strings.HasPrefix(ic.Payload, idcode.Prefix) {
				t.Errorf("payload of %d characters: %q", len(ic.Payload), ic.Payload)
			}
			c, err := v.Verify(ic.Payload, now)
			if err != nil {
				t.Fatalf("issued code does not verify: %v", err)
			}
			if !c.ExpiresAt.Equal(ic.ExpiresAt) || c.Name != qrName || c.IDNumber != qrNumber || c.Gender != "2" ||
				c.Birth != (identity.Date{Year: 1985, Month: time.May, Day: 6}) {
				t.Errorf("claims %+v", c)
			}
		})
	}
	// Validity: ten minutes by default, as asked otherwise.
	_, b := post(token, good)
	var ic IdentityCode
	json.Unmarshal(b, &ic)
	if want := now.Add(idcode.DefaultLifetime); !ic.ExpiresAt.Equal(want) {
		t.Errorf("expires %v, want %v", ic.ExpiresAt, want)
	}
	if _, err := v.Verify(ic.Payload, now.Add(idcode.DefaultLifetime+idcode.Leeway)); !errors.Is(err, idcode.ErrExpired) {
		t.Errorf("after its lifetime: %v, want ErrExpired", err)
	}
	if got := th.Stats().IdentityCodes; got != 3 {
		t.Errorf("%d identity codes counted, want 3", got)
	}

	// A hub without an operator token issues nothing.
	closed := startHub(t, Options{})
	if code, _, _ := closed.do(t, "POST", "/api/identity-codes", token, []byte(good)); code != 403 {
		t.Errorf("hub without operator token: %d, want 403", code)
	}

	for _, secret := range []string{qrName, qrNumber, strings.ToLower(qrNumber), qrAddress, ic.Payload[len(idcode.Prefix):][:20]} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("hub log contains personal data %q", secret)
		}
	}
}

// FuzzIssueIdentityCode feeds arbitrary operator input to the issuer: it either refuses
// with ErrInvalid or issues a code that verifies and says exactly what was asked.
func FuzzIssueIdentityCode(f *testing.F) {
	f.Add(qrName, qrNumber, "2", "1985-05-06", qrAddress, 0)
	f.Add(qrName, strings.ToLower(qrNumber), "", "", "", 120)
	f.Add(" ", "990102198505060021", "女", "19850230", strings.Repeat("测", 50), -1)
	now := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	h, err := New(Options{Dir: f.TempDir(), Now: func() time.Time { return now }})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { h.Close() })
	v, _ := idcode.NewVerifier(h.IdentityKey())
	f.Fuzz(func(t *testing.T, name, number, gender, birth, address string, ttl int) {
		ic, err := h.IssueIdentityCode(IdentityCodeRequest{Name: name, IDNumber: number, Gender: gender,
			Birth: birth, Address: address, TTLSeconds: ttl})
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("refusal is not ErrInvalid: %v", err)
			}
			return
		}
		c, err := v.Verify(ic.Payload, now)
		if err != nil {
			t.Fatalf("issued code does not verify: %v", err)
		}
		if c.Name != strings.TrimSpace(name) || c.IDNumber != identity.NormalizeNumber(number) ||
			c.Address != strings.TrimSpace(address) || !c.ExpiresAt.Equal(ic.ExpiresAt) {
			t.Fatalf("code says %+v", c)
		}
	})
}
