//go:build linux && !wayland

package main

/*
#cgo LDFLAGS: -lX11
#include <X11/Xlib.h>
#include <X11/Xutil.h>

// place_beside moves the window panel next to the window beside: to its right when the
// screen has room, else to its left, else to the screen's right edge. It returns 0 when it
// moved the window, and -1 when there is no display or a window is not there.
static int place_beside(unsigned long beside, unsigned long panel, int gap) {
	Display *d = XOpenDisplay(NULL);
	if (d == NULL) return -1;
	int ret = -1;
	XWindowAttributes ba, pa;
	Window child;
	int bx, by;
	if (XGetWindowAttributes(d, (Window)beside, &ba) && XGetWindowAttributes(d, (Window)panel, &pa) &&
	    XTranslateCoordinates(d, (Window)beside, ba.root, 0, 0, &bx, &by, &child)) {
		int sw = WidthOfScreen(ba.screen);
		int x = bx + ba.width + gap;
		if (x + pa.width > sw) {
			x = bx - gap - pa.width;
			if (x < 0) x = sw - pa.width;
			if (x < 0) x = 0;
		}
		// A window manager places a new window where it likes unless told the program
		// chose the position.
		XSizeHints *h = XAllocSizeHints();
		if (h != NULL) {
			long supplied;
			XGetWMNormalHints(d, (Window)panel, h, &supplied);
			h->flags |= PPosition | USPosition;
			h->x = x;
			h->y = by;
			XSetWMNormalHints(d, (Window)panel, h);
			XFree(h);
		}
		XMoveWindow(d, (Window)panel, x, by);
		XSync(d, False);
		ret = 0;
	}
	XCloseDisplay(d);
	return ret;
}
*/
import "C"

import (
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"
)

// placeBeside moves panel next to the kiosk's window, so the simulated devices never cover
// the kiosk (without a window manager both opened at the top left corner, one over the
// other). Fyne has no call to place a window, so this asks the X server directly. Call it
// on the UI goroutine once both windows are shown.
func placeBeside(kiosk, panel fyne.Window) error {
	k, p := x11Window(kiosk), x11Window(panel)
	if k == 0 || p == 0 {
		return errors.New("no X11 window to place")
	}
	if C.place_beside(C.ulong(k), C.ulong(p), 8) != 0 {
		return errors.New("the X server did not answer for the windows")
	}
	return nil
}

func x11Window(w fyne.Window) uintptr {
	n, ok := w.(driver.NativeWindow)
	if !ok {
		return 0
	}
	var h uintptr
	n.RunNative(func(ctx any) {
		if x, ok := ctx.(driver.X11WindowContext); ok {
			h = x.WindowHandle
		}
	})
	return h
}
