package ui_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"

	"github.com/govkiosk/govkiosk/kiosk/config"
	"github.com/govkiosk/govkiosk/ui"
	"github.com/govkiosk/govkiosk/ui/uitest"
)

// deviceActions are the device page's actions besides each device's own buttons.
var deviceActions = []string{"tech.detect", "tech.test_read", "tech.test_print", "tech.test_scan", "tech.test_document", "tech.save"}

// openTechnicianAt signs the technician in with the corner gesture and the PIN, in
// English and elder mode when asked.
func openTechnicianAt(t *testing.T, k *uitest.Kiosk, size fyne.Size, elder, en bool) {
	t.Helper()
	k.WaitScreen("home")
	if elder {
		k.Tap("home.elder")
	}
	if en {
		k.Tap("home.lang")
	}
	for _, p := range []fyne.Position{{X: 20, Y: 20}, {X: size.Width - 20, Y: 20}, {X: size.Width - 20, Y: size.Height - 20}, {X: 20, Y: size.Height - 20}} {
		k.TapAt(p)
	}
	k.WaitScreen("tech_pin")
	k.Type("keypad", uitest.TestPIN)
	k.Tap("tech_pin.ok")
	k.WaitScreen("tech_settings")
	k.Drain()
}

// scrollsAround returns the scroll areas that o lies in, outermost first, and whether o
// is in the window at all.
func scrollsAround(root, o fyne.CanvasObject) ([]*container.Scroll, bool) {
	if root == o {
		return nil, true
	}
	switch v := root.(type) {
	case *fyne.Container:
		for _, c := range v.Objects {
			if s, ok := scrollsAround(c, o); ok {
				return s, true
			}
		}
	case *container.Scroll:
		if s, ok := scrollsAround(v.Content, o); ok {
			return append([]*container.Scroll{v}, s...), true
		}
	}
	return nil, false
}

// inView reports why the element id is not wholly in view, or "" when it is: drawn,
// inside the display and inside every scroll area it lies in (not scrolled away, not
// under what stays below the scroll).
func inView(k *uitest.Kiosk, size fyne.Size, id string) string {
	o := k.App.Element(id)
	if o == nil {
		return fmt.Sprintf("no element %q", id)
	}
	if !o.Visible() || o.Size().IsZero() {
		return fmt.Sprintf("%q is not shown", id)
	}
	drv := fyne.CurrentApp().Driver()
	p := drv.AbsolutePositionForObject(o)
	end := p.Add(o.Size())
	const slack = 0.5
	if p.X < -slack || p.Y < -slack || end.X > size.Width+slack || end.Y > size.Height+slack {
		return fmt.Sprintf("%q is drawn at %v–%v, outside the %v display", id, p, end, size)
	}
	scrolls, ok := scrollsAround(k.Window.Canvas().Content(), o)
	if !ok {
		return fmt.Sprintf("%q is not in the window", id)
	}
	for _, s := range scrolls {
		sp := drv.AbsolutePositionForObject(s)
		se := sp.Add(s.Size())
		if p.X < sp.X-slack || p.Y < sp.Y-slack || end.X > se.X+slack || end.Y > se.Y+slack {
			return fmt.Sprintf("%q is drawn at %v–%v, outside its scroll area's view %v–%v", id, p, end, sp, se)
		}
	}
	return ""
}

// TestTechnicianDevicesInView opens the technician's device page at 1920×1080 with the
// five default devices: every device's buttons and the page's actions are in view with
// no scrolling, in Chinese, English, elder mode and safe mode (whose banner takes a row).
// The list used to be one card a row, with the actions under it: the fifth device
// pushed the second row of actions below the fold.
func TestTechnicianDevicesInView(t *testing.T) {
	size := fyne.NewSize(1920, 1080)
	var ids []string
	for _, d := range config.Default().Devices {
		ids = append(ids, "tech.device."+d.Name+".transport")
	}
	ids = append(ids, deviceActions...)
	for _, m := range []struct {
		name            string
		elder, en, safe bool
	}{{"zh", false, false, false}, {"en", false, true, false}, {"elder", true, false, false}, {"elder-en", true, true, false}, {"safe", false, false, true}} {
		t.Run(m.name, func(t *testing.T) {
			o := uitest.Options{Fonts: true, Size: size}
			if m.safe {
				o.Deps = func(d *ui.Deps) { d.SafeMode = true; d.OnRestart = func() {} }
			}
			k := uitest.Start(t, o)
			if m.safe {
				k.WaitScreen("tech_pin")
				k.Type("keypad", uitest.TestPIN)
				k.Tap("tech_pin.ok")
				k.WaitScreen("tech_settings")
				k.Drain()
			} else {
				openTechnicianAt(t, k, size, m.elder, m.en)
			}
			assertFits(t, k, size, "tech.exit")
			for _, id := range ids {
				if why := inView(k, size, id); why != "" {
					t.Error(why)
				}
			}
		})
	}
}

// TestTechnicianManyDevices gives a site sixteen devices: the list scrolls, the page's
// actions stay in view below it on every display, the screen still fits, the automation
// map lists only the devices in view, and the last device comes into view when the list
// is scrolled to its end.
func TestTechnicianManyDevices(t *testing.T) {
	for _, d := range displays {
		t.Run(d.name, func(t *testing.T) {
			k := uitest.Start(t, uitest.Options{Fonts: true, Size: d.size})
			c := config.Default()
			for i := len(c.Devices); i < 16; i++ {
				c.Devices = append(c.Devices, config.Device{Name: fmt.Sprintf("printer%d", i), Kind: config.KindPrinter, Transport: config.TransportSim})
			}
			if _, err := k.Tech.Apply(context.Background(), c); err != nil {
				t.Fatal(err)
			}
			openTechnicianAt(t, k, d.size, false, false)
			assertFits(t, k, d.size, append([]string{"tech.exit"}, deviceActions...)...)
			for _, id := range deviceActions {
				if why := inView(k, d.size, id); why != "" {
					t.Error(why)
				}
			}
			first, last := "tech.device.idcard.transport", "tech.device.printer15.transport"
			if why := inView(k, d.size, first); why != "" {
				t.Error(why)
			}
			if inView(k, d.size, last) == "" {
				t.Fatalf("%s is in view before scrolling: sixteen devices should not fit", last)
			}
			// The map says where a tap lands: a device under the actions below the list,
			// or scrolled out of its view, is not in it.
			list := listOf(t, k, last)
			drv := fyne.CurrentApp().Driver()
			lp := drv.AbsolutePositionForObject(list)
			le := lp.Add(list.Size())
			for _, e := range k.App.AutomationMap().Elements {
				if !strings.HasPrefix(e.ID, "tech.device.") {
					continue
				}
				if float32(e.Y) < lp.Y-1 || float32(e.Y+e.H) > le.Y+1 {
					t.Errorf("the map lists %s at y %d–%d, outside the list's view %v–%v", e.ID, e.Y, e.Y+e.H, lp.Y, le.Y)
				}
			}
			list.ScrollToBottom()
			k.Drain()
			if why := inView(k, d.size, last); why != "" {
				t.Errorf("scrolled to the end: %s", why)
			}
		})
	}
}

// listOf is the innermost scroll area the element id lies in.
func listOf(t *testing.T, k *uitest.Kiosk, id string) *container.Scroll {
	t.Helper()
	scrolls, _ := scrollsAround(k.Window.Canvas().Content(), k.App.Element(id))
	if len(scrolls) == 0 {
		t.Fatalf("%s is in no scroll area", id)
	}
	return scrolls[len(scrolls)-1]
}
