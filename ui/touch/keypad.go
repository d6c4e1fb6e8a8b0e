package touch

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/govkiosk/govkiosk/ui/kiosktheme"
)

// KeypadMode picks the keypad's extra key.
type KeypadMode int

const (
	// Digits has 0–9 only.
	Digits KeypadMode = iota
	// Decimal adds a decimal point.
	Decimal
	// Phone adds a hyphen, for landlines with area codes.
	Phone
	// IDNumber adds X, the check character of ID numbers.
	IDNumber
)

// KeyLabels are the words on the keys that are not characters, in the current language.
type KeyLabels struct {
	Backspace string // deletes the last character
	Clear     string // empties the field
	Space     string // keyboard only
}

// Key is one key of a keypad or keyboard with its stable automation id
// ("keypad.7", "keyboard.q", "keypad.back").
type Key struct {
	ID     string
	Button *Button
}

// Keypad is a large digit keypad. It reports keys through its callbacks and keeps no
// text itself: the field being edited does.
type Keypad struct {
	widget.BaseWidget

	// OnRune receives a typed character; OnBackspace and OnClear the editing keys.
	OnRune      func(r rune)
	OnBackspace func()
	OnClear     func()

	mode    KeypadMode
	labels  KeyLabels
	keys    []Key
	content fyne.CanvasObject
}

// NewKeypad builds a keypad for mode.
func NewKeypad(mode KeypadMode, labels KeyLabels) *Keypad {
	k := &Keypad{mode: mode, labels: labels}
	k.ExtendBaseWidget(k)
	k.build()
	return k
}

// Mode returns the keypad's mode.
func (k *Keypad) Mode() KeypadMode { return k.mode }

// Keys returns every key in reading order.
func (k *Keypad) Keys() []Key { return k.keys }

// Key returns the key with the given automation id, or nil.
func (k *Keypad) Key(id string) *Button { return findKey(k.keys, id) }

func findKey(keys []Key, id string) *Button {
	for _, key := range keys {
		if key.ID == id {
			return key.Button
		}
	}
	return nil
}

func (k *Keypad) add(id, text string, fn func()) *Button {
	b := &Button{Text: text, OnTapped: fn, Keycap: true}
	b.ExtendBaseWidget(b)
	k.keys = append(k.keys, Key{ID: "keypad." + id, Button: b})
	return b
}

func (k *Keypad) rune(r rune) func() {
	return func() {
		if k.OnRune != nil {
			k.OnRune(r)
		}
	}
}

func (k *Keypad) build() {
	var digits []fyne.CanvasObject
	for _, r := range "123456789" {
		digits = append(digits, k.add(string(r), string(r), k.rune(r)))
	}
	var bottom []fyne.CanvasObject
	switch k.mode {
	case Decimal:
		bottom = append(bottom, k.add("dot", ".", k.rune('.')))
	case Phone:
		bottom = append(bottom, k.add("dash", "-", k.rune('-')))
	case IDNumber:
		bottom = append(bottom, k.add("x", "X", k.rune('X')))
	}
	bottom = append(bottom, k.add("0", "0", k.rune('0')))
	back := k.add("back", k.labels.Backspace, func() {
		if k.OnBackspace != nil {
			k.OnBackspace()
		}
	})
	clr := k.add("clear", k.labels.Clear, func() {
		if k.OnClear != nil {
			k.OnClear()
		}
	})
	objs := append(append(digits, bottom...), back, clr)
	k.content = container.New(&keypadLayout{bottom: len(bottom)}, objs...)
}

// CreateRenderer lays the keys out.
func (k *Keypad) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(k.content) }

// keypadLayout puts the digits in three columns of four rows, the bottom row's keys (0,
// and X, the point or the hyphen) sharing the fourth row with 0 the wider, and the two
// editing keys in a fourth column, each two rows tall: large, and apart from the digits.
// Rows grow with the space given up to the theme's key size.
type keypadLayout struct{ bottom int }

func (l *keypadLayout) cell(objects []fyne.CanvasObject) fyne.Size {
	var c fyne.Size
	for _, o := range objects {
		c = c.Max(o.MinSize())
	}
	return c
}

func (l *keypadLayout) Layout(objects []fyne.CanvasObject, s fyne.Size) {
	pad := theme.Size(theme.SizeNamePadding)
	cw := (s.Width - 3*pad) / 4
	rh := max(min((s.Height-3*pad)/4, theme.Size(kiosktheme.SizeNameKey)), l.cell(objects).Height)
	at := func(o fyne.CanvasObject, col, row, cols, rows int) {
		o.Move(fyne.NewPos(float32(col)*(cw+pad), float32(row)*(rh+pad)))
		o.Resize(fyne.NewSize(float32(cols)*cw+float32(cols-1)*pad, float32(rows)*rh+float32(rows-1)*pad))
	}
	for i := 0; i < 9; i++ {
		at(objects[i], i%3, i/3, 1, 1)
	}
	if l.bottom == 1 {
		at(objects[9], 0, 3, 3, 1)
	} else {
		at(objects[9], 0, 3, 1, 1)
		at(objects[10], 1, 3, 2, 1)
	}
	n := len(objects)
	at(objects[n-2], 3, 0, 1, 2)
	at(objects[n-1], 3, 2, 1, 2)
}

func (l *keypadLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	pad := theme.Size(theme.SizeNamePadding)
	c := l.cell(objects)
	return fyne.NewSize(4*c.Width+3*pad, 4*c.Height+3*pad)
}
