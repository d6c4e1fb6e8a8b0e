// Package escpos is the ESC/POS command language of receipt printers, both ways: an
// Encoder that writes commands, a Machine that reads a command stream back as a printer
// would (what the simulator and the decode tool use), and the real-time status bytes a
// printer answers with.
//
// Every command's bytes and every status bit follow the Epson ESC/POS Command Reference
// (https://download4.epson.biz/sec_pubs/pos/reference_en/escpos/ — DLE EOT, GS r,
// GS ( k for QR Code, GS v 0, GS V, GS !, ESC a, ESC E, ESC -, ESC d, ESC J, FS &, FS .,
// FS -), cross-checked against the programming manuals of printers that implement the
// same commands with GB18030 fonts (Citizen, Bixolon, HPRT, Zijiang). The reference is
// cited at each command, and the tests pin each command to its bytes.
//
// This package is pure: it never touches a port, never sleeps, and never panics on bytes
// from outside, which it treats as hostile. It knows nothing of receipts or of the kiosk.
package escpos
