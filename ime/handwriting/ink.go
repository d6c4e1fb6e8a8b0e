package handwriting

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// Point is a position on the pad, in the pad's own units (pixels of the widget).
type Point struct{ X, Y float64 }

// Stroke is one touch from finger down to finger up.
type Stroke []Point

// Ink is one character as written: the pad's size and the strokes in order.
type Ink struct {
	Width, Height float64
	Strokes       []Stroke
}

// Limits on ink from outside: a character has at most a few dozen strokes; more means
// a stuck touch or hostile input.
const (
	MaxStrokes         = 64
	MaxPointsPerStroke = 2048
	maxPadSize         = 100000
)

// ErrBadInk means the JSON is not ink this package can use.
var ErrBadInk = errors.New("handwriting: bad ink")

// inkJSON is the file format of kioskctl ime recognize:
// {"width":W,"height":H,"strokes":[[[x,y],...],...]}.
type inkJSON struct {
	Width   float64       `json:"width"`
	Height  float64       `json:"height"`
	Strokes [][][]float64 `json:"strokes"`
}

// ParseInk reads ink as JSON. Points off the pad (outside 0..width, 0..height) are
// dropped, as the pad ignores them; strokes left empty are dropped. Too many strokes or
// points, a non-positive size or a point that is not [x,y] give ErrBadInk.
func ParseInk(data []byte) (Ink, error) {
	var raw inkJSON
	if err := json.Unmarshal(data, &raw); err != nil {
		return Ink{}, fmt.Errorf("%w: %v", ErrBadInk, err)
	}
	if !(raw.Width > 0 && raw.Width <= maxPadSize && raw.Height > 0 && raw.Height <= maxPadSize) {
		return Ink{}, fmt.Errorf("%w: pad size %gx%g", ErrBadInk, raw.Width, raw.Height)
	}
	if len(raw.Strokes) > MaxStrokes {
		return Ink{}, fmt.Errorf("%w: %d strokes (at most %d)", ErrBadInk, len(raw.Strokes), MaxStrokes)
	}
	ink := Ink{Width: raw.Width, Height: raw.Height}
	for i, s := range raw.Strokes {
		if len(s) > MaxPointsPerStroke {
			return Ink{}, fmt.Errorf("%w: stroke %d has %d points (at most %d)", ErrBadInk, i, len(s), MaxPointsPerStroke)
		}
		var st Stroke
		for _, p := range s {
			if len(p) != 2 {
				return Ink{}, fmt.Errorf("%w: stroke %d: a point is not [x,y]", ErrBadInk, i)
			}
			st = ink.add(st, Point{p[0], p[1]})
		}
		if len(st) > 0 {
			ink.Strokes = append(ink.Strokes, st)
		}
	}
	return ink, nil
}

// OnPad reports whether p lies on the pad.
func (ink *Ink) OnPad(p Point) bool {
	return !math.IsNaN(p.X) && !math.IsNaN(p.Y) && p.X >= 0 && p.Y >= 0 && p.X <= ink.Width && p.Y <= ink.Height
}

func (ink *Ink) add(s Stroke, p Point) Stroke {
	if !ink.OnPad(p) {
		return s
	}
	return append(s, p)
}

// Begin starts a new stroke at p (finger down); points off the pad are ignored.
func (ink *Ink) Begin(p Point) {
	if len(ink.Strokes) >= MaxStrokes || !ink.OnPad(p) {
		return
	}
	ink.Strokes = append(ink.Strokes, Stroke{p})
}

// Extend adds p to the current stroke (finger moves).
func (ink *Ink) Extend(p Point) {
	n := len(ink.Strokes)
	if n == 0 || len(ink.Strokes[n-1]) >= MaxPointsPerStroke || !ink.OnPad(p) {
		return
	}
	ink.Strokes[n-1] = append(ink.Strokes[n-1], p)
}

// Undo removes the last stroke.
func (ink *Ink) Undo() {
	if n := len(ink.Strokes); n > 0 {
		ink.Strokes = ink.Strokes[:n-1]
	}
}

// Clear removes every stroke.
func (ink *Ink) Clear() { ink.Strokes = nil }

// Candidate is one recognised character with the recognizer's score (higher is better).
type Candidate struct {
	Text  string
	Score float64
}

// Recognizer turns ink into at most n candidates, best first. Empty ink gives none.
type Recognizer interface {
	Recognize(ink Ink, n int) ([]Candidate, error)
	Close() error
}
