package client

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/sync/hub"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

func TestEndpoints(t *testing.T) {
	tests := []struct {
		in, enroll, connect string
		bad                 bool
	}{
		{in: "ws://127.0.0.1:8443", enroll: "http://127.0.0.1:8443/v1/enroll", connect: "ws://127.0.0.1:8443/v1/connect"},
		{in: "wss://hub.example:443/", enroll: "https://hub.example:443/v1/enroll", connect: "wss://hub.example:443/v1/connect"},
		{in: "https://hub.example/gov/", enroll: "https://hub.example/gov/v1/enroll", connect: "wss://hub.example/gov/v1/connect"},
		{in: "http://10.0.0.5:8080?x=1", enroll: "http://10.0.0.5:8080/v1/enroll", connect: "ws://10.0.0.5:8080/v1/connect"},
		{in: "ftp://hub", bad: true},
		{in: "hub.example:8443", bad: true},
		{in: "", bad: true},
	}
	for _, tt := range tests {
		e, c, err := endpoints(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("endpoints(%q) accepted", tt.in)
			}
			continue
		}
		if err != nil || e != tt.enroll || c != tt.connect {
			t.Errorf("endpoints(%q) = %q, %q, %v; want %q, %q", tt.in, e, c, err, tt.enroll, tt.connect)
		}
	}
}

func TestEnrollSaveLoad(t *testing.T) {
	lh := startHub(t, hub.Options{})
	ctx := context.Background()
	if _, err := Enroll(ctx, lh.url(), "WRONG-CODE"); !errors.Is(err, ErrEnrollCode) {
		t.Errorf("wrong code: %v, want ErrEnrollCode", err)
	}
	code, _, _ := lh.CreateEnrollCode(time.Hour)
	cr, err := EnrollWith(ctx, "http://"+lh.addr, code, EnrollOptions{App: "1.2.3", Name: "大厅二号机"})
	if err != nil {
		t.Fatal(err)
	}
	if cr.HubID != lh.ID() || len(cr.TerminalCode) != 4 {
		t.Errorf("credentials %+v", cr)
	}
	if !cr.IdentityKey.Equal(lh.IdentityKey()) {
		t.Errorf("enrollment brought identity key %x, the hub's is %x", cr.IdentityKey, lh.IdentityKey())
	}
	if _, err := Enroll(ctx, lh.url(), code); !errors.Is(err, ErrEnrollCode) {
		t.Errorf("code reused: %v", err)
	}
	if ts := lh.Terminals(); len(ts) != 1 || ts[0].Name != "大厅二号机" || ts[0].App != "1.2.3" {
		t.Errorf("hub terminals %+v", ts)
	}

	dir := filepath.Join(t.TempDir(), "data")
	if _, err := LoadCredentials(dir); !errors.Is(err, ErrNotEnrolled) {
		t.Errorf("empty dir: %v, want ErrNotEnrolled", err)
	}
	if err := cr.Save(dir); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, CredentialsFile)
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("credentials file mode %v, want 0600", fi.Mode().Perm())
	}
	back, err := LoadCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, cr) {
		t.Errorf("loaded %+v, saved %+v", back, cr)
	}
	os.Chmod(path, 0o644)
	if _, err := LoadCredentials(dir); !errors.Is(err, ErrCredentials) {
		t.Errorf("world-readable file: %v, want ErrCredentials", err)
	}
	bad := back
	bad.IdentityKey = bad.IdentityKey[:16]
	if err := bad.Save(t.TempDir()); !errors.Is(err, ErrCredentials) {
		t.Errorf("saving a 16-byte identity key: %v, want ErrCredentials", err)
	}
	os.WriteFile(path, []byte(`{"hub":"ws://x"}`), 0o600)
	if _, err := LoadCredentials(dir); !errors.Is(err, ErrCredentials) {
		t.Errorf("incomplete file: %v, want ErrCredentials", err)
	}

	// The saved credentials connect.
	q := openQueue(t, cr)
	c := run(t, fast(cr, q))
	waitFor(t, 5*time.Second, "online", func() bool { return c.State().Online })
}

// TestCredentialsWithoutIdentityKey: credentials without the hub's identity-code key
// still load (the terminal then offers no QR identification), and new credentials stay
// readable by older kiosk software, which ignores the extra keys.
func TestCredentialsWithoutIdentityKey(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	hubPub, _, _ := ed25519.GenerateKey(nil)
	old := map[string]any{"hub": "ws://127.0.0.1:8470", "hub_id": "hub-1", "terminal_id": "t-1",
		"terminal_code": "K7Q2", "private_key": []byte(key), "enrolled_at": "2026-03-02T09:30:00Z"}
	b, _ := json.Marshal(old)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, CredentialsFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
	// Without a pinned hub key (from before protocol version 2) they are refused as
	// "not enrolled": the terminal cannot tell its hub from an impostor.
	if _, err := LoadCredentials(dir); !errors.Is(err, ErrNotEnrolled) || !errors.Is(err, ErrNoHubKey) {
		t.Fatalf("credentials without a hub key: %v, want ErrNotEnrolled and ErrNoHubKey", err)
	}
	old["hub_key"] = []byte(hubPub)
	b, _ = json.Marshal(old)
	if err := os.WriteFile(filepath.Join(dir, CredentialsFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
	cr, err := LoadCredentials(dir)
	if err != nil {
		t.Fatalf("credentials without an identity key: %v", err)
	}
	if cr.IdentityKey != nil {
		t.Errorf("identity key %x from nowhere", cr.IdentityKey)
	}
	// Saved again without a key, the file has no identity_key entry at all.
	if err := cr.Save(dir); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, CredentialsFile))
	if strings.Contains(string(raw), "identity_key") {
		t.Errorf("empty identity key written: %s", raw)
	}
	// Older kiosk software reads new credentials: it decodes leniently into fewer fields.
	pub, _, _ := ed25519.GenerateKey(nil)
	cr.IdentityKey = pub
	if err := cr.Save(dir); err != nil {
		t.Fatal(err)
	}
	raw, _ = os.ReadFile(filepath.Join(dir, CredentialsFile))
	var older struct {
		Hub, HubID, TerminalID string
		PrivateKey             []byte `json:"private_key"`
	}
	if err := json.Unmarshal(raw, &older); err != nil || len(older.PrivateKey) != ed25519.PrivateKeySize {
		t.Errorf("new credentials unreadable by older code: %v", err)
	}
}

// TestEnrollOlderHub: a hub that hands out no key to pin (it speaks only version 1)
// answers the enrollment as before, and the terminal refuses to enroll with it: it could
// never tell that hub from an impostor.
func TestEnrollOlderHub(t *testing.T) {
	asked := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked <- r.Header.Get(protocol.EnrollFeaturesHeader)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"terminal_id":"t-1","terminal_code":"K7Q2","hub_id":"hub-old","versions":[1],"enrolled_at":"2026-03-02T09:30:00Z"}`)
	}))
	t.Cleanup(srv.Close)
	_, err := Enroll(context.Background(), srv.URL, "ABCD-EFGH")
	if !errors.Is(err, ErrNoHubKey) {
		t.Errorf("enrolling with a hub that proves nothing: %v, want ErrNoHubKey", err)
	}
	got := <-asked
	for _, f := range []string{protocol.FeatureIdentityKey, protocol.FeatureHubKey} {
		if !protocol.HasFeature(got, f) {
			t.Errorf("the terminal did not ask for %s (%s: %q)", f, protocol.EnrollFeaturesHeader, got)
		}
	}
}

func TestEnrollHubDown(t *testing.T) {
	lh := startHub(t, hub.Options{})
	addr := lh.url()
	lh.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := Enroll(ctx, addr, "ABCD-EFGH"); err == nil || errors.Is(err, ErrEnrollCode) {
		t.Errorf("enroll with the hub down: %v", err)
	}
}
