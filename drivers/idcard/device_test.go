package idcard_test

import (
	"github.com/govkiosk/govkiosk/drivers/devices"
	"github.com/govkiosk/govkiosk/drivers/idcard"
)

// The reader plugs into the device registry as it is.
var _ devices.Device = (*idcard.Reader)(nil)
