package pinyin

import (
	"math"
	"unicode/utf8"
)

// CharCounts returns, for each single character in the dictionary, how often the data
// counts it over all its readings (each reading's weight plus one). Handwriting ranks
// near-equal candidates by it: 的 far above 玓.
func (d *Dict) CharCounts() map[string]float64 {
	out := map[string]float64{}
	for i := range d.entries {
		e := &d.entries[i]
		if utf8.RuneCountInString(e.text) != 1 {
			continue
		}
		out[e.text] += math.Exp(float64(e.weight) - d.floorLP)
	}
	return out
}
