package escl

import (
	"fmt"
	"log/slog"

	"github.com/govkiosk/govkiosk/kiosk/config"
)

// Open builds a Device from a configured document scanner: transport "escl" with Address
// the scanner's eSCL root (for a USB scanner, the loopback address ipp-usb serves it on,
// e.g. http://localhost:60000/eSCL) and PollInterval the status interval.
func Open(cfg config.Device, log *slog.Logger) (*Device, error) {
	if cfg.Transport != config.TransportESCL {
		return nil, fmt.Errorf("escl: %s: transport %q: want %s", cfg.Name, cfg.Transport, config.TransportESCL)
	}
	c, err := NewClient(cfg.Address, ClientOptions{Log: log})
	if err != nil {
		return nil, fmt.Errorf("escl: %s: %w", cfg.Name, err)
	}
	return NewDevice(cfg.Name, c, cfg.PollInterval.Duration, log), nil
}
