// Package scanner groups the kiosk's scanner drivers; the code lives in its sub-packages:
//
//   - barcode: barcode/QR scanners that send decoded text, over a serial line (lines ended
//     by CR, LF or CRLF, optional serial trigger commands) or as USB HID-POS reports, with a
//     simulator that plays a serial scanner on a pseudo-terminal.
//   - escl: document scanners spoken to over driverless eSCL (HTTP + XML), as ipp-usb
//     exposes USB scanners on Linux, with a simulator that serves eSCL.
//
// Scanned content may be personal data (a QR code on a certificate, a scanned ID page).
// Nothing in these packages may ever log it: log lengths and kinds, never content.
package scanner
