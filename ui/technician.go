package ui

import (
	"context"
	"errors"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/access"
	"github.com/govkiosk/govkiosk/kiosk/config"
)

// Technician is what the technician screens ask of the kiosk. cmd/kiosk implements it
// over the device registry, the queue, the sync client and the configuration file. Every
// method may take seconds; the screens call them from goroutines and show progress.
type Technician interface {
	// Config returns a copy of the running configuration, for editing.
	Config() *config.Config
	// Apply saves a configuration that passed Validate and applies it: devices are
	// reopened and names and timeouts change without a restart where possible. restart
	// reports that some change takes effect only after one.
	Apply(ctx context.Context, c *config.Config) (restart bool, err error)
	// Detect probes serial ports and USB devices and returns what answered, as device
	// configurations the technician can adopt.
	Detect(ctx context.Context) ([]Detected, error)
	// TestRead reads a card and returns a summary safe to show (card type, masked number).
	TestRead(ctx context.Context) (string, error)
	// TestPrint prints a test receipt.
	TestPrint(ctx context.Context) error
	// TestScan waits for one barcode and returns it; TestDocument scans one page and
	// returns its size in words ("2480×3508 JPEG, 412 KB").
	TestScan(ctx context.Context) (string, error)
	TestDocument(ctx context.Context) (string, error)
	// Queue reports the offline queue.
	Queue(ctx context.Context) (QueueStatus, error)
	// SyncNow asks the sync client to connect and deliver at once.
	SyncNow(ctx context.Context) error
	// Enroll enrolls the terminal with the platform at url using a one-time code.
	Enroll(ctx context.Context, url, code string) error
	// ExportLogs writes the logs (no personal data in them) to removable media and returns
	// where. With no removable medium it writes nothing and returns ErrNoRemovableMedium.
	ExportLogs(ctx context.Context) (string, error)
	// SaveAccess persists the PIN lockout state after every PIN check, so a restart does
	// not reset the count.
	SaveAccess(st access.State) error
}

// PlatformConfigured is implemented by a Technician whose terminal also takes its
// configuration from the platform. The platform's settings win over the terminal's
// file for the settings they set; the file gives the rest. The technician screen says
// which, and whether the platform's last push applied.
type PlatformConfigured interface {
	// Effective returns the file's configuration c with the platform's settings over it:
	// the configuration that runs.
	Effective(c *config.Config) *config.Config
	// PlatformConfig reports the platform's configuration.
	PlatformConfig() PlatformConfig
}

// PlatformConfig is the platform's configuration as the terminal holds it.
type PlatformConfig struct {
	// Version is the push in force ("" none) and Sets the settings it sets, as the file
	// writes their keys.
	Version string
	Sets    []string
	// Refused is a later push the terminal refused, with the reasons; it kept Version.
	Refused  string
	Problems []string
	// Restart says a setting of the push in force (devices) waits for a restart.
	Restart bool
}

// Detected is one device a probe found.
type Detected struct {
	Device config.Device
	// Description says what answered ("SAM reader, firmware 3.2", "USB printer 0483:5743").
	Description string
}

// QueueStatus is the offline queue at a glance.
type QueueStatus struct {
	Pending int
	Failed  int
	// Held counts submissions the platform refused with a conflict (a tracking code
	// already taken there); they wait for the platform's operator, never failed.
	Held     int
	Oldest   time.Time
	Online   bool
	LastSync time.Time
}

// ErrNoRemovableMedium is what Technician.ExportLogs returns, wrapped, when no USB stick
// (or other removable medium) is mounted: the screen asks for one.
var ErrNoRemovableMedium = errors.New("ui: no removable medium")
