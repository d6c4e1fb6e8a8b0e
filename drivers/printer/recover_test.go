package printer_test

import (
	"testing"

	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/drivers/printer"
)

// TestRecoverableErrorRecoveredFirst: a recoverable error (DLE EOT 3 bit 2) is cleared
// with DLE ENQ before anyone is told; the receipt prints.
func TestRecoverableErrorRecoveredFirst(t *testing.T) {
	r := newRig(t, printer.Paper80)
	r.sim.SetRecoverableError(true, false)
	if err := r.prn.Print(ctxT(t), sampleDoc()); err != nil {
		t.Fatalf("Print after a recoverable error: %v", err)
	}
	if n := r.sim.Recoveries(); n != 1 {
		t.Errorf("%d DLE ENQ requests, want 1", n)
	}
	if h := r.prn.Health(); h.State != health.Online {
		t.Errorf("health %+v", h)
	}
	if got := len(r.sim.Receipts()); got != 1 {
		t.Errorf("%d receipts, want 1", got)
	}
}

// TestRecoverableErrorThatStaysNeedsATechnician: when DLE ENQ does not clear it, the
// printer reports a hardware error marked for maintenance, and the driver does not send
// DLE ENQ at every status poll; once the fault is gone and comes back, it tries again.
func TestRecoverableErrorThatStaysNeedsATechnician(t *testing.T) {
	r := newRig(t, printer.Paper80)
	r.sim.SetRecoverableError(true, true)
	for range 3 {
		r.prn.Status(ctxT(t))
	}
	if n := r.sim.Recoveries(); n != 1 {
		t.Errorf("%d DLE ENQ requests over 3 polls, want 1", n)
	}
	h := r.prn.Health()
	if h.State != health.HardwareError || h.Details["action"] != "maintenance" || h.Details["recovery"] != "failed" ||
		h.Reason != "mechanical error; recovery by DLE ENQ failed" {
		t.Errorf("health %+v", h)
	}
	r.sim.SetRecoverableError(false, false)
	r.prn.Status(ctxT(t))
	if h := r.prn.Health(); h.State != health.Online {
		t.Errorf("health after the technician %+v", h)
	}
	r.sim.SetRecoverableError(true, false)
	r.prn.Status(ctxT(t))
	if n := r.sim.Recoveries(); n != 2 {
		t.Errorf("%d DLE ENQ requests after the fault came back, want 2", n)
	}
	if h := r.prn.Health(); h.State != health.Online {
		t.Errorf("health after the second recovery %+v", h)
	}
}
