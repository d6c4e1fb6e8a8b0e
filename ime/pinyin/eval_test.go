package pinyin

import (
	"bufio"
	"context"
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
	// kind is the field a resident writes it in: the "#kind" block it is listed under.
	kind Kind
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
	kind := KindText
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if k, ok := strings.CutPrefix(line, "#kind "); ok {
			k, _, _ = strings.Cut(k, ":")
			if k == "text" {
				k = ""
			}
			if kind = Kind(k); !kind.Valid() {
				t.Fatalf("unknown kind in %q", line)
			}
			continue
		}
		if line == "" || line[0] == '#' {
			continue
		}
		text, py, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("bad line %q", line)
		}
		out = append(out, evalPhrase{text, strings.Fields(py), kind})
	}
	return out
}

type evalResult struct {
	n, top1, top5             int
	initials, initialsTop5    int
	missedFull, missedInitial []string
	// byLen: initials inputs and their top-5 hits by syllable count (2, 3, 4).
	byLen [5][2]int
}

// evaluate ranks every phrase's full pinyin and initials. With fields set, the session is
// given the phrase's field kind first, as the form does when a field takes focus;
// without, every phrase is typed as free text.
func evaluate(d *Dict, phrases []evalPhrase, fields bool) evalResult {
	var r evalResult
	for _, p := range phrases {
		rank := func(in string) int {
			s := NewSession(d)
			if fields {
				s.SetKind(p.kind)
			}
			for i, c := range s.Candidates(in, 5) {
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
			r.byLen[len(p.syl)][0]++
			if rank(ini.String()) >= 0 {
				r.initialsTop5++
				r.byLen[len(p.syl)][1]++
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
// targets where they are reached), so a change that makes ranking worse is caught. It
// measures twice: every phrase typed as free text (no field prior), and every phrase typed
// in the kind of field its block of eval.txt names (the form sets it when a field takes
// focus). Each is also reported on the odd and even halves of the list.
func TestEvaluatePhrases(t *testing.T) {
	d := installedDict(t)
	phrases := evalPhrases(t)
	if len(phrases) < 500 {
		t.Fatalf("only %d evaluation phrases, want at least 500", len(phrases))
	}
	var halves [2][]evalPhrase
	for i, p := range phrases {
		halves[i%2] = append(halves[i%2], p)
	}
	type floor struct{ top5, top1, initials float64 }
	for _, m := range []struct {
		name   string
		fields bool
		// The floors are what was reached, so ranking cannot silently get worse; raise
		// them as the engine improves. The targets are 95 / 80 / 80. With
		// rime-essay's words and jieba's nouns (the kiosk's dictionary; scripts/install-deps
		// test installs rime-essay, opencc and python3-jieba) and on pinyin_simp alone
		// (where they are missing, outside required runs).
		// essayOnly: with the essay but without jieba's lexicon (python3-jieba missing).
		essay, essayOnly, simp floor
	}{
		// Reached: with the essay and the lexicon 97.7 / 88.2 / 41.4 (essay alone 96.2 / 86.6
		// / 38.0); pinyin_simp alone 93.7 / 85.0 / 37.1 (docs/IME.md says why initials fall
		// short).
		{"free text", false, floor{97.5, 88.0, 41.2}, floor{96.0, 86.4, 37.8}, floor{93.5, 84.5, 36.5}},
		// Reached with the field prior: with the essay and the lexicon 97.8 / 90.4 / 53.3
		// (essay alone 96.5 / 88.7 / 49.9); pinyin_simp alone 94.0 / 86.7 / 46.7.
		{"field kinds", true, floor{97.6, 90.2, 53.1}, floor{96.3, 88.5, 49.6}, floor{93.8, 86.5, 46.5}},
	} {
		fl := m.essay
		switch {
		case !essayLoaded():
			fl = m.simp
		case !realDict.HasLexicon():
			fl = m.essayOnly
		}
		if testing.Verbose() && essayLoaded() {
			sr := evaluate(simpDict(t), phrases, m.fields)
			t.Logf("pinyin_simp alone, %s: full pinyin top-1 %.1f%%, top-5 %.1f%%; initials top-5 %.1f%%",
				m.name, pct(sr.top1, sr.n), pct(sr.top5, sr.n), pct(sr.initialsTop5, sr.initials))
		}
		r := evaluate(d, phrases, m.fields)
		t.Logf("pinyin eval, %s: %d phrases; full pinyin top-1 %.1f%%, top-5 %.1f%%; initials (2-4 syllables, %d phrases) top-5 %.1f%% (2: %.1f%% of %d, 3: %.1f%% of %d, 4: %.1f%% of %d)",
			m.name, r.n, pct(r.top1, r.n), pct(r.top5, r.n), r.initials, pct(r.initialsTop5, r.initials),
			pct(r.byLen[2][1], r.byLen[2][0]), r.byLen[2][0], pct(r.byLen[3][1], r.byLen[3][0]), r.byLen[3][0],
			pct(r.byLen[4][1], r.byLen[4][0]), r.byLen[4][0])
		for h, half := range halves {
			hr := evaluate(d, half, m.fields)
			t.Logf("  %s half: full top-1 %.1f%%, top-5 %.1f%%; initials top-5 %.1f%%",
				[]string{"odd", "even"}[h], pct(hr.top1, hr.n), pct(hr.top5, hr.n), pct(hr.initialsTop5, hr.initials))
		}
		if m.fields {
			for _, k := range Kinds {
				var of []evalPhrase
				for _, p := range phrases {
					if p.kind == k {
						of = append(of, p)
					}
				}
				if len(of) == 0 {
					continue
				}
				kr, fr := evaluate(d, of, true), evaluate(d, of, false)
				t.Logf("  kind %q (%d phrases): initials top-5 %.1f%% (free text %.1f%%), full top-1 %.1f%% (%.1f%%), top-5 %.1f%% (%.1f%%)",
					k, len(of), pct(kr.initialsTop5, kr.initials), pct(fr.initialsTop5, fr.initials),
					pct(kr.top1, kr.n), pct(fr.top1, fr.n), pct(kr.top5, kr.n), pct(fr.top5, fr.n))
			}
		}
		if testing.Verbose() && os.Getenv("GOVKIOSK_EVAL_MISSES") != "" {
			fmt.Printf("%s, not first (full): %s\n", m.name, strings.Join(r.missedFull, " "))
			fmt.Printf("%s, not in top 5 (initials): %s\n", m.name, strings.Join(r.missedInitial, " "))
		}
		for _, f := range []struct {
			name      string
			got, want float64
			target    float64
		}{
			{"full pinyin top-5", pct(r.top5, r.n), fl.top5, 95},
			{"full pinyin top-1", pct(r.top1, r.n), fl.top1, 80},
			{"initials top-5", pct(r.initialsTop5, r.initials), fl.initials, 80},
		} {
			if f.got < f.want {
				t.Errorf("%s, %s: %.1f%% fell below %.1f%% (issue target %.0f%%)", m.name, f.name, f.got, f.want, f.target)
			}
		}
	}
}

// BenchmarkKeystroke: the time from a key to the updated candidates, typing every
// evaluation phrase letter by letter (the keyboard asks for the candidates after each
// key), in the kind of field it is written in (field) and as free text (free), with
// rime-essay's words (what the kiosk loads) and on pinyin_simp alone. Reports the p99 over
// all keystrokes as p99-ms.
func BenchmarkKeystroke(b *testing.B) {
	b.Run("essay", func(b *testing.B) { benchKeystroke(b, installedDict(b)) })
	b.Run("pinyin_simp", func(b *testing.B) { benchKeystroke(b, simpDict(b)) })
}

func benchKeystroke(b *testing.B, d *Dict) {
	phrases := evalPhrases(b)
	for _, fields := range []bool{true, false} {
		b.Run(map[bool]string{true: "field", false: "free"}[fields], func(b *testing.B) {
			var lat []time.Duration
			for i := 0; i < b.N; i++ {
				p := phrases[i%len(phrases)]
				sess := NewSession(d)
				if fields {
					sess.SetKind(p.kind)
				}
				c := NewComposer(sess, 5)
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
		})
	}
}

// BenchmarkLoad: reading the dictionary and building its index (once per kiosk start),
// with the essay index already built (as the package leaves it) and without the essay.
func BenchmarkLoad(b *testing.B) {
	installedDict(b)
	b.Run("essay", func(b *testing.B) {
		if !essayLoaded() {
			b.Skip("no essay words")
		}
		s := Sources{EssaySources: EssaySources{Dict: DefaultDictPath, Essay: DefaultEssayPath, Lexicon: DefaultLexiconPath},
			Index: []string{essayIndexPath()}}
		for i := 0; i < b.N; i++ {
			if _, essayErr, err := Open(context.Background(), s); err != nil || essayErr != nil {
				b.Fatal(err, essayErr)
			}
		}
	})
	b.Run("pinyin_simp", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := Load(DefaultDictPath); err != nil {
				b.Fatal(err)
			}
		}
	})
}
