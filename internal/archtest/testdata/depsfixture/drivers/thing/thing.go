// Package thing breaks drivers-below-ui-and-sync and serial-usb-only-in-transport.
package thing

import (
	_ "github.com/govkiosk/govkiosk/sync/protocol"
	_ "github.com/tarm/serial"
)
