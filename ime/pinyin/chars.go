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
		t := d.text(e)
		if utf8.RuneCountInString(t) != 1 {
			continue
		}
		out[t] += math.Exp(float64(e.weight) - d.floorLP)
	}
	return out
}
