package main

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/govkiosk/govkiosk/ui/uitest"
)

// TestSecondKioskOnTheSameDataDirectory: a second kiosk started on a running one's data
// directory stops at once and says why (it used to die with a nil-pointer panic); once
// the first has stopped, the directory is free again.
func TestSecondKioskOnTheSameDataDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the simulated kiosk")
	}
	test.NewTempApp(t)
	dir := t.TempDir()
	start := func() (*assembled, error) {
		loop := &uitest.Loop{}
		t.Cleanup(func() { loop.Drain() })
		o := &options{simulate: true, dataDir: dir, hubListen: "127.0.0.1:0"}
		return assemble(context.Background(), o, host{app: fyne.CurrentApp(), window: test.NewTempWindow(t, nil), do: loop.Do, logOut: &logSink{}})
	}
	first, err := start()
	if err != nil {
		t.Fatal(err)
	}
	_, err = start()
	var inUse *DataDirInUseError
	if !errors.As(err, &inUse) || inUse.PID != os.Getpid() {
		first.close()
		t.Fatalf("second kiosk on the same data directory: %v; want DataDirInUseError naming process %d", err, os.Getpid())
	}
	t.Logf("second kiosk: %v", err)
	first.close()
	again, err := start()
	if err != nil {
		t.Fatalf("after the first kiosk stopped: %v", err)
	}
	again.close()
}

// TestSimulatedHubSaysWhereTheDashboardMoved: with the hub's port taken, -simulate runs
// the dashboard on another port and says so where the dashboard's address is printed.
func TestSimulatedHubSaysWhereTheDashboardMoved(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the simulated kiosk")
	}
	test.NewTempApp(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	loop := &uitest.Loop{}
	logs := &logSink{}
	o := &options{simulate: true, dataDir: t.TempDir(), hubListen: taken.Addr().String()}
	k, err := assemble(context.Background(), o, host{app: fyne.CurrentApp(), window: test.NewTempWindow(t, nil), do: loop.Do, logOut: logs})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { k.close(); loop.Drain() }()
	out := logs.String()
	if !strings.Contains(out, taken.Addr().String()+" is taken") || !strings.Contains(out, k.sim.dashboard) {
		t.Errorf("the output does not say the dashboard moved from %s to %s:\n%s", taken.Addr(), k.sim.dashboard, out)
	}
}
