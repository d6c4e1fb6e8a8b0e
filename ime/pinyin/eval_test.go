package pinyin

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

type evalPhrase struct {
	text string
	syl  []string
}

// evalPhrases reads testdata/eval.txt: phrases written for this test (what residents put
// on the forms), not taken from the dictionary.
func evalPhrases(t testing.TB) []evalPhrase {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "eval.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []evalPhrase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		text, py, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("bad line %q", line)
		}
		out = append(out, evalPhrase{text, strings.Fields(py)})
	}
	return out
}

type evalResult struct {
	n, top1, top5             int
	initials, initialsTop5    int
	missedFull, missedInitial []string
}

func evaluate(d *Dict, phrases []evalPhrase) evalResult {
	var r evalResult
	for _, p := range phrases {
		rank := func(in string) int {
			for i, c := range NewSession(d).Candidates(in, 5) {
				if c.Text == p.text {
					return i
				}
			}
			return -1
		}
		r.n++
		switch k := rank(strings.Join(p.syl, "")); {
		case k == 0:
			r.top1++
			r.top5++
		case k > 0:
			r.top5++
			r.missedFull = append(r.missedFull, p.text)
		default:
			r.missedFull = append(r.missedFull, p.text)
		}
		if len(p.syl) >= 2 && len(p.syl) <= 4 {
			var ini strings.Builder
			for _, s := range p.syl {
				ini.WriteByte(s[0])
			}
			r.initials++
			if rank(ini.String()) >= 0 {
				r.initialsTop5++
			} else {
				r.missedInitial = append(r.missedInitial, p.text+"/"+ini.String())
			}
		}
	}
	return r
}

func pct(a, b int) float64 { return 100 * float64(a) / float64(b) }

// TestEvaluatePhrases measures the accuracy targets on the installed dictionary
// and fails when a result falls below the level reached when this was written (the
// targets where they are reached), so a change that makes ranking worse is caught.
func TestEvaluatePhrases(t *testing.T) {
	d := installedDict(t)
	phrases := evalPhrases(t)
	if len(phrases) < 500 {
		t.Fatalf("only %d evaluation phrases, want at least 500", len(phrases))
	}
	r := evaluate(d, phrases)
	t.Logf("pinyin eval: %d phrases; full pinyin top-1 %.1f%%, top-5 %.1f%%; initials (2-4 syllables, %d phrases) top-5 %.1f%%",
		r.n, pct(r.top1, r.n), pct(r.top5, r.n), r.initials, pct(r.initialsTop5, r.initials))
	if testing.Verbose() {
		fmt.Printf("not first (full): %s\n", strings.Join(r.missedFull, " "))
		fmt.Printf("not in top 5 (initials): %s\n", strings.Join(r.missedInitial, " "))
	}
	// The targets are 95 / 80 / 80. Reached so far: 93.7 / 85.0 / 37.1 (docs/IME.md
	// says why initials fall short). The floors are what was reached, so ranking cannot
	// silently get worse; raise them as the engine improves.
	floors := []struct {
		name      string
		got, want float64
		target    float64
	}{
		{"full pinyin top-5", pct(r.top5, r.n), 93.5, 95},
		{"full pinyin top-1", pct(r.top1, r.n), 84.5, 80},
		{"initials top-5", pct(r.initialsTop5, r.initials), 36.5, 80},
	}
	for _, f := range floors {
		if f.got < f.want {
			t.Errorf("%s: %.1f%% fell below %.1f%% (issue target %.0f%%)", f.name, f.got, f.want, f.target)
		}
	}
}

// BenchmarkKeystroke: the time from a key to the updated candidates, typing every
// evaluation phrase letter by letter (the keyboard asks for the candidates after each
// key). Reports the p99 over all keystrokes as p99-ms.
func BenchmarkKeystroke(b *testing.B) {
	d := installedDict(b)
	phrases := evalPhrases(b)
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := phrases[i%len(phrases)]
		c := NewComposer(NewSession(d), 5)
		for _, r := range strings.Join(p.syl, "") {
			t0 := time.Now()
			c.Type(r)
			_ = c.Candidates()
			_ = c.Preedit()
			lat = append(lat, time.Since(t0))
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	}
}

// BenchmarkLoad: reading the dictionary and building its index (once per kiosk start).
func BenchmarkLoad(b *testing.B) {
	installedDict(b)
	for i := 0; i < b.N; i++ {
		if _, err := Load(DefaultDictPath); err != nil {
			b.Fatal(err)
		}
	}
}
