package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/jpeg"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/drivers/scanner/barcode"
	"github.com/govkiosk/govkiosk/drivers/scanner/escl"
	"github.com/govkiosk/govkiosk/drivers/transport"
)

func TestScannerCommandsHelp(t *testing.T) {
	for _, c := range []string{"scanner listen", "scanner scan", "sim scanner", "sim docscanner"} {
		code, out, _ := runCmd(append(strings.Fields(c), "--help")...)
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
		code, _, stderr := runCmd(args...)
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
	out, _, stop := startCmd(t, "scanner", "listen", "--port", sim.Path(), "--baud", "9600", "--terminator", "cr",
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
	out, _, stop := startCmd(t, "sim", "scanner", "--link", link, "--terminator", "crlf", "--input", fifo)
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
	code, stdout, stderr := runCmd("scanner", "scan", "--url", srv.URL+"/eSCL", "--dpi", "200", "--format", "pdf",
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
	code, _, stderr = runCmd("scanner", "scan", "--url", srv.URL, "--source", "feeder", "--out", filepath.Join(dir, "x.jpg"))
	if code != 1 || !strings.Contains(stderr, "feeder is empty") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("empty feeder: exit %d, %q", code, stderr)
	}
}

func TestSimDocScannerCommand(t *testing.T) {
	out, _, stop := startCmd(t, "sim", "docscanner", "--addr", "127.0.0.1:0", "--busy", "1")
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
