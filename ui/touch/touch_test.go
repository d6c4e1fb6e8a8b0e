package touch

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/govkiosk/govkiosk/ui/kiosktheme"
)

// newTheme installs the kiosk theme for a test and returns it.
func newTheme(t *testing.T) *kiosktheme.Theme {
	t.Helper()
	test.NewTempApp(t)
	th := kiosktheme.New(nil)
	fyne.CurrentApp().Settings().SetTheme(th)
	return th
}

// typed records what a keypad or keyboard reports.
type typed struct{ b strings.Builder }

func (ty *typed) onRune(r rune) { ty.b.WriteRune(r) }
func (ty *typed) onBack()       { ty.b.WriteString("<") }
func (ty *typed) onClear()      { ty.b.WriteString("!") }

func TestKeypad(t *testing.T) {
	newTheme(t)
	tests := []struct {
		mode  KeypadMode
		taps  []string
		want  string
		extra string // the mode's extra key id, or ""
	}{
		{Digits, []string{"1", "3", "9", "0", "back", "clear"}, "1390<!", ""},
		{IDNumber, []string{"9", "x", "back"}, "9X<", "keypad.x"},
		{Decimal, []string{"1", "dot", "5"}, "1.5", "keypad.dot"},
		{Phone, []string{"0", "1", "0", "dash", "8"}, "010-8", "keypad.dash"},
	}
	for _, tt := range tests {
		k := NewKeypad(tt.mode, KeyLabels{Backspace: "删除", Clear: "清空"})
		var ty typed
		k.OnRune, k.OnBackspace, k.OnClear = ty.onRune, ty.onBack, ty.onClear
		w := test.NewTempWindow(t, k)
		w.Resize(fyne.NewSize(600, 500))
		for _, id := range tt.taps {
			b := k.Key("keypad." + id)
			if b == nil {
				t.Fatalf("mode %d: no key keypad.%s", tt.mode, id)
			}
			test.Tap(b)
		}
		if got := ty.b.String(); got != tt.want {
			t.Errorf("mode %d: typed %q, want %q", tt.mode, got, tt.want)
		}
		for _, extra := range []string{"keypad.x", "keypad.dot", "keypad.dash"} {
			if has := k.Key(extra) != nil; has != (extra == tt.extra) {
				t.Errorf("mode %d: key %s present = %v", tt.mode, extra, has)
			}
		}
		if n := len(k.Keys()); n != 12+btoi(tt.extra != "") {
			t.Errorf("mode %d: %d keys", tt.mode, n)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestKeyboard(t *testing.T) {
	newTheme(t)
	k := NewKeyboardWith(KeyLabels{Backspace: "删除", Clear: "清空", Space: "空格"}, KeyboardOptions{Extra: ":_@", Cases: true})
	var ty typed
	k.OnRune, k.OnBackspace, k.OnClear = ty.onRune, ty.onBack, ty.onClear
	w := test.NewTempWindow(t, k)
	w.Resize(fyne.NewSize(1000, 600))
	for _, id := range []string{"h", "j", "1", "dash", "space", "back", "colon", "shift", "a", "shift", "b", "clear", "slash", "dot", "hash", "at", "underscore"} {
		b := k.Key("keyboard." + id)
		if b == nil {
			t.Fatalf("no key keyboard.%s", id)
		}
		test.Tap(b)
	}
	if got, want := ty.b.String(), "HJ1- <:aB!/.#@_"; got != want {
		t.Errorf("typed %q, want %q", got, want)
	}
	if k.Key("keyboard.a").Text != "A" {
		t.Errorf("after two case switches the A key shows %q", k.Key("keyboard.a").Text)
	}
	plain := NewKeyboard(KeyLabels{})
	if plain.Key("keyboard.shift") != nil || plain.Key("keyboard.colon") != nil {
		t.Error("the resident keyboard has technician keys")
	}
}

// TestTouchTargets checks every button is at least the touch target, and every key at
// least three quarters of it (keys give way that much so a keyboard fits a smaller
// display), growing by the elder factor in elder mode.
func TestTouchTargets(t *testing.T) {
	th := newTheme(t)
	objs := func() []fyne.CanvasObject {
		var out []fyne.CanvasObject
		for _, k := range NewKeypad(IDNumber, KeyLabels{Backspace: "删除", Clear: "清空"}).Keys() {
			out = append(out, k.Button)
		}
		for _, k := range NewKeyboard(KeyLabels{Backspace: "删除", Clear: "清空", Space: "空格"}).Keys() {
			out = append(out, k.Button)
		}
		for _, k := range NewStars([5]string{"1", "2", "3", "4", "5"}).Keys() {
			out = append(out, k.Button)
		}
		return append(out, NewButton("OK", nil, nil), NewTile("办事", "", nil, nil), NewField("姓名", nil), NewItem("事项", "", nil, nil))
	}
	for _, elder := range []bool{false, true} {
		th.SetElder(elder)
		min := th.Size(kiosktheme.SizeNameTarget)
		if min < 60 {
			t.Fatalf("target %v < 60", min)
		}
		for _, o := range objs() {
			min := min
			if b, ok := o.(*Button); ok && b.Keycap {
				min *= 0.75
			}
			if s := o.MinSize(); s.Width < min || s.Height < min {
				t.Errorf("elder=%v: %T min size %v below the %v target", elder, o, s, min)
			}
		}
	}
}

func TestStars(t *testing.T) {
	newTheme(t)
	s := NewStars([5]string{"非常不满意", "不满意", "基本满意", "满意", "非常满意"})
	got := 0
	s.OnChanged = func(n int) { got = n }
	test.NewTempWindow(t, s)
	test.Tap(s.Keys()[3].Button)
	if got != 4 || s.Value() != 4 {
		t.Fatalf("rating %d (callback %d), want 4", s.Value(), got)
	}
	for i, k := range s.Keys() {
		if filled := k.Button.Text == "★"; filled != (i < 4) {
			t.Errorf("star %d filled = %v", i+1, filled)
		}
	}
	if s.caption.Text != "满意" {
		t.Errorf("caption %q, want 满意", s.caption.Text)
	}
}

func TestButtonDisabled(t *testing.T) {
	newTheme(t)
	n := 0
	b := NewButton("提交", nil, func() { n++ })
	test.NewTempWindow(t, b)
	b.Disable()
	test.Tap(b)
	b.Enable()
	test.Tap(b)
	if n != 1 {
		t.Errorf("tapped %d times through a disabled button, want 1", n)
	}
}

func TestLockedFieldIgnoresTaps(t *testing.T) {
	newTheme(t)
	n := 0
	f := NewField("姓名", func() { n++ })
	test.NewTempWindow(t, f)
	f.Locked = true
	test.Tap(f)
	f.Locked = false
	test.Tap(f)
	if n != 1 {
		t.Errorf("field tapped %d times, want 1 (the locked tap ignored)", n)
	}
}

// TestTapsCounted: every kind of tappable widget counts its taps, a disabled button's
// and a locked field's too, since a test waits for the count to reach the taps it sent.
func TestTapsCounted(t *testing.T) {
	newTheme(t)
	off := NewButton("off", nil, nil)
	off.Disable()
	objs := []fyne.Tappable{
		NewButton("on", nil, func() {}),
		off,
		&Field{Title: "locked", Locked: true},
		&Item{Title: "item"},
		&Tile{Title: "tile"},
	}
	for _, o := range objs {
		before := Taps()
		test.Tap(o)
		if got := Taps() - before; got != 1 {
			t.Errorf("%T: %d taps counted for one", o, got)
		}
	}
}
