package touch

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
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
	left := container.NewVBox(container.NewGridWithColumns(3, digits...), container.NewGridWithColumns(len(bottom), bottom...))
	right := container.NewGridWithRows(2, back, clr)
	k.content = container.NewBorder(nil, nil, nil, right, left)
}

// CreateRenderer lays the keys out.
func (k *Keypad) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(k.content) }
