package main

import (
	"encoding/json"
	"path/filepath"

	"github.com/govkiosk/govkiosk/internal/atomicfile"
	"github.com/govkiosk/govkiosk/kiosk/config"
)

// devicesFile, in the data directory, lists the devices the kiosk runs and where, as it
// opened them (with -simulate: the simulators' terminals and addresses). kioskctl reads it
// while the data directory's lock says the kiosk runs, so that a scan leaves those ports
// alone and says they are in use; it holds nothing secret or personal.
const devicesFile = "devices.json"

// writeDevicesFile records the devices the kiosk opens.
func writeDevicesFile(dataDir string, devs []config.Device) error {
	b, err := json.MarshalIndent(devs, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dataDir, devicesFile), append(b, '\n'), 0o600)
}
