// Package client breaks sync-below-ui.
package client

import _ "github.com/govkiosk/govkiosk/drivers/thing"
