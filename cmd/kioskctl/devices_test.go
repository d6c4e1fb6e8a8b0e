package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govkiosk/govkiosk/drivers/devices"
	"github.com/govkiosk/govkiosk/drivers/idcard"
	"github.com/govkiosk/govkiosk/drivers/printer/printersim"
	"github.com/govkiosk/govkiosk/drivers/transport"
)

// devBench starts the real ID-card reader and printer simulators and a silent port.
func devBench(t *testing.T) (reader, prn, silent string) {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	rs, err := idcard.NewSimulator(idcard.SimConfig{Link: filepath.Join(dir, "reader")})
	if err != nil {
		t.Fatal(err)
	}
	rdone := make(chan struct{})
	go func() { defer close(rdone); _ = rs.Serve(ctx) }()

	pp, err := transport.OpenPTY(filepath.Join(dir, "printer"))
	if err != nil {
		t.Fatal(err)
	}
	ps := printersim.New(printersim.Config{})
	pdone := make(chan struct{})
	go func() { defer close(pdone); _ = ps.ServePTY(ctx, pp) }()

	quiet, err := transport.OpenPTY(filepath.Join(dir, "quiet"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		<-rdone
		<-pdone
		rs.Close()
		ps.Close()
		quiet.Close()
	})
	return rs.Path(), pp.Path(), quiet.Path()
}

func TestDevicesScanFindsReaderAndPrinter(t *testing.T) {
	reader, prn, silent := devBench(t)
	missing := filepath.Join(t.TempDir(), "ttyUSB7")
	code, stdout, stderr := scnRun(t, "devices", "scan", "--ports", strings.Join([]string{reader, prn, silent, missing}, ","),
		"--json", "--timeout", "700ms")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var found []devices.Found
	if err := json.Unmarshal([]byte(stdout), &found); err != nil {
		t.Fatalf("%v in %q", err, stdout)
	}
	by := map[string]devices.Found{}
	for _, f := range found {
		by[f.Path] = f
	}
	if f := by[reader]; f.Kind != "idcard" || f.Baud != 115200 || !strings.HasPrefix(f.Description, "SAM ok") {
		t.Errorf("reader: %+v", f)
	}
	if f := by[prn]; f.Kind != "printer" || f.Baud != 9600 || !strings.HasPrefix(f.Description, "ESC/POS printer, online") {
		t.Errorf("printer: %+v", f)
	}
	if f := by[silent]; f.Kind != "" || !strings.HasPrefix(f.Note, "no answer") {
		t.Errorf("silent port: %+v", f)
	}
	if _, ok := by[missing]; ok {
		t.Errorf("a port that does not exist was listed")
	}
	// Only serial ports were asked for; USB is listed too, and on a machine without a
	// bus that is a note, not a failure.
	if _, err := transport.ListUSB(); err != nil {
		usb := false
		for _, f := range found {
			usb = usb || f.Transport == "usb" && f.Note != ""
		}
		if !usb {
			t.Errorf("no USB note in %+v", found)
		}
	}
}

func TestDevicesScanTable(t *testing.T) {
	reader, _, _ := devBench(t)
	code, stdout, stderr := scnRun(t, "devices", "scan", "--ports", reader, "--no-usb")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "TRANSPORT") ||
		!strings.Contains(lines[1], reader) || !strings.Contains(lines[1], "idcard") || !strings.Contains(lines[1], "115200") {
		t.Fatalf("table:\n%s", stdout)
	}
}

func TestDevicesScanUsage(t *testing.T) {
	code, out, _ := scnRun(t, "devices", "scan", "--help")
	if code != 0 || !strings.Contains(out, "usage: kioskctl devices scan") {
		t.Fatalf("--help: %d %q", code, out)
	}
	if code, _, _ := scnRun(t, "devices", "scan", "extra"); code != 2 {
		t.Fatalf("extra argument: exit %d", code)
	}
	bad := filepath.Join(t.TempDir(), "table")
	if err := os.WriteFile(bad, []byte("not-an-id printer X\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := scnRun(t, "devices", "scan", "--ports", "", "--usb-table", bad); code != 1 || !strings.Contains(stderr, "USB table line 1") {
		t.Fatalf("bad table: exit %d %q", code, stderr)
	}
}
