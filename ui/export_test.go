package ui_test

import "github.com/govkiosk/govkiosk/kiosk/tracking"

// trackingCode is the test terminal's tracking code number seq.
func trackingCode(seq uint64) string {
	c, err := tracking.New("TEST", seq)
	if err != nil {
		panic(err)
	}
	return c
}
