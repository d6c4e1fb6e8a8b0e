package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestHelpUnderThePOSIXLocale: `kiosk -help` under the C locale prints its usage and
// nothing else. Fyne reads the locale in a package init, before main, and used to log
// "Fyne error: Error parsing user locale C" there (LANG=C.UTF-8 is Debian's default in
// containers and service units).
func TestHelpUnderThePOSIXLocale(t *testing.T) {
	kiosk := filepath.Join(binaries(t), "kiosk")
	for _, env := range [][]string{
		{"LANG=C.UTF-8"},
		{"LANG=C"},
		{"LC_ALL=C.UTF-8", "LANG=zh_CN.UTF-8"},
		{"LANG=POSIX"},
	} {
		t.Run(strings.Join(env, " "), func(t *testing.T) {
			cmd := exec.Command(kiosk, "-help")
			cmd.Env = append(withoutLocale(os.Environ()), env...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("kiosk -help: %v\n%s", err, out)
			}
			if !strings.HasPrefix(string(out), "usage: kiosk") || strings.Contains(string(out), "Fyne error") {
				t.Errorf("kiosk -help printed more than its usage:\n%s", out)
			}
		})
	}
}

// withoutLocale drops the locale variables from an environment.
func withoutLocale(env []string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if name == "LANG" || name == "LANGUAGE" || strings.HasPrefix(name, "LC_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}
