package client

import (
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

// Every state of the drivers' health model must reach the hub: the protocol spells the
// states out itself, so a state added to drivers/health and not to the protocol would make
// the heartbeat drop every device report. This test names them all.
func TestEveryHealthStateGoesOnTheWire(t *testing.T) {
	states := []health.State{health.Unknown, health.Online, health.Offline, health.Busy,
		health.HardwareError, health.UserError}
	for _, s := range states {
		in := []health.Status{{Device: " printer ", Kind: health.Printer, State: s, Reason: "r",
			Details: map[string]string{"paper": "out", "": "dropped", strings.Repeat("k", 65): "dropped"},
			Since:   time.Unix(1e9, 0)}}
		out := sanitizeDevices(in)
		hb := &protocol.Heartbeat{At: time.Unix(1e9, 0).UTC(), App: "test-1.0", Devices: out}
		if err := hb.Validate(); err != nil {
			t.Errorf("state %q: heartbeat invalid: %v", s, err)
			continue
		}
		d := out[0]
		if d.Device != "printer" || d.Kind != "printer" || string(d.State) != string(s) ||
			d.State.Usable() != s.Usable() || len(d.Details) != 1 || d.Details["paper"] != "out" {
			t.Errorf("state %q: converted to %+v", s, d)
		}
	}
}
