package printer

import (
	"errors"
	"fmt"
	"strings"

	"github.com/govkiosk/govkiosk/drivers/printer/escpos"
	"github.com/govkiosk/govkiosk/drivers/transport"
)

// USB printer class (class 7) requests, after the USB Device Class Definition for
// Printing Devices 1.1, section 4.2.
const (
	reqGetDeviceID   = 0
	reqGetPortStatus = 1
)

// GET_PORT_STATUS bits (section 4.2.2, the old Centronics status lines).
const (
	portPaperEmpty = 0x20
	portSelected   = 0x10
	portNotError   = 0x08
)

// PortStatus is the answer to GET_PORT_STATUS.
type PortStatus struct {
	PaperEmpty bool
	Selected   bool
	NoError    bool
}

// ParsePortStatus decodes the GET_PORT_STATUS byte.
func ParsePortStatus(b byte) PortStatus {
	return PortStatus{
		PaperEmpty: b&portPaperEmpty != 0,
		Selected:   b&portSelected != 0,
		NoError:    b&portNotError != 0,
	}
}

// Status says as much of the printer's condition as the port status can: paper out,
// offline (not selected), an error. It cannot tell an open cover from other errors.
func (p PortStatus) Status() escpos.Status {
	return escpos.Status{
		PaperOut:      p.PaperEmpty,
		PaperEndStop:  p.PaperEmpty,
		Offline:       !p.Selected || p.PaperEmpty || !p.NoError,
		ErrorOccurred: !p.NoError,
	}
}

// DeviceID is a parsed IEEE 1284 device ID: "MFG:…;MDL:…;CMD:…;".
type DeviceID struct {
	Manufacturer string
	Model        string
	// CommandSet lists the languages the printer speaks, e.g. "ESC/POS".
	CommandSet  string
	Description string
	// Fields holds every key as sent, upper-cased.
	Fields map[string]string
}

// ErrDeviceID means a device ID that cannot be parsed.
var ErrDeviceID = errors.New("printer: bad IEEE 1284 device ID")

// maxDeviceID bounds the ID a device may send (the usblp driver reads at most 1 KiB).
const maxDeviceID = 1024

// ParseDeviceID parses the answer to GET_DEVICE_ID: a two-byte length, big-endian and
// counting itself (IEEE 1284), then the ID. Devices get the length wrong in two ways,
// little-endian or not counting its own two bytes; like CUPS, the parser takes the
// byte order that fits what arrived and reads up to two bytes past a length that may
// not have counted itself.
func ParseDeviceID(b []byte) (DeviceID, error) {
	if len(b) < 2 {
		return DeviceID{}, fmt.Errorf("%w: %d bytes", ErrDeviceID, len(b))
	}
	n := int(b[0])<<8 | int(b[1])
	if n > len(b) {
		if le := int(b[1])<<8 | int(b[0]); le <= len(b) {
			n = le
		}
	}
	end := min(n+2, len(b), maxDeviceID)
	s := strings.TrimRight(string(b[2:max(end, 2)]), "\x00 \r\n")
	id := DeviceID{Fields: map[string]string{}}
	for _, part := range strings.Split(s, ";") {
		k, v, ok := strings.Cut(part, ":")
		if !ok {
			continue
		}
		k = strings.ToUpper(strings.TrimSpace(k))
		v = strings.TrimSpace(v)
		if k == "" {
			continue
		}
		id.Fields[k] = v
		switch k {
		case "MFG", "MANUFACTURER":
			id.Manufacturer = v
		case "MDL", "MODEL":
			id.Model = v
		case "CMD", "COMMAND SET":
			id.CommandSet = v
		case "DES", "DESCRIPTION":
			id.Description = v
		}
	}
	if len(id.Fields) == 0 {
		return DeviceID{}, fmt.Errorf("%w: no KEY:value fields", ErrDeviceID)
	}
	return id, nil
}

// ESCPOS reports whether the command set names ESC/POS.
func (d DeviceID) ESCPOS() bool {
	for _, c := range strings.Split(d.CommandSet, ",") {
		c = strings.ToUpper(strings.TrimSpace(c))
		if c == "ESC/POS" || c == "ESCPOS" || strings.HasPrefix(c, "ESC/POS") {
			return true
		}
	}
	return false
}

// String is "Manufacturer Model".
func (d DeviceID) String() string {
	return strings.TrimSpace(d.Manufacturer + " " + d.Model)
}

// ReadDeviceID asks a USB printer for its IEEE 1284 device ID (GET_DEVICE_ID: wValue is
// the configuration index, wIndex the interface in the high byte and the alternate
// setting, 0 here, in the low byte).
func ReadDeviceID(cp transport.ControlPort) (DeviceID, error) {
	buf := make([]byte, maxDeviceID)
	n, err := cp.ControlIn(reqGetDeviceID, 0, uint16(cp.Interface())<<8, buf)
	if err != nil {
		return DeviceID{}, fmt.Errorf("printer: GET_DEVICE_ID: %w", err)
	}
	return ParseDeviceID(buf[:n])
}

// ReadPortStatus asks a USB printer for GET_PORT_STATUS (wIndex is the interface).
func ReadPortStatus(cp transport.ControlPort) (PortStatus, error) {
	var b [1]byte
	n, err := cp.ControlIn(reqGetPortStatus, 0, uint16(cp.Interface()), b[:])
	if err != nil {
		return PortStatus{}, fmt.Errorf("printer: GET_PORT_STATUS: %w", err)
	}
	if n != 1 {
		return PortStatus{}, fmt.Errorf("printer: GET_PORT_STATUS: %d bytes, want 1", n)
	}
	return ParsePortStatus(b[0]), nil
}
