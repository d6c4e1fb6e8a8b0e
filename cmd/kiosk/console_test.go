package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/drivers/ipp"
	"github.com/govkiosk/govkiosk/internal/pdf"
	"github.com/govkiosk/govkiosk/kiosk/config"
	"github.com/govkiosk/govkiosk/ui/uitest"
)

// startSimulated assembles the simulated kiosk (-simulate) in a test app, logging into
// logs, and closes it when the test ends. It skips the test under -short.
func startSimulated(t *testing.T, logs *logSink) *assembled {
	t.Helper()
	if testing.Short() {
		t.Skip("starts the simulated kiosk")
	}
	test.NewTempApp(t)
	loop := &uitest.Loop{}
	o := &options{simulate: true, dataDir: t.TempDir(), hubListen: "127.0.0.1:0"}
	k, err := assemble(context.Background(), o, host{app: fyne.CurrentApp(), window: test.NewTempWindow(t, nil), do: loop.Do, logOut: logs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.close(); loop.Drain() })
	return k
}

// TestSimulatedHubConsoleSignIn: -simulate (make run's embedded default) prints the
// operations console's address with a demo operator account, and that account signs in.
func TestSimulatedHubConsoleSignIn(t *testing.T) {
	logs := &logSink{}
	startSimulated(t, logs)
	m := regexp.MustCompile(`hub console: +(\S+) +\(account (\S+), secret (\S+)\)`).FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("no console address and account in the output:\n%s", logs.String())
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(m[1]+"signin", url.Values{"name": {m[2]}, "secret": {m[3]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Set-Cookie") == "" {
		t.Errorf("sign-in with the printed account: %s", resp.Status)
	}
	resp, err = c.PostForm(m[1]+"signin", url.Values{"name": {m[2]}, "secret": {"not-it"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("sign-in with a wrong secret: %s", resp.Status)
	}
}

// TestSimPanelPrinterFault: the simulated-devices window raises the printer's
// recoverable error that stays (a fault for a technician) and clears it.
func TestSimPanelPrinterFault(t *testing.T) {
	k := startSimulated(t, &logSink{})
	w := simPanel(fyne.CurrentApp(), k.sim)
	defer w.Close()
	tap := func(label string) { t.Helper(); tapPanel(t, w, label) }
	tap("故障 fault")
	if st := k.sim.printer.Status(); !st.MechanicalError {
		t.Errorf("after the fault button: %+v", st)
	}
	tap("排除 clear fault")
	if st := k.sim.printer.Status(); st.MechanicalError {
		t.Errorf("after clearing: %+v", st)
	}
}

// tapPanel taps the simulated-devices window's button with this label.
func tapPanel(t *testing.T, w fyne.Window, label string) {
	t.Helper()
	var found *widget.Button
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == label {
			found = b
		}
		switch c := o.(type) {
		case *fyne.Container:
			for _, x := range c.Objects {
				walk(x)
			}
		case fyne.Widget:
			for _, x := range test.WidgetRenderer(c).Objects() {
				walk(x)
			}
		}
	}
	walk(w.Content())
	if found == nil {
		t.Fatalf("no button %q", label)
	}
	test.Tap(found)
}

// TestSimulatedA4Printer: the simulated kiosk has an A4 printer, reached over real IPP on
// loopback like a network printer; it prints a PDF into the printed directory, and the
// simulated-devices window runs its paper out mid-job (the print fails as out of paper
// and the printer's health says so), loads paper again, and jams it.
func TestSimulatedA4Printer(t *testing.T) {
	k := startSimulated(t, &logSink{})
	w := simPanel(fyne.CurrentApp(), k.sim)
	defer w.Close()
	reg := k.tech.registry
	a4, name, ok := deviceOfKind[*ipp.Device](reg, k.tech.Config(), config.KindA4Printer)
	if !ok {
		t.Fatalf("no A4 printer among the simulated devices: %+v", k.tech.Config().Devices)
	}
	state := func() health.State {
		st, _ := reg.Snapshot().Get(name)
		return st.State
	}
	waitUntil(t, 30*time.Second, "the A4 printer online", func() bool { return state() == health.Online })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d := &pdf.Doc{Title: "test"}
	d.AddPage().Text(72, 760, 14, "测试")
	doc := d.Bytes()
	if _, err := a4.Print(ctx, "test", doc); err != nil {
		t.Fatalf("print on the simulated A4 printer: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(k.sim.a4Printed, "*.pdf"))
	if len(files) != 1 {
		t.Fatalf("printed files %v; want one", files)
	}

	tapPanel(t, w, "A4中途缺纸 mid-job")
	if _, err := a4.Print(ctx, "test", doc); !errors.Is(err, ipp.ErrMediaEmpty) {
		t.Errorf("paper out mid-job: %v; want ErrMediaEmpty", err)
	}
	waitUntil(t, 30*time.Second, "the A4 printer's health says paper out", func() bool { return state() == health.UserError })
	tapPanel(t, w, "A4有纸 paper ok")
	if _, err := a4.Print(ctx, "test", doc); err != nil {
		t.Errorf("after loading paper: %v", err)
	}
	tapPanel(t, w, "A4卡纸 jam")
	if _, err := a4.Print(ctx, "test", doc); !errors.Is(err, ipp.ErrMediaJam) {
		t.Errorf("jammed: %v; want ErrMediaJam", err)
	}
	if files, _ := filepath.Glob(filepath.Join(k.sim.a4Printed, "*.pdf")); len(files) != 2 {
		t.Errorf("printed files %v; want two", files)
	}
}

// waitUntil polls ok until it holds or the time is up.
func waitUntil(t *testing.T, timeout time.Duration, what string, ok func() bool) {
	t.Helper()
	end := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(end) {
			t.Fatalf("waited %v for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
