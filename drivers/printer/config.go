package printer

import (
	"fmt"
	"log/slog"

	"github.com/govkiosk/govkiosk/drivers/transport"
	"github.com/govkiosk/govkiosk/kiosk/config"
)

// FromConfig builds a printer from its configuration entry: transport serial (Path,
// Baud), tcp (Address, port 9100 style) or usb (USB "VVVV:PPPP", Interface); paper
// width and poll interval as configured. It opens nothing: an absent printer shows as
// offline once Run starts. The simulated transport is wired by whoever starts the
// simulator (see printersim), so it is refused here.
func FromConfig(d config.Device, log *slog.Logger) (*Printer, error) {
	if d.Kind != "" && d.Kind != config.KindPrinter {
		return nil, fmt.Errorf("printer: device %q is a %s", d.Name, d.Kind)
	}
	var open Opener
	switch d.Transport {
	case config.TransportSerial:
		if d.Path == "" {
			return nil, fmt.Errorf("printer: device %q: serial transport needs a path", d.Name)
		}
		open = SerialOpener(d.Path, d.Baud)
	case config.TransportTCP:
		if d.Address == "" {
			return nil, fmt.Errorf("printer: device %q: tcp transport needs an address", d.Name)
		}
		open = TCPOpener(d.Address)
	case config.TransportUSB:
		id, err := transport.ParseUSBID(d.USB)
		if err != nil {
			return nil, fmt.Errorf("printer: device %q: %w", d.Name, err)
		}
		open = USBOpener(id, d.Interface)
	default:
		return nil, fmt.Errorf("printer: device %q: transport %q is not one a printer driver opens (serial, tcp, usb)", d.Name, d.Transport)
	}
	paper, err := PaperFor(d.PaperWidthMM)
	if err != nil {
		return nil, fmt.Errorf("printer: device %q: %w", d.Name, err)
	}
	return New(Config{Name: d.Name, Open: open, Paper: paper, PollInterval: d.PollInterval.Duration, Log: log})
}
