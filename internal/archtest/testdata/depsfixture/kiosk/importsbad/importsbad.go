// Package importsbad reaches "net" only through kiosk/bad, which is reported itself: no
// message here.
package importsbad

import _ "github.com/govkiosk/govkiosk/kiosk/bad"
