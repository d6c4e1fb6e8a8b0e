// Package config is the terminal's configuration: hall name, platform address, devices,
// timeouts. It reads and writes the configuration file and validates it with messages a
// technician can act on. It does no device I/O and knows no driver.
package config
