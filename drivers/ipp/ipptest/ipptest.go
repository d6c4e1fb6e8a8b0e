// Package ipptest starts a real IPP Everywhere printer simulator, CUPS's ippeveprinter, for
// tests: on a free loopback port, as an unprivileged process (user nobody when the test
// runs as root), with a private D-Bus so it needs no system daemon. Every job's document
// is kept, and the printer can be told to run out of paper, jam or refuse the next job.
package ipptest

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Printer is a running ippeveprinter.
type Printer struct {
	// URL is the printer URI, ipp://127.0.0.1:PORT/ipp/print.
	URL string
	dir string
	web string // the media form of ippeveprinter's web interface
	log *syncBuffer
}

// syncBuffer is the simulator's log, written by exec's copiers while a test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Options for Start.
type Options struct {
	// Formats are the document formats it accepts [application/pdf].
	Formats []string
}

// Available reports whether ippeveprinter and dbus-daemon are installed.
func Available() error {
	for _, p := range []string{"ippeveprinter", "dbus-daemon", "pdfinfo"} {
		if _, err := exec.LookPath(p); err != nil {
			return fmt.Errorf("%s not installed (scripts/install-deps installs it): %w", p, err)
		}
	}
	return nil
}

// The print command: it honours the control files the test leaves in its directory, then
// keeps the document as out/JOBID.pdf. Its stderr lines are ippeveprinter's command
// protocol (STATE:, ATTR:, ERROR:).
const command = `#!/bin/sh
d=$(dirname "$0")
if [ -f "$d/nopaper-after" ]; then
  pages=$(cat "$d/nopaper-after")
  echo "ATTR: job-impressions-completed=$pages" >&2
  echo "STATE: +media-empty" >&2
  echo "ERROR: out of paper" >&2
  exit 1
fi
if [ -f "$d/jam" ]; then
  echo "STATE: +media-jam" >&2
  echo "ERROR: paper jam" >&2
  exit 1
fi
if [ -f "$d/refuse" ]; then
  echo "ERROR: cannot read the document" >&2
  exit 1
fi
echo "STATE: -media-empty,media-jam" >&2
cp "$1" "$d/out/$IPP_JOB_ID.pdf"
echo "INFO: printed" >&2
exit 0
`

// Start runs ippeveprinter until the test ends. It fails the test when the simulator
// cannot start.
func Start(t testing.TB, o Options) *Printer {
	t.Helper()
	if err := Available(); err != nil {
		t.Fatalf("ipptest: %v", err)
	}
	if len(o.Formats) == 0 {
		o.Formats = []string{"application/pdf"}
	}
	// Not t.TempDir: its parent is private to root, and the printer runs as nobody.
	dir, err := os.MkdirTemp("", "ipptest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	for _, sub := range []string{"spool", "out"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o777); err != nil {
			t.Fatal(err)
		}
	}
	must(t, os.WriteFile(filepath.Join(dir, "print.sh"), []byte(command), 0o755))
	bus := filepath.Join(dir, "bus")
	conf := `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>custom</type><listen>unix:path=` + bus + `</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy>
</busconfig>
`
	must(t, os.WriteFile(filepath.Join(dir, "bus.conf"), []byte(conf), 0o644))
	for _, p := range []string{dir, filepath.Join(dir, "spool"), filepath.Join(dir, "out")} {
		must(t, os.Chmod(p, 0o777))
	}
	p := &Printer{dir: dir, log: &syncBuffer{}}
	dbus := exec.Command("dbus-daemon", "--nofork", "--config-file="+filepath.Join(dir, "bus.conf"))
	unprivileged(dbus)
	must(t, dbus.Start())
	t.Cleanup(func() { _ = dbus.Process.Kill(); _ = dbus.Wait() })
	waitFor(t, func() bool { _, err := os.Stat(bus); return err == nil }, "the private D-Bus")

	for attempt := 0; ; attempt++ {
		port := freePort(t)
		cmd := exec.Command("ippeveprinter", "-p", strconv.Itoa(port), "-n", "localhost", "-r", "off",
			"-f", strings.Join(o.Formats, ","), "-d", filepath.Join(dir, "spool"), "-k",
			"-c", filepath.Join(dir, "print.sh"), "-M", "Test", "-m", "A4 Printer", "-v", "govkiosk-test-a4")
		// A small environment of its own: the test's (HOME, TMPDIR...) may point where
		// nobody cannot go.
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TMPDIR=" + dir, "LANG=C",
			"DBUS_SYSTEM_BUS_ADDRESS=unix:path=" + bus}
		cmd.Stdout, cmd.Stderr = p.log, p.log
		unprivileged(cmd)
		must(t, cmd.Start())
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		up := false
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) && !up {
			select {
			case <-exited:
				deadline = time.Time{}
				continue
			default:
			}
			if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
				c.Close()
				up = true
				continue
			}
			time.Sleep(50 * time.Millisecond)
		}
		if up {
			t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
			p.URL = fmt.Sprintf("ipp://127.0.0.1:%d/ipp/print", port)
			p.web = fmt.Sprintf("http://127.0.0.1:%d/media", port)
			p.LoadPaper(t, 250)
			return p
		}
		_ = cmd.Process.Kill()
		<-exited
		if attempt == 2 {
			t.Fatalf("ipptest: ippeveprinter did not start:\n%s", p.log.String())
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func waitFor(t testing.TB, ok func() bool, what string) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("ipptest: %s did not start", what)
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// unprivileged runs cmd as nobody when the test runs as root.
func unprivileged(cmd *exec.Cmd) {
	if os.Getuid() != 0 {
		return
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
}

func (p *Printer) flag(name, content string, on bool) {
	path := filepath.Join(p.dir, name)
	if on {
		_ = os.WriteFile(path, []byte(content), 0o644)
	} else {
		_ = os.Remove(path)
	}
}

// OutOfPaperAfter makes the next jobs stop with the paper out after printing pages pages
// (the printer then reports media-empty); a negative count puts paper back. The state
// shows once a job runs into it, as on a real printer.
func (p *Printer) OutOfPaperAfter(pages int) {
	p.flag("nopaper-after", strconv.Itoa(pages), pages >= 0)
}

// LoadPaper puts sheets of A4 in the main tray, as a person does at the printer, through
// ippeveprinter's media form; 0 empties the tray (the printer then reports media-empty).
func (p *Printer) LoadPaper(t testing.TB, sheets int) {
	t.Helper()
	q := url.Values{"size1": {"iso_a4_210x297mm"}, "type1": {"stationery"}, "level1": {strconv.Itoa(sheets)},
		"size3": {""}, "type3": {""}, "level3": {"-2"}}
	resp, err := http.Get(p.web + "?" + q.Encode())
	if err != nil {
		t.Fatalf("ipptest: load paper: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("ipptest: load paper: HTTP %d", resp.StatusCode)
	}
}

// Jam makes the next jobs jam (on) or print (off).
func (p *Printer) Jam(on bool) { p.flag("jam", "", on) }

// Refuse makes the next jobs fail as a document the printer cannot read (on).
func (p *Printer) Refuse(on bool) { p.flag("refuse", "", on) }

// Job is a document the printer printed.
type Job struct {
	ID    int
	Data  []byte
	Pages int // as pdfinfo counts them
}

// Printed returns the documents printed so far, by job id.
func (p *Printer) Printed(t testing.TB) []Job {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(p.dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	var jobs []Job
	for _, e := range ents {
		id, err := strconv.Atoi(strings.TrimSuffix(e.Name(), ".pdf"))
		if err != nil {
			continue
		}
		path := filepath.Join(p.dir, "out", e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, Job{ID: id, Data: data, Pages: PageCount(t, path)})
	}
	slices.SortFunc(jobs, func(a, b Job) int { return a.ID - b.ID })
	return jobs
}

var pagesRe = regexp.MustCompile(`(?m)^Pages:\s+(\d+)$`)

// PageCount counts a PDF file's pages with poppler's pdfinfo, which also checks that it is
// a readable PDF; it fails the test otherwise.
func PageCount(t testing.TB, path string) int {
	t.Helper()
	out, err := exec.Command("pdfinfo", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ipptest: pdfinfo %s: %v\n%s", filepath.Base(path), err, out)
	}
	m := pagesRe.FindSubmatch(out)
	if m == nil {
		t.Fatalf("ipptest: pdfinfo gave no page count:\n%s", out)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// Log is what ippeveprinter printed so far.
func (p *Printer) Log() string { return p.log.String() }
