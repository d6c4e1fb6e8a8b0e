package access

import "time"

// The hidden gesture: tap the four corners of the screen clockwise, starting top-left
// (top-left, top-right, bottom-right, bottom-left), each tap within CornerFraction of the
// shorter screen side from its corner, all four within GestureWindow. Residents tap
// buttons, which sit away from the corners, and almost never hit four corners in this
// order; a stray tap elsewhere starts over. The gesture only reveals the PIN pad: the PIN
// is what guards the settings.
const (
	CornerFraction = 0.12
	// MinCorner is the smallest corner square side in pixels, so a small window still has
	// a fingertip-sized target.
	MinCorner     = 48
	GestureWindow = 5 * time.Second
)

// Corner names a screen corner.
type Corner int

// Corners, in the order the gesture taps them.
const (
	NoCorner Corner = iota
	TopLeft
	TopRight
	BottomRight
	BottomLeft
)

// Gesture recognises the corner gesture from tap positions. The UI feeds it every tap on
// the start screen with its position and time. It is not safe for concurrent use: feed it
// from the UI goroutine.
type Gesture struct {
	w, h  float32
	next  Corner
	start time.Time
}

// NewGesture returns a recogniser for a screen (or window) of width × height pixels.
func NewGesture(width, height float32) *Gesture {
	return &Gesture{w: width, h: height, next: TopLeft}
}

// Resize updates the screen size and starts over.
func (g *Gesture) Resize(width, height float32) {
	g.w, g.h = width, height
	g.Reset()
}

// Reset forgets taps so far.
func (g *Gesture) Reset() { g.next = TopLeft }

// CornerAt returns the corner (x, y) lies in, or NoCorner.
func (g *Gesture) CornerAt(x, y float32) Corner {
	side := min(g.w, g.h) * CornerFraction
	side = max(side, MinCorner)
	left, right := x <= side, x >= g.w-side
	top, bottom := y <= side, y >= g.h-side
	switch {
	case top && left:
		return TopLeft
	case top && right:
		return TopRight
	case bottom && right:
		return BottomRight
	case bottom && left:
		return BottomLeft
	}
	return NoCorner
}

// Tap feeds one tap at (x, y) at time at. It reports true when the tap completes the
// gesture (and then starts over).
func (g *Gesture) Tap(x, y float32, at time.Time) bool {
	c := g.CornerAt(x, y)
	if g.next != TopLeft && at.Sub(g.start) > GestureWindow {
		g.Reset()
	}
	switch {
	case c == g.next:
		if c == TopLeft {
			g.start = at
		}
		if c == BottomLeft {
			g.Reset()
			return true
		}
		g.next++
	case c == TopLeft:
		// A fresh start: the sequence begins again at this tap.
		g.start = at
		g.next = TopRight
	default:
		g.Reset()
	}
	return false
}
