package config

import (
	"fmt"
	"time"
)

// Device kinds.
const (
	KindIDCard     = "idcard"
	KindPrinter    = "printer"
	KindBarcode    = "barcode"
	KindDocScanner = "docscanner"
	// KindA4Printer is the A4 document printer certificates are printed on.
	KindA4Printer = "a4printer"
)

// Transports a device can be reached over.
const (
	TransportSerial = "serial" // Path, Baud
	TransportUSB    = "usb"    // USB (VID:PID), optional Interface
	TransportTCP    = "tcp"    // Address host:port (network printers, port 9100)
	TransportESCL   = "escl"   // Address: base URL of an eSCL scanner
	TransportIPP    = "ipp"    // Address: printer URI of an IPP Everywhere printer
	TransportSim    = "simulated"
)

// Device is one configured device: which kind it is and how to reach it. Only the fields
// its transport uses are read; Validate says which are missing.
type Device struct {
	// Name identifies the device in health reports and logs ("idcard", "printer", ...).
	Name      string `toml:"name" json:"name"`
	Kind      string `toml:"kind" json:"kind"`
	Transport string `toml:"transport" json:"transport"`
	Path      string `toml:"path,omitempty" json:"path,omitempty"`
	Baud      int    `toml:"baud,omitempty" json:"baud,omitempty"`
	// USB is "VVVV:PPPP" in hexadecimal.
	USB       string `toml:"usb,omitempty" json:"usb,omitempty"`
	Interface int    `toml:"interface,omitempty" json:"interface,omitempty"`
	Address   string `toml:"address,omitempty" json:"address,omitempty"`
	// PollInterval is how often the device is polled (ID-card reader: for a card;
	// printer: for status). Zero means the driver's default.
	PollInterval Duration `toml:"poll_interval,omitempty" json:"poll_interval,omitempty"`
	// PaperWidthMM is the receipt printer's paper width: 58 or 80.
	PaperWidthMM int `toml:"paper_width_mm,omitempty" json:"paper_width_mm,omitempty"`
	// Trigger is the hex command a barcode scanner needs to start a scan, if any.
	Trigger string `toml:"trigger,omitempty" json:"trigger,omitempty"`
	// Fingerprint asks the ID-card reader for fingerprint data too (command 30 10).
	Fingerprint bool `toml:"fingerprint,omitempty" json:"fingerprint,omitempty"`
}

// Duration is a time.Duration written as "500ms", "2s", "1m" in configuration files.
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("duration %q: want a number with a unit, like 500ms or 2s", string(b))
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration as Go formats it.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }
