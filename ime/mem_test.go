package ime_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
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

// liveHeap is the Go heap in use after a collection, in MB: steadier than PSS, which also
// moves with the runtime's and the C library's pages.
func liveHeap() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc) / (1 << 20)
}

// BenchmarkEngineMemory reports the extra PSS of a process once the dictionary and the
// handwriting models are loaded as cmd/kiosk loads them (the budget: 40 MB),
// measured in the same run before and after loading: the dictionary as the kiosk loads it
// (pinyin_simp with rime-essay's words, from an essay index built beforehand as the
// package does), and pinyin_simp alone for comparison (simp-MB, not in the total). The
// *-heap-MB figures are the Go heap the dictionaries keep.
func BenchmarkEngineMemory(b *testing.B) {
	if _, err := os.Stat(pinyin.DefaultDictPath); err != nil {
		b.Skip("dictionary not installed")
	}
	s := pinyin.Sources{EssaySources: pinyin.EssaySources{Dict: pinyin.DefaultDictPath, Essay: pinyin.DefaultEssayPath, Lexicon: pinyin.DefaultLexiconPath},
		Index: []string{filepath.Join(b.TempDir(), "essay.dict.txt")}}
	if _, err := pinyin.BuildEssayIndex(context.Background(), s.EssaySources, s.Index[0]); err != nil {
		b.Fatalf("essay index: %v (scripts/install-deps test installs rime-essay and opencc)", err)
	}
	var keep []any
	for i := 0; i < b.N; i++ {
		// Each load starts from a heap returned to the system (building the index above
		// left garbage) and ends as the kiosk's start does (cmd/kiosk loadIME): the kinds'
		// word lists derived, the load's garbage handed back to the system.
		debug.FreeOSMemory()
		start, heap0 := pssKB(b), liveHeap()
		alone := s
		alone.Essay = ""
		simp, _, err := pinyin.Open(context.Background(), alone)
		if err != nil {
			b.Fatal(err)
		}
		simp.PrepareKinds()
		debug.FreeOSMemory()
		simpMB := (pssKB(b) - start) / 1024
		simpHeap := liveHeap() - heap0
		debug.FreeOSMemory()
		before, heap1 := pssKB(b), liveHeap()
		d, essayErr, err := pinyin.Open(context.Background(), s)
		if err != nil || essayErr != nil {
			b.Fatal(err, essayErr)
		}
		d.PrepareKinds()
		debug.FreeOSMemory()
		mid, dictHeap := pssKB(b), liveHeap()-heap1
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
		b.ReportMetric(simpMB, "simp-MB")
		b.ReportMetric(simpHeap, "simp-heap-MB")
		b.ReportMetric(dictHeap, "dict-heap-MB")
		b.ReportMetric((mid-before)/1024, "dict-MB")
		b.ReportMetric((after-mid)/1024, "model-MB")
		b.ReportMetric((after-before)/1024, "total-MB")
		keep = append(keep, simp, d)
		z.Close()
	}
	runtime.KeepAlive(keep)
}
