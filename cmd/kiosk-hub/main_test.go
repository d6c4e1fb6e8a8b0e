package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/sync/client"
	"github.com/govkiosk/govkiosk/sync/hub"
	"github.com/govkiosk/govkiosk/sync/queue"
)

// startCmd runs the command with args and returns the address it listens on.
func startCmd(t *testing.T, args ...string) (addr string, out *strings.Builder, hup chan os.Signal) {
	t.Helper()
	if !slices.Contains(args, "-key") {
		// Keys apart from -data, as in production (and never in the machine's /etc).
		args = append([]string{"-key", filepath.Join(t.TempDir(), "hub.key")}, args...)
	}
	o, err := parseFlags(append([]string{"-listen", "127.0.0.1:0"}, args...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	hup = make(chan os.Signal, 1)
	go func() {
		done <- run(ctx, o, pw, slog.New(slog.DiscardHandler), hup)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	out = &strings.Builder{}
	sc := bufio.NewScanner(pr)
	re := regexp.MustCompile(`listening on wss?://(\S+)`)
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			go io.Copy(io.Discard, pr)
			return m[1], out, hup
		}
	}
	t.Fatalf("no listening line in %q", out)
	return "", nil, nil
}

func TestDemoHub(t *testing.T) {
	dir := t.TempDir()
	catalog := filepath.Join(dir, "catalog.json")
	os.WriteFile(catalog, []byte(`{"services":[]}`), 0o600)
	tokenFile := filepath.Join(dir, "token")
	os.WriteFile(tokenFile, []byte("a-long-operator-token\n"), 0o600)
	addr, out, hup := startCmd(t, "-data", filepath.Join(dir, "hub"), "-key", filepath.Join(dir, "keys", "hub.key"), "-catalog", catalog,
		"-enroll-code", "DEMO-2024-0001", "-new-enroll-code", "-operator-token-file", tokenFile)
	if !strings.Contains(out.String(), "enrollment code DEMO-2024-0001") {
		t.Errorf("output %q", out)
	}
	cr, err := client.Enroll(context.Background(), "ws://"+addr, "demo-2024-0001")
	if err != nil {
		t.Fatal(err)
	}
	if cr.TerminalCode == "" {
		t.Error("no terminal code")
	}
	// The identity-code key was made beside the sealing key, and the terminal has it.
	if fi, err := os.Stat(filepath.Join(dir, "keys", "identity.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("identity key file: %v", err)
	}
	if len(cr.IdentityKey) != 32 {
		t.Errorf("enrollment brought no identity key")
	}
	resp, err := http.Get("http://" + addr + "/api/catalog")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != `{"services":[]}` || !strings.HasPrefix(resp.Header.Get("X-Version"), "sha256-") {
		t.Errorf("catalog %s %q", b, resp.Header.Get("X-Version"))
	}
	// SIGHUP publishes the edited file.
	os.WriteFile(catalog, []byte(`{"services":[1]}`), 0o600)
	hup <- os.Interrupt
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/api/catalog")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) == `{"services":[1]}` {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("catalog not reloaded: %s", b)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestIdentityKeyFlag: -identity-key puts the signing key where the operator says, and a
// restart keeps using it.
func TestIdentityKeyFlag(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "secrets", "identity.key")
	os.MkdirAll(filepath.Dir(keyFile), 0o700)
	o, err := parseFlags([]string{"-data", filepath.Join(dir, "hub"), "-identity-key", keyFile}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.identityKey != keyFile {
		t.Fatalf("identity key flag %q", o.identityKey)
	}
	addr, _, _ := startCmd(t, "-data", filepath.Join(dir, "hub"), "-identity-key", keyFile, "-enroll-code", "DEMO-2024-0002")
	if _, err := os.Stat(keyFile); err != nil {
		t.Fatalf("no key at -identity-key: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "hub", "identity.key")); err == nil {
		t.Error("a second identity key was made in the data directory")
	}
	cr, err := client.Enroll(context.Background(), "ws://"+addr, "DEMO-2024-0002")
	if err != nil {
		t.Fatal(err)
	}
	h, err := hub.New(hub.Options{Dir: t.TempDir(), IdentityKeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if !h.IdentityKey().Equal(cr.IdentityKey) {
		t.Error("the terminal's identity key is not the one in the -identity-key file")
	}
}

func TestPublishFilesVersions(t *testing.T) {
	dir := t.TempDir()
	h, err := hub.New(hub.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	file := filepath.Join(dir, "config.json")
	os.WriteFile(file, []byte(`{"a":1}`), 0o600)
	o := &options{config: file, configVer: "cfg-1"}
	if err := publishFiles(h, o); err != nil {
		t.Fatal(err)
	}
	if err := publishFiles(h, o); err != nil {
		t.Errorf("republishing the same file: %v", err)
	}
	os.WriteFile(file, []byte(`{"a":2}`), 0o600)
	if err := publishFiles(h, o); err == nil {
		t.Error("new content under a published version was accepted")
	}
	o.configVer = "cfg-2"
	if err := publishFiles(h, o); err != nil {
		t.Fatal(err)
	}
	if v, p, _ := h.Published("config"); v != "cfg-2" || string(p) != `{"a":2}` {
		t.Errorf("published %s %s", v, p)
	}
	os.WriteFile(file, []byte(`{broken`), 0o600)
	if err := publishFiles(h, o); err == nil {
		t.Error("a broken file was published")
	}
}

func TestTLSHub(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	addr, _, _ := startCmd(t, "-data", filepath.Join(dir, "hub"), "-tls-cert", certFile, "-tls-key", keyFile,
		"-enroll-code", "TLS-DEMO-0001")
	httpc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	cr, err := client.EnrollWith(context.Background(), "wss://"+addr, "TLS-DEMO-0001", client.EnrollOptions{HTTPClient: httpc})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := httpc.Get("https://" + addr + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz over TLS: %v", err)
	}
	resp.Body.Close()

	// A terminal delivers over wss://.
	q, err := queue.Open(t.TempDir(), queue.Options{TerminalCode: cr.TerminalCode,
		KeyFile: filepath.Join(t.TempDir(), "k"), CreateKey: true, MinFreeBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if _, err := q.Enqueue(context.Background(), queue.NewSubmission{Item: "demo", Fields: map[string]string{"name": "测试甲"}}); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(client.Options{Credentials: cr, Outbox: q, TLSConfig: &tls.Config{RootCAs: pool}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Run(ctx) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for st, _ := q.Stats(); st.Delivered != 1; st, _ = q.Stats() {
		if time.Now().After(deadline) {
			t.Fatalf("not delivered over wss: %+v", c.State())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFlags(t *testing.T) {
	tests := []struct {
		args []string
		ok   bool
	}{
		{nil, true},
		{[]string{"-tls-cert", "x.pem"}, false},
		{[]string{"stray"}, false},
		{[]string{"-max-uploads", "3", "-handshake-rate", "5"}, true},
	}
	for _, tt := range tests {
		if _, err := parseFlags(tt.args, io.Discard); (err == nil) != tt.ok {
			t.Errorf("parseFlags(%v) = %v", tt.args, err)
		}
	}
}

// selfSigned writes a certificate for 127.0.0.1 and returns a pool that trusts it.
func selfSigned(t *testing.T, dir string) (string, string, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kiosk-hub test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile := filepath.Join(dir, "hub.crt"), filepath.Join(dir, "hub.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestAccountAdd: "kiosk-hub account add" makes an account whose secret signs in at the
// hub with its role, and the role bounds what it may do.
func TestAccountAdd(t *testing.T) {
	data := t.TempDir()
	var out, errb strings.Builder
	if rc := accountMain([]string{"add", "-data", data, "-name", "wang.fang", "-role", "identity_issuer"}, &out, &errb); rc != 0 {
		t.Fatalf("exit %d: %s", rc, errb.String())
	}
	m := regexp.MustCompile(`secret .*: (\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no secret in %q", out.String())
	}
	if raw, _ := os.ReadFile(filepath.Join(data, "operators.json")); strings.Contains(string(raw), m[1]) {
		t.Error("the accounts file holds the secret")
	}
	for _, bad := range [][]string{{"add", "-data", data, "-name", "wang.fang", "-role", "admin"}, {"add", "-data", data, "-name", "x", "-role", "root"}, {"remove"}} {
		if rc := accountMain(bad, io.Discard, io.Discard); rc == 0 {
			t.Errorf("%v succeeded", bad)
		}
	}
	addr, _, _ := startCmd(t, "-data", data)
	post := func(path, body string) int {
		req, _ := http.NewRequest("POST", "http://"+addr+path, strings.NewReader(body))
		req.SetBasicAuth("wang.fang", m[1])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("/api/identity-codes", `{"name":"测试乙","id_number":"99010219850506002X","purpose":"counter 3"}`); code != 201 {
		t.Errorf("identity code as the issuer: %d", code)
	}
	if code := post("/api/enroll-codes", ""); code != 403 {
		t.Errorf("enrollment code as the issuer: %d, want 403", code)
	}
}

// TestKeysApartFromData: kiosk-hub refuses key files inside -data (a copy of the data
// would carry the keys that open it) unless -allow-keys-in-data says so.
func TestKeysApartFromData(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "hub")
	for _, tc := range []struct {
		name string
		args []string
		ok   bool
	}{
		{"sealing key in -data", []string{"-key", filepath.Join(data, "hub.key")}, false},
		{"identity key in -data", []string{"-key", filepath.Join(dir, "keys", "hub.key"), "-identity-key", filepath.Join(data, "keys", "identity.key")}, false},
		{"sync key in -data", []string{"-key", filepath.Join(dir, "keys", "hub.key"), "-sync-key", filepath.Join(data, "sync.key")}, false},
		{"allowed for a demo", []string{"-key", filepath.Join(data, "hub.key"), "-allow-keys-in-data"}, true},
		{"keys apart", []string{"-key", filepath.Join(dir, "keys", "hub.key")}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.MkdirAll(filepath.Join(dir, "keys"), 0o700)
			o, err := parseFlags(append([]string{"-data", data, "-listen", "127.0.0.1:0"}, tc.args...), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			if tc.ok {
				cancel() // it starts, then stops at once
			}
			defer cancel()
			err = run(ctx, o, io.Discard, slog.New(slog.DiscardHandler), nil)
			if tc.ok && err != nil {
				t.Errorf("run: %v", err)
			}
			if !tc.ok && !errors.Is(err, hub.ErrKeyInData) {
				t.Errorf("run: %v, want ErrKeyInData", err)
			}
		})
	}
}
