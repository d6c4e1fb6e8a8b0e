package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
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

// makeRun is `make run` without make: scripts/run-kiosk on freshly built binaries, with no
// X display (so it starts its own Xvfb), in a process group of its own as a terminal's
// foreground job is.
type makeRun struct {
	cmd     *exec.Cmd
	out     *lockedWriter
	buf     *bytes.Buffer
	display string
	done    chan struct{}
	err     error
}

func startMakeRun(t *testing.T) *makeRun {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the real binaries under Xvfb")
	}
	needTools(t, "Xvfb", "xdotool", "setsid")
	bin := binaries(t)
	cmd := exec.Command(filepath.Join(repoRoot(t), "scripts", "run-kiosk"), bin,
		"-data", t.TempDir(), "-hub-listen", "127.0.0.1:0")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DISPLAY=") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	r := &makeRun{cmd: cmd, buf: &bytes.Buffer{}, done: make(chan struct{})}
	r.out = &lockedWriter{w: r.buf, mu: &sync.Mutex{}}
	cmd.Stdout, cmd.Stderr = r.out, r.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.err = cmd.Wait(); close(r.done) }()
	t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-r.done
		}
		// The script's Xvfb runs in a session of its own; a script killed before its
		// trap ran leaves it behind.
		if r.display != "" {
			if b, err := os.ReadFile("/tmp/.X" + strings.TrimPrefix(r.display, ":") + "-lock"); err == nil {
				if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
					if p, err := os.FindProcess(pid); err == nil && isXvfb(pid) {
						_ = p.Kill()
					}
				}
			}
		}
		if t.Failed() {
			t.Logf("--- run-kiosk output (last 4 KB):\n%s", tail(r.output(), 4096))
		}
	})
	eventually(t, 60*time.Second, "the kiosk ready", func() error {
		out := r.output()
		if d := regexp.MustCompile(`Xvfb (:\d+)`).FindStringSubmatch(out); d != nil {
			r.display = d[1]
		}
		select {
		case <-r.done:
			t.Fatalf("run-kiosk ended before the kiosk was ready: %v", r.err)
		default:
		}
		if !strings.Contains(out, `msg="kiosk ready"`) {
			return errors.New("no \"kiosk ready\" line yet")
		}
		return nil
	})
	if r.display == "" {
		t.Fatalf("run-kiosk did not say which virtual display it started")
	}
	return r
}

func (r *makeRun) output() string {
	r.out.mu.Lock()
	defer r.out.mu.Unlock()
	return r.buf.String()
}

func isXvfb(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return err == nil && strings.TrimSpace(string(b)) == "Xvfb"
}

// TestMakeRunStopsCleanlyOnCtrlC: Ctrl-C sends SIGINT to the whole foreground process
// group. The script's Xvfb was in that group and quit at once, so the kiosk lost its display
// while stopping ("X connection to :77 broken", "XIO: fatal IO error"), exited 1 and make
// reported an error. Now the kiosk stops, the script exits 0 and then ends its Xvfb.
func TestMakeRunStopsCleanlyOnCtrlC(t *testing.T) {
	r := startMakeRun(t)
	if err := syscall.Kill(-r.cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-r.done:
	case <-time.After(20 * time.Second):
		t.Fatal("run-kiosk did not stop within 20 s of Ctrl-C")
	}
	out := r.output()
	if r.err != nil || strings.Contains(out, "XIO") || strings.Contains(out, "X connection") {
		t.Errorf("after Ctrl-C run-kiosk ended with %v; want exit 0 and no X error:\n%s", r.err, tail(out, 2048))
	}
	eventually(t, 10*time.Second, "the virtual display ended", func() error {
		if _, err := os.Stat("/tmp/.X" + strings.TrimPrefix(r.display, ":") + "-lock"); err == nil {
			return fmt.Errorf("Xvfb %s still runs", r.display)
		}
		return nil
	})
}

// TestSimulatedDevicesBesideTheKiosk: with -simulate -windowed the simulated-devices panel
// opens beside the kiosk's window, inside the display, instead of on top of it (without a
// window manager both opened at the top left corner).
func TestSimulatedDevicesBesideTheKiosk(t *testing.T) {
	r := startMakeRun(t)
	geometry := func(name string) (x, y, w, h int) {
		var err error
		eventually(t, 10*time.Second, "the window "+name, func() error {
			var out []byte
			cmd := exec.Command("xdotool", "search", "--name", name, "getwindowgeometry", "--shell")
			cmd.Env = append(os.Environ(), "DISPLAY="+r.display)
			if out, err = cmd.Output(); err != nil {
				return fmt.Errorf("xdotool: %v", err)
			}
			vals := map[string]int{}
			for _, line := range strings.Split(string(out), "\n") {
				k, v, ok := strings.Cut(line, "=")
				if n, err := strconv.Atoi(v); ok && err == nil {
					vals[k] = n
				}
			}
			x, y, w, h = vals["X"], vals["Y"], vals["WIDTH"], vals["HEIGHT"]
			if w == 0 || h == 0 {
				return fmt.Errorf("no geometry in %q", out)
			}
			return nil
		})
		return
	}
	// Placing happens once the kiosk has painted its first frame; give it a moment.
	var kx, ky, kw, kh, px, py, pw, ph int
	eventually(t, 10*time.Second, "the panel beside the kiosk", func() error {
		kx, ky, kw, kh = geometry("^govkiosk$")
		px, py, pw, ph = geometry("simulated devices")
		if px < kx+kw && kx < px+pw && py < ky+kh && ky < py+ph {
			return fmt.Errorf("the panel %dx%d+%d+%d covers the kiosk %dx%d+%d+%d", pw, ph, px, py, kw, kh, kx, ky)
		}
		return nil
	})
	if px < 0 || py < 0 || px+pw > 1920 || py+ph > 1080 {
		t.Errorf("the panel %dx%d+%d+%d is not wholly on the 1920x1080 display", pw, ph, px, py)
	}
}
