package ime_test

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/govkiosk/govkiosk/ime/handwriting"
	"github.com/govkiosk/govkiosk/ime/pinyin"
)

// pssKB reads this process's proportional set size.
func pssKB(tb testing.TB) float64 {
	f, err := os.Open("/proc/self/smaps_rollup")
	if err != nil {
		tb.Skip("no /proc/self/smaps_rollup")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "Pss:"); ok {
			v, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return v
		}
	}
	tb.Fatal("no Pss line")
	return 0
}

// BenchmarkEngineMemory reports the extra PSS of a process once the dictionary and the
// handwriting models are loaded as cmd/kiosk loads them (the budget: 40 MB), measured in the same run
// before and after loading, after a GC.
func BenchmarkEngineMemory(b *testing.B) {
	if _, err := os.Stat(pinyin.DefaultDictPath); err != nil {
		b.Skip("dictionary not installed")
	}
	var keep []any
	for i := 0; i < b.N; i++ {
		runtime.GC()
		before := pssKB(b)
		d, err := pinyin.Load(pinyin.DefaultDictPath)
		if err != nil {
			b.Fatal(err)
		}
		// A field with a kind derives the kinds' word lists, kept with the dictionary.
		pinyin.NewSession(d).SetKind(pinyin.KindAddress)
		runtime.GC()
		mid := pssKB(b)
		z, err := handwriting.OpenEnsemble(handwriting.DefaultModelPath, handwriting.JapaneseModelPath)
		if err != nil {
			b.Fatal(err)
		}
		if z.Degraded != nil {
			b.Fatal(z.Degraded)
		}
		z.SetFrequencies(d.CharCounts())
		// Classify once so the model's pages are touched as on the kiosk.
		z.Recognize(handwriting.Ink{Width: 10, Height: 10, Strokes: []handwriting.Stroke{{{X: 1, Y: 1}, {X: 9, Y: 9}}}}, 5)
		runtime.GC()
		after := pssKB(b)
		b.ReportMetric((mid-before)/1024, "dict-MB")
		b.ReportMetric((after-mid)/1024, "model-MB")
		b.ReportMetric((after-before)/1024, "total-MB")
		keep = append(keep, d)
		z.Close()
	}
	runtime.KeepAlive(keep)
}
