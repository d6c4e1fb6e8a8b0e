package barcode

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/drivers/transport"
	"github.com/govkiosk/govkiosk/kiosk/config"
)

func TestOpenFromConfig(t *testing.T) {
	ok := []config.Device{
		{Name: "qr", Kind: config.KindBarcode, Transport: config.TransportSerial, Path: "/dev/ttyUSB3", Trigger: "16 54 0D"},
		{Name: "qr", Kind: config.KindBarcode, Transport: config.TransportUSB, USB: "1eab:1310"},
	}
	for _, c := range ok {
		r, err := Open(c, discard())
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		if r.Name() != "qr" || (c.Transport == config.TransportUSB) != (r.cfg.Protocol == HIDPOS) {
			t.Fatalf("%+v → %+v", c, r.cfg)
		}
		if c.Trigger != "" && (!r.cfg.Retrigger || string(r.cfg.Trigger) != string(SYNTrigger)) {
			t.Fatalf("trigger not taken: %+v", r.cfg)
		}
	}
	bad := []config.Device{
		{Name: "qr", Transport: config.TransportSerial},
		{Name: "qr", Transport: config.TransportUSB, USB: "nope"},
		{Name: "qr", Transport: config.TransportTCP, Address: "x:1"},
		{Name: "qr", Transport: config.TransportSerial, Path: "/dev/x", Trigger: "16 5"},
	}
	for _, c := range bad {
		if _, err := Open(c, discard()); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

// TestHIDPOSWithoutUSB: on a machine without a USB bus the HID-POS scanner is offline
// with the reason, not a crash or a hang.
func TestHIDPOSWithoutUSB(t *testing.T) {
	if _, err := transport.ListUSB(); !errors.Is(err, transport.ErrNoUSB) {
		t.Skip("this machine has USB")
	}
	r, err := Open(config.Device{Name: "hid", Transport: config.TransportUSB, USB: "1eab:1310"}, discard())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	st := waitState(t, r, health.Offline)
	if st.Details["error"] == "" {
		t.Fatalf("no reason given: %+v", st)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
}
