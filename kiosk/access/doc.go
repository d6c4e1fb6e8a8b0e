// Package access guards the kiosk's technician screens: a PIN stored only as a salted
// PBKDF2 hash and checked in constant time, a lockout that grows with each wrong try, and
// the hidden gesture that reveals the PIN pad.
//
// It is pure logic: the caller persists the hash (in the configuration file) and the
// lockout state, feeds taps from the UI and passes the clock in. It must never log,
// store or return a PIN in clear.
package access
