package main

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/govkiosk/govkiosk/ui/uitest"
)

// TestSimulatedHubConsoleSignIn: -simulate (make run's embedded default) prints the
// operations console's address with a demo operator account, and that account signs in.
func TestSimulatedHubConsoleSignIn(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the simulated kiosk")
	}
	test.NewTempApp(t)
	loop := &uitest.Loop{}
	logs := &logSink{}
	o := &options{simulate: true, dataDir: t.TempDir(), hubListen: "127.0.0.1:0"}
	k, err := assemble(context.Background(), o, host{app: fyne.CurrentApp(), window: test.NewTempWindow(t, nil), do: loop.Do, logOut: logs})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { k.close(); loop.Drain() }()
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
	if testing.Short() {
		t.Skip("starts the simulated kiosk")
	}
	test.NewTempApp(t)
	loop := &uitest.Loop{}
	o := &options{simulate: true, dataDir: t.TempDir(), hubListen: "127.0.0.1:0"}
	k, err := assemble(context.Background(), o, host{app: fyne.CurrentApp(), window: test.NewTempWindow(t, nil), do: loop.Do, logOut: &logSink{}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { k.close(); loop.Drain() }()
	w := simPanel(fyne.CurrentApp(), k.sim)
	defer w.Close()
	tap := func(label string) {
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
	tap("故障 fault")
	if st := k.sim.printer.Status(); !st.MechanicalError {
		t.Errorf("after the fault button: %+v", st)
	}
	tap("排除 clear fault")
	if st := k.sim.printer.Status(); st.MechanicalError {
		t.Errorf("after clearing: %+v", st)
	}
}
