// Package printer drives an ESC/POS receipt printer over a transport.Port (serial, raw TCP
// port 9100 or USB printer class): it renders a receipt.Document to ESC/POS, checks the
// printer's real-time status before and after printing, refuses with a *StatusError when
// the paper is out or the cover open, reconnects after an unplug, and keeps a
// health.Tracker current.
//
// It never logs receipt content (which may carry names and masked numbers) and never
// imports a serial or USB library: only transport does.
package printer
