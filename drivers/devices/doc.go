// Package devices holds the kiosk's devices together: a Registry built from the
// configured devices through opener functions registered per kind and transport, which
// runs every device's loop, restarts a loop that fails, and folds every device's health
// into one snapshot with change events (for the screens and the heartbeat); and Discover,
// which finds devices a technician plugged in by probing serial ports with each
// protocol's harmless status command and matching USB ids against a table.
//
// This package knows no device protocol and imports no concrete driver: the kiosk's main
// package registers the openers and probers. Probing must stay harmless: only status
// commands, short timeouts, and a port is never left open.
package devices
