package ui

import (
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/govkiosk/govkiosk/ime/pinyin"
	"github.com/govkiosk/govkiosk/kiosk/form"
	"github.com/govkiosk/govkiosk/kiosk/identity"
	"github.com/govkiosk/govkiosk/ui/touch"
)

// formScreen is the form: every field as a large box on the left (those filled from the
// ID card locked and marked so), and on the right the input that suits the field being
// filled: the digit keypad, the letter keyboard or a list of answers. Messages say in
// plain words what to write; "next" takes the resident to the first field that needs it.
type formScreen struct {
	*screenBase
	a       *App
	f       *form.Form
	widgets map[string]*touch.Field
	order   []string
	active  string
	buf     []rune
	// composing is the Chinese keyboard's composition in progress (pinyin letters and
	// the parts already chosen), shown in the active field but not yet in the form.
	composing string
	scroll    *container.Scroll
	panel     *fyne.Container
	summary   *widget.RichText
	next      *touch.Button
	input     []Element
	// lockedNote is the translation key saying where prefilled values came from.
	lockedNote string
}

func (a *App) newFormScreen() screen {
	svc, f := a.sess.Service(), a.sess.Form()
	if svc == nil || f == nil {
		return a.newHome()
	}
	s := &formScreen{screenBase: a.newBase("form"), a: a, f: f, widgets: map[string]*touch.Field{}, lockedNote: "form.locked"}
	if id := a.sess.Identity(); id != nil && id.CardType == identity.QRCode {
		s.lockedNote = "form.locked.qr" // "from your ID card" would not be true
	}
	list := container.NewVBox()
	s.scroll = a.scroll(list)
	for _, fd := range f.Fields() {
		w := touch.NewField(a.text(fd.Label), nil)
		w.OnTapped = a.act(func() { s.activate(fd.ID) })
		s.widgets[fd.ID] = w
		s.order = append(s.order, fd.ID)
		list.Add(w)
		s.addIn("form.field."+fd.ID, w, s.scroll)
		s.show(fd.ID)
	}
	s.panel = container.NewStack()
	s.summary = a.styled("", theme.SizeNameText, theme.ColorNameError, true)
	s.next = touch.NewPrimary(a.T("form.next"), theme.NavigateNextIcon(), a.act(s.done))
	s.add("form.next", s.next)
	s.dynamic = func() []Element { return s.input }

	body := container.New(a.split(0.52), s.scroll, s.panel)
	s.content = a.frame(s.screenBase, frame{title: a.text(svc.Title), back: true, home: true,
		steps: a.steps(svc), step: a.stepOf(svc, "steps.form"),
		message: s.summary, actions: []fyne.CanvasObject{s.next}}, body)

	// Start at the first field the resident has to fill.
	first := ""
	for _, id := range s.order {
		if !f.Locked(id) && f.Value(id) == "" {
			first = id
			break
		}
	}
	if first == "" && len(s.order) > 0 {
		first = s.order[0]
	}
	if first != "" {
		s.activate(first)
		// Sizes are known only once the screen is laid out: bring the field into view then.
		a.do(func() { s.reveal(s.active) })
	}
	return s
}

// show draws a field's value, lock and message.
func (s *formScreen) show(id string) {
	a, f, w := s.a, s.f, s.widgets[id]
	fd := f.Field(id)
	w.Locked = f.Locked(id)
	w.LockedNote = a.T(s.lockedNote)
	w.Hint = a.text(fd.Hint)
	w.Value = f.Display(id, a.formLang())
	if w.Locked && fd.Type == form.TypeIDNumber {
		// Readable from the next queue position; the resident knows their own number.
		w.Value = identity.MaskNumber(w.Value)
	}
	if id == s.active && !w.Locked && fd.Input() != form.InputChoice {
		// The composition shows where the text will go, after what is written.
		w.Value = s.typed(fd) + s.composing
	}
	w.Placeholder = a.T("form.placeholder")
	w.Error = ""
	if m := f.Error(id); m != nil {
		w.Error = m.In(a.formLang())
	}
	w.Active = id == s.active
	w.Refresh()
}

// typed is the active field's text as typed, dates shown with their dashes.
func (s *formScreen) typed(fd *form.Field) string {
	if fd.Input() == form.InputDate {
		return dateText(s.buf)
	}
	return string(s.buf)
}

// dateText writes up to eight typed digits as YYYY-MM-DD, adding the dashes as the
// digits reach them.
func dateText(d []rune) string {
	var b strings.Builder
	for i, r := range d {
		if i == 4 || i == 6 {
			b.WriteByte('-')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// maxRunes is how much a field's input accepts.
func maxRunes(fd *form.Field) int {
	switch {
	case fd.Length > 0:
		return fd.Length
	case fd.MaxLength > 0:
		return fd.MaxLength
	}
	switch fd.Type {
	case form.TypeMobile:
		return 11
	case form.TypeIDNumber:
		return 18
	case form.TypePhone:
		return 20
	case form.TypeDate:
		return 8
	case form.TypeNumber:
		return 15
	}
	return 120
}

// activate makes a field the one being filled: the previous one is checked (its message
// appears now that the resident has left it) and the input for the new one is shown.
func (s *formScreen) activate(id string) {
	prev := s.active
	s.active = id
	s.composing = ""
	if prev != "" && prev != id {
		s.f.Check(prev)
		s.show(prev)
	}
	fd := s.f.Field(id)
	s.buf = []rune(s.f.Value(id))
	if fd.Input() == form.InputDate {
		s.buf = []rune(strings.ReplaceAll(string(s.buf), "-", ""))
	}
	s.show(id)
	s.buildInput(fd)
	s.reveal(id)
	s.a.scheduleMap()
}

// reveal scrolls the field list so that a field is in view.
func (s *formScreen) reveal(id string) {
	w := s.widgets[id]
	top, h := w.Position().Y, w.MinSize().Height
	view := s.scroll.Size().Height
	switch {
	case view <= 0:
	case top < s.scroll.Offset.Y:
		s.scroll.Offset.Y = top
	case top+h > s.scroll.Offset.Y+view:
		s.scroll.Offset.Y = top + h - view
	default:
		return
	}
	s.scroll.Refresh()
}

// buildInput shows the input that suits the active field.
func (s *formScreen) buildInput(fd *form.Field) {
	a := s.a
	s.input = nil
	var head fyne.CanvasObject = a.styled(a.text(fd.Label), theme.SizeNameSubHeadingText, theme.ColorNameForeground, true)
	var center, foot fyne.CanvasObject
	switch in := fd.Input(); {
	case s.f.Locked(fd.ID):
		center = container.NewVBox(a.para(a.T(s.lockedNote + ".help")))
	case in == form.InputChoice:
		list := container.NewVBox()
		for _, o := range fd.Options {
			b := touch.NewButton(a.text(o.Label), nil, nil)
			b.Large = true
			if s.f.Value(fd.ID) == o.Value {
				b.Importance = touch.Primary
				b.Icon = theme.ConfirmIcon()
			}
			b.OnTapped = a.act(func() { s.choose(fd, o.Value) })
			list.Add(b)
			s.input = append(s.input, Element{ID: "form.choice." + o.Value, Obj: b})
		}
		scroll := a.scroll(list)
		for i := range s.input {
			s.input[i].Clip = scroll
		}
		center = scroll
	case in == form.InputKeyboard && (a.deps.IME.Pinyin != nil || a.deps.IME.Handwriting != nil):
		kb := touch.NewChineseKeyboard(a.deps.IME, a.imeLabels())
		kb.SetKind(imeKind(fd))
		// The field's name goes in the keyboard's top row, as plain text without the
		// paragraph's padding: the keyboard then fits beside the form in elder mode.
		title := canvas.NewText(a.text(fd.Label), theme.Color(theme.ColorNameForeground))
		title.TextSize = theme.Size(theme.SizeNameSubHeadingText)
		title.TextStyle = fyne.TextStyle{Bold: true}
		kb.SetHeader(container.NewCenter(title))
		head = nil
		kb.OnText = func(text string) { a.touch(); s.insert(fd, text) }
		kb.OnComposing = func(pre string) {
			a.touch()
			s.composing = pre
			s.show(fd.ID)
		}
		kb.OnChange = a.touch
		kb.OnBackspace = func() { a.touch(); s.backspace(fd) }
		kb.OnClear = func() { a.touch(); s.clear(fd) }
		base := len(s.input)
		kb.OnKeys = func() {
			s.input = s.input[:base]
			for _, k := range kb.Keys() {
				s.input = append(s.input, Element{ID: k.ID, Obj: k.Button})
			}
			if p := kb.Pad(); p != nil {
				s.input = append(s.input, Element{ID: "ime.pad", Obj: p})
			}
			a.scheduleMap()
		}
		kb.OnKeys()
		center = kb
	case in == form.InputKeyboard:
		kb := touch.NewKeyboard(a.keyLabels())
		kb.OnRune = func(r rune) { a.touch(); s.key(fd, r) }
		kb.OnBackspace = func() { a.touch(); s.backspace(fd) }
		kb.OnClear = func() { a.touch(); s.clear(fd) }
		center, foot = kb, a.note(a.T("form.chinese.help"))
		for _, k := range kb.Keys() {
			s.input = append(s.input, Element{ID: k.ID, Obj: k.Button})
		}
	default:
		kp := touch.NewKeypad(keypadMode(in), a.keyLabels())
		kp.OnRune = func(r rune) { a.touch(); s.key(fd, r) }
		kp.OnBackspace = func() { a.touch(); s.backspace(fd) }
		kp.OnClear = func() { a.touch(); s.clear(fd) }
		center = kp
		for _, k := range kp.Keys() {
			s.input = append(s.input, Element{ID: k.ID, Obj: k.Button})
		}
	}
	s.panel.Objects = []fyne.CanvasObject{container.NewBorder(head, foot, nil, nil, center)}
	s.panel.Refresh()
}

// imeKind is what the field asks for, as the pinyin engine ranks it.
func imeKind(fd *form.Field) pinyin.Kind {
	if k := fd.Kind(); k != form.KindFreeText {
		return pinyin.Kind(k)
	}
	return pinyin.KindText
}

func keypadMode(in form.Input) touch.KeypadMode {
	switch in {
	case form.InputDecimal:
		return touch.Decimal
	case form.InputPhone:
		return touch.Phone
	case form.InputIDNumber:
		return touch.IDNumber
	}
	return touch.Digits
}

// set stores the typed text in the form and redraws the field.
func (s *formScreen) set(fd *form.Field) {
	v := s.typed(fd)
	if err := s.f.Set(fd.ID, v); err != nil && !errors.Is(err, form.ErrLocked) {
		s.a.log.Warn("form refused a value", "field", fd.ID, "err", err)
	}
	s.show(fd.ID)
	s.updateSummary()
}

func (s *formScreen) key(fd *form.Field, r rune) {
	if len(s.buf) >= maxRunes(fd) {
		return
	}
	s.buf = append(s.buf, r)
	s.set(fd)
}

// insert adds text from the Chinese keyboard, cut at the field's limit.
func (s *formScreen) insert(fd *form.Field, text string) {
	for _, r := range text {
		if len(s.buf) >= maxRunes(fd) {
			break
		}
		s.buf = append(s.buf, r)
	}
	s.set(fd)
}

func (s *formScreen) backspace(fd *form.Field) {
	if len(s.buf) == 0 {
		return
	}
	s.buf = s.buf[:len(s.buf)-1]
	s.set(fd)
}

func (s *formScreen) clear(fd *form.Field) {
	s.buf = nil
	s.set(fd)
}

func (s *formScreen) choose(fd *form.Field, value string) {
	if err := s.f.Set(fd.ID, value); err != nil {
		s.a.log.Warn("form refused a choice", "field", fd.ID, "err", err)
	}
	s.show(fd.ID)
	s.buildInput(fd)
	s.updateSummary()
	s.a.scheduleMap()
}

// updateSummary counts the fields that still show a message.
func (s *formScreen) updateSummary() {
	n := len(s.f.Errors())
	if n == 0 {
		setText(s.summary, "")
		return
	}
	setText(s.summary, s.a.tr.N("form.errors", n))
}

// done asks the session to go on; when fields need attention it shows every message and
// takes the resident to the first.
func (s *formScreen) done() {
	err := s.a.sess.FormDone()
	var inv *form.InvalidError
	switch {
	case err == nil:
		return
	case errors.As(err, &inv):
		for _, id := range s.order {
			s.show(id)
		}
		s.updateSummary()
		if len(inv.Fields) > 0 {
			s.activate(inv.Fields[0])
		}
	default:
		if ignoreStale(err) != nil {
			s.a.log.Warn("form done refused", "err", err)
		}
	}
}
