package printer

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/govkiosk/govkiosk/drivers/transport"
)

// SerialOpener opens a serial port (8N1) at baud (0 means 9600, the usual factory
// setting of receipt printers).
func SerialOpener(path string, baud int) Opener {
	if baud == 0 {
		baud = 9600
	}
	return func(context.Context) (transport.Port, error) {
		return transport.OpenSerial(transport.SerialConfig{Path: path, Baud: baud})
	}
}

// TCPOpener connects to a network printer's raw port ("host:9100").
func TCPOpener(addr string) Opener {
	return func(ctx context.Context) (transport.Port, error) {
		return transport.DialTCP(addr, time.Until(deadline(ctx, 3*time.Second)))
	}
}

// USBOpener claims a USB printer-class interface (detaching the kernel's usblp).
// Unidirectional printers have no IN endpoint: the driver then reads their status with
// GET_PORT_STATUS.
func USBOpener(id transport.USBID, iface int) Opener {
	return func(context.Context) (transport.Port, error) {
		p, err := transport.OpenUSB(transport.USBConfig{ID: id, Interface: iface})
		if err != nil {
			return nil, err
		}
		return p, nil
	}
}

// ParsePort reads a technician's port argument: "tcp://host:port" or "host:port" for a
// network printer, "usb:VVVV:PPPP" for a USB printer, anything else a serial device
// path. baud applies to serial ports.
func ParsePort(s string, baud int) (Opener, error) {
	switch {
	case s == "":
		return nil, fmt.Errorf("printer: empty port")
	case strings.HasPrefix(s, "tcp://"):
		return TCPOpener(strings.TrimPrefix(s, "tcp://")), nil
	case strings.HasPrefix(s, "usb:"):
		id, err := transport.ParseUSBID(strings.TrimPrefix(s, "usb:"))
		if err != nil {
			return nil, err
		}
		return USBOpener(id, 0), nil
	case !strings.HasPrefix(s, "/") && strings.Contains(s, ":"):
		return TCPOpener(s), nil
	}
	return SerialOpener(s, baud), nil
}
