package packaging

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The scripts as they are in the tree, with the shell that runs them.
var shellScripts = []struct{ path, shell string }{
	{"packaging/build-deb", "bash"},
	{"packaging/session/kiosk-session", "bash"},
	{"packaging/udev/govkiosk-name-device", "bash"},
	{"packaging/update/govkiosk-update-install", "sh"},
	// Maintainer scripts run under /bin/sh (dash on Debian): POSIX only.
	{"packaging/scripts/govkiosk.postinst", "sh"},
	{"packaging/scripts/govkiosk.prerm", "sh"},
	{"packaging/scripts/govkiosk.postrm", "sh"},
	{"packaging/scripts/govkiosk-hub.postinst", "sh"},
	{"packaging/scripts/govkiosk-hub.prerm", "sh"},
	{"packaging/scripts/govkiosk-hub.postrm", "sh"},
}

func TestShellScripts(t *testing.T) {
	root := repoRoot(t)
	for _, s := range shellScripts {
		t.Run(filepath.Base(s.path), func(t *testing.T) {
			path := filepath.Join(root, s.path)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(string(b), "\n")
			want := map[string][]string{"bash": {"#!/bin/bash", "#!/usr/bin/env bash"}, "sh": {"#!/bin/sh"}}[s.shell]
			if first != want[0] && (len(want) < 2 || first != want[1]) {
				t.Errorf("first line %q, want %q", first, want[0])
			}
			opts := map[string]string{"bash": "set -euo pipefail", "sh": "set -eu"}[s.shell]
			if !strings.Contains(string(b), "\n"+opts+"\n") {
				t.Errorf("no %q", opts)
			}
			if st, err := os.Stat(path); err != nil || st.Mode()&0o111 == 0 {
				t.Errorf("not executable in the tree: %v", err)
			}
			if out, err := run(root, nil, lookTool(t, s.shell, "shell syntax"), "-n", path); err != nil {
				t.Errorf("%s -n: %v\n%s", s.shell, err, out)
			}
			sc := lookTool(t, "shellcheck", "shell lint")
			if out, err := run(root, nil, sc, "-s", s.shell, path); err != nil {
				t.Errorf("shellcheck: %v\n%s", err, out)
			}
		})
	}
}

// verifyUnits runs systemd-analyze verify on unit files after pointing their Exec paths
// into dir, where the caller put the programs (verify insists they exist and are
// executable). Any output is a failure: unknown keys are only warnings to it.
func verifyUnits(t *testing.T, units map[string]string, exec map[string]string) {
	t.Helper()
	sa := lookTool(t, "systemd-analyze", "systemd unit files")
	dir := t.TempDir()
	var paths []string
	for name, text := range units {
		for from, to := range exec {
			text = strings.ReplaceAll(text, from, to)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	out, err := run(dir, []string{"SYSTEMD_LOG_LEVEL=notice"}, sa, append([]string{"verify", "--man=no"}, paths...)...)
	if err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

func TestUnitsInTree(t *testing.T) {
	root := repoRoot(t)
	bin := t.TempDir()
	writeExec(t, filepath.Join(bin, "kiosk-hub"), "#!/bin/sh\n")
	units := map[string]string{}
	for _, u := range []string{"govkiosk.service", "govkiosk-hub.service"} {
		b, err := os.ReadFile(filepath.Join(root, "packaging/systemd", u))
		if err != nil {
			t.Fatal(err)
		}
		units[u] = string(b)
	}
	// What the units promise the rest of the project.
	for _, want := range []string{"Type=notify", "NotifyAccess=all", "WatchdogSec=", "Restart=always",
		"ExecStart=/usr/lib/govkiosk/kiosk-session start", "ExecStopPost=+/usr/lib/govkiosk/kiosk-session stopped",
		"User=govkiosk", "PAMName=govkiosk", "TTYPath=/dev/tty7", "StateDirectory=govkiosk", "StartLimitIntervalSec=0"} {
		if !strings.Contains(units["govkiosk.service"], "\n"+want) {
			t.Errorf("govkiosk.service lacks %q", want)
		}
	}
	for _, want := range []string{"ProtectSystem=strict", "PrivateTmp=yes", "NoNewPrivileges=yes",
		"StateDirectory=govkiosk-hub", "Restart=on-failure", "User=govkiosk-hub"} {
		if !strings.Contains(units["govkiosk-hub.service"], "\n"+want) {
			t.Errorf("govkiosk-hub.service lacks %q", want)
		}
	}
	verifyUnits(t, units, map[string]string{
		"/usr/lib/govkiosk/kiosk-session": filepath.Join(root, "packaging/session/kiosk-session"),
		"/usr/bin/kiosk-hub":              filepath.Join(bin, "kiosk-hub"),
	})
}

func TestUdevRulesInTree(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "packaging/udev/60-govkiosk.rules"))
	if err != nil {
		t.Fatal(err)
	}
	if err := lintUdevRules(string(b)); err != nil {
		t.Error(err)
	}
	// The device table's adapters and classes are all covered.
	for _, want := range []string{`"1a86"`, `"7523"`, `"067b"`, `"2303"`, `"0403"`, `"6001"`, `"10c4"`, `"ea60"`, `:0701??:`, `hid-pos`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("rules lack %s", want)
		}
	}
	t.Run("udevadm", func(t *testing.T) {
		udevadmVerify(t, filepath.Join(repoRoot(t), "packaging/udev/60-govkiosk.rules"))
	})
}

// udevadmVerify runs "udevadm verify" where udev has it (systemd 254 and later).
func udevadmVerify(t *testing.T, path string) {
	t.Helper()
	u := lookTool(t, "udevadm", "udev rules with udevadm")
	if out, err := run("", nil, u, "verify", "--help"); err != nil {
		t.Skipf("this udevadm has no verify command (systemd 254+): rules checked by the built-in lint only (%s)", strings.TrimSpace(firstLine(out)))
	}
	if out, err := run("", nil, u, "verify", path); err != nil {
		t.Errorf("udevadm verify: %v\n%s", err, out)
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
