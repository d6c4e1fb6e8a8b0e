package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/jpeg"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/drivers/scanner/barcode"
	"github.com/govkiosk/govkiosk/drivers/scanner/escl"
	"github.com/govkiosk/govkiosk/drivers/transport"
)

// scnBuffer is an output stream a test reads while the command still writes.
type scnBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *scnBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *scnBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitLines waits until the stream holds at least n complete lines and returns them.
func (s *scnBuffer) waitLines(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if out := s.String(); strings.Count(out, "\n") >= n {
			return strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("waited for %d lines, have %q", n, s.String())
	return nil
}

// scnStart runs a kioskctl command until the test ends (or stop is called) and returns
// its output streams and its exit status channel.
func scnStart(t *testing.T, args ...string) (stdout, stderr *scnBuffer, stop func() int) {
	t.Helper()
	stdout, stderr = &scnBuffer{}, &scnBuffer{}
	e := &env{stdout: stdout, stderr: stderr, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() { code <- run(ctx, e, args) }()
	var once sync.Once
	status := -1
	stop = func() int {
		once.Do(func() {
			cancel()
			select {
			case status = <-code:
			case <-time.After(10 * time.Second):
				t.Errorf("kioskctl %s did not stop", strings.Join(args, " "))
			}
		})
		return status
	}
	t.Cleanup(func() { stop() })
	return stdout, stderr, stop
}

// scnRun runs a command to its end.
func scnRun(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), &env{stdout: &o, stderr: &e, log: slog.New(slog.NewTextHandler(io.Discard, nil))}, args)
	return code, o.String(), e.String()
}

func TestScannerCommandsHelp(t *testing.T) {
	for _, c := range []string{"scanner listen", "scanner scan", "sim scanner", "sim docscanner"} {
		code, out, _ := scnRun(t, append(strings.Fields(c), "--help")...)
		if code != 0 || !strings.Contains(out, "usage: kioskctl "+c) {
			t.Errorf("%s --help: %d %q", c, code, out)
		}
	}
}

func TestScannerUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"scanner", "listen"},
		{"scanner", "listen", "--port", "/dev/null", "--terminator", "tab"},
		{"scanner", "listen", "--port", "/dev/null", "--trigger", "zz"},
		{"scanner", "scan", "--url", "http://x/eSCL"},
		{"scanner", "scan", "--url", "http://x/eSCL", "--out", "f", "--dpi", "600"},
		{"scanner", "scan", "--url", "http://x/eSCL", "--out", "f", "--format", "tiff"},
		{"sim", "scanner", "--aim", "Q1"},
	} {
		code, _, stderr := scnRun(t, args...)
		if code != 2 || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

func TestScannerListenAgainstSim(t *testing.T) {
	sim, err := barcode.NewSim(barcode.SimConfig{Link: filepath.Join(t.TempDir(), "qr"), Terminator: barcode.TermCR,
		AIM: "]Q1", Trigger: barcode.SYNTrigger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	// The scanner is in trigger mode: nothing comes until listen sends the trigger.
	for _, c := range []string{"GK990101000123X", "测试甲"} {
		if err := sim.Scan(c); err != nil {
			t.Fatal(err)
		}
	}
	out, _, stop := scnStart(t, "scanner", "listen", "--port", sim.Path(), "--baud", "9600", "--terminator", "cr",
		"--aim", "--trigger", "16 54 0D")
	out.waitLines(t, 2)
	if err := sim.WriteRaw([]byte("\x00\x01\xff\r")); err != nil {
		t.Fatal(err)
	}
	lines := out.waitLines(t, 3)
	want := []scanLine{
		{Data: "GK990101000123X", Symbology: "qr", AIM: "]Q1"},
		{Data: "测试甲", Symbology: "qr", AIM: "]Q1"},
		{Error: barcode.ErrGarbage.Error(), Len: 3},
	}
	for i, l := range lines {
		var got scanLine
		if err := json.Unmarshal([]byte(l), &got); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		if got.Error == "" && got.At.IsZero() {
			t.Fatalf("line %q has no time", l)
		}
		got.At = time.Time{}
		if got != want[i] {
			t.Fatalf("line %d = %+v, want %+v", i, got, want[i])
		}
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func TestSimScannerCommand(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "codes")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "scanner")
	out, _, stop := scnStart(t, "sim", "scanner", "--link", link, "--terminator", "crlf", "--input", fifo)
	// Opening the FIFO for writing waits for the simulator to open it for reading.
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if got := out.waitLines(t, 1)[0]; got != link {
		t.Fatalf("first line %q, want the device path %q", got, link)
	}
	port, err := transport.OpenSerial(transport.SerialConfig{Path: link, Baud: 9600})
	if err != nil {
		t.Fatal(err)
	}
	defer port.Close()
	if _, err := io.WriteString(w, "GK-0001\n\nGK-0002\n"); err != nil {
		t.Fatal(err)
	}
	want := "GK-0001\r\nGK-0002\r\n"
	got := make([]byte, len(want))
	if err := transport.ReadFull(port, got, time.Now().Add(5*time.Second)); err != nil {
		t.Fatalf("read %q: %v", got, err)
	}
	if string(got) != want {
		t.Fatalf("device sent %q, want %q", got, want)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func TestScannerScanCommand(t *testing.T) {
	sim := escl.NewSim(nil)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	sim.LoadFeeder(2)
	out := filepath.Join(dir, "page.pdf")
	code, stdout, stderr := scnRun(t, "scanner", "scan", "--url", srv.URL+"/eSCL", "--dpi", "200", "--format", "pdf",
		"--source", "feeder", "--color", "gray", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, f := range []string{out, filepath.Join(dir, "page-2.pdf")} {
		b, err := os.ReadFile(f)
		if err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
			t.Fatalf("%s: %v", f, err)
		}
		if !strings.Contains(stdout, f+"\t") {
			t.Fatalf("stdout %q does not name %s", stdout, f)
		}
	}
	// An empty feeder is a one-line error and exit status 1.
	code, _, stderr = scnRun(t, "scanner", "scan", "--url", srv.URL, "--source", "feeder", "--out", filepath.Join(dir, "x.jpg"))
	if code != 1 || !strings.Contains(stderr, "feeder is empty") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("empty feeder: exit %d, %q", code, stderr)
	}
}

func TestSimDocScannerCommand(t *testing.T) {
	out, _, stop := scnStart(t, "sim", "docscanner", "--addr", "127.0.0.1:0", "--busy", "1")
	url := out.waitLines(t, 1)[0]
	if !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.HasSuffix(url, "/eSCL") {
		t.Fatalf("first line %q is not the scanner URL", url)
	}
	c, err := escl.NewClient(url, escl.ClientOptions{BusyWait: 10 * time.Millisecond, MaxBusyWait: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	pages, err := c.Scan(context.Background(), escl.Settings{DPI: 200, Region: escl.Region{Width: 600, Height: 600}})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(pages[0].Data))
	if err != nil || cfg.Width != 400 {
		t.Fatalf("page %+v, %v", cfg, err)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}
