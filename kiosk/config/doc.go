// Package config is the terminal's configuration file: hall name, terminal ID, platform
// address, data directory, session timeouts, language, elder mode, technician PIN hash,
// devices and log level. It reads the file (TOML), fills what is left out with defaults,
// validates every setting with a message a technician can act on, and saves atomically.
//
// It checks shapes and ranges only. It must never do device I/O or know a driver (whether
// /dev/ttyUSB0 exists is for the device probes), and it must never hold or write a PIN in
// clear: only the hash made by package access.
package config
