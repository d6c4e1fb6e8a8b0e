// Package protocol breaks protocol-self-contained.
package protocol

import _ "github.com/govkiosk/govkiosk/internal/dial"
