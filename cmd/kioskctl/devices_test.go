package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/govkiosk/govkiosk/drivers/devices"
	"github.com/govkiosk/govkiosk/drivers/idcard"
	"github.com/govkiosk/govkiosk/drivers/printer/printersim"
	"github.com/govkiosk/govkiosk/drivers/transport"
	"github.com/govkiosk/govkiosk/kiosk/config"
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

// scanFound runs `kioskctl devices scan ARGS --json` and returns what it found, also by path.
func scanFound(t *testing.T, args ...string) ([]devices.Found, map[string]devices.Found) {
	t.Helper()
	code, stdout, stderr := runCmd(append(append([]string{"devices", "scan"}, args...), "--json")...)
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
	return found, by
}

// holdKioskLock takes the data directory's lock as a running kiosk does, until the test
// ends, and writes pid into it unless pid is "".
func holdKioskLock(t *testing.T, dataDir, pid string) {
	t.Helper()
	lock, err := os.OpenFile(filepath.Join(dataDir, "kiosk.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lock.Close() })
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	if pid == "" {
		return
	}
	if _, err := lock.WriteString(pid + "\n"); err != nil {
		t.Fatal(err)
	}
}

func TestDevicesScanFindsReaderAndPrinter(t *testing.T) {
	reader, prn, silent := devBench(t)
	missing := filepath.Join(t.TempDir(), "ttyUSB7")
	found, by := scanFound(t, "--ports", strings.Join([]string{reader, prn, silent, missing}, ","), "--timeout", "700ms")
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
	code, stdout, stderr := runCmd("devices", "scan", "--ports", reader, "--no-usb")
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
	code, out, _ := runCmd("devices", "scan", "--help")
	if code != 0 || !strings.Contains(out, "usage: kioskctl devices scan") {
		t.Fatalf("--help: %d %q", code, out)
	}
	if code, _, _ := runCmd("devices", "scan", "extra"); code != 2 {
		t.Fatalf("extra argument: exit %d", code)
	}
	bad := filepath.Join(t.TempDir(), "table")
	if err := os.WriteFile(bad, []byte("not-an-id printer X\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCmd("devices", "scan", "--ports", "", "--usb-table", bad); code != 1 || !strings.Contains(stderr, "USB table line 1") {
		t.Fatalf("bad table: exit %d %q", code, stderr)
	}
}

// TestDevicesScanFindsTheConfiguredSimulators runs the scan as a technician does, with no
// --ports: the ID-card reader and printer simulators sit on pseudo-terminals named in the
// kiosk's configuration, outside the default port names, and the scan finds them there.
// While a kiosk runs on the configuration's data directory, the same ports are reported
// as in use by it and left alone. Before, the scan looked only at the default names and
// found neither (and would have probed a running kiosk's ports under its drivers).
func TestDevicesScanFindsTheConfiguredSimulators(t *testing.T) {
	reader, prn, _ := devBench(t)
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Devices = []config.Device{
		{Name: "idcard", Kind: config.KindIDCard, Transport: config.TransportSerial, Path: reader, Baud: 115200},
		{Name: "printer", Kind: config.KindPrinter, Transport: config.TransportSerial, Path: prn, Baud: 9600, PaperWidthMM: 80},
	}
	cfgFile := filepath.Join(dir, "kiosk.toml")
	if err := cfg.Save(cfgFile); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	scan := func() map[string]devices.Found {
		t.Helper()
		_, by := scanFound(t, "--config", cfgFile, "--no-usb", "--timeout", "500ms")
		return by
	}

	by := scan()
	if f := by[reader]; f.Kind != config.KindIDCard || f.Baud != 115200 || !strings.HasPrefix(f.Description, "SAM ok") {
		t.Errorf("reader on %s: %+v", reader, f)
	}
	if f := by[prn]; f.Kind != config.KindPrinter || !strings.HasPrefix(f.Description, "ESC/POS printer, online") {
		t.Errorf("printer on %s: %+v", prn, f)
	}

	// A kiosk runs on the data directory: it holds the lock and wrote its process id.
	holdKioskLock(t, cfg.DataDir, "4242")
	by = scan()
	for _, p := range []string{reader, prn} {
		f := by[p]
		if f.Kind == "" || !strings.Contains(f.Description, "in use by the running kiosk (process 4242), not probed") {
			t.Errorf("%s while the kiosk runs: %+v", p, f)
		}
	}
}

// TestDevicesScanBesideTheSimulatedKiosk: the simulated kiosk (make run) has no
// configuration file; its simulators' terminals are named only in the list the running
// kiosk writes into its data directory. A technician's scan given that directory reports
// them as in use by the kiosk instead of probing them under its drivers.
func TestDevicesScanBesideTheSimulatedKiosk(t *testing.T) {
	reader, prn, _ := devBench(t)
	data := t.TempDir()
	held := []config.Device{
		{Name: "idcard", Kind: config.KindIDCard, Transport: config.TransportSerial, Path: reader, Baud: 115200},
		{Name: "printer", Kind: config.KindPrinter, Transport: config.TransportSerial, Path: prn, Baud: 115200},
		{Name: "docscanner", Kind: config.KindDocScanner, Transport: config.TransportESCL, Address: "http://127.0.0.1:1/eSCL"},
	}
	b, err := json.Marshal(held)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "devices.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	scan := func() map[string]devices.Found {
		t.Helper()
		_, by := scanFound(t, "--config", "", "--data", data, "--ports", reader+","+prn, "--no-usb", "--timeout", "500ms")
		return by
	}
	// The kiosk has stopped (no lock held): the list is old news, the ports are probed.
	if f := scan()[reader]; !strings.HasPrefix(f.Description, "SAM ok") {
		t.Errorf("reader with no kiosk running: %+v", f)
	}

	holdKioskLock(t, data, "")
	by := scan()
	for _, d := range held {
		f := by[d.Path+d.Address]
		if f.Kind != d.Kind || !strings.Contains(f.Description, "configured as "+d.Name+"; in use by the running kiosk, not probed") {
			t.Errorf("%s while the simulated kiosk runs: %+v", d.Path, f)
		}
	}
}
