// Package printer drives an ESC/POS receipt printer over a transport.Port (serial, raw TCP
// port 9100 or USB printer class): it renders a receipt.Document to ESC/POS, checks the
// printer's real-time status before and after printing, refuses with a *StatusError when
// the paper is out or the cover open, reconnects after an unplug, and keeps a
// health.Tracker current. A recoverable error (DLE EOT 3 bit 2, "mechanical" here) is
// first cleared with DLE ENQ 2, as the reference advises; only if that fails does the
// health report a hardware error marked for maintenance.
//
// It never logs receipt content (which may carry names and masked numbers) and never
// imports a serial or USB library: only transport does.
package printer
