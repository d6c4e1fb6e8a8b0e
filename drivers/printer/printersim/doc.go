// Package printersim plays an ESC/POS receipt printer from the device side, for tests
// and for technicians without the hardware: it reads the byte stream a driver sends over
// a pseudo-terminal or a TCP connection (port 9100 style), interprets it with
// escpos.Machine, answers real-time status requests with the exact bytes a printer
// sends, keeps each cut receipt as decoded lines and can save it as text and as a PNG
// picture of the paper.
//
// Its paper, cover and cutter can be set from outside (out of paper, near end, cover
// open, paper running out after so many dots), and it then behaves as a printer does:
// it reports the condition and drops what it cannot print. It must never stand in for a
// configured printer: it is wired only where simulation is asked for (tests, kioskctl
// sim printer, the kiosk's simulate mode).
package printersim
