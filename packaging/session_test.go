package packaging

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// session drives packaging/session/kiosk-session against a fake kiosk, the way xinit
// ("client") and systemd ("stopped", with SERVICE_RESULT) call it.
type session struct {
	t                       *testing.T
	script, data, args, wdp string
	exitWith                string
	env                     []string
}

func newSession(t *testing.T) *session {
	dir := t.TempDir()
	s := &session{
		t:        t,
		script:   filepath.Join(repoRoot(t), "packaging/session/kiosk-session"),
		data:     filepath.Join(dir, "data"),
		args:     filepath.Join(dir, "args"),
		wdp:      filepath.Join(dir, "watchdog-pid"),
		exitWith: filepath.Join(dir, "exit-with"),
	}
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	// xset is X's; here it only has to succeed.
	writeExec(t, filepath.Join(bin, "xset"), "#!/bin/sh\nexit 0\n")
	kiosk := filepath.Join(bin, "kiosk")
	writeExec(t, kiosk, fmt.Sprintf(`#!/bin/sh
printf '%%s\n' "$*" > %q
printf '%%s' "${WATCHDOG_PID-unset}" > %q
exit "$(cat %q)"
`, s.args, s.wdp, s.exitWith))
	s.env = []string{
		"PATH=" + bin + ":" + os.Getenv("PATH"),
		"GOVKIOSK_KIOSK=" + kiosk,
		"GOVKIOSK_CONFIG=/etc/govkiosk/kiosk.toml",
		"GOVKIOSK_DATA=" + s.data,
		"SAFE_MODE_CRASHES=3",
		"SAFE_MODE_WINDOW=600",
		"KIOSK_ARGS=-simulate",
		"WATCHDOG_PID=1",
	}
	return s
}

// client runs the kiosk through the session once, the kiosk exiting with code, and
// returns the kiosk's arguments.
func (s *session) client(code int) string {
	s.t.Helper()
	if err := os.WriteFile(s.exitWith, []byte(strconv.Itoa(code)), 0o644); err != nil {
		s.t.Fatal(err)
	}
	out, err := run("", s.env, s.script, "client")
	if got := exitCode(err); got != code {
		s.t.Fatalf("client: exit %d, want the kiosk's %d\n%s", got, code, out)
	}
	b, err := os.ReadFile(s.args)
	if err != nil {
		s.t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// stopped runs the ExecStopPost hook with systemd's SERVICE_RESULT.
func (s *session) stopped(result string) string {
	s.t.Helper()
	out, err := run("", append(s.env, "SERVICE_RESULT="+result, "EXIT_CODE=exited", "EXIT_STATUS=0"), s.script, "stopped")
	if err != nil {
		s.t.Fatalf("stopped: %v\n%s", err, out)
	}
	return out
}

func (s *session) cmd(verb string) string {
	s.t.Helper()
	out, err := run("", s.env, s.script, verb)
	if err != nil {
		s.t.Fatalf("%s: %v\n%s", verb, err, out)
	}
	return out
}

func (s *session) safeModeNext() bool {
	return strings.Contains(s.cmd("status"), "next start: safe mode")
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if err == nil {
		return 0
	}
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

func TestSessionSafeModeAfterRepeatedCrashes(t *testing.T) {
	s := newSession(t)

	args := s.client(0)
	if want := "-config /etc/govkiosk/kiosk.toml -data " + s.data + " -simulate"; args != want {
		t.Errorf("kiosk arguments %q, want %q", args, want)
	}
	if b, _ := os.ReadFile(s.wdp); string(b) != "unset" {
		t.Errorf("WATCHDOG_PID reached the kiosk as %q: it would not feed the watchdog", b)
	}
	s.stopped("success")

	// Two crashes: still a normal start.
	for i := 0; i < 2; i++ {
		if args := s.client(2); strings.Contains(args, "-safe-mode") {
			t.Fatalf("crash %d: safe mode too early", i+1)
		}
		s.stopped("success") // xinit exits 0 whatever its client did
	}
	if s.safeModeNext() {
		t.Fatal("safe mode after 2 crashes with SAFE_MODE_CRASHES=3")
	}

	// The third: a hung UI killed by the watchdog, which leaves the session no chance to
	// write anything; systemd's SERVICE_RESULT alone tells.
	if out := s.stopped("watchdog"); !strings.Contains(out, "safe mode") {
		t.Errorf("third crash not announced as leading to safe mode:\n%s", out)
	}
	if args := s.client(2); !strings.Contains(args, "-safe-mode") {
		t.Fatalf("after 3 crashes the kiosk ran without -safe-mode: %q", args)
	}
	s.stopped("success")

	// Stops from outside neither count nor clear.
	s.client(143) // SIGTERM from "systemctl stop"
	s.stopped("success")
	s.stopped("success") // stopped before the kiosk even wrote its status
	if !s.safeModeNext() {
		t.Fatal("a stop cleared safe mode")
	}

	// The technician leaves safe mode: the kiosk exits 0, the count is cleared.
	s.client(0)
	s.stopped("success")
	if s.safeModeNext() {
		t.Fatal("a clean exit did not clear the crash count")
	}
	if args := s.client(0); strings.Contains(args, "-safe-mode") {
		t.Fatalf("normal start expected after a clean exit: %q", args)
	}

	hist, err := os.ReadFile(filepath.Join(s.data, "session/history"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"crash: kiosk exit status 2", "crash: unit result watchdog", "clean: the kiosk exited normally", "stopped"} {
		if !strings.Contains(string(hist), want) {
			t.Errorf("history lacks %q:\n%s", want, hist)
		}
	}
}

func TestSessionCrashesOutsideTheWindowDoNotCount(t *testing.T) {
	s := newSession(t)
	dir := filepath.Join(s.data, "session")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-11 * time.Minute).Unix()
	var lines string
	for i := 0; i < 5; i++ {
		lines += fmt.Sprintf("%d\n", old+int64(i))
	}
	if err := os.WriteFile(filepath.Join(dir, "crashes"), []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	if s.safeModeNext() {
		t.Fatal("crashes 11 minutes ago counted in a 10-minute window")
	}
	// Recording a new crash drops the old ones from the file.
	s.client(1)
	s.stopped("success")
	b, _ := os.ReadFile(filepath.Join(dir, "crashes"))
	if n := len(strings.Fields(string(b))); n != 1 {
		t.Errorf("crash file keeps %d entries, want only the recent one:\n%s", n, b)
	}
}

func TestSessionTechnicianCommands(t *testing.T) {
	s := newSession(t)
	s.cmd("safe-mode")
	if args := s.client(2); !strings.Contains(args, "-safe-mode") {
		t.Fatalf("safe-mode request ignored: %q", args)
	}
	s.stopped("success")
	s.cmd("reset")
	if s.safeModeNext() {
		t.Fatal("reset left safe mode on")
	}

	bad := append(append([]string(nil), s.env...), "SAFE_MODE_CRASHES=three")
	out, err := run("", bad, s.script, "status")
	if err == nil || !strings.Contains(out, "SAFE_MODE_CRASHES") {
		t.Errorf("a bad SAFE_MODE_CRASHES was accepted: %v %s", err, out)
	}
	if _, err := run("", s.env, s.script, "bogus"); exitCode(err) != 2 {
		t.Errorf("unknown verb: %v, want exit 2", err)
	}
}
