package e2e

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestResidentWritesChineseOnTheRealKiosk: in 个体工商户设立登记 a resident writes the
// business scope 日用百货零售 by pinyin on the on-screen keyboard, and the first character
// of the shop's name, 福, by hand on the writing pad (its strokes dragged with the mouse
// from stroke data no one here drew), the rest of the name by pinyin; the hub receives
// exactly that text.
func TestResidentWritesChineseOnTheRealKiosk(t *testing.T) {
	w, s, kiosk := kioskTest(t)
	s.openService("business", "gtgsh-setup")
	w.card.send(t, "place resident")
	s.wait("form", 20*time.Second)

	// 经营范围 by pinyin: the letters, then the candidates that make up the phrase.
	s.tap("form.field.shop_scope")
	s.settle()
	s.typePinyin("riyongbaihuolingshou")
	s.shot("pinyin-candidates")
	s.chooseCandidates("日用百货零售")
	s.shot("scope-written")

	// 个体工商户名称: 福 by hand, then 来便利店 by pinyin.
	s.tap("form.field.shop_name")
	s.settle()
	s.tap("ime.mode.handwriting")
	s.settle()
	s.drawMedians(filepath.Join(w.root, "ime", "handwriting", "testdata", "fu-medians.json"))
	s.shot("handwriting-candidates")
	s.chooseCandidates("福")
	s.tap("ime.mode.pinyin")
	s.settle()
	s.typePinyin("laibianlidian")
	s.chooseCandidates("来便利店")
	s.shot("name-written")

	// 经营场所地址: 人民路 by pinyin, 8 in the digits mode, 号 from the punctuation keys.
	s.tap("form.field.shop_address")
	s.settle()
	s.typePinyin("renminlu")
	s.chooseCandidates("人民路")
	s.tap("ime.mode.123")
	s.settle()
	s.keys("8")
	s.tap("ime.mode.pinyin")
	s.settle()
	s.tap("keyboard.punct.8") // 号
	s.shot("address-written")

	s.fillForm(formField{"capital_yuan", "50000"}, formField{"staff_count", "2"}, formField{"phone", "13800138000"})
	s.shot("form-filled")
	s.tap("form.next")

	s.wait("materials", 10*time.Second)
	s.scanPage("premises-proof")
	s.scanPage("premises-proof")
	s.tap("materials.next")
	s.wait("review", 10*time.Second)
	s.shot("review")
	s.tap("review.confirm")
	s.wait("receipt", 60*time.Second)
	code := w.printedCode(t)
	s.tap("receipt.done")
	s.wait("rate", 10*time.Second)

	sub := w.submissionAtHub(t, code).Submissions[0]
	if sub.Item != "gtgsh-setup" {
		t.Errorf("hub got item %q, want gtgsh-setup", sub.Item)
	}
	for field, want := range map[string]string{
		"shop_scope":   "日用百货零售",
		"shop_name":    "福来便利店",
		"shop_address": "人民路8号",
	} {
		if got := sub.Fields[field]; got != want {
			t.Errorf("hub field %s = %q, want exactly %q", field, got, want)
		}
	}
	// What the resident wrote is personal: never in the kiosk's log.
	for _, secret := range []string{"日用百货零售", "福来便利店", "人民路8号"} {
		if strings.Contains(kiosk.stderr(), secret) {
			t.Errorf("kiosk log contains what the resident wrote: %q", secret)
		}
	}
}

// typePinyin taps the letters of a pinyin string on the Chinese keyboard and waits for
// the candidate bar to be drawn.
func (s *screen) typePinyin(letters string) {
	s.t.Helper()
	for _, r := range letters {
		id := "keyboard." + string(r)
		if r == '\'' {
			id = "keyboard.apostrophe"
		}
		s.tap(id)
	}
	s.handled()
}

// candidates returns the candidate bar's texts by automation id (ime.cand.N).
func (s *screen) candidates() map[string]string {
	m, err := s.read()
	if err != nil {
		s.t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range m.Elements {
		if strings.HasPrefix(e.ID, "ime.cand.") && e.Label != "" && !e.Disabled {
			out[e.ID] = e.Label
		}
	}
	return out
}

// chooseCandidates taps candidates until text is written: each time the longest candidate
// that begins what is left, as a resident picks a phrase piece by piece when the whole of
// it is not offered.
func (s *screen) chooseCandidates(text string) {
	s.t.Helper()
	left := text
	for left != "" {
		// The bar is read until it offers a piece of what is left: on a loaded machine
		// the automation map can still hold the previous composition's candidates when
		// the screen has already moved on.
		var cands map[string]string
		best, bestID := "", ""
		for deadline := time.Now().Add(10 * time.Second); bestID == "" && time.Now().Before(deadline); {
			cands = s.candidates()
			for id, c := range cands {
				if strings.HasPrefix(left, c) && len(c) > len(best) {
					best, bestID = c, id
				}
			}
			if bestID == "" {
				time.Sleep(200 * time.Millisecond)
			}
		}
		if bestID == "" {
			s.shot("no-candidate-for-" + left)
			s.t.Fatalf("writing %q: no candidate begins %q; the bar shows %v", text, left, cands)
		}
		s.tap(bestID)
		s.handled()
		left = strings.TrimPrefix(left, best)
	}
}

// drawMedians writes a character on the pad (ime.pad) from stroke medians in the
// hanzi-writer-data box (1024 units, y up, baseline at 900): each stroke is one mouse
// drag through points a few pixels apart, as a finger's touches arrive.
func (s *screen) drawMedians(path string) {
	s.t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		s.t.Fatal(err)
	}
	var data struct {
		Medians [][][2]float64 `json:"medians"`
	}
	if err := json.Unmarshal(b, &data); err != nil {
		s.t.Fatalf("%s: %v", path, err)
	}
	pad := s.find("ime.pad")
	side := 0.8 * math.Min(float64(pad.W), float64(pad.H))
	scale := side / 1024
	x0 := float64(pad.X) + (float64(pad.W)-side)/2
	y0 := float64(pad.Y) + (float64(pad.H)-side)/2
	at := func(p [2]float64) (string, string) {
		return fmt.Sprint(int(math.Round(x0 + p[0]*scale))), fmt.Sprint(int(math.Round(y0 + (900-p[1])*scale)))
	}
	for _, m := range data.Medians {
		x, y := at(m[0])
		args := []string{"mousemove", x, y, "mousedown", "1"}
		for i := 1; i < len(m); i++ {
			d := math.Hypot(m[i][0]-m[i-1][0], m[i][1]-m[i-1][1]) * scale
			steps := max(1, int(d/6))
			for k := 1; k <= steps; k++ {
				f := float64(k) / float64(steps)
				x, y := at([2]float64{m[i-1][0] + (m[i][0]-m[i-1][0])*f, m[i-1][1] + (m[i][1]-m[i-1][1])*f})
				args = append(args, "mousemove", x, y, "sleep", "0.01")
			}
		}
		args = append(args, "mouseup", "1", "sleep", "0.2")
		s.xdotool(args...)
	}
	s.settle()
}
