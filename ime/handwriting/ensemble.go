package handwriting

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
)

// JapaneseModelPath is where Debian's tegaki-zinnia-japanese installs its model.
const JapaneseModelPath = "/usr/share/tegaki/models/zinnia/handwriting-ja.model"

// Constants of the Ensemble, set on the odd-ranked half of the evaluation and checked on
// the even half (docs/IME.md).
const (
	// minWeight: weights smaller than this are dropped from both models (Tegaki's own
	// light models drop below 0.005). At 0.003 the two models hold 2.7 million weights
	// (21 MB), fewer than the Chinese model alone had (3.3 million), for about half a
	// point of accuracy; Zinnia's time is proportional to the weights it reads.
	minWeight = 0.003
	// depth: candidates asked of each model before merging and re-ranking.
	depth = 30
	// priorPerDecade: score added per tenfold frequency of a character. Zinnia's scores
	// of the first five candidates are typically 0.3–0.5 apart; ten times as common is
	// worth 0.15 of that, so frequency decides near-ties and not clear answers.
	priorPerDecade = 0.15
)

// Ensemble is the kiosk's recognizer: the simplified-Chinese model and the Japanese
// model's templates of the same characters, each character scored by the better of the
// two, then re-ranked by how common it is. The two models were built from different
// writers' data (Tomoe's Chinese and Japanese sets) and their templates differ in stroke
// order and shape for many characters (女, 水, 出, 长…), so a character written in the
// standard order is often matched by one when the other misses it. Safe for concurrent
// use.
type Ensemble struct {
	models []*Zinnia
	prior  map[string]float64 // per known character: priorPerDecade × log10(count+1)
	// Degraded is why a model is missing (nil when both loaded): the kiosk runs on
	// with the Chinese model alone and tells the technician.
	Degraded error
}

// OpenEnsemble loads the Chinese model (required: ErrNoModel when missing) and the
// Japanese one (optional: when missing, Degraded says so).
func OpenEnsemble(zhPath, jaPath string) (*Ensemble, error) {
	zh, err := OpenZinniaSubset(zhPath, func(string) bool { return true }, minWeight)
	if err != nil {
		return nil, err
	}
	e := &Ensemble{models: []*Zinnia{zh}}
	known := zh.Chars()
	ja, err := OpenZinniaSubset(jaPath, func(c string) bool { return known[c] }, minWeight)
	if err != nil {
		e.Degraded = fmt.Errorf("second model off: %w", err)
		return e, nil
	}
	e.models = append(e.models, ja)
	return e, nil
}

// SetFrequencies sets how common each character is (pinyin.Dict.CharCounts); without
// them candidates are ranked by the models' scores alone.
func (e *Ensemble) SetFrequencies(counts map[string]float64) {
	prior := map[string]float64{}
	for c := range e.models[0].Chars() {
		if n := counts[c]; n > 0 {
			prior[c] = priorPerDecade * math.Log10(n+1)
		}
	}
	e.prior = prior
}

// Recognize classifies ink with both models at once (one core each) and merges.
func (e *Ensemble) Recognize(ink Ink, n int) ([]Candidate, error) {
	if n <= 0 || len(ink.Strokes) == 0 || ink.Width <= 0 || ink.Height <= 0 {
		return nil, nil
	}
	strokes := prepare(ink)
	lists := make([][]Candidate, len(e.models))
	errs := make([]error, len(e.models))
	var wg sync.WaitGroup
	for i, m := range e.models {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lists[i], errs[i] = m.classify(strokes, max(n, depth))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return merge(lists, e.prior, n), nil
}

// merge scores each character by its best score in lists, adds its prior and returns the
// n best.
func merge(lists [][]Candidate, prior map[string]float64, n int) []Candidate {
	best := map[string]float64{}
	for _, l := range lists {
		for _, c := range l {
			if s, ok := best[c.Text]; !ok || c.Score > s {
				best[c.Text] = c.Score
			}
		}
	}
	out := make([]Candidate, 0, len(best))
	for t, s := range best {
		out = append(out, Candidate{Text: t, Score: s + prior[t]})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].Text < out[j].Text
	})
	return out[:min(n, len(out))]
}

// Close frees both models.
func (e *Ensemble) Close() error {
	for _, m := range e.models {
		m.Close()
	}
	return nil
}
