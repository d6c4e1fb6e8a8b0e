package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/drivers/idcard"
	"github.com/govkiosk/govkiosk/drivers/printer"
	"github.com/govkiosk/govkiosk/drivers/printer/printersim"
	"github.com/govkiosk/govkiosk/drivers/transport/transporttest"
)

// `idcard read --record` against the reader simulator writes a recording, private to its
// owner, that plays back through the driver to the same card: what a technician records
// at a real reader is a test as it stands.
func TestIDCardReadRecords(t *testing.T) {
	sim := idcSim(t)
	if err := sim.Place("resident"); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "read.rec")
	code, out, stderr := runCmd("idcard", "read", "--port", sim.Path(), "--timeout", "10s", "--record", file)
	if code != 0 || !strings.Contains(stderr, "recorded the session to "+file) {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("recording %v, %v: want mode 0600 (it holds the card's data)", fi, err)
	}
	rec := transporttest.Load(t, file)
	if len(rec.Comments) < 3 || !strings.HasPrefix(rec.Comments[2], "kioskctl idcard read --port "+sim.Path()) {
		t.Errorf("header %q does not say what was run", rec.Comments)
	}
	p := transporttest.NewPlayback(t, "recorded", rec.Sessions[0])
	c := idcard.NewConn(p, idcard.DefaultBaud)
	ctx := context.Background()
	if err := c.SAMStatus(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.FindCard(ctx); err != nil {
		t.Fatal(err)
	}
	id, err := c.ReadIdentity(ctx, idcard.ReadOptions{AdditionalAddress: true})
	if err != nil {
		t.Fatal(err)
	}
	defer id.Wipe()
	if !strings.Contains(out, `"name": "`+id.Name+`"`) || id.Name == "" {
		t.Errorf("played back %q; the command printed %s", id.Name, out)
	}
}

// `printer status --record` writes a recording of the status exchange that plays back
// through the driver to the same status.
func TestPrinterStatusRecords(t *testing.T) {
	sim, path := prnSim(t)
	sim.SetPaper(printersim.PaperOut)
	file := filepath.Join(t.TempDir(), "status.rec")
	code, out, stderr := runCmd("printer", "status", "--port", path, "--record", file)
	// Paper out is a fault: the status is printed and recorded, and the exit is 1.
	if code != 1 || !strings.Contains(out, "paper out") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	rec := transporttest.Load(t, file)
	prn, err := printer.New(printer.Config{Open: transporttest.Opener(t, "recorded", rec), ReplyTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer prn.Close()
	st, err := prn.Status(context.Background())
	if err != nil || !st.PaperOut {
		t.Fatalf("played back %+v, %v; want paper out", st, err)
	}
	if got := statusLine(prn) + "\n"; !strings.HasPrefix(out, got) {
		t.Errorf("played back %q; the command printed %q", got, out)
	}
}
