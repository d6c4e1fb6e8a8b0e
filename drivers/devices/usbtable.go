package devices

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/govkiosk/govkiosk/drivers/transport"
)

// USBEntry names a known USB device.
type USBEntry struct {
	ID transport.USBID `json:"id" toml:"id"`
	// Kind is a device kind (config.KindPrinter, config.KindBarcode, ...) or KindUSBSerial
	// for a USB-serial bridge, whose device is found by probing its tty.
	Kind string `json:"kind" toml:"kind"`
	// Name is what a technician reads.
	Name string `json:"name" toml:"name"`
}

// KindUSBSerial marks a USB-serial bridge: the device behind it answers on a tty.
const KindUSBSerial = "usb-serial"

// DefaultUSBTable lists USB devices common in self-service kiosks. Ids and names after
// the Linux USB ID repository (usb.ids, 2025-07-26 snapshot as shipped in Debian's
// usb.ids package). Newland engines expose one PID per interface mode: the HID-POS one
// is listed as a barcode scanner, the CDC one as a serial bridge.
var DefaultUSBTable = []USBEntry{
	{usbID(0x1a86, 0x7523), KindUSBSerial, "QinHeng CH340 serial converter"},
	{usbID(0x1a86, 0x5523), KindUSBSerial, "QinHeng CH341 serial converter"},
	{usbID(0x067b, 0x2303), KindUSBSerial, "Prolific PL2303 serial port"},
	{usbID(0x0403, 0x6001), KindUSBSerial, "FTDI FT232 serial (UART)"},
	{usbID(0x0403, 0x6015), KindUSBSerial, "FTDI FT-X serial bridge"},
	{usbID(0x10c4, 0xea60), KindUSBSerial, "Silicon Labs CP210x UART bridge"},
	{usbID(0x04b8, 0x0202), "printer", "Epson receipt printer (UB-U05 interface: TM-T88IV, TM-T70)"},
	{usbID(0x04b8, 0x0e03), "printer", "Epson TM-T20 thermal receipt printer"},
	{usbID(0x04b8, 0x0e31), "printer", "Epson TM-L100 thermal receipt printer"},
	{usbID(0x0519, 0x0003), "printer", "Star Micronics TSP100 receipt printer"},
	{usbID(0x1504, 0x001f), "printer", "Bixolon SRP-350II thermal receipt printer"},
	{usbID(0x1d90, 0x20f0), "printer", "Citizen CT-E351 thermal receipt printer"},
	{usbID(0x0dd4, 0x0237), "printer", "Custom K80 80mm thermal printer"},
	{usbID(0x1eab, 0x0110), "barcode", "Newland HR200 scanner (HID-POS)"},
	{usbID(0x1eab, 0x0c10), "barcode", "Newland HR100/HR3260/BS80 scanner (HID-POS)"},
	{usbID(0x1eab, 0x1310), "barcode", "Newland EM30xx/EM20xx/HR3260 scanner (HID-POS)"},
	{usbID(0x1eab, 0x1a10), "barcode", "Newland HR3290/HR22 scanner (HID-POS)"},
	{usbID(0x1eab, 0x1306), KindUSBSerial, "Newland EM30xx/EM20xx/HR3260 scanner (USB serial CDC)"},
	{usbID(0x1eab, 0x0c06), KindUSBSerial, "Newland HR100/HR3260/BS80 scanner (USB serial CDC)"},
	{usbID(0x0c2e, 0x0b81), "barcode", "Honeywell (Metrologic) Voyager 1400g scanner"},
	{usbID(0x05e0, 0x1200), "barcode", "Symbol (Zebra) bar code scanner"},
	{usbID(0x05e0, 0x1701), KindUSBSerial, "Symbol (Zebra) bar code scanner (CDC)"},
	{usbID(0x05f9, 0x2202), "barcode", "PSC (Datalogic) point of sale handheld scanner"},
}

func usbID(v, p uint16) transport.USBID { return transport.USBID{VID: v, PID: p} }

// ParseUSBTable reads a table a technician can edit: one device a line,
// "VVVV:PPPP KIND NAME...", blank lines and lines starting with # ignored.
func ParseUSBTable(r io.Reader) ([]USBEntry, error) {
	var out []USBEntry
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 3 {
			return nil, fmt.Errorf("devices: USB table line %d: want VVVV:PPPP KIND NAME", n)
		}
		id, err := transport.ParseUSBID(f[0])
		if err != nil {
			return nil, fmt.Errorf("devices: USB table line %d: %w", n, err)
		}
		out = append(out, USBEntry{ID: id, Kind: f[1], Name: strings.Join(f[2:], " ")})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("devices: USB table: %w", err)
	}
	return out, nil
}
