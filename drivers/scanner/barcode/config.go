package barcode

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/govkiosk/govkiosk/drivers/transport"
	"github.com/govkiosk/govkiosk/kiosk/config"
)

// HIDPOSOpener opens a USB HID-POS scanner's interrupt IN endpoint (number inEP, without
// the direction bit; HID scanners commonly use 1) on interface iface. transport.OpenUSB
// opens an explicitly numbered endpoint whatever its transfer type, and detaches the
// kernel's usbhid driver; each read then returns one input report.
func HIDPOSOpener(id transport.USBID, iface, inEP int) func(context.Context) (transport.Port, error) {
	return func(context.Context) (transport.Port, error) {
		return transport.OpenUSB(transport.USBConfig{ID: id, Interface: iface, In: inEP, Out: -1})
	}
}

// Open builds a Reader from a configured device: transport "serial" (Path, Baud,
// optional Trigger in hex, which is then sent on connect and after each scan) or "usb"
// (USB id, Interface; HID-POS on endpoint 1). Lines end at CR or LF.
func Open(cfg config.Device, log *slog.Logger) (*Reader, error) {
	c := Config{Name: cfg.Name}
	switch cfg.Transport {
	case config.TransportSerial, config.TransportSim:
		if cfg.Path == "" {
			return nil, fmt.Errorf("barcode: %s: no serial port path configured", cfg.Name)
		}
		c.Open = SerialOpener(cfg.Path, cfg.Baud)
	case config.TransportUSB:
		id, err := transport.ParseUSBID(cfg.USB)
		if err != nil {
			return nil, fmt.Errorf("barcode: %s: %w", cfg.Name, err)
		}
		c.Protocol = HIDPOS
		c.Open = HIDPOSOpener(id, cfg.Interface, 1)
	default:
		return nil, fmt.Errorf("barcode: %s: transport %q: want serial or usb", cfg.Name, cfg.Transport)
	}
	if cfg.Trigger != "" {
		t, err := ParseHex(cfg.Trigger)
		if err != nil {
			return nil, fmt.Errorf("barcode: %s: trigger: %w", cfg.Name, err)
		}
		c.Trigger, c.Retrigger = t, true
	}
	return New(c, log)
}
