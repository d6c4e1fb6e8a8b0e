package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/kiosk/config"
	"github.com/govkiosk/govkiosk/ui/uitest"
)

// TestAutoDetectFindsTheSimulatedDevices is the technician's 自动检测 on the simulated
// kiosk, tapped on the settings screen: it must find the ID-card reader, the printer and
// the barcode scanner on their pseudo-terminals (and the eSCL document scanner), all
// online, and leave them working. It found 0 devices: detection probed only the default
// port names (/dev/ttyUSB*, /dev/ttyACM*, /dev/ttyS*), and the ports the kiosk runs
// devices on were either elsewhere (the simulators' terminals) or held by their drivers.
func TestAutoDetectFindsTheSimulatedDevices(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the simulated kiosk")
	}
	test.NewTempApp(t)
	loop := &uitest.Loop{}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	// Safe mode opens the technician's PIN pad at once: the same settings screen the
	// corner gesture leads to.
	o := &options{simulate: true, safeMode: true, dataDir: t.TempDir(), hubListen: "127.0.0.1:0"}
	w := test.NewTempWindow(t, nil)
	k, err := assemble(ctx, o, host{app: fyne.CurrentApp(), window: w, do: loop.Do, logOut: &logSink{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		k.close()
		loop.Drain()
	})
	w.Resize(uitest.Landscape)
	s := &soakKiosk{t: t, k: k, loop: loop}
	reg := k.tech.registry
	s.wait("every simulated device online", func() bool {
		snap := reg.Snapshot()
		return len(snap.Devices) == 5 && snap.AllUsable()
	})

	s.screen("tech_pin")
	s.keys(demoPIN)
	s.tap("tech_pin.ok")
	s.screen("tech_settings")
	s.tap("tech.detect")
	s.wait("the detection result", func() bool { return strings.Contains(screenText(w), "检测到") })
	text := screenText(w)

	cfg := k.tech.Config()
	missed := false
	for _, d := range cfg.Devices {
		where := d.Path
		if d.Kind == config.KindDocScanner || d.Kind == config.KindA4Printer {
			where = d.Address
		}
		if !strings.Contains(text, d.Kind+" · in use by the kiosk: online") {
			t.Errorf("%s on %s not detected", d.Kind, where)
			missed = true
		}
	}
	if !strings.Contains(text, "检测到 5 个设备") {
		t.Error("the screen does not say 5 devices were detected")
		missed = true
	}
	if missed {
		t.Logf("the screen says:\n%s", text)
	}
	for i := range 5 {
		if s.k.ui.Element("tech.adopt."+strconv.Itoa(i)) == nil {
			t.Errorf("no adopt button for detected device %d", i)
		}
	}
	// Detection left the running devices alone: still online, and the reader and printer
	// still answer their tests.
	for _, st := range reg.Snapshot().Devices {
		if st.State != health.Online {
			t.Errorf("after detection %s is %s (%s)", st.Device, st.State, st.Reason)
		}
	}
	// The kiosk said in its data directory which ports it holds, for kioskctl's scan.
	var held []config.Device
	if b, err := os.ReadFile(filepath.Join(k.dataDir, devicesFile)); err != nil {
		t.Error(err)
	} else if err := json.Unmarshal(b, &held); err != nil || !slices.Equal(held, cfg.Devices) {
		t.Errorf("%s lists %+v (%v), want %+v", devicesFile, held, err, cfg.Devices)
	}
	tctx, tcancel := context.WithTimeout(ctx, 20*time.Second)
	defer tcancel()
	if err := k.tech.TestPrint(tctx); err != nil {
		t.Errorf("test print after detection: %v", err)
	}
}

// screenText is every text drawn in the window, one a line.
func screenText(w fyne.Window) string {
	var lines []string
	for _, o := range test.LaidOutObjects(w.Content()) {
		// Keyboard keys (one or two characters) are left out.
		if tx, ok := o.(*canvas.Text); ok && o.Visible() && len([]rune(strings.TrimSpace(tx.Text))) > 2 {
			lines = append(lines, tx.Text)
		}
	}
	return strings.Join(lines, "\n")
}
