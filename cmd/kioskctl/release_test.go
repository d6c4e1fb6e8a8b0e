package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReleaseSignAndVerify(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "release.key")
	deb := filepath.Join(dir, "govkiosk_1.2.0_amd64.deb")
	if err := os.WriteFile(deb, []byte("!<arch>\nsynthetic"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCmd("release", "keygen", key); code != 0 {
		t.Fatalf("keygen: %d %s", code, errs)
	}
	if code, _, _ := runCmd("release", "keygen", key); code == 0 {
		t.Error("keygen overwrote an existing key")
	}
	code, out, errs := runCmd("release", "sign", "--key", key, "--channel", "pilot",
		"--package", "govkiosk", "--version", "1.2.0", "--arch", "amd64", deb)
	if code != 0 {
		t.Fatalf("sign: %d %s", code, errs)
	}
	t.Log(out)
	if code, out, errs := runCmd("release", "verify", "--pub", key+".pub", "--installed", "1.1.0", deb); code != 0 || !strings.Contains(out, "verified govkiosk 1.2.0") {
		t.Fatalf("verify: %d %q %s", code, out, errs)
	}
	if code, _, errs := runCmd("release", "verify", "--pub", key+".pub", "--installed", "1.2.0", deb); code != 1 || !strings.Contains(errs, "not newer") {
		t.Errorf("same version: %d %s", code, errs)
	}
	other := filepath.Join(dir, "other.key")
	runCmd("release", "keygen", other)
	if code, _, errs := runCmd("release", "verify", "--pub", other+".pub", deb); code != 1 || !strings.Contains(errs, "signature") {
		t.Errorf("other key: %d %s", code, errs)
	}
	if err := os.WriteFile(deb, []byte("!<arch>\nsynthetiK"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCmd("release", "verify", "--pub", key+".pub", deb); code != 1 || !strings.Contains(errs, "does not match") {
		t.Errorf("tampered: %d %s", code, errs)
	}
}
