// Package receipt is the receipt a resident takes home, as a device-independent document:
// a title, styled text lines, key-value rows ("事项：…"), separators, a QR code, a
// prominent tracking code, a masked ID number, a footer, feeds and cuts.
//
// The kiosk builds one Document per finished service. A printer driver renders it to its
// command language; the screen shows the same document when the printer cannot. Layout
// (column widths, wrapping, key-value alignment) is decided here once, so paper and
// screen agree line for line.
//
// This package must never hold a full identity-document number: the only way to put one
// on a receipt is MaskID, which masks it, and Validate refuses text that carries an
// unmasked one. It does no I/O and knows no printer command.
package receipt
