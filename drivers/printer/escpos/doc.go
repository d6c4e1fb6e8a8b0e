// Package escpos is the ESC/POS command language of receipt printers, both ways: an
// Encoder that writes commands, a Machine that reads a command stream back as a printer
// would (what the simulator and the decode tool use), and the real-time status bytes a
// printer answers with.
//
// Every command's bytes and every status bit follow the Epson ESC/POS command reference
// (the "reference_en/escpos" pages: DLE EOT, GS r, GS ( k for QR Code, GS v 0, GS V, GS !,
// ESC a, ESC E, ESC -, ESC d, FS &, FS .), cross-checked against Chinese printer makers'
// programming manuals that implement the same commands with GB18030 fonts. The reference
// is cited at each command.
//
// This package is pure: it never touches a port, never sleeps, and never panics on bytes
// from outside, which it treats as hostile. It knows nothing of receipts or of the kiosk.
package escpos
