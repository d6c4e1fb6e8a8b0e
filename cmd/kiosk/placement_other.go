//go:build !linux || wayland

package main

import (
	"errors"

	"fyne.io/fyne/v2"
)

// placeBeside leaves the window manager to place the panel where there is no X11.
func placeBeside(kiosk, panel fyne.Window) error {
	return errors.New("placing windows needs X11")
}
