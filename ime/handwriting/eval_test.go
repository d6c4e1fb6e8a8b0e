package handwriting

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/ime/pinyin"
)

// The evaluation runs on stroke data no one here drew: hanzi-writer-data (npm; stroke
// medians from Make Me a Hanzi, Arphic Public License), which is not kept in the
// repository. scripts/ime-eval fetches it and sets GOVKIOSK_HANZI_DATA to its folder.
const hanziDataEnv = "GOVKIOSK_HANZI_DATA"

// evalJitter moves each key point of a stroke by about 1.5 % of the pad's side (σ), a
// finger's unsteadiness on a 300–400 px pad.
const evalJitter = 0.015

// medianInk turns a hanzi-writer-data character (1024-unit box, y up, baseline at 900)
// into ink on a w×h pad as a finger would draw it: shrunk and moved a little, each key point
// of the medians moved by jitter (a share of the pad's side, Gaussian), the strokes filled in
// at every few pixels as a touch screen reports them, with a pixel of sensor noise.
func medianInk(medians [][][2]float64, w, h float64, rng *rand.Rand, jitter float64) Ink {
	side := math.Min(w, h)
	scale := side / 1024 * (0.75 + 0.2*rng.Float64())
	offX := (w - 1024*scale) * rng.Float64()
	offY := (h - 1024*scale) * rng.Float64()
	ink := Ink{Width: w, Height: h}
	for _, m := range medians {
		var s Stroke
		for i, p := range m {
			q := Point{offX + p[0]*scale + rng.NormFloat64()*jitter*side, offY + (900-p[1])*scale + rng.NormFloat64()*jitter*side}
			if i > 0 {
				prev := s[len(s)-1]
				d := math.Hypot(q.X-prev.X, q.Y-prev.Y)
				steps := int(d / 4)
				for k := 1; k < steps; k++ {
					f := float64(k) / float64(steps)
					s = append(s, Point{prev.X + (q.X-prev.X)*f + rng.NormFloat64()*0.5, prev.Y + (q.Y-prev.Y)*f + rng.NormFloat64()*0.5})
				}
			}
			s = append(s, q)
		}
		for i := range s {
			s[i].X = clamp(s[i].X, 0, w)
			s[i].Y = clamp(s[i].Y, 0, h)
		}
		ink.Strokes = append(ink.Strokes, s)
	}
	return ink
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

func loadMedians(t testing.TB, dir, char string) [][][2]float64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, char+".json"))
	if err != nil {
		return nil
	}
	var v struct {
		Medians [][][2]float64 `json:"medians"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", char, err)
	}
	return v.Medians
}

// commonChars: the n most frequent single characters by the pinyin dictionary's weights
// (a character with several readings counts their sum).
func commonChars(t testing.TB, n int) []string {
	t.Helper()
	f, err := os.Open("/usr/share/rime-data/pinyin_simp.dict.yaml")
	if err != nil {
		t.Skip("rime-data-pinyin-simp not installed")
	}
	defer f.Close()
	w := map[string]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.Split(sc.Text(), "\t")
		if len(parts) != 3 || len([]rune(parts[0])) != 1 {
			continue
		}
		v, err := strconv.ParseFloat(parts[2], 64)
		if err == nil {
			w[parts[0]] += v
		}
	}
	chars := make([]string, 0, len(w))
	for c := range w {
		chars = append(chars, c)
	}
	sort.Slice(chars, func(i, j int) bool {
		if w[chars[i]] != w[chars[j]] {
			return w[chars[i]] > w[chars[j]]
		}
		return chars[i] < chars[j]
	})
	return chars[:min(n, len(chars))]
}

// Floors of TestEvaluateHanziWriter, just under the measured numbers.
const (
	evalFloorTop1 = 81.5
	evalFloorTop5 = 91.5
)

// TestEvaluateHanziWriter reports top-1 and top-5 accuracy and latency on the 1,000 most
// common characters (run by scripts/ime-eval; skipped without the data).
func TestEvaluateHanziWriter(t *testing.T) {
	dir := os.Getenv(hanziDataEnv)
	if dir == "" {
		t.Skip(hanziDataEnv + " not set (scripts/ime-eval fetches the data)")
	}
	z := openKioskRecognizer(t)
	rng := rand.New(rand.NewPCG(9, 9))
	chars := commonChars(t, 1000)
	var top1, top5, total int
	var half [2]struct{ top1, top5, total int } // by the character's rank: even, odd
	var lat []time.Duration
	var missed []string
	for rank, c := range chars {
		m := loadMedians(t, dir, c)
		if m == nil {
			continue
		}
		w := 280 + 120*rng.Float64()
		h := 280 + 120*rng.Float64()
		ink := medianInk(m, w, h, rng, evalJitter)
		t0 := time.Now()
		got, err := z.Recognize(ink, 10)
		lat = append(lat, time.Since(t0))
		if err != nil {
			t.Fatal(err)
		}
		total++
		hf := &half[rank%2]
		hf.total++
		for i, g := range got {
			if g.Text == c {
				if i == 0 {
					top1++
					hf.top1++
				}
				if i < 5 {
					top5++
					hf.top5++
				}
				break
			}
		}
		if len(got) == 0 || got[0].Text != c {
			missed = append(missed, c)
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p99 := lat[len(lat)*99/100]
	fmt.Printf("handwriting eval: %d characters (of %d asked), top-1 %.1f%%, top-5 %.1f%%, p99 %v, p50 %v\n",
		total, len(chars), 100*float64(top1)/float64(total), 100*float64(top5)/float64(total), p99, lat[len(lat)/2])
	pct := func(a, b int) float64 { return 100 * float64(a) / float64(max(b, 1)) }
	fmt.Printf("  even ranks: top-1 %.1f%%, top-5 %.1f%%; odd ranks: top-1 %.1f%%, top-5 %.1f%%\n",
		pct(half[0].top1, half[0].total), pct(half[0].top5, half[0].total), pct(half[1].top1, half[1].total), pct(half[1].top5, half[1].total))
	fmt.Printf("top-1 misses (first 60): %s\n", strings.Join(missed[:min(60, len(missed))], ""))
	// Floors just under what was measured (docs/IME.md): a change that makes recognition
	// worse fails here.
	if got := pct(top1, total); got < evalFloorTop1 {
		t.Errorf("top-1 %.1f%% below the floor %.1f%%", got, evalFloorTop1)
	}
	if got := pct(top5, total); got < evalFloorTop5 {
		t.Errorf("top-5 %.1f%% below the floor %.1f%%", got, evalFloorTop5)
	}
}

// openKioskRecognizer opens the recognizer as cmd/kiosk does: both models and the
// pinyin dictionary's character counts.
func openKioskRecognizer(t testing.TB) *Ensemble {
	t.Helper()
	e, err := OpenEnsemble(DefaultModelPath, JapaneseModelPath)
	if err != nil {
		t.Skip(err)
	}
	t.Cleanup(func() { e.Close() })
	if e.Degraded != nil {
		t.Skip(e.Degraded)
	}
	d, err := pinyin.Load(pinyin.DefaultDictPath)
	if err != nil {
		t.Skip(err)
	}
	e.SetFrequencies(d.CharCounts())
	return e
}

func openModel(t testing.TB) *Zinnia {
	t.Helper()
	z, err := OpenZinnia(DefaultModelPath)
	if err != nil {
		if os.Getenv("GOVKIOSK_E2E") != "required" {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { z.Close() })
	return z
}
