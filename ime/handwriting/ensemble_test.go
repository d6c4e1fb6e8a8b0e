package handwriting

import (
	"math/rand/v2"
	"testing"
)

// Characters written in the standard (PRC) stroke order, drawn for this test with a
// finger's wobble. The Chinese model's templates of these have another stroke order, so
// alone it does not offer them among its first five; the Japanese model's templates
// match.
func TestEnsembleRecognizesStandardStrokeOrder(t *testing.T) {
	e := openKioskRecognizer(t)
	rng := rand.New(rand.NewPCG(3, 4))
	tests := []struct {
		want    string
		strokes [][]Point
	}{
		{"女", [][]Point{
			{{150, 30}, {95, 160}, {250, 270}},  // 撇点
			{{210, 110}, {150, 220}, {60, 275}}, // 撇
			{{40, 140}, {265, 140}},             // 横
		}},
		{"水", [][]Point{
			{{150, 30}, {150, 260}, {120, 240}},  // 竖钩
			{{50, 110}, {115, 110}, {40, 230}},   // 横撇
			{{240, 80}, {165, 150}},              // 撇
			{{165, 120}, {210, 200}, {265, 260}}, // 捺
		}},
	}
	for _, tt := range tests {
		ink := Ink{Width: 300, Height: 300}
		for _, s := range tt.strokes {
			ink.Strokes = append(ink.Strokes, wobbly(rng, 2, s...))
		}
		got, err := e.Recognize(ink, 5)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, c := range got {
			found = found || c.Text == tt.want
		}
		if !found {
			t.Errorf("%s not among %v", tt.want, got)
		}
	}
}

func TestMergeTakesBestScoreAndPrior(t *testing.T) {
	lists := [][]Candidate{
		{{"玓", 0.30}, {"的", 0.25}, {"甲", 0.10}},
		{{"的", 0.20}, {"由", 0.50}},
	}
	prior := map[string]float64{"的": 0.15 * 6, "由": 0.15 * 4, "甲": 0.15 * 3}
	got := merge(lists, prior, 3)
	want := []string{"的", "由", "甲"} // 的 1.15, 由 1.10, 甲 0.55, 玓 0.30
	if len(got) != 3 {
		t.Fatalf("got %v", got)
	}
	for i, w := range want {
		if got[i].Text != w {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	if got[0].Score != 0.25+0.9 {
		t.Errorf("的 scored %v, want its better score 0.25 plus 0.9", got[0].Score)
	}
	// Without a prior the models' scores decide.
	if got := merge(lists, nil, 1); got[0].Text != "由" {
		t.Errorf("without a prior got %v, want 由", got)
	}
}

func TestOpenEnsembleMissingModels(t *testing.T) {
	if _, err := OpenEnsemble(t.TempDir()+"/none.model", JapaneseModelPath); err == nil {
		t.Fatal("opened without the Chinese model")
	}
	e, err := OpenEnsemble(DefaultModelPath, t.TempDir()+"/none.model")
	if err != nil {
		t.Skip(err)
	}
	defer e.Close()
	if e.Degraded == nil {
		t.Fatal("a missing Japanese model is not reported")
	}
	got, err := e.Recognize(Ink{Width: 300, Height: 300, Strokes: []Stroke{line(40, 150, 260, 150), line(150, 40, 150, 270)}}, 5)
	if err != nil || len(got) == 0 {
		t.Fatalf("the Chinese model alone: %v %v", got, err)
	}
}
