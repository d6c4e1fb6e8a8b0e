package client

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/sync/hub"
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
	os.WriteFile(path, []byte(`{"hub":"ws://x"}`), 0o600)
	if _, err := LoadCredentials(dir); !errors.Is(err, ErrCredentials) {
		t.Errorf("incomplete file: %v, want ErrCredentials", err)
	}

	// The saved credentials connect.
	q := openQueue(t, cr)
	c := run(t, fast(cr, q))
	waitFor(t, 5*time.Second, "online", func() bool { return c.State().Online })
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
