package handwriting

import (
	"math"
	"math/rand/v2"
	"testing"
)

// wobbly draws the polyline through corners as a finger on a touch screen reports it: a
// point every 3 px, each off the line by up to amp px.
func wobbly(rng *rand.Rand, amp float64, corners ...Point) Stroke {
	s := Stroke{corners[0]}
	for i := 1; i < len(corners); i++ {
		a, b := corners[i-1], corners[i]
		n := int(math.Hypot(b.X-a.X, b.Y-a.Y) / 3)
		for k := 1; k <= n; k++ {
			f := float64(k) / float64(n)
			p := Point{a.X + (b.X-a.X)*f, a.Y + (b.Y-a.Y)*f}
			if k < n || i < len(corners)-1 {
				p.X += (rng.Float64()*2 - 1) * amp
				p.Y += (rng.Float64()*2 - 1) * amp
			}
			s = append(s, p)
		}
	}
	return s
}

// A finger's stroke reaches Zinnia as its corners: the wobble of a finger (here ±4 px on
// a 300 px pad) would otherwise split a straight stroke into segments no template has.
func TestPrepareKeepsCornersDropsWobble(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name    string
		corners []Point
	}{
		{"横", []Point{{40, 150}, {260, 152}}},
		{"竖", []Point{{150, 30}, {149, 270}}},
		{"横折", []Point{{60, 60}, {240, 60}, {235, 250}}},
		{"竖弯钩", []Point{{80, 40}, {80, 240}, {250, 245}, {255, 200}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ink := Ink{Width: 300, Height: 300, Strokes: []Stroke{wobbly(rng, 4, tt.corners...)}}
			got := prepare(ink)
			if len(got) != 1 {
				t.Fatalf("%d strokes, want 1", len(got))
			}
			if len(got[0]) != len(tt.corners) {
				t.Fatalf("stroke handed over as %d points, want its %d corners: %v", len(got[0]), len(tt.corners), got[0])
			}
			// Each kept point lies near the corner it stands for (in model units).
			scale, dx, dy := fitBox(Ink{Strokes: []Stroke{tt.corners}})
			for i, c := range tt.corners {
				want := Point{c.X*scale + dx, c.Y*scale + dy}
				if d := math.Hypot(got[0][i].X-want.X, got[0][i].Y-want.Y); d > 40 {
					t.Errorf("point %d at %v, corner at %v (%.0f units off)", i, got[0][i], want, d)
				}
			}
		})
	}
}

// A character written small in a corner of the pad reaches Zinnia centred and as large as
// the model's templates, its aspect kept.
func TestPrepareFitsTheModelSquare(t *testing.T) {
	// 口-like box, 60×40 px, in the top left corner of a 400×300 pad.
	ink := Ink{Width: 400, Height: 300, Strokes: []Stroke{
		{{10, 10}, {10, 50}},
		{{10, 10}, {70, 10}, {70, 50}},
		{{10, 50}, {70, 50}},
	}}
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for _, s := range prepare(ink) {
		for _, p := range s {
			minX, maxX = math.Min(minX, p.X), math.Max(maxX, p.X)
			minY, maxY = math.Min(minY, p.Y), math.Max(maxY, p.Y)
		}
	}
	if w := maxX - minX; math.Abs(w-zinniaUnits*0.9) > 1 {
		t.Errorf("longer side %.0f units, want 900 of %d", w, zinniaUnits)
	}
	if h := maxY - minY; math.Abs(h-600) > 1 {
		t.Errorf("shorter side %.0f units, want 600 (aspect 3:2 kept)", h)
	}
	if cx, cy := (minX+maxX)/2, (minY+maxY)/2; math.Abs(cx-500) > 1 || math.Abs(cy-500) > 1 {
		t.Errorf("centre (%.0f,%.0f), want (500,500)", cx, cy)
	}
}

// A resting finger repeats its point; a tap is one point. Neither becomes a segment.
func TestPrepareRepeatedPointsAndTaps(t *testing.T) {
	p := Point{100, 100}
	ink := Ink{Width: 300, Height: 300, Strokes: []Stroke{
		{p, p, p, p, {200, 100}, {200, 100}, {200, 100}},
		{{150, 200}},
	}}
	got := prepare(ink)
	if len(got) != 2 || len(got[0]) != 2 || len(got[1]) != 1 {
		t.Fatalf("got %v, want a 2-point stroke and a 1-point tap", got)
	}
}

func TestVerticesTolerance(t *testing.T) {
	s := Stroke{{0, 0}, {50, 10}, {100, 0}}
	if got := vertices(s, 20); len(got) != 2 {
		t.Errorf("a bump of 10 within 20 kept: %v", got)
	}
	if got := vertices(s, 5); len(got) != 3 {
		t.Errorf("a bump of 10 beyond 5 dropped: %v", got)
	}
	// Start and end in one place (a loop): the farthest point is a corner.
	loop := Stroke{{0, 0}, {100, 0}, {100, 100}, {0, 0}}
	if got := vertices(loop, 20); len(got) < 3 {
		t.Errorf("loop lost its corners: %v", got)
	}
}
