package main

import (
	"context"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/drivers/printer"
	"github.com/govkiosk/govkiosk/drivers/printer/printersim"
	"github.com/govkiosk/govkiosk/drivers/transport"
	"github.com/govkiosk/govkiosk/kiosk/receipt"
)

// prnGolden is the printer package's sample receipt for 58 mm paper.
var prnGolden = filepath.Join("..", "..", "drivers", "printer", "testdata", "sample-58mm")

// prnSim runs a printer simulator on a pty for a test and returns it and its path.
func prnSim(t *testing.T) (*printersim.Simulator, string) {
	t.Helper()
	pty, err := transport.OpenPTY(filepath.Join(t.TempDir(), "printer"))
	if err != nil {
		t.Fatal(err)
	}
	sim := printersim.New(printersim.Config{Dots: 384})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = sim.ServePTY(ctx, pty) }()
	t.Cleanup(func() {
		cancel()
		<-done
		sim.Close()
	})
	return sim, pty.Path()
}

func TestPrinterCommandsHelp(t *testing.T) {
	for _, c := range []string{"printer test", "printer status", "escpos decode", "sim printer"} {
		code, out, _ := runCmd(append(strings.Fields(c), "--help")...)
		if code != 0 || !strings.Contains(out, "usage: kioskctl "+c) {
			t.Errorf("%s --help: %d %q", c, code, out)
		}
	}
}

func TestPrinterUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"printer", "test"},
		{"printer", "test", "--port", "/dev/null", "--width", "70"},
		{"printer", "test", "--port", "/dev/null", "--baud", "0"},
		{"printer", "test", "--port", "usb:12"},
		{"printer", "status", "--port", "/dev/null", "extra"},
		{"escpos", "decode"},
		{"escpos", "decode", "a", "b"},
		{"sim", "printer", "--width", "76"},
		{"sim", "printer", "arg"},
	} {
		code, _, stderr := runCmd(args...)
		if code != 2 || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line", args, code, stderr)
		}
	}
}

func TestPrinterTestPrints(t *testing.T) {
	sim, path := prnSim(t)
	code, out, stderr := runCmd("printer", "test", "--port", path, "--width", "58")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if out != "test receipt printed; printer online (paper ok, cover closed)\n" {
		t.Errorf("stdout %q", out)
	}
	got := sim.Receipts()
	if len(got) != 1 || !strings.Contains(got[0].Text(false), "打印机测试") || !strings.Contains(got[0].Text(false), "[QR govkiosk printer test") {
		t.Fatalf("printed %+v", got)
	}
	if p := sim.Problems(); len(p) > 0 {
		t.Errorf("problems %v", p)
	}
}

func TestPrinterTestRefusedWithoutPaper(t *testing.T) {
	sim, path := prnSim(t)
	sim.SetPaper(printersim.PaperOut)
	code, _, stderr := runCmd("printer", "test", "--port", path)
	if code != 1 || stderr != "kioskctl printer test: printer: paper out\n" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestPrinterStatus(t *testing.T) {
	sim, path := prnSim(t)
	for _, c := range []struct {
		set  func()
		want string
		code int // a printer that cannot print exits non-zero, for scripts
	}{
		{func() {}, "online (paper ok, cover closed)\n", 0},
		{func() { sim.SetPaper(printersim.PaperNearEnd) }, "online: paper near end (paper near_end, cover closed)\nconditions: paper near end\n", 0},
		{func() { sim.SetPaper(printersim.PaperOK); sim.SetCover(true) }, "user_error: cover open (paper ok, cover open)\nconditions: offline, cover open\n", 1},
		{func() { sim.SetCover(false); sim.SetPaper(printersim.PaperOut) }, "", 1},
	} {
		c.set()
		code, out, stderr := runCmd("printer", "status", "--port", path)
		if code != c.code || (c.want != "" && out != c.want) {
			t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, %q", code, out, stderr, c.code, c.want)
		}
		if c.code != 0 && !strings.Contains(stderr, "cannot print") {
			t.Errorf("exit %d without saying why: stderr %q", code, stderr)
		}
	}
	code, _, stderr := runCmd("printer", "status", "--port", filepath.Join(t.TempDir(), "none"))
	if code != 1 || !strings.HasPrefix(stderr, "kioskctl printer status: printer: offline") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("missing port: exit %d, stderr %q", code, stderr)
	}
}

func TestESCPOSDecode(t *testing.T) {
	want, err := os.ReadFile(prnGolden + ".txt")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "r.png")
	code, stdout, stderr := runCmd("escpos", "decode", "--width", "58", "--styles", "--png", out, prnGolden+".escpos")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stdout != string(want) {
		t.Errorf("decoded:\n%s\nwant:\n%s", stdout, want)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil || img.Bounds().Dx() != 384 {
		t.Fatalf("picture %v, %v", img.Bounds(), err)
	}
	// Plain text: one printed line a line, no styles.
	_, plain, _ := runCmd("escpos", "decode", "--width", "58", prnGolden+".escpos")
	if strings.Contains(plain, "{") || !strings.Contains(plain, "\nK7Q2-0042-8\n") {
		t.Errorf("plain:\n%s", plain)
	}
}

func TestESCPOSDecodeReportsProblems(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.bin")
	if err := os.WriteFile(path, []byte("ok\n\x1b\x01\x1d(k\x09"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCmd("escpos", "decode", path)
	if code != 0 || stdout != "ok\n" || strings.Count(stderr, "problem: ") != 2 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, _, stderr = runCmd("escpos", "decode", filepath.Join(t.TempDir(), "missing"))
	if code != 1 || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("missing file: exit %d, stderr %q", code, stderr)
	}
}

func TestSimPrinter(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "control")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	outDir := filepath.Join(dir, "out")
	out, _, _ := startCmd(t, "sim", "printer", "--link", filepath.Join(dir, "prn"),
		"--out", outDir, "--width", "58", "--tcp", "127.0.0.1:0", "--control", fifo)
	path := out.waitLine(t, 1)
	if path != filepath.Join(dir, "prn") {
		t.Fatalf("first line %q, want the device path", path)
	}
	addr := out.waitLine(t, 2)
	if !strings.HasPrefix(addr, "tcp://127.0.0.1:") {
		t.Fatalf("second line %q", addr)
	}
	control, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer control.Close()

	tctx, tcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer tcancel()
	doc := receipt.New().Title("回执").Tracking("查询码", "K7Q2-0042-8").Cut(false)
	for _, port := range []string{path, addr} {
		open, err := printer.ParsePort(port, 115200)
		if err != nil {
			t.Fatal(err)
		}
		prn, err := printer.New(printer.Config{Open: open, Paper: printer.Paper58, ReplyTimeout: 3 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		err = prn.Print(tctx, doc)
		prn.Close()
		if err != nil {
			t.Fatalf("print over %s: %v", port, err)
		}
	}
	for _, name := range []string{"0001.txt", "0002.txt", "0001.png", "0002.png"} {
		waitFile(t, filepath.Join(outDir, name))
	}
	txt, _ := os.ReadFile(filepath.Join(outDir, "0002.txt"))
	if string(txt) != "回执\n查询码\nK7Q2-0042-8\n~~ cut ~~\n" {
		t.Errorf("0002.txt = %q", txt)
	}

	io.WriteString(control, "paper out\n")
	if got := out.waitLine(t, 3); got != "ok" {
		t.Fatalf("reply %q", got)
	}
	io.WriteString(control, "status\n")
	if got := out.waitLine(t, 4); got != "ok offline, paper out; 2 receipts" {
		t.Fatalf("status reply %q", got)
	}
	io.WriteString(control, "cover ajar\n")
	if got := out.waitLine(t, 5); !strings.HasPrefix(got, "error: unknown command") {
		t.Fatalf("reply %q", got)
	}
	st, err := printer.Probe(tctx, mustOpen(t, path))
	if err != nil || st != "ESC/POS printer, offline (paper out)" {
		t.Fatalf("probe %q, %v", st, err)
	}
}

func mustOpen(t *testing.T, path string) transport.Port {
	t.Helper()
	p, err := transport.OpenSerial(transport.SerialConfig{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func waitFile(t *testing.T, path string) {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
	}
	t.Fatalf("%s never appeared", path)
}
