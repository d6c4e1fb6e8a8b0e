package main

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/sync/client"
	"github.com/govkiosk/govkiosk/sync/hub"
)

func enrollRun(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, log: slog.New(slog.DiscardHandler)}
	code = run(context.Background(), e, args)
	return code, out.String(), errb.String()
}

// enrollHub is a real hub on loopback with one fresh enrollment code.
func enrollHub(t *testing.T) (url, code string, h *hub.Hub) {
	t.Helper()
	h, err := hub.New(hub.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go h.Serve(ln)
	t.Cleanup(func() { h.Close() })
	code, _, err = h.CreateEnrollCode(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return "ws://" + ln.Addr().String(), code, h
}

func TestEnrollCommand(t *testing.T) {
	url, code, h := enrollHub(t)
	data := filepath.Join(t.TempDir(), "kiosk")
	rc, out, errs := enrollRun("enroll", "--hub", url, "--code", code, "--data", data, "--name", "一楼大厅左")
	if rc != 0 {
		t.Fatalf("exit %d: %s", rc, errs)
	}
	cr, err := client.LoadCredentials(data)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, cr.TerminalID) || !strings.Contains(out, cr.TerminalCode) {
		t.Errorf("output %q does not name the terminal", out)
	}
	if fi, _ := os.Stat(filepath.Join(data, client.CredentialsFile)); fi.Mode().Perm() != 0o600 {
		t.Errorf("credentials mode %v", fi.Mode().Perm())
	}
	if ts := h.Terminals(); len(ts) != 1 || ts[0].Name != "一楼大厅左" || ts[0].Code != cr.TerminalCode {
		t.Errorf("hub terminals %+v", ts)
	}

	// Enrolling again keeps the existing identity unless forced.
	code2, _, _ := h.CreateEnrollCode(time.Hour)
	rc, _, errs = enrollRun("enroll", "--hub", url, "--code", code2, "--data", data)
	if rc != 1 || !strings.Contains(errs, "already enrolled as terminal "+cr.TerminalID) || strings.Count(errs, "\n") != 1 {
		t.Errorf("second enroll: exit %d, %q", rc, errs)
	}
	rc, _, errs = enrollRun("enroll", "--hub", url, "--code", code2, "--data", data, "--force")
	if rc != 0 {
		t.Fatalf("forced enroll: exit %d, %s", rc, errs)
	}
	if cr2, _ := client.LoadCredentials(data); cr2.TerminalID == cr.TerminalID {
		t.Error("forced enroll kept the old identity")
	}
}

func TestEnrollCommandErrors(t *testing.T) {
	url, _, _ := enrollHub(t)
	data := t.TempDir()
	tests := []struct {
		args []string
		exit int
		want string
	}{
		{[]string{"enroll", "--code", "X", "--data", data}, 2, "--hub URL is required"},
		{[]string{"enroll", "--hub", url, "--data", data}, 2, "--code CODE is required"},
		{[]string{"enroll", "--hub", url, "--code", "X", "--data", ""}, 2, "--data DIR is required"},
		{[]string{"enroll", "--hub", url, "--code", "X", "--data", data, "extra"}, 2, "unexpected arguments"},
		{[]string{"enroll", "--hub", url, "--code", "WRONG-CODE", "--data", data}, 1, "refused the code"},
		{[]string{"enroll", "--hub", "ftp://x", "--code", "C", "--data", data}, 1, "scheme"},
		{[]string{"enroll", "--hub", strings.Replace(url, "ws://", "wss://", 1), "--code", "C", "--data", data, "--ca", filepath.Join(data, "none.pem")}, 1, "none.pem"},
		// Whoever answers an enrollment is the hub the terminal pins: not over a clear link
		// to another machine, and never ws:// when a CA or pin says TLS was meant.
		{[]string{"enroll", "--hub", "ws://hub.example.invalid:8470", "--code", "C", "--data", data}, 1, "unencrypted"},
		{[]string{"enroll", "--hub", url, "--code", "C", "--data", data, "--ca", filepath.Join(data, "none.pem")}, 1, "use wss://"},
		{[]string{"enroll", "--hub", url, "--code", "C", "--data", data, "--hub-cert-pin", "sha256/AAAA"}, 1, "use wss://"},
	}
	for _, tt := range tests {
		rc, out, errs := enrollRun(tt.args...)
		if rc != tt.exit || !strings.Contains(errs, tt.want) || out != "" {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args[1:], rc, errs, tt.exit, tt.want)
		}
	}
	if _, err := client.LoadCredentials(data); err == nil {
		t.Error("a failed enrollment left credentials behind")
	}
	if rc, out, _ := enrollRun("enroll", "--help"); rc != 0 || !strings.Contains(out, "usage: kioskctl enroll") {
		t.Errorf("--help: %d %q", rc, out)
	}
}
