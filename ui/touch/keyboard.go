package touch

import (
	"strings"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/govkiosk/govkiosk/ui/kiosktheme"
)

// keyboardRows are the character rows of the simple keyboard: digits, then capital
// letters in the QWERTY order residents know from phones, then the punctuation that
// house numbers, licence numbers and e-mail addresses need.
var keyboardRows = []string{"1234567890", "QWERTYUIOP", "ASDFGHJKL-", "ZXCVBNM#/."}

// Keyboard is a simple on-screen keyboard of capital letters, digits and a little
// punctuation. There is no Chinese input method on the kiosk: Chinese text such as an
// address comes from the ID card, and a resident who must write other Chinese is sent to
// staff, as most service halls do.
type Keyboard struct {
	widget.BaseWidget

	OnRune      func(r rune)
	OnBackspace func()
	OnClear     func()

	labels  KeyLabels
	opts    KeyboardOptions
	lower   bool
	letters []Key
	keys    []Key
	content fyne.CanvasObject
}

// KeyboardOptions add what technicians need: more punctuation for addresses and device
// paths, and lower-case letters.
type KeyboardOptions struct {
	// Extra adds a row of these characters above the letters (":_@" for URLs).
	Extra string
	// Cases adds a key that switches between capital and small letters.
	Cases bool
}

// NewKeyboard builds the keyboard.
func NewKeyboard(labels KeyLabels) *Keyboard { return NewKeyboardWith(labels, KeyboardOptions{}) }

// NewKeyboardWith builds a keyboard with options.
func NewKeyboardWith(labels KeyLabels, o KeyboardOptions) *Keyboard {
	k := &Keyboard{labels: labels, opts: o}
	k.ExtendBaseWidget(k)
	k.build()
	return k
}

// Lower reports whether letters type in small letters.
func (k *Keyboard) Lower() bool { return k.lower }

// SetLower switches the letters between capital and small.
func (k *Keyboard) SetLower(on bool) {
	k.lower = on
	for _, key := range k.letters {
		t := strings.ToUpper(key.Button.Text)
		if on {
			t = strings.ToLower(t)
		}
		key.Button.SetText(t)
	}
}

// Keys returns every key in reading order.
func (k *Keyboard) Keys() []Key { return k.keys }

// Key returns the key with the given automation id, or nil.
func (k *Keyboard) Key(id string) *Button { return findKey(k.keys, id) }

// keyID names a character key: letters and digits by themselves in lower case, the
// punctuation by name, so every id is safe in a shell command line.
func keyID(r rune) string {
	switch r {
	case '-':
		return "dash"
	case '#':
		return "hash"
	case '/':
		return "slash"
	case '.':
		return "dot"
	case ' ':
		return "space"
	case ':':
		return "colon"
	case '_':
		return "underscore"
	case '@':
		return "at"
	}
	return strings.ToLower(string(r))
}

func (k *Keyboard) add(id, text string, fn func()) *Button {
	b := &Button{Text: text, OnTapped: fn, Keycap: true}
	b.ExtendBaseWidget(b)
	k.keys = append(k.keys, Key{ID: "keyboard." + id, Button: b})
	return b
}

func (k *Keyboard) build() {
	all := keyboardRows
	if k.opts.Extra != "" {
		all = append([]string{k.opts.Extra}, all...)
	}
	rows := make([]fyne.CanvasObject, 0, len(all)+1)
	for _, row := range all {
		var keys []fyne.CanvasObject
		for _, r := range row {
			b := k.add(keyID(r), string(r), nil)
			b.OnTapped = func() {
				if k.OnRune == nil {
					return
				}
				if k.lower {
					k.OnRune(unicode.ToLower(r))
				} else {
					k.OnRune(r)
				}
			}
			if unicode.IsLetter(r) {
				k.letters = append(k.letters, k.keys[len(k.keys)-1])
			}
			keys = append(keys, b)
		}
		rows = append(rows, container.New(&keyRow{cols: 10}, keys...))
	}
	clr := k.add("clear", k.labels.Clear, func() {
		if k.OnClear != nil {
			k.OnClear()
		}
	})
	space := k.add("space", k.labels.Space, func() {
		if k.OnRune != nil {
			k.OnRune(' ')
		}
	})
	back := k.add("back", k.labels.Backspace, func() {
		if k.OnBackspace != nil {
			k.OnBackspace()
		}
	})
	left := fyne.CanvasObject(clr)
	if k.opts.Cases {
		shift := k.add("shift", "Aa", func() { k.SetLower(!k.lower) })
		left = container.NewHBox(shift, clr)
	}
	rows = append(rows, container.NewBorder(nil, nil, left, back, space))
	k.content = container.New(keyRows{}, rows...)
}

// CreateRenderer lays the keys out.
func (k *Keyboard) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(k.content) }

// keyRow lays keys out at an equal width of one cols-th of the row (so rows with fewer
// keys keep the same key size), centred, no wider than a key is tall.
type keyRow struct{ cols int }

func (l *keyRow) keyWidth(width float32, objects []fyne.CanvasObject) float32 {
	pad := theme.Size(theme.SizeNamePadding)
	w := (width - pad*float32(l.cols-1)) / float32(l.cols)
	return max(min(w, theme.Size(kiosktheme.SizeNameKey)*1.15), 0)
}

func (l *keyRow) Layout(objects []fyne.CanvasObject, s fyne.Size) {
	pad := theme.Size(theme.SizeNamePadding)
	w := l.keyWidth(s.Width, objects)
	total := w*float32(len(objects)) + pad*float32(len(objects)-1)
	x := (s.Width - total) / 2
	for _, o := range objects {
		o.Resize(fyne.NewSize(w, s.Height))
		o.Move(fyne.NewPos(x, 0))
		x += w + pad
	}
}

func (l *keyRow) MinSize(objects []fyne.CanvasObject) fyne.Size {
	pad := theme.Size(theme.SizeNamePadding)
	var cell fyne.Size
	for _, o := range objects {
		cell = cell.Max(o.MinSize())
	}
	return fyne.NewSize(cell.Width*float32(l.cols)+pad*float32(l.cols-1), cell.Height)
}
