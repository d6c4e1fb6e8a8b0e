package ui

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"

	"github.com/govkiosk/govkiosk/ui/touch"
)

// mapSettle is how long the window must stay unchanged before the map is written, so
// that it describes the settled layout rather than a screen half built.
const mapSettle = 150 * time.Millisecond

// MapElement is one tappable element in the automation map, in window pixels.
type MapElement struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	X     int    `json:"x"`
	Y     int    `json:"y"`
	W     int    `json:"w"`
	H     int    `json:"h"`
	// Disabled elements are shown but do nothing when tapped (a scan button while a
	// page is scanning, "next page" on the last page).
	Disabled bool `json:"disabled,omitempty"`
}

// UIMap is the automation map: what is on screen and where its tappable elements are.
type UIMap struct {
	// Screen is the automation name of what takes taps now: a dialog's when one is up.
	Screen string `json:"screen"`
	// Under is the screen beneath a dialog, else empty.
	Under string `json:"under,omitempty"`
	// Width and Height are the window's size in pixels.
	Width    int          `json:"width"`
	Height   int          `json:"height"`
	Elements []MapElement `json:"elements"`
	// Taps is how many taps the kiosk's widgets had handled when the map was made
	// (touch.Taps).
	Taps int64 `json:"taps"`
}

// AutomationMap describes the current screen. Call it on the UI goroutine.
func (a *App) AutomationMap() UIMap {
	m := UIMap{Screen: a.ScreenName(), Elements: []MapElement{}, Taps: touch.Taps()}
	if a.dialog != nil && a.cur != nil {
		m.Under = a.cur.base().name
	}
	if a.win == nil {
		return m
	}
	c := a.win.Canvas()
	scale := c.Scale()
	m.Width, m.Height = px(c.Size().Width, scale), px(c.Size().Height, scale)
	drv := fyne.CurrentApp().Driver()
	var on *screenBase
	switch {
	case a.dialog != nil:
		on = a.dialog.base()
	case a.cur != nil:
		on = a.cur.base()
	}
	for _, e := range a.Elements() {
		if e.Obj == nil || !e.Obj.Visible() || e.Obj.Size().IsZero() {
			continue
		}
		pos := drv.AbsolutePositionForObject(e.Obj)
		x0, y0 := pos.X, pos.Y
		x1, y1 := x0+e.Obj.Size().Width, y0+e.Obj.Size().Height
		if e.Clip != nil {
			cp := drv.AbsolutePositionForObject(e.Clip)
			x0, y0 = max(x0, cp.X), max(y0, cp.Y)
			x1, y1 = min(x1, cp.X+e.Clip.Size().Width), min(y1, cp.Y+e.Clip.Size().Height)
		}
		if on != nil && on.scrolled(e.Obj) {
			cp := drv.AbsolutePositionForObject(on.clip)
			x0, y0 = max(x0, cp.X), max(y0, cp.Y)
			x1, y1 = min(x1, cp.X+on.clip.Size().Width), min(y1, cp.Y+on.clip.Size().Height)
		}
		x0, y0 = max(x0, 0), max(y0, 0)
		x1, y1 = min(x1, c.Size().Width), min(y1, c.Size().Height)
		if x1-x0 < 1 || y1-y0 < 1 {
			continue // scrolled out of sight or off screen
		}
		label := e.Label
		if l, ok := e.Obj.(touch.Labeled); ok && label == "" {
			label = l.Label()
		}
		disabled := false
		if d, ok := e.Obj.(fyne.Disableable); ok {
			disabled = d.Disabled()
		}
		m.Elements = append(m.Elements, MapElement{ID: e.ID, Label: label, Disabled: disabled,
			X: px(x0, scale), Y: px(y0, scale), W: px(x1-x0, scale), H: px(y1-y0, scale)})
	}
	return m
}

func px(v, scale float32) int { return int(math.Round(float64(v * scale))) }

// scheduleMap writes the automation map once the window has been still for mapSettle.
// Every call restarts the wait.
func (a *App) scheduleMap() {
	if a.mapPath == "" {
		return
	}
	a.mapGen++
	gen := a.mapGen
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		t := time.NewTimer(mapSettle)
		defer t.Stop()
		select {
		case <-a.ctx.Done():
			return
		case <-t.C:
		}
		a.post(func() {
			if gen != a.mapGen {
				return // a later change will write
			}
			m := a.AutomationMap()
			a.wg.Add(1)
			go func() {
				defer a.wg.Done()
				if err := a.writeMap(gen, m); err != nil {
					a.log.Error("write automation map", "err", err)
				}
			}()
		})
	}()
}

// writeMap replaces the map file atomically (temporary file, then rename), so a reader
// never sees half a map, and never replaces a newer map with an older one.
func (a *App) writeMap(gen int, m UIMap) error {
	a.mapMu.Lock()
	defer a.mapMu.Unlock()
	if gen < a.mapWritten {
		return nil
	}
	a.mapWritten = gen
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("ui map: %w", err)
	}
	dir := filepath.Dir(a.mapPath)
	f, err := os.CreateTemp(dir, ".uimap-*")
	if err != nil {
		return fmt.Errorf("ui map: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("ui map: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("ui map: %w", err)
	}
	if err := os.Rename(f.Name(), a.mapPath); err != nil {
		return fmt.Errorf("ui map: %w", err)
	}
	return nil
}
