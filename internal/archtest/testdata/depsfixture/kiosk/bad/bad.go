// Package bad breaks kiosk-pure directly.
package bad

import (
	_ "net"
	_ "os/exec"
	"strings"
)

var _ = strings.ToUpper
