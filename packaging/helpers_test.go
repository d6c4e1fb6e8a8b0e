package packaging

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// repoRoot is the module root: tests run in packaging/.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod above packaging/: %v", err)
	}
	return root
}

// lookTool returns the path of a tool, or skips the calling (sub)test saying what is not
// checked without it.
func lookTool(t *testing.T, name, what string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed here: %s not checked (Debian package: %s)", name, what, debianPackage[name])
	}
	return p
}

var debianPackage = map[string]string{
	"shellcheck":      "shellcheck",
	"systemd-analyze": "systemd",
	"udevadm":         "udev",
	"dpkg-deb":        "dpkg",
	"bash":            "bash",
	"sh":              "dash",
}

// run runs a command and returns its combined output and error.
func run(dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.String(), err
}

// writeExec writes an executable script.
func writeExec(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
}

// udevToken is one KEY{attr}OP"value" of a udev rule line.
var udevToken = regexp.MustCompile(`^\s*([A-Z_]+)(\{[^}]*\})?\s*(==|!=|\+=|-=|:=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,|$)`)

var (
	udevMatchKeys  = map[string]bool{"ACTION": true, "SUBSYSTEM": true, "SUBSYSTEMS": true, "KERNEL": true, "KERNELS": true, "DRIVER": true, "DRIVERS": true, "DEVPATH": true, "ATTR": true, "ATTRS": true, "ENV": true, "TAG": true}
	udevAssignKeys = map[string]bool{"GROUP": true, "MODE": true, "OWNER": true, "SYMLINK": true, "TAG": true, "ENV": true, "RUN": true, "IMPORT": true, "GOTO": true, "LABEL": true, "ATTR": true}
)

// lintUdevRules checks udev rules syntax as udev reads it: every line a comma-separated
// list of KEY{attr}OP"value", match keys with ==/!=, assignments with =, +=, -=, :=, every
// GOTO with its LABEL. systemd 252's udevadm has no "verify" to do this for us.
func lintUdevRules(text string) error {
	var errs []string
	labels, gotos := map[string]bool{}, map[string]int{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			errs = append(errs, fmt.Sprintf("line %d: continuation lines are not used here", i+1))
			continue
		}
		rest, n := line, 0
		for rest != "" {
			m := udevToken.FindStringSubmatch(rest)
			if m == nil {
				errs = append(errs, fmt.Sprintf("line %d: cannot parse %q", i+1, rest))
				break
			}
			key, op, val := m[1], m[3], m[4]
			isMatch := op == "==" || op == "!="
			if isMatch && !udevMatchKeys[key] || !isMatch && !udevAssignKeys[key] {
				errs = append(errs, fmt.Sprintf("line %d: %s%s is not a udev %s", i+1, key, op, map[bool]string{true: "match", false: "assignment"}[isMatch]))
			}
			if (key == "ATTR" || key == "ATTRS" || key == "ENV" || key == "IMPORT") && m[2] == "" {
				errs = append(errs, fmt.Sprintf("line %d: %s needs {name}", i+1, key))
			}
			switch key {
			case "LABEL":
				labels[val] = true
			case "GOTO":
				gotos[val] = i + 1
			case "MODE":
				if !regexp.MustCompile(`^0[0-7]{3}$`).MatchString(val) {
					errs = append(errs, fmt.Sprintf("line %d: MODE %q", i+1, val))
				}
			}
			rest = rest[len(m[0]):]
			n++
		}
		if n == 0 {
			errs = append(errs, fmt.Sprintf("line %d: empty rule", i+1))
		}
	}
	for l, at := range gotos {
		if !labels[l] {
			errs = append(errs, fmt.Sprintf("line %d: GOTO %q has no LABEL", at, l))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return nil
}

func TestLintUdevRulesCatchesMistakes(t *testing.T) {
	good := `SUBSYSTEM=="tty", ATTRS{idVendor}=="1a86", GROUP="dialout", MODE="0660"` + "\nLABEL=\"x\"\nGOTO=\"x\"\n"
	if err := lintUdevRules(good); err != nil {
		t.Fatalf("good rules refused: %v", err)
	}
	for _, bad := range []string{
		`SUBSYSTEM="tty", GROUP="dialout"`,          // assignment to a match key
		`SUBSYSTEM=="tty", GROUP=="dialout"`,        // match on an assignment key
		`SUBSYSTEM=="tty" GROUP="dialout"`,          // missing comma
		`SUBSYSTEM=="tty", MODE="660"`,              // mode not octal with a leading 0
		`ATTRS=="1a86"`,                             // attribute without a name
		`GOTO="nowhere"`,                            // no label
		`SUBSYSTEM=="tty", SYMLINK+="a", GROUP=dia`, // unquoted value
	} {
		if err := lintUdevRules(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}
