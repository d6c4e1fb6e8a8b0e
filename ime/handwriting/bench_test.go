package handwriting

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// BenchmarkRecognize: a finished character to candidates, as the keyboard asks for them
// (ten) of the kiosk's recognizer (both models, frequencies), for 福 (13 strokes) written on a 320 px pad from the medians kept in testdata.
// Reports p50 and p99 of the calls (target: p99 ≤ 100 ms on the kiosk).
func BenchmarkRecognize(b *testing.B) {
	z := openKioskRecognizer(b)
	m := loadMedians(b, "testdata", "fu-medians")
	if m == nil {
		b.Fatal("testdata/fu-medians.json missing")
	}
	rng := rand.New(rand.NewPCG(1, 1))
	inks := make([]Ink, 16)
	for i := range inks {
		inks[i] = medianInk(m, 320, 320, rng, evalJitter)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := z.Recognize(inks[i%len(inks)], 10); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
}
