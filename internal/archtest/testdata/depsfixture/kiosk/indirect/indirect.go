// Package indirect breaks kiosk-pure through another package.
package indirect

import (
	_ "github.com/govkiosk/govkiosk/internal/dial"
)
