package handwriting

import (
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseInk(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		strokes []int // points per stroke kept
		err     bool
	}{
		{name: "ok", in: `{"width":100,"height":80,"strokes":[[[1,2],[3,4]],[[5,6]]]}`, strokes: []int{2, 1}},
		{name: "points off the pad dropped", in: `{"width":100,"height":80,"strokes":[[[-1,2],[50,40],[101,4],[50,81]]]}`, strokes: []int{1}},
		{name: "stroke wholly off the pad dropped", in: `{"width":10,"height":10,"strokes":[[[20,20]],[[5,5]]]}`, strokes: []int{1}},
		{name: "no strokes", in: `{"width":10,"height":10,"strokes":[]}`, strokes: nil},
		{name: "zero size", in: `{"width":0,"height":10,"strokes":[]}`, err: true},
		{name: "negative size", in: `{"width":10,"height":-1}`, err: true},
		{name: "point not a pair", in: `{"width":10,"height":10,"strokes":[[[1,2,3]]]}`, err: true},
		{name: "not json", in: `strokes`, err: true},
		{name: "too many strokes", in: `{"width":10,"height":10,"strokes":[` + strings.Repeat(`[[1,1]],`, MaxStrokes) + `[[1,1]]]}`, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ink, err := ParseInk([]byte(tt.in))
			if tt.err {
				if !errors.Is(err, ErrBadInk) {
					t.Fatalf("err = %v, want ErrBadInk", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(ink.Strokes) != len(tt.strokes) {
				t.Fatalf("strokes %v, want %v", ink.Strokes, tt.strokes)
			}
			for i, n := range tt.strokes {
				if len(ink.Strokes[i]) != n {
					t.Errorf("stroke %d has %d points, want %d", i, len(ink.Strokes[i]), n)
				}
			}
		})
	}
}

func TestPadIgnoresStrokesOutside(t *testing.T) {
	ink := Ink{Width: 100, Height: 100}
	ink.Begin(Point{-5, 10}) // finger down off the pad: no stroke
	ink.Extend(Point{10, 10})
	if len(ink.Strokes) != 0 {
		t.Fatalf("a stroke began off the pad: %v", ink.Strokes)
	}
	ink.Begin(Point{10, 10})
	ink.Extend(Point{200, 10}) // slides off
	ink.Extend(Point{90, 10})
	if len(ink.Strokes) != 1 || len(ink.Strokes[0]) != 2 {
		t.Fatalf("got %v", ink.Strokes)
	}
	ink.Undo()
	if len(ink.Strokes) != 0 {
		t.Fatalf("undo left %v", ink.Strokes)
	}
}

func line(x0, y0, x1, y1 float64) Stroke {
	var s Stroke
	for i := 0; i <= 20; i++ {
		f := float64(i) / 20
		s = append(s, Point{x0 + (x1-x0)*f, y0 + (y1-y0)*f})
	}
	return s
}

// Strokes drawn for this test (straight lines), not taken from any data set.
func TestZinniaRecognizesSimpleCharacters(t *testing.T) {
	z := openModel(t)
	tests := []struct {
		want string
		ink  Ink
	}{
		{"十", Ink{Width: 300, Height: 300, Strokes: []Stroke{line(40, 150, 260, 150), line(150, 40, 150, 270)}}},
		{"三", Ink{Width: 300, Height: 300, Strokes: []Stroke{line(70, 60, 230, 60), line(85, 150, 215, 150), line(40, 250, 260, 250)}}},
		{"口", Ink{Width: 300, Height: 300, Strokes: []Stroke{line(70, 70, 70, 230),
			append(line(70, 70, 230, 70), line(230, 70, 230, 230)...), line(70, 230, 230, 230)}}},
	}
	for _, tt := range tests {
		got, err := z.Recognize(tt.ink, 5)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, c := range got {
			found = found || c.Text == tt.want
		}
		if !found {
			t.Errorf("%s not in the top 5: %v", tt.want, got)
		}
	}
	if got, err := z.Recognize(Ink{Width: 300, Height: 300}, 5); err != nil || len(got) != 0 {
		t.Errorf("empty ink: %v %v", got, err)
	}
}

func TestMissingModel(t *testing.T) {
	_, err := OpenZinnia(filepath.Join(t.TempDir(), "none.model"))
	if !errors.Is(err, ErrNoModel) {
		t.Fatalf("err = %v, want ErrNoModel", err)
	}
}

func TestZinniaAfterClose(t *testing.T) {
	z, err := OpenZinnia(DefaultModelPath)
	if err != nil {
		t.Skip(err)
	}
	z.Close()
	if _, err := z.Recognize(Ink{Width: 10, Height: 10, Strokes: []Stroke{{{1, 1}, {5, 5}}}}, 3); err == nil {
		t.Fatal("Recognize after Close succeeded")
	}
}

// FuzzParseInk: ink files come from outside (kioskctl ime recognize); any bytes give ink
// within the limits and on the pad, or ErrBadInk.
func FuzzParseInk(f *testing.F) {
	f.Add([]byte(`{"width":100,"height":80,"strokes":[[[1,2],[3,4]],[[5,6]]]}`))
	f.Add([]byte(`{"width":1e308,"height":1e-308,"strokes":[[[1e308,-0]]]}`))
	f.Add([]byte(`{"strokes":[[[]]]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ink, err := ParseInk(data)
		if err != nil {
			if !errors.Is(err, ErrBadInk) {
				t.Fatalf("error not ErrBadInk: %v", err)
			}
			return
		}
		if len(ink.Strokes) > MaxStrokes {
			t.Fatalf("%d strokes", len(ink.Strokes))
		}
		for _, s := range ink.Strokes {
			if len(s) == 0 || len(s) > MaxPointsPerStroke {
				t.Fatalf("stroke of %d points", len(s))
			}
			for _, p := range s {
				if !ink.OnPad(p) {
					t.Fatalf("point %v off the %gx%g pad", p, ink.Width, ink.Height)
				}
			}
		}
		// What reaches Zinnia: one stroke per stroke, no more points, all finite.
		prep := prepare(ink)
		if len(prep) != len(ink.Strokes) {
			t.Fatalf("%d strokes prepared from %d", len(prep), len(ink.Strokes))
		}
		for i, s := range prep {
			if len(s) == 0 || len(s) > len(ink.Strokes[i]) {
				t.Fatalf("stroke %d: %d points prepared from %d", i, len(s), len(ink.Strokes[i]))
			}
			for _, p := range s {
				if math.IsNaN(p.X) || math.IsNaN(p.Y) || math.IsInf(p.X, 0) || math.IsInf(p.Y, 0) {
					t.Fatalf("stroke %d: point %v", i, p)
				}
			}
		}
	})
}
