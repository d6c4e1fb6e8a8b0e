package e2e

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// measureEnv turns on the measurements of docs/KIOSK-PERFORMANCE.md: they take minutes
// and report numbers rather than pass or fail.
const measureEnv = "GOVKIOSK_MEASURE"

// measureRunsEnv sets how many starts TestMeasureStartup times in each condition.
const measureRunsEnv = "GOVKIOSK_MEASURE_RUNS"

func needMeasure(t *testing.T) {
	t.Helper()
	if os.Getenv(measureEnv) == "" {
		t.Skipf("measurement: set %s=1 to run", measureEnv)
	}
	needTools(t, "Xvfb")
}

// kioskRun is one start of the real kiosk binary, watched through its log.
type kioskRun struct {
	cmd    *exec.Cmd
	pid    int
	ready  chan readyLine
	memory chan string
}

// readyLine is what "kiosk ready" said.
type readyLine struct {
	startup, firstFrame time.Duration
	seen                time.Duration
}

var (
	readyRE  = regexp.MustCompile(`msg="kiosk ready" startup=(\S+) first_frame=(\S+)`)
	memoryRE = regexp.MustCompile(`msg=memory heap_alloc_kb=(\d+) heap_inuse_kb=(\d+)`)
)

// startKioskProcess starts the kiosk on display with the world's configuration and the
// given data directory, and follows its log.
func (w *world) startKioskProcess(t *testing.T, display, dataDir string, extra ...string) *kioskRun {
	t.Helper()
	args := append([]string{"-config", filepath.Join(w.dir, "kiosk.toml"), "-data", dataDir}, extra...)
	cmd := exec.Command(filepath.Join(w.bin, "kiosk"), args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	r := &kioskRun{cmd: cmd, ready: make(chan readyLine, 1), memory: make(chan string, 64)}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.pid = cmd.Process.Pid
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			if m := readyRE.FindStringSubmatch(line); m != nil {
				su, _ := time.ParseDuration(m[1])
				ff, _ := time.ParseDuration(m[2])
				r.ready <- readyLine{startup: su, firstFrame: ff, seen: time.Since(t0)}
			}
			if m := memoryRE.FindStringSubmatch(line); m != nil {
				select {
				case r.memory <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	return r
}

// waitReady waits for "kiosk ready".
func (r *kioskRun) waitReady(t *testing.T) readyLine {
	t.Helper()
	select {
	case l := <-r.ready:
		return l
	case <-time.After(60 * time.Second):
		r.stop()
		t.Fatal("the kiosk did not report ready within 60 s")
	}
	return readyLine{}
}

// stop interrupts the kiosk and waits for it to exit.
func (r *kioskRun) stop() {
	_ = r.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = r.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = r.cmd.Process.Kill()
		<-done
	}
}

// TestMeasureStartup times cold starts of the real kiosk to its first interactive frame,
// against the hub and the device simulators, with the data directory warm (used before)
// and cold (fresh: only the enrollment; the queue and its key are created).
func TestMeasureStartup(t *testing.T) {
	needMeasure(t)
	runs := 10
	if n, err := strconv.Atoi(os.Getenv(measureRunsEnv)); err == nil && n > 0 {
		runs = n
	}
	w := startWorld(t)
	template := filepath.Join(w.dir, "data-enrolled")
	copyDir(t, filepath.Join(w.dir, "data"), template)
	disp := startXvfb(t, 1920, 1080)

	// One start first: it creates the queue and saves the catalog (warm from then on).
	r := w.startKioskProcess(t, disp, filepath.Join(w.dir, "data"))
	r.waitReady(t)
	r.stop()

	conditions := []struct {
		name string
		data func(i int) string
	}{
		{"warm", func(int) string { return filepath.Join(w.dir, "data") }},
		{"cold", func(i int) string {
			d := filepath.Join(w.dir, fmt.Sprintf("cold-%d", i))
			copyDir(t, template, d)
			return d
		}},
	}
	for _, c := range conditions {
		var startup, frame, seen []time.Duration
		for i := range runs {
			r := w.startKioskProcess(t, disp, c.data(i))
			l := r.waitReady(t)
			r.stop()
			startup, frame, seen = append(startup, l.startup), append(frame, l.firstFrame), append(seen, l.seen)
		}
		t.Logf("%s data directory, %d starts: ready (process start → first frame → UI goroutine answering) %s; first frame %s; seen by the parent %s",
			c.name, runs, summary(startup), summary(frame), summary(seen))
		t.Logf("%s raw ready times: %v", c.name, startup)
	}
}

// TestMeasureIdleMemory compares the kiosk idle on its start screen with a bare Fyne
// window of three widgets, both full screen on the same virtual display in the same run.
func TestMeasureIdleMemory(t *testing.T) {
	needMeasure(t)
	w := startWorld(t)
	disp := startXvfb(t, 1920, 1080)
	settle := 20 * time.Second

	bare := filepath.Join(w.bin, "barewindow")
	build := exec.Command("go", "build", "-o", bare, "./e2e/barewindow")
	build.Dir = w.root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the baseline: %v\n%s", err, out)
	}
	for round := 1; round <= 3; round++ {
		b := start(t, []string{"DISPLAY=" + disp}, bare)
		b.line(t, 0, 30*time.Second)
		time.Sleep(settle)
		bm := smapsRollup(t, b.cmd.Process.Pid)
		_ = b.cmd.Process.Signal(os.Interrupt)
		_ = b.cmd.Wait()

		k := w.startKioskProcess(t, disp, filepath.Join(w.dir, "data"), "-mem-stats", "5s")
		k.waitReady(t)
		time.Sleep(settle)
		km := smapsRollup(t, k.pid)
		heap := "?"
		for len(k.memory) > 0 {
			heap = <-k.memory
		}
		k.stop()
		t.Logf("round %d: bare window RSS %d MB PSS %d MB; kiosk idle on its start screen RSS %d MB PSS %d MB (Go heap after GC %s KB); kiosk adds RSS %+d MB PSS %+d MB",
			round, bm["Rss"]>>10, bm["Pss"]>>10, km["Rss"]>>10, km["Pss"]>>10, heap,
			(km["Rss"]-bm["Rss"])>>10, (km["Pss"]-bm["Pss"])>>10)
	}
}

// smapsRollup reads a process's memory totals in KB.
func smapsRollup(t *testing.T, pid int) map[string]int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[2] == "kB" {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			out[strings.TrimSuffix(f[0], ":")] = n
		}
	}
	return out
}

// summary gives the median, the fastest and the slowest of some durations.
func summary(d []time.Duration) string {
	s := slices.Clone(d)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	r := func(x time.Duration) time.Duration { return x.Round(time.Millisecond) }
	return fmt.Sprintf("median %v (min %v, max %v)", r(med), r(s[0]), r(s[len(s)-1]))
}

// copyDir copies a directory tree of regular files.
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o700)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}
