package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/govkiosk/govkiosk/sync/queue"
)

// Secrets planted in the fixtures; none may appear anywhere in a bundle.
var plantedSecrets = []string{
	"pbkdf2-sha256$310000$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
	"ENROLL-7731-ALPHA",
	"tok3n-s3cr3t",
	"hunter2",
	"MC4CAQAwBQYDK2VwBCIEIKx7Z3wU5m8v9QmLw1Yf2bq0e8u3xJ4d7h6g5f4e3d2c",
	"q7Zp9Lr2Xk4Vb8Nw3Ms6Jt1Hy5Gd0Fc2Ea9Wu7Io4Pe",
}

const fixtureConfig = `terminal_id = "SZ-FT-07"
data_dir = "/var/lib/govkiosk"

[hall]
name_zh = "福田区政务服务中心"

[platform]
url = "wss://kiosk:hunter2@hub.example.gov.cn/kiosk?token=tok3n-s3cr3t&lang=zh"
enrollment_code = "ENROLL-7731-ALPHA"
private_key = "MC4CAQAwBQYDK2VwBCIEIKx7Z3wU5m8v9QmLw1Yf2bq0e8u3xJ4d7h6g5f4e3d2c"
fingerprint_of_hub = "q7Zp9Lr2Xk4Vb8Nw3Ms6Jt1Hy5Gd0Fc2Ea9Wu7Io4Pe"

[technician]
pin_hash = "pbkdf2-sha256$310000$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"

[[device]]
name = "idcard"
kind = "idcard"
transport = "serial"
path = "/dev/govkiosk-idcard"
baud = 115200
`

func TestRedactConfigRemovesSecretsAndKeepsTheRest(t *testing.T) {
	out := string(redactConfig([]byte(fixtureConfig)))
	for _, s := range plantedSecrets {
		if strings.Contains(out, s) {
			t.Errorf("secret %q survived:\n%s", s, out)
		}
	}
	var back map[string]any
	if err := toml.Unmarshal([]byte(out), &back); err != nil {
		t.Fatalf("redacted config is not TOML: %v\n%s", err, out)
	}
	for _, keep := range []string{"SZ-FT-07", "福田区政务服务中心", "/dev/govkiosk-idcard", "hub.example.gov.cn", "lang=zh", "115200"} {
		if !strings.Contains(out, keep) {
			t.Errorf("lost %q, which support needs:\n%s", keep, out)
		}
	}
}

func TestRedactConfigThatDoesNotParse(t *testing.T) {
	broken := fixtureConfig + "\n[technician\nnote = \"\"\"\nhunter2 on two\nlines\"\"\"\n"
	out := string(redactConfig([]byte(broken)))
	if !strings.HasPrefix(out, "# not valid TOML") {
		t.Errorf("no note that the file is broken:\n%s", out)
	}
	for _, s := range plantedSecrets {
		if strings.Contains(out, s) {
			t.Errorf("secret %q survived the line-by-line redaction:\n%s", s, out)
		}
	}
	if !strings.Contains(out, "[technician\n") || !strings.Contains(out, `terminal_id = "SZ-FT-07"`) {
		t.Errorf("the broken file's shape was lost:\n%s", out)
	}
}

func TestSecretKey(t *testing.T) {
	for k, want := range map[string]bool{
		"pin_hash": true, "enrollment_code": true, "enroll-code": true, "key_file": true,
		"api_token": true, "password": true, "privateKey": true, "hmac_secret": true,
		"terminal_id": false, "url": false, "baud": false, "keypad_layout": false,
		"name_zh": false, "poll_interval": false, "paper_width_mm": false,
	} {
		if got := secretKey(k); got != want {
			t.Errorf("secretKey(%q) = %v, want %v", k, got, want)
		}
	}
}

func TestScrubPersonal(t *testing.T) {
	in := "read card 990105194912310023 ok; old 990105491231002; phone 13812345678; order 12345; at 2026-11-25T10:00:00Z"
	got := string(scrubPersonal([]byte(in)))
	want := "read card 9901**********0023 ok; old 9901********002; phone 138****5678; order 12345; at 2026-11-25T10:00:00Z"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestSupportBundle(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "kiosk.toml")
	if err := os.WriteFile(cfg, []byte(fixtureConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	q, err := queue.Open(filepath.Join(data, "queue"), queue.Options{
		TerminalCode: "K7Q2", KeyFile: filepath.Join(dir, "queue.key"), CreateKey: true, MinFreeBytes: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	// Left open: the bundle must cope with a queue the running kiosk holds.
	t.Cleanup(func() { q.Close() })
	if err := os.WriteFile(filepath.Join(data, "kiosk.log"), []byte("printed receipt for 990105194912310023, phone 13812345678\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(data, "session"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "session", "history"), []byte("2026-11-25T10:00:00Z crash: unit result watchdog\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(dir, "bundle.tar.gz")
	var o, e bytes.Buffer
	code := run(context.Background(), testEnv(&o, &e),
		[]string{"support-bundle", "--config", cfg, "--data", data, "--out", out})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	if strings.TrimSpace(o.String()) != out {
		t.Errorf("printed %q, want the archive's path", o.String())
	}
	st, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("archive mode %v, want 0600", st.Mode().Perm())
	}

	files := readBundle(t, out)
	for _, name := range []string{"README.txt", "config/kiosk.toml", "versions.txt", "devices.txt", "queue.txt", "session.txt", "logs/kiosk.log"} {
		if _, ok := files[name]; !ok {
			t.Errorf("bundle lacks %s (has %v)", name, keys(files))
		}
	}
	if !strings.Contains(files["queue.txt"], "queued 0, sending 0, delivered 0, failed 0") {
		t.Errorf("queue counts missing:\n%s", files["queue.txt"])
	}
	if !strings.Contains(files["queue.txt"], "a copy") {
		t.Errorf("a locked queue should be read from a copy:\n%s", files["queue.txt"])
	}
	if !strings.Contains(files["devices.txt"], "USB devices:") {
		t.Errorf("devices.txt:\n%s", files["devices.txt"])
	}
	if !strings.Contains(files["session.txt"], "crash: unit result watchdog") {
		t.Errorf("session history missing:\n%s", files["session.txt"])
	}
	if !strings.Contains(files["logs/kiosk.log"], "9901**********0023") {
		t.Errorf("log not scrubbed as expected:\n%s", files["logs/kiosk.log"])
	}
	for name, body := range files {
		for _, s := range append(plantedSecrets, "990105194912310023", "13812345678") {
			if strings.Contains(body, s) {
				t.Errorf("%s carries %q", name, s)
			}
		}
	}
}

func readBundle(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	files := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Mode != 0o600 {
			t.Errorf("%s: mode %o in the archive", h.Name, h.Mode)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[strings.TrimPrefix(h.Name, "govkiosk-support/")] = string(b)
	}
	return files
}

func keys(m map[string]string) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	return k
}

// TestSupportBundleSaysWhatIsMissing: with no configuration file and no queue, the bundle
// is still written, but standard output says, after its path, that both are missing.
// Before, it printed only the path and exited 0, as if the bundle were complete.
func TestSupportBundleSaysWhatIsMissing(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "kiosk.toml")
	data := filepath.Join(dir, "data")
	out := filepath.Join(dir, "bundle.tar.gz")
	var o, e bytes.Buffer
	code := run(context.Background(), testEnv(&o, &e),
		[]string{"support-bundle", "--config", cfg, "--data", data, "--out", out})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	lines := strings.Split(strings.TrimSpace(o.String()), "\n")
	if lines[0] != out {
		t.Errorf("first line %q, want the archive's path", lines[0])
	}
	for _, want := range []string{
		"missing from the bundle",
		"configuration " + cfg + ": not found",
		"queue counts under " + data + ": the data directory: not found",
	} {
		if !strings.Contains(o.String(), want) {
			t.Errorf("standard output lacks %q:\n%s", want, o.String())
		}
	}
	files := readBundle(t, out)
	if !strings.Contains(files["errors.txt"], "configuration "+cfg) || !strings.Contains(files["errors.txt"], "queue counts under") {
		t.Errorf("errors.txt:\n%s", files["errors.txt"])
	}

	// With the data directory there but no queue in it, the reason says so.
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	o.Reset()
	if code := run(context.Background(), testEnv(&o, &e),
		[]string{"support-bundle", "--config", cfg, "--data", data, "--out", out}); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	if !strings.Contains(o.String(), "queue counts under "+data+": no queue database there") {
		t.Errorf("standard output:\n%s", o.String())
	}
}
