package touch

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/govkiosk/govkiosk/ime/handwriting"
	"github.com/govkiosk/govkiosk/ime/pinyin"
)

// IME is the Chinese input a ChineseKeyboard uses. A nil part turns its mode off (a
// broken install): the keyboard then offers the other modes and says so.
type IME struct {
	// Pinyin is the visit's session: the kiosk resets it when the visit ends.
	Pinyin *pinyin.Session
	// Handwriting recognises one character; Associations after it come from Pinyin's
	// dictionary when there is one.
	Handwriting handwriting.Recognizer
}

// IMEMode is the keyboard's current way of writing.
type IMEMode int

// The modes, in the order of the mode keys.
const (
	ModePinyin IMEMode = iota
	ModeHandwriting
	ModeABC
	Mode123
)

// IMELabels are the words on the keyboard's own keys, in the resident's language.
type IMELabels struct {
	KeyLabels
	Pinyin, Handwriting, ABC, Digits string // mode keys: 拼音 手写 ABC 123
	Prev, Next                       string // candidate pages
	Undo, Rewrite                    string // the pad: last stroke, all strokes
	Off                              string // shown in a mode whose data is missing
}

// imePunct is the punctuation addresses and business scopes need.
const imePunct = "，、；：（）-#号"

// candSlots is how many candidates the bar shows at once.
const candSlots = 5

// ChineseKeyboard is the on-screen keyboard for free text: pinyin, handwriting, capital
// letters and digits, with a candidate bar. It reports finished text with OnText and the
// composition with OnComposing; the field shows both.
type ChineseKeyboard struct {
	widget.BaseWidget

	OnText      func(text string)
	OnBackspace func()
	OnClear     func()
	// OnComposing is called with the composition ("经营fan'wei") as it changes, "" at the end.
	OnComposing func(preedit string)
	// OnKeys is called after a mode change replaced the keys (for the automation map).
	OnKeys func()
	// OnChange is called after the candidate bar changed: a key, a stroke on the pad, a
	// page (the resident is active; the automation map must be rewritten).
	OnChange func()

	ime    IME
	labels IMELabels
	mode   IMEMode
	comp   *pinyin.Composer

	pad      *Pad
	handCand []string // handwriting or association candidates
	handPage int

	keys     []Key
	cand     []*Button
	prev     *Button
	next     *Button
	preedit  *widget.Label
	top      *fyne.Container
	modeBox  *fyne.Container
	candRow  *fyne.Container
	body     *fyne.Container
	content  fyne.CanvasObject
	modeKeys []*Button
}

// NewChineseKeyboard builds the keyboard in pinyin mode (or the first mode that works).
func NewChineseKeyboard(ime IME, labels IMELabels) *ChineseKeyboard {
	k := &ChineseKeyboard{ime: ime, labels: labels}
	if ime.Pinyin != nil {
		k.comp = pinyin.NewComposer(ime.Pinyin, candSlots)
	}
	k.ExtendBaseWidget(k)
	k.preedit = widget.NewLabel("")
	k.prev = k.newKey("ime.prev", labels.Prev, func() { k.page(-1) })
	k.next = k.newKey("ime.next", labels.Next, func() { k.page(1) })
	bar := []fyne.CanvasObject{}
	for i := 0; i < candSlots; i++ {
		b := &Button{Large: true}
		b.ExtendBaseWidget(b)
		b.OnTapped = func() { k.choose(i) }
		k.cand = append(k.cand, b)
		bar = append(bar, b)
	}
	var modes []fyne.CanvasObject
	for m, text := range []string{labels.Pinyin, labels.Handwriting, labels.ABC, labels.Digits} {
		b := NewButton(text, nil, func() { k.SetMode(IMEMode(m)) })
		k.modeKeys = append(k.modeKeys, b)
		modes = append(modes, b)
	}
	k.body = container.NewStack()
	k.preedit.Truncation = fyne.TextTruncateEllipsis // the whole composition shows in the field
	k.modeBox = container.NewHBox(modes...)
	k.top = container.NewStack()
	k.SetHeader(nil)
	top := k.top
	k.candRow = container.New(candBar{}, append([]fyne.CanvasObject{k.prev, k.next}, bar...)...)
	k.content = container.NewBorder(container.NewVBox(top, k.candRow), nil, nil, nil, k.body)
	start := ModePinyin
	if ime.Pinyin == nil {
		start = ModeABC
	}
	k.SetMode(start)
	return k
}

// SetHeader puts obj (the name of the field being written) in the keyboard's top row,
// beside the mode keys and in place of the keyboard's own composition line: a host that
// sets a header shows the composition in its field (OnComposing). That is one row less
// than a title above the keyboard, which lets the keyboard fit beside the form in elder
// mode. A nil obj brings the composition line back.
func (k *ChineseKeyboard) SetHeader(obj fyne.CanvasObject) {
	row := container.NewBorder(nil, nil, nil, k.modeBox, k.preedit)
	if obj != nil {
		row = container.NewBorder(nil, nil, obj, k.modeBox)
	}
	k.top.Objects = []fyne.CanvasObject{row}
	k.top.Refresh()
}

// SetKind tells the pinyin session what the field being written asks for (an address, a
// business scope…), so words of that kind come first. The session keeps it until the next
// field sets its own or the visit ends.
func (k *ChineseKeyboard) SetKind(kind pinyin.Kind) {
	if k.ime.Pinyin != nil {
		k.ime.Pinyin.SetKind(kind)
	}
}

// Preedit returns the composition in progress ("经营fan'wei"), or "".
func (k *ChineseKeyboard) Preedit() string { return k.preedit.Text }

// Mode returns the current mode.
func (k *ChineseKeyboard) Mode() IMEMode { return k.mode }

// Keys returns every key of the current mode in reading order, with automation ids:
// ime.mode.N, ime.cand.N, ime.prev/next, keyboard.* (letters, punct.N, space, back, clear),
// ime.pad, ime.pad.undo/rewrite.
func (k *ChineseKeyboard) Keys() []Key { return k.keys }

// Key returns the key with the given automation id, or nil.
func (k *ChineseKeyboard) Key(id string) *Button { return findKey(k.keys, id) }

// Pad returns the writing pad (handwriting mode), or nil.
func (k *ChineseKeyboard) Pad() *Pad { return k.pad }

// Candidates returns the texts in the candidate bar.
func (k *ChineseKeyboard) Candidates() []string {
	var out []string
	for _, b := range k.cand {
		if b.Visible() && b.Text != "" {
			out = append(out, b.Text)
		}
	}
	return out
}

func (k *ChineseKeyboard) newKey(id, text string, fn func()) *Button {
	b := &Button{Text: text, OnTapped: fn, Keycap: true}
	b.ExtendBaseWidget(b)
	return b
}

// SetMode switches between pinyin, handwriting, letters and digits; a composition in
// progress is written out as converted so far.
func (k *ChineseKeyboard) SetMode(m IMEMode) {
	k.finishComposition()
	k.mode = m
	k.handCand, k.handPage = nil, 0
	k.pad = nil
	for i, b := range k.modeKeys {
		if IMEMode(i) == m {
			b.Importance = Primary
		} else {
			b.Importance = Secondary
		}
		b.Refresh()
	}
	k.keys = nil
	for i, b := range k.modeKeys {
		k.keys = append(k.keys, Key{ID: "ime.mode." + [...]string{"pinyin", "handwriting", "abc", "123"}[i], Button: b})
	}
	for i, b := range k.cand {
		k.keys = append(k.keys, Key{ID: "ime.cand." + string(rune('0'+i)), Button: b})
	}
	k.keys = append(k.keys, Key{ID: "ime.prev", Button: k.prev}, Key{ID: "ime.next", Button: k.next})
	var body fyne.CanvasObject
	switch m {
	case ModePinyin:
		body = k.pinyinBody()
	case ModeHandwriting:
		body = k.handBody()
	case ModeABC:
		kb := NewKeyboard(k.labels.KeyLabels)
		kb.OnRune = func(r rune) { k.emit(string(r)) }
		kb.OnBackspace = k.backspace
		kb.OnClear = k.clear
		k.keys = append(k.keys, kb.Keys()...)
		body = kb
	case Mode123:
		kp := NewKeypad(Digits, k.labels.KeyLabels)
		kp.OnRune = func(r rune) { k.emit(string(r)) }
		kp.OnBackspace = k.backspace
		kp.OnClear = k.clear
		k.keys = append(k.keys, kp.Keys()...)
		body = kp
	}
	k.body.Objects = []fyne.CanvasObject{body}
	k.body.Refresh()
	k.refreshBar()
	if k.OnKeys != nil {
		k.OnKeys()
	}
}

func (k *ChineseKeyboard) off() fyne.CanvasObject {
	return container.NewCenter(widget.NewLabel(k.labels.Off))
}

func (k *ChineseKeyboard) addKey(id, text string, fn func()) *Button {
	b := k.newKey(id, text, fn)
	k.keys = append(k.keys, Key{ID: id, Button: b})
	return b
}

func (k *ChineseKeyboard) pinyinBody() fyne.CanvasObject {
	if k.comp == nil {
		return k.off()
	}
	var punct []fyne.CanvasObject
	for i, r := range []rune(imePunct) {
		punct = append(punct, k.newKey("keyboard.punct."+string(rune('0'+i)), string(r), func() {
			k.finishComposition()
			k.emit(string(r))
		}))
	}
	// Five rows, so that the keyboard with its mode keys and candidates fits beside the
	// form in elder mode: the first punctuation marks fill the letters' last row, the
	// others sit beside the space bar.
	var rows []fyne.CanvasObject
	for i, row := range []string{"qwertyuiop", "asdfghjkl'", "zxcvbnm"} {
		var keys []fyne.CanvasObject
		for _, r := range row {
			id := "keyboard." + string(r)
			if r == '\'' {
				id = "keyboard.apostrophe"
			}
			keys = append(keys, k.addKey(id, string(r), func() { k.letter(r) }))
		}
		if i == 2 {
			keys = append(keys, punct[:3]...)
		}
		rows = append(rows, container.New(&keyRow{cols: 10}, keys...))
	}
	rows = append(rows, k.bottomRow(punct[3:]...))
	for i, p := range punct {
		k.keys = append(k.keys, Key{ID: "keyboard.punct." + string(rune('0'+i)), Button: p.(*Button)})
	}
	return container.New(keyRows{}, rows...)
}

// bottomRow is clear, any extra keys, the space bar and backspace.
func (k *ChineseKeyboard) bottomRow(extra ...fyne.CanvasObject) fyne.CanvasObject {
	clr := k.addKey("keyboard.clear", k.labels.Clear, k.clear)
	space := k.addKey("keyboard.space", k.labels.Space, func() {
		if k.comp != nil && k.comp.Active() {
			k.choose(0)
			return
		}
		k.emit(" ")
	})
	back := k.addKey("keyboard.back", k.labels.Backspace, k.backspace)
	if len(extra) == 0 {
		return container.NewBorder(nil, nil, clr, back, space)
	}
	// Clear and backspace one and a half keys wide, the space bar three, the extra keys one.
	objs := []fyne.CanvasObject{clr}
	weights := []float32{1.5}
	for _, e := range extra {
		objs = append(objs, e)
		weights = append(weights, 1)
	}
	objs = append(objs, space, back)
	weights = append(weights, 3, 1.5)
	return container.New(&weightRow{weights: weights}, objs...)
}

// weightRow lays keys out side by side across the whole width, each as wide as its
// weight in units; a unit is at least as wide as every key needs.
type weightRow struct{ weights []float32 }

func (l *weightRow) total() float32 {
	var t float32
	for _, w := range l.weights {
		t += w
	}
	return t
}

func (l *weightRow) Layout(objects []fyne.CanvasObject, s fyne.Size) {
	if len(objects) != len(l.weights) || len(objects) == 0 {
		return
	}
	pad := theme.Size(theme.SizeNamePadding)
	unit := max((s.Width-pad*float32(len(objects)-1))/l.total(), 0)
	x := float32(0)
	for i, o := range objects {
		w := unit * l.weights[i]
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, s.Height))
		x += w + pad
	}
}

func (l *weightRow) MinSize(objects []fyne.CanvasObject) fyne.Size {
	if len(objects) != len(l.weights) || len(objects) == 0 {
		return fyne.Size{}
	}
	pad := theme.Size(theme.SizeNamePadding)
	var unit, h float32
	for i, o := range objects {
		m := o.MinSize()
		unit = max(unit, m.Width/l.weights[i])
		h = max(h, m.Height)
	}
	return fyne.NewSize(unit*l.total()+pad*float32(len(objects)-1), h)
}

func (k *ChineseKeyboard) handBody() fyne.CanvasObject {
	if k.ime.Handwriting == nil {
		return k.off()
	}
	k.pad = NewPad()
	k.pad.OnStroke = k.recognize
	undo := k.addKey("ime.pad.undo", k.labels.Undo, func() {
		k.pad.Undo()
		k.recognize()
	})
	rewrite := k.addKey("ime.pad.rewrite", k.labels.Rewrite, func() {
		k.pad.Clear()
		k.handCand = nil
		k.refreshBar()
	})
	side := container.NewVBox(undo, rewrite)
	bottom := k.bottomRow()
	return container.NewBorder(nil, bottom, nil, side, k.pad)
}

func (k *ChineseKeyboard) letter(r rune) {
	if k.comp.Type(r) {
		k.composed()
	}
}

// composed reports the composition and redraws the bar.
func (k *ChineseKeyboard) composed() {
	pre := ""
	if k.comp != nil {
		pre = k.comp.Preedit()
	}
	k.preedit.SetText(pre)
	if k.OnComposing != nil {
		k.OnComposing(pre)
	}
	k.refreshBar()
}

// finishComposition writes out a composition in progress as its best conversion.
func (k *ChineseKeyboard) finishComposition() {
	if k.comp == nil || !k.comp.Active() {
		return
	}
	for i := 0; i <= pinyin.MaxInput && k.comp.Active(); i++ {
		if len(k.comp.Candidates()) == 0 {
			k.emit(k.comp.CommitLetters())
			break
		}
		if text, done := k.comp.Choose(0); done {
			k.emit(text)
		}
	}
	k.composed()
}

func (k *ChineseKeyboard) emit(text string) {
	if text != "" && k.OnText != nil {
		k.OnText(text)
	}
}

func (k *ChineseKeyboard) backspace() {
	switch {
	case k.mode == ModePinyin && k.comp != nil && k.comp.Active():
		k.comp.Backspace()
		k.composed()
	case k.mode == ModeHandwriting && k.pad != nil && len(k.pad.Ink().Strokes) > 0:
		k.pad.Undo()
		k.recognize()
	default:
		if k.OnBackspace != nil {
			k.OnBackspace()
		}
	}
}

func (k *ChineseKeyboard) clear() {
	if k.comp != nil {
		k.comp.Cancel()
		k.composed()
	}
	if k.pad != nil {
		k.pad.Clear()
		k.handCand = nil
		k.refreshBar()
	}
	if k.OnClear != nil {
		k.OnClear()
	}
}

// recognize runs the recognizer on the pad's ink (after each stroke).
func (k *ChineseKeyboard) recognize() {
	k.handCand, k.handPage = nil, 0
	if k.pad != nil && k.ime.Handwriting != nil && len(k.pad.Ink().Strokes) > 0 {
		got, err := k.ime.Handwriting.Recognize(k.pad.Ink(), 2*candSlots)
		if err == nil {
			for _, c := range got {
				k.handCand = append(k.handCand, c.Text)
			}
		}
	}
	k.refreshBar()
}

func (k *ChineseKeyboard) choose(i int) {
	switch k.mode {
	case ModePinyin:
		if k.comp == nil {
			return
		}
		text, done := k.comp.Choose(i)
		if done {
			k.emit(text)
		}
		k.composed()
	case ModeHandwriting:
		idx := k.handPage*candSlots + i
		if idx >= len(k.handCand) {
			return
		}
		text := k.handCand[idx]
		k.emit(text)
		k.handCand, k.handPage = nil, 0
		if k.pad != nil && len(k.pad.Ink().Strokes) > 0 {
			// A recognised character: offer what usually follows it.
			k.pad.Clear()
			if k.ime.Pinyin != nil {
				k.handCand = k.ime.Pinyin.Dict().Associations(text, 2*candSlots)
			}
		}
		k.refreshBar()
	}
}

func (k *ChineseKeyboard) page(d int) {
	switch k.mode {
	case ModePinyin:
		if k.comp == nil {
			return
		}
		if d > 0 {
			k.comp.NextPage()
		} else {
			k.comp.PrevPage()
		}
	case ModeHandwriting:
		if p := k.handPage + d; p >= 0 && p*candSlots < len(k.handCand) {
			k.handPage = p
		}
	}
	k.refreshBar()
}

// refreshBar shows the current page of candidates.
func (k *ChineseKeyboard) refreshBar() {
	var texts []string
	hasPrev, hasNext := false, false
	switch k.mode {
	case ModePinyin:
		if k.comp != nil {
			for _, c := range k.comp.Candidates() {
				texts = append(texts, c.Text)
			}
			hasPrev, hasNext = k.comp.HasPrev(), k.comp.HasNext()
		}
	case ModeHandwriting:
		from := k.handPage * candSlots
		if from < len(k.handCand) {
			texts = k.handCand[from:min(from+candSlots, len(k.handCand))]
		}
		hasPrev, hasNext = k.handPage > 0, (k.handPage+1)*candSlots < len(k.handCand)
	}
	for i, b := range k.cand {
		if i < len(texts) {
			b.Text = texts[i]
			b.Show()
		} else {
			b.Text = ""
			b.Hide()
		}
		b.Refresh()
	}
	setEnabled(k.prev, hasPrev)
	setEnabled(k.next, hasNext)
	k.candRow.Refresh() // the widths follow the new texts
	if k.OnChange != nil {
		k.OnChange()
	}
}

func setEnabled(b *Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

// CreateRenderer lays the keyboard out.
func (k *ChineseKeyboard) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(k.content)
}

// candBar lays the candidate bar out: "previous page" at the left, "next page" at the
// right, the candidate slots between them. Its minimum width does not depend on the
// candidates' texts, so a long phrase (日用百货零售) never widens the keyboard, which would
// squeeze the form beside it or, in elder mode, push the keyboard below the screen's edge.
// The slots share the width equally; a candidate wider than its share takes the room it
// needs from the narrower ones. Objects: prev, next, then the slots.
type candBar struct{}

func (candBar) MinSize(objects []fyne.CanvasObject) fyne.Size {
	if len(objects) < 2 {
		return fyne.Size{}
	}
	pad := theme.Size(theme.SizeNamePadding)
	var h float32
	for _, o := range objects {
		h = max(h, o.MinSize().Height)
	}
	slots := float32(len(objects) - 2)
	// A slot is at least one and a half touch targets wide: room for a two-character word.
	return fyne.NewSize(objects[0].MinSize().Width+objects[1].MinSize().Width+slots*1.5*h+(slots+1)*pad, h)
}

func (candBar) Layout(objects []fyne.CanvasObject, s fyne.Size) {
	if len(objects) < 2 {
		return
	}
	pad := theme.Size(theme.SizeNamePadding)
	prev, next, slots := objects[0], objects[1], objects[2:]
	pw, nw := prev.MinSize().Width, next.MinSize().Width
	prev.Move(fyne.NewPos(0, 0))
	prev.Resize(fyne.NewSize(pw, s.Height))
	next.Move(fyne.NewPos(s.Width-nw, 0))
	next.Resize(fyne.NewSize(nw, s.Height))
	if len(slots) == 0 {
		return
	}
	inner := s.Width - pw - nw - pad*float32(len(slots)+1)
	widths := candWidths(slots, inner)
	x := pw + pad
	for i, o := range slots {
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(widths[i], s.Height))
		x += widths[i] + pad
	}
}

// candWidths shares width out among the slots: equal shares, except that a shown
// candidate wider than its share gets its minimum width and the others share the rest.
// When even that does not fit, each shown candidate gets a share in proportion to its
// minimum width.
func candWidths(slots []fyne.CanvasObject, width float32) []float32 {
	mins := make([]float32, len(slots))
	var total float32
	for i, o := range slots {
		if o.Visible() {
			mins[i] = o.MinSize().Width
			total += mins[i]
		}
	}
	out := make([]float32, len(slots))
	if total > width {
		for i := range out {
			if total > 0 {
				out[i] = max(width, 0) * mins[i] / total
			}
		}
		return out
	}
	wide := make([]bool, len(slots))
	for {
		rest, n := width, 0
		for i := range slots {
			if wide[i] {
				rest -= mins[i]
			} else {
				n++
			}
		}
		share := float32(0)
		if n > 0 {
			share = rest / float32(n)
		}
		grew := false
		for i := range slots {
			if !wide[i] && mins[i] > share {
				wide[i], grew = true, true
			}
		}
		if grew {
			continue
		}
		for i := range out {
			out[i] = share
			if wide[i] {
				out[i] = mins[i]
			}
		}
		return out
	}
}

// Pad is the handwriting pad: one character at a time, drawn with a finger. Touches
// outside it are not strokes.
type Pad struct {
	widget.BaseWidget

	// OnStroke is called when a stroke ends.
	OnStroke func()

	ink     handwriting.Ink
	drawing bool
	lines   *fyne.Container
	bg      *canvas.Rectangle
}

var _ fyne.Draggable = (*Pad)(nil)

// NewPad returns an empty pad.
func NewPad() *Pad {
	p := &Pad{lines: container.NewWithoutLayout()}
	p.bg = canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	p.bg.StrokeColor = theme.Color(theme.ColorNameInputBorder)
	p.bg.StrokeWidth = 2
	p.ExtendBaseWidget(p)
	return p
}

// Ink returns the strokes so far, in the pad's coordinates.
func (p *Pad) Ink() handwriting.Ink {
	ink := p.ink
	s := p.Size()
	ink.Width, ink.Height = float64(s.Width), float64(s.Height)
	return ink
}

// Dragged extends the stroke under the finger (or starts one).
func (p *Pad) Dragged(ev *fyne.DragEvent) {
	p.ink.Width, p.ink.Height = float64(p.Size().Width), float64(p.Size().Height)
	to := handwriting.Point{X: float64(ev.Position.X), Y: float64(ev.Position.Y)}
	if !p.drawing {
		from := handwriting.Point{X: to.X - float64(ev.Dragged.DX), Y: to.Y - float64(ev.Dragged.DY)}
		n := len(p.ink.Strokes)
		p.ink.Begin(from)
		if len(p.ink.Strokes) == n {
			p.ink.Begin(to) // started just off the pad: begin where it came on
			if len(p.ink.Strokes) == n {
				return
			}
		} else {
			p.ink.Extend(to)
		}
		p.drawing = true
	} else {
		p.ink.Extend(to)
	}
	p.redraw()
}

// DragEnd ends the stroke.
func (p *Pad) DragEnd() {
	if !p.drawing {
		return
	}
	p.drawing = false
	if p.OnStroke != nil {
		p.OnStroke()
	}
}

// Undo removes the last stroke; Clear removes all.
func (p *Pad) Undo() { p.ink.Undo(); p.redraw() }

// Clear empties the pad.
func (p *Pad) Clear() { p.ink.Clear(); p.drawing = false; p.redraw() }

func (p *Pad) redraw() {
	var objs []fyne.CanvasObject
	col := theme.Color(theme.ColorNameForeground)
	for _, s := range p.ink.Strokes {
		for i := 1; i < len(s); i++ {
			l := canvas.NewLine(col)
			l.StrokeWidth = 6
			l.Position1 = fyne.NewPos(float32(s[i-1].X), float32(s[i-1].Y))
			l.Position2 = fyne.NewPos(float32(s[i].X), float32(s[i].Y))
			objs = append(objs, l)
		}
	}
	p.lines.Objects = objs
	p.lines.Refresh()
}

// MinSize is a square a finger can write in.
func (p *Pad) MinSize() fyne.Size { return fyne.NewSquareSize(240) }

// CreateRenderer draws the pad and the strokes.
func (p *Pad) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewStack(p.bg, p.lines))
}
