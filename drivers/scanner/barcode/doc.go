// Package barcode drives barcode and QR-code scanners that hand the host decoded text:
// serial scanners (RS-232 or USB CDC/USB-serial) that end each scan with CR, LF or CRLF,
// optionally triggered by serial commands, and USB HID-POS scanners (usage page 0x8C) whose
// input reports carry the decoded data. It also holds a simulator that plays a serial
// scanner on a pseudo-terminal, byte for byte.
//
// The pieces follow the project's device pattern: a pure codec (Framer for lines,
// ParseHIDReport and HIDAssembler for HID-POS reports, ParseAIM for symbology
// identifiers), a driver (Reader) that talks only through transport.Port and reports one
// health.Status, and a simulator (Sim).
//
// A scan can hold personal data (a QR code on a certificate or a form). This package must
// never log scanned content: log its length and symbology, nothing more.
package barcode
