package ipp

import (
	"fmt"
	"log/slog"

	"github.com/govkiosk/govkiosk/kiosk/config"
)

// Open builds a Device from a configured A4 printer: transport "ipp" with Address the
// printer URI (for a USB printer, the loopback address ipp-usb serves it on, e.g.
// http://localhost:60000/ipp/print) and PollInterval the status interval.
func Open(cfg config.Device, log *slog.Logger) (*Device, error) {
	if cfg.Transport != config.TransportIPP {
		return nil, fmt.Errorf("ipp: %s: transport %q: want %s", cfg.Name, cfg.Transport, config.TransportIPP)
	}
	c, err := NewClient(cfg.Address, ClientOptions{Log: log})
	if err != nil {
		return nil, fmt.Errorf("ipp: %s: %w", cfg.Name, err)
	}
	return NewDevice(cfg.Name, c, cfg.PollInterval.Duration, log), nil
}
