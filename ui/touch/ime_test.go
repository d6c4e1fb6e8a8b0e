package touch

import (
	"path/filepath"
	"slices"
	"testing"

	"fyne.io/fyne/v2"

	"github.com/govkiosk/govkiosk/ime/handwriting"
	"github.com/govkiosk/govkiosk/ime/pinyin"
)

var testIMELabels = IMELabels{KeyLabels: KeyLabels{Backspace: "⌫", Clear: "C", Space: "␣"},
	Pinyin: "拼音", Handwriting: "手写", ABC: "ABC", Digits: "123", Prev: "<", Next: ">",
	Undo: "撤销", Rewrite: "重写", Off: "off"}

func miniSession(t *testing.T) *pinyin.Session {
	t.Helper()
	d, err := pinyin.Load(filepath.Join("..", "..", "ime", "pinyin", "testdata", "mini.dict.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return pinyin.NewSession(d)
}

// fakeRecognizer answers every ink with the same candidates and counts its calls.
type fakeRecognizer struct {
	calls int
	last  handwriting.Ink
}

func (f *fakeRecognizer) Recognize(ink handwriting.Ink, n int) ([]handwriting.Candidate, error) {
	f.calls++
	f.last = ink
	return []handwriting.Candidate{{Text: "经"}, {Text: "轻"}}, nil
}
func (f *fakeRecognizer) Close() error { return nil }

func tapKeys(t *testing.T, k *ChineseKeyboard, ids ...string) {
	t.Helper()
	for _, id := range ids {
		b := k.Key(id)
		if b == nil {
			t.Fatalf("no key %s", id)
		}
		b.Tapped(nil)
	}
}

func TestChineseKeyboardPinyin(t *testing.T) {
	newTheme(t)
	var out, pre string
	k := NewChineseKeyboard(IME{Pinyin: miniSession(t)}, testIMELabels)
	k.OnText = func(s string) { out += s }
	k.OnComposing = func(s string) { pre = s }
	tapKeys(t, k, "keyboard.j", "keyboard.y", "keyboard.f", "keyboard.w")
	if pre != "j'y'f'w" || k.Candidates()[0] != "经营范围" {
		t.Fatalf("preedit %q candidates %v", pre, k.Candidates())
	}
	tapKeys(t, k, "ime.cand.0", "keyboard.punct.1") // 经营范围、
	if out != "经营范围、" || pre != "" {
		t.Fatalf("out %q preedit %q", out, pre)
	}
	// Backspace deletes a syllable while composing, then the field's last character.
	var backs int
	k.OnBackspace = func() { backs++ }
	tapKeys(t, k, "keyboard.x", "keyboard.i", "keyboard.a", "keyboard.n", "keyboard.back")
	if pre != "" || backs != 0 {
		t.Fatalf("after deleting the syllable: preedit %q, field backspaces %d", pre, backs)
	}
	tapKeys(t, k, "keyboard.back")
	if backs != 1 {
		t.Fatalf("field backspaces %d", backs)
	}
	// Switching mode writes out the composition.
	tapKeys(t, k, "keyboard.x", "keyboard.i", "keyboard.a", "keyboard.n", "ime.mode.abc", "keyboard.a")
	if out != "经营范围、先A" {
		t.Fatalf("out %q", out)
	}
}

func TestChineseKeyboardHandwriting(t *testing.T) {
	newTheme(t)
	rec := &fakeRecognizer{}
	var out string
	k := NewChineseKeyboard(IME{Pinyin: miniSession(t), Handwriting: rec}, testIMELabels)
	k.OnText = func(s string) { out += s }
	tapKeys(t, k, "ime.mode.handwriting")
	pad := k.Pad()
	pad.Resize(fyne.NewSquareSize(300))
	drag := func(x, y, dx, dy float32) {
		pad.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(x, y)}, Dragged: fyne.NewDelta(dx, dy)})
	}
	drag(60, 150, 10, 0)
	drag(240, 150, 180, 0)
	drag(400, 150, 160, 0) // off the pad: ignored
	pad.DragEnd()
	if rec.calls != 1 || len(rec.last.Strokes) != 1 || len(rec.last.Strokes[0]) != 3 {
		t.Fatalf("recognizer got %d calls, ink %v", rec.calls, rec.last.Strokes)
	}
	if got := k.Candidates(); !slices.Equal(got, []string{"经", "轻"}) {
		t.Fatalf("candidates %v", got)
	}
	tapKeys(t, k, "ime.cand.0")
	if out != "经" || len(pad.Ink().Strokes) != 0 {
		t.Fatalf("out %q, pad %v", out, pad.Ink().Strokes)
	}
	// Associations follow the character.
	if got := k.Candidates(); len(got) == 0 || got[0] != "营" {
		t.Fatalf("associations %v", got)
	}
	tapKeys(t, k, "ime.cand.0")
	if out != "经营" {
		t.Fatalf("out %q", out)
	}
}

func TestChineseKeyboardMissingData(t *testing.T) {
	newTheme(t)
	k := NewChineseKeyboard(IME{}, testIMELabels)
	if k.Mode() != ModeABC {
		t.Fatalf("mode %v without a dictionary, want ABC", k.Mode())
	}
	tapKeys(t, k, "ime.mode.handwriting")
	if k.Pad() != nil {
		t.Fatal("a pad without a recognizer")
	}
}
