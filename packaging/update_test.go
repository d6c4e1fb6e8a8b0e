package packaging

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govkiosk/govkiosk/internal/update"
)

// TestUpdateInstallHelper runs the privileged install helper with the real kioskctl and
// stand-ins for dpkg, systemctl and kiosk-session that record what they were asked: a
// verified package is installed and kept for the next rollback; a new version that comes
// up in safe mode is rolled back to the kept package; a tampered package is refused
// before dpkg sees it.
func TestUpdateInstallHelper(t *testing.T) {
	root := repoRoot(t)
	lookTool(t, "sh", "the update helper")
	bin := t.TempDir()
	if out, err := run(root, nil, "go", "build", "-o", bin, "./cmd/kioskctl"); err != nil {
		t.Fatalf("build kioskctl: %v\n%s", err, out)
	}
	log := filepath.Join(bin, "calls")
	writeExec(t, filepath.Join(bin, "dpkg"), "#!/bin/sh\necho \"dpkg $*\" >>"+log+"\n")
	writeExec(t, filepath.Join(bin, "dpkg-query"), "#!/bin/sh\necho 1.2.0\n")
	writeExec(t, filepath.Join(bin, "systemctl"), "#!/bin/sh\necho \"systemctl $*\" >>"+log+"\n")
	writeExec(t, filepath.Join(bin, "kiosk-session"), "#!/bin/sh\ncat "+filepath.Join(bin, "session-status")+"\n")
	keyFile := filepath.Join(bin, "release.key")
	privB, pubB, err := update.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(keyFile+".pub", pubB, 0o644)
	priv, _ := update.ParsePrivateKey(privB)

	spool, keep := t.TempDir(), t.TempDir()
	env := []string{"PATH=" + bin + ":" + os.Getenv("PATH"), "SPOOL=" + spool, "KEEP=" + keep, "HEALTH_WAIT=0",
		"RELEASE_KEY=" + keyFile + ".pub", "KIOSKCTL=" + filepath.Join(bin, "kioskctl"), "KIOSK_SESSION=" + filepath.Join(bin, "kiosk-session")}
	helper := filepath.Join(root, "packaging/update/govkiosk-update-install")

	spoolRelease := func(version string, body []byte, tamper bool) string {
		m, err := update.Describe(bytes.NewReader(body), "govkiosk", version, "amd64", update.ChannelAll)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := update.Sign(m, priv)
		name := m.FileName()
		if tamper {
			body = append(append([]byte(nil), body...), '!')
		}
		os.WriteFile(filepath.Join(spool, name), body, 0o644)
		os.WriteFile(filepath.Join(spool, name+".release"), r.Marshal(), 0o644)
		os.WriteFile(filepath.Join(spool, update.RequestFile), []byte(name+"\n"), 0o644)
		return name
	}
	calls := func() string {
		b, _ := os.ReadFile(log)
		os.Remove(log)
		return strings.TrimSpace(string(b))
	}
	lastStep := func() string {
		b, _ := os.ReadFile(filepath.Join(spool, "status"))
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		f := strings.Fields(lines[len(lines)-1])
		return f[1] + " " + f[2]
	}

	// 1.3.0 installs, comes up normal: installed, and kept.
	os.WriteFile(filepath.Join(bin, "session-status"), []byte("next start: normal\n"), 0o644)
	n13 := spoolRelease("1.3.0", []byte("synthetic 1.3.0"), false)
	if out, err := run("", env, helper); err != nil {
		t.Fatalf("install: %v\n%s", err, out)
	}
	if got, want := calls(), "dpkg -i "+filepath.Join(spool, n13)+"\nsystemctl restart govkiosk.service\nsystemctl is-active --quiet govkiosk.service"; got != want {
		t.Errorf("calls:\n%s\nwant:\n%s", got, want)
	}
	if s := lastStep(); s != "installed 1.3.0" {
		t.Errorf("step %q", s)
	}
	if _, err := os.Stat(filepath.Join(keep, n13)); err != nil {
		t.Errorf("installed package not kept for rollback: %v", err)
	}

	// 1.4.0 comes up crashing into safe mode: the kept 1.3.0 goes back on.
	os.WriteFile(filepath.Join(bin, "session-status"), []byte("next start: safe mode\n"), 0o644)
	n14 := spoolRelease("1.4.0", []byte("synthetic 1.4.0"), false)
	if out, err := run("", env, helper); err == nil {
		t.Fatalf("a failing update reported success:\n%s", out)
	}
	if got := calls(); !strings.Contains(got, "dpkg -i "+filepath.Join(spool, n14)) || !strings.Contains(got, "dpkg -i "+filepath.Join(keep, n13)) {
		t.Errorf("no rollback to %s:\n%s", n13, got)
	}
	if s := lastStep(); s != "rolled_back 1.4.0" {
		t.Errorf("step %q", s)
	}

	// A tampered package never reaches dpkg.
	spoolRelease("1.5.0", []byte("synthetic 1.5.0"), true)
	if out, err := run("", env, helper); err == nil {
		t.Fatalf("tampered package accepted:\n%s", out)
	}
	if got := calls(); strings.Contains(got, "dpkg") {
		t.Errorf("dpkg ran on a tampered package: %s", got)
	}
	if s := lastStep(); s != "refused 1.5.0" {
		t.Errorf("step %q", s)
	}
	// A request naming something outside the spool is refused.
	os.WriteFile(filepath.Join(spool, update.RequestFile), []byte("../etc/passwd\n"), 0o644)
	if _, err := run("", env, helper); err == nil || lastStep() != "refused bad-request" {
		t.Errorf("request outside the spool: %v %s", err, lastStep())
	}
}
