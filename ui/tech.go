package ui

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/govkiosk/govkiosk/ime/pinyin"
	"github.com/govkiosk/govkiosk/kiosk/access"
	"github.com/govkiosk/govkiosk/kiosk/config"
	"github.com/govkiosk/govkiosk/ui/kiosktheme"
	"github.com/govkiosk/govkiosk/ui/touch"
)

// Technician screens close by themselves when left alone, so a technician called away
// does not leave the settings open in a public hall.
const (
	pinIdle  = time.Minute
	techIdle = 5 * time.Minute
	// taskTimeout bounds one technician action (detect, test print, enrollment).
	taskTimeout = time.Minute
	maxPIN      = 12
)

// pinDialog asks for the technician PIN on the digit keypad. Checking a PIN takes a
// deliberate fraction of a second (a slow hash), so it runs in the background; wrong
// tries count towards a lockout, which the dialog states plainly with its end time.
type pinDialog struct {
	*screenBase
	a       *App
	pin     []rune
	field   *touch.Field
	message *widget.RichText
	keypad  *touch.Keypad
	ok      *touch.Button
	busy    bool
	last    time.Time
}

// openPIN shows the PIN dialog over the start screen.
func (a *App) openPIN() {
	d := &pinDialog{screenBase: a.newBase("tech_pin"), a: a, last: a.clock.Now()}
	d.field = touch.NewField(a.T("tech.pin"), nil)
	d.field.Active = true
	d.message = a.styled("", theme.SizeNameText, theme.ColorNameError, true)
	d.message.Wrapping = fyne.TextWrapWord
	if a.deps.SafeMode {
		setText(d.message, a.safeHeading()) // why the PIN pad opened by itself
	}
	d.keypad = touch.NewKeypad(touch.Digits, a.keyLabels())
	d.keypad.OnRune = func(r rune) {
		d.poke()
		if len(d.pin) < maxPIN {
			d.pin = append(d.pin, r)
		}
		d.show()
	}
	d.keypad.OnBackspace = func() {
		d.poke()
		if len(d.pin) > 0 {
			d.pin = d.pin[:len(d.pin)-1]
		}
		d.show()
	}
	d.keypad.OnClear = func() { d.poke(); clear(d.pin); d.pin = nil; d.show() }
	for _, k := range d.keypad.Keys() {
		d.add(k.ID, k.Button)
	}
	cancel := touch.NewButton(a.T("tech.cancel"), nil, func() { a.showDialog(nil) })
	cancel.Large = true
	d.ok = touch.NewPrimary(a.T("tech.ok"), theme.ConfirmIcon(), d.check)
	d.add("tech_pin.cancel", cancel)
	d.add("tech_pin.ok", d.ok)
	d.content = a.dialogBox(container.NewVBox(
		a.heading(a.T("tech.pin.title")), d.field, d.message, d.keypad,
		container.NewGridWithColumns(2, cancel, d.ok)))
	d.show()
	a.showDialog(d)
	a.closeWhenIdle(d.screenBase, pinIdle, func() time.Time { return d.last }, func() { a.showDialog(nil) })
}

func (d *pinDialog) poke() { d.last = d.a.clock.Now() }

// show draws the PIN as dots and the lockout, if any.
func (d *pinDialog) show() {
	a := d.a
	d.field.Value = strings.Repeat("●", len(d.pin))
	d.field.Refresh()
	until, locked := a.deps.Access.Locked()
	if locked {
		setText(d.message, a.T("tech.pin.locked", map[string]any{"Until": until.Format("15:04")}))
	}
	setEnabled(d.ok, !d.busy && !locked && len(d.pin) > 0)
	for _, k := range d.keypad.Keys() {
		setEnabled(k.Button, !d.busy && !locked)
	}
}

// check verifies the PIN in the background and opens the settings when it is right.
func (d *pinDialog) check() {
	a := d.a
	if d.busy || len(d.pin) == 0 {
		return
	}
	d.poke()
	pin := string(d.pin)
	clear(d.pin)
	d.pin = nil
	d.busy = true
	setText(d.message, a.T("tech.pin.checking"))
	d.show()
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		err := a.deps.Access.Check(pin)
		if a.deps.Technician != nil {
			if serr := a.deps.Technician.SaveAccess(a.deps.Access.State()); serr != nil {
				a.log.Error("save technician lockout", "err", serr)
			}
		}
		a.do(func() {
			if d.ctx.Err() != nil {
				return
			}
			d.busy = false
			var wrong *access.WrongPINError
			var locked *access.LockedError
			switch {
			case err == nil:
				a.log.Info("technician signed in")
				a.showDialog(nil)
				a.openSettings()
				return
			case errors.As(err, &wrong) && !wrong.LockedUntil.IsZero():
				a.log.Warn("technician PIN wrong; locked", "until", wrong.LockedUntil)
				setText(d.message, a.T("tech.pin.locked", map[string]any{"Until": wrong.LockedUntil.Format("15:04")}))
			case errors.As(err, &wrong):
				a.log.Warn("technician PIN wrong", "left", wrong.Left)
				setText(d.message, a.tr.N("tech.pin.wrong", wrong.Left))
			case errors.As(err, &locked):
				setText(d.message, a.T("tech.pin.locked", map[string]any{"Until": locked.Until.Format("15:04")}))
			default:
				a.log.Error("technician PIN check", "err", err)
				setText(d.message, a.T("tech.pin.unavailable"))
			}
			d.show()
		})
	}()
}

// closeWhenIdle calls close once last() is more than idle ago, checking every second.
func (a *App) closeWhenIdle(b *screenBase, idle time.Duration, last func() time.Time, close func()) {
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-b.ctx.Done():
				return
			case <-t.C:
				a.post(func() { // a check that usually changes nothing: no layout pass
					if b.ctx.Err() == nil && a.clock.Now().Sub(last()) > idle {
						close()
						a.relayout()
					}
				})
			}
		}
	}()
}

// Technician settings sections.
var techSections = []string{"devices", "queue", "platform", "terminal", "access", "logs"}

// techScreen is the technician's settings: devices with auto-detect and tests, the queue
// with "sync now", the platform address and enrollment, the terminal's timeouts, and log
// export. Edits change a copy of the configuration, which is validated before it is
// saved; the results of every action are shown in words.
type techScreen struct {
	*screenBase
	a       *App
	cfg     *config.Config
	section string
	panel   *fyne.Container
	// list scrolls the section's panel; bar holds the device page's actions under it,
	// always in view however many devices a site has. nav is the column of sections.
	list    *container.Scroll
	bar     *fyne.Container
	nav     *fyne.Container
	out     *widget.RichText
	kb      *touch.Keyboard
	cn      *touch.ChineseKeyboard // for the hall's Chinese name, when the kiosk has it
	kbBox   *fyne.Container
	editing *techField
	enroll  string
	busy    bool
	last    time.Time
	dyn     []Element
	found   []Detected
	// saved is the configuration as last saved (or as opened): exit asks before it drops
	// an edit that differs from it.
	saved *config.Config
}

// techField is a text setting bound to the configuration copy.
type techField struct {
	w   *touch.Field
	get func() string
	set func(string)
	// chinese fields are written with the Chinese keyboard, at most limit characters.
	chinese bool
	limit   int
}

// openSettings shows the technician settings in place of the resident screens.
func (a *App) openSettings() {
	a.tech = true
	s := &techScreen{screenBase: a.newBase("tech_settings"), a: a, section: "devices", last: a.clock.Now()}
	if a.deps.Technician != nil {
		s.cfg = a.deps.Technician.Config()
	}
	if s.cfg == nil {
		s.cfg = config.Default()
	}
	s.saved = cloneConfig(s.cfg)
	s.build()
	a.showScreen(s)
	a.closeWhenIdle(s.screenBase, techIdle, func() time.Time { return s.last }, a.closeSettings)
}

// closeSettings returns to the resident screens.
func (a *App) closeSettings() {
	a.tech = false
	if a.deps.IME.Pinyin != nil {
		a.deps.IME.Pinyin.Reset() // what the technician chose is not learned for residents
	}
	a.applyVoice()
	a.curState = ""
	a.showState(a.sess.State())
}

func (s *techScreen) poke() { s.last = s.a.clock.Now() }

// act wraps a technician tap: it keeps the settings open.
func (s *techScreen) act(f func()) func() {
	return func() {
		s.poke()
		f()
	}
}

func (s *techScreen) build() {
	a := s.a
	s.els = nil
	var nav []fyne.CanvasObject
	for _, sec := range techSections {
		b := touch.NewButton(a.T("tech.section."+sec), nil, s.act(func() { s.show(sec) }))
		if sec == s.section {
			b.Importance = touch.Primary
		}
		nav = append(nav, s.add("tech.section."+sec, b))
	}
	nav = append(nav, layout.NewSpacer())
	if a.deps.OnRestart != nil {
		restart := touch.NewButton(a.T("tech.restart"), theme.ViewRefreshIcon(), s.act(a.restartNormally))
		if a.deps.SafeMode {
			restart.Importance = touch.Primary
		}
		nav = append(nav, s.add("tech.restart", restart))
	}
	exit := touch.NewButton(a.T("tech.exit"), theme.LogoutIcon(), s.act(s.exit))
	nav = append(nav, s.add("tech.exit", exit))
	s.nav = container.NewVBox(nav...)
	s.out = a.styled("", theme.SizeNameText, kiosktheme.ColorNameMuted, false)
	s.out.Wrapping = fyne.TextWrapWord
	s.panel = container.NewVBox()
	s.list = a.scroll(s.panel)
	s.bar = container.New(&columns{counts: []int{6, 3, 2}, width: s.rightWidth})
	s.kb = touch.NewKeyboardWith(a.keyLabels(), touch.KeyboardOptions{Extra: ":_@", Cases: true})
	s.kb.SetLower(true)
	s.kb.OnRune = func(r rune) { s.poke(); s.type_(func(v string) string { return v + string(r) }) }
	s.kb.OnBackspace = func() {
		s.poke()
		s.type_(func(v string) string {
			r := []rune(v)
			if len(r) == 0 {
				return v
			}
			return string(r[:len(r)-1])
		})
	}
	s.kb.OnClear = func() { s.poke(); s.type_(func(string) string { return "" }) }
	s.kbBox = container.NewVBox(s.kb)
	s.kbBox.Hide()
	s.dynamic = func() []Element {
		out := slices.Clone(s.dyn)
		switch {
		case s.editing != nil && s.editing.chinese && s.cn != nil:
			for _, k := range s.cn.Keys() {
				out = append(out, Element{ID: k.ID, Obj: k.Button})
			}
			if p := s.cn.Pad(); p != nil {
				out = append(out, Element{ID: "ime.pad", Obj: p})
			}
		case s.editing != nil:
			for _, k := range s.kb.Keys() {
				out = append(out, Element{ID: k.ID, Obj: k.Button})
			}
		}
		return out
	}
	var banner fyne.CanvasObject
	if a.deps.SafeMode {
		banner = a.safeBanner()
	}
	right := container.NewBorder(banner, container.NewVBox(s.bar, card(s.out), s.kbBox), nil, nil, s.list)
	body := container.NewBorder(nil, nil, s.nav, nil, container.NewPadded(right))
	s.content = a.frame(s.screenBase, frame{title: a.T("tech.title")}, body)
	s.rebuild = func() screen { s.build(); return s }
	s.fill()
}

// rightWidth is the width the window gives the right-hand side (the panel, its actions
// and the results): the body less the column of sections and the padding around them.
func (s *techScreen) rightWidth() float32 {
	return s.a.bodyWidth() - s.nav.MinSize().Width - 3*theme.Size(theme.SizeNamePadding)
}

// listWidth is the width the panel gets in its scroll area, which keeps room for its bar.
func (s *techScreen) listWidth() float32 {
	return s.rightWidth() - theme.Size(kiosktheme.SizeNameTarget)/2
}

// exportLogs writes the logs to a USB stick and says where, or that there is no stick.
func (s *techScreen) exportLogs() {
	a := s.a
	noStick, saved := a.T("tech.logs.nostick"), a.T("tech.logs.saved", map[string]any{"Path": "{path}"})
	s.task("export_logs", func(ctx context.Context) (string, error) {
		p, err := a.deps.Technician.ExportLogs(ctx)
		if errors.Is(err, ErrNoRemovableMedium) {
			return "", errors.New(noStick)
		}
		if err != nil {
			return "", err
		}
		return strings.Replace(saved, "{path}", p, 1), nil
	})
}

// exit leaves the settings, asking first when an edit was not saved (it used to be
// dropped without a word).
func (s *techScreen) exit() {
	if sameConfig(s.cfg, s.saved) {
		s.a.closeSettings()
		return
	}
	a := s.a
	d := a.newBase("tech_unsaved")
	stay := touch.NewPrimary(a.T("tech.unsaved.stay"), theme.NavigateBackIcon(), s.act(func() { a.showDialog(nil) }))
	discard := touch.NewButton(a.T("tech.unsaved.discard"), theme.LogoutIcon(), s.act(func() {
		a.showDialog(nil)
		a.closeSettings()
	}))
	discard.Large = true
	discard.Importance = touch.Danger
	d.add("tech_unsaved.stay", stay)
	d.add("tech_unsaved.discard", discard)
	d.content = a.dialogBox(container.NewVBox(
		centered(a.heading(a.T("tech.unsaved.title"))), centered(a.para(a.T("tech.unsaved.text"))),
		layout.NewSpacer(), container.NewGridWithColumns(2, discard, stay)))
	a.showDialog(d)
}

// cloneConfig copies a configuration deeply enough that editing one leaves the other.
func cloneConfig(c *config.Config) *config.Config {
	out := *c
	out.Devices = slices.Clone(c.Devices)
	return &out
}

// sameConfig compares two configurations, an empty device list equal to none.
func sameConfig(x, y *config.Config) bool {
	a, b := cloneConfig(x), cloneConfig(y)
	if len(a.Devices) == 0 {
		a.Devices = nil
	}
	if len(b.Devices) == 0 {
		b.Devices = nil
	}
	return reflect.DeepEqual(a, b)
}

// show switches section.
func (s *techScreen) show(sec string) {
	s.section = sec
	s.editing = nil
	s.build()
	s.a.showScreen(s)
}

// type_ edits the active text setting.
func (s *techScreen) type_(f func(string) string) {
	if s.editing == nil {
		return
	}
	v := f(s.editing.get())
	if l := s.editing.limit; l > 0 && len([]rune(v)) > l {
		v = string([]rune(v)[:l])
	}
	s.editing.set(v)
	s.editing.w.Value = v
	s.editing.w.Refresh()
}

// chineseKeyboard builds the Chinese keyboard for a field: pinyin and handwriting, the
// composition shown in the field after its text.
func (s *techScreen) chineseKeyboard(f *techField, label string) *touch.ChineseKeyboard {
	a := s.a
	cn := touch.NewChineseKeyboard(a.deps.IME, a.imeLabels())
	cn.SetKind(pinyin.KindOrganization) // the hall's name: 某某政务服务中心
	title := canvas.NewText(label, theme.Color(theme.ColorNameForeground))
	title.TextSize = theme.Size(theme.SizeNameSubHeadingText)
	title.TextStyle = fyne.TextStyle{Bold: true}
	cn.SetHeader(container.NewCenter(title))
	cn.OnText = func(text string) { s.poke(); s.type_(func(v string) string { return v + text }) }
	cn.OnBackspace = s.kb.OnBackspace
	cn.OnClear = s.kb.OnClear
	cn.OnComposing = func(pre string) {
		s.poke()
		f.w.Value = f.get() + pre
		f.w.Refresh()
	}
	cn.OnChange = func() { s.poke(); a.scheduleMap() }
	cn.OnKeys = a.scheduleMap
	return cn
}

// field is an editable text setting; tapping it brings up the keyboard.
func (s *techField) active(on bool) {
	s.w.Active = on
	s.w.Refresh()
}

func (s *techScreen) field(id, label string, get func() string, set func(string)) fyne.CanvasObject {
	return s.newField(&techField{w: touch.NewField(label, nil), get: get, set: set}, id, label)
}

func (s *techScreen) newField(f *techField, id, label string) fyne.CanvasObject {
	f.w.Value = f.get()
	f.w.OnTapped = s.act(func() {
		if s.editing != nil {
			s.editing.active(false)
		}
		s.editing = f
		f.active(true)
		if f.chinese {
			s.cn = s.chineseKeyboard(f, label)
			s.kbBox.Objects = []fyne.CanvasObject{s.cn}
		} else {
			s.kbBox.Objects = []fyne.CanvasObject{s.kb}
		}
		s.kbBox.Refresh()
		s.kbBox.Show()
		s.content.Refresh()
		s.a.scheduleMap()
	})
	s.dyn = append(s.dyn, Element{ID: id, Obj: f.w})
	return f.w
}

// hallLimit is the longest Chinese hall name the technician can type: it must fit the
// start screen's header and the receipt's line.
const hallLimit = 30

// hallName is the hall's Chinese name: written with the Chinese keyboard when the kiosk
// has it, else shown with a note on where to change it.
func (s *techScreen) hallName() fyne.CanvasObject {
	a := s.a
	if a.deps.IME.Pinyin == nil && a.deps.IME.Handwriting == nil {
		return container.NewVBox(a.fact(a.T("tech.hall"), s.cfg.HallName("zh")), a.note(a.T("tech.hall.note")))
	}
	f := &techField{w: touch.NewField(a.T("tech.hall"), nil), chinese: true, limit: hallLimit,
		get: func() string { return s.cfg.Hall.NameZh }, set: func(v string) { s.cfg.Hall.NameZh = v }}
	return s.newField(f, "tech.hall.zh", a.T("tech.hall"))
}

// stepper is a duration setting changed in steps between lo and hi, with "−" and "+"
// buttons named id+".minus" and id+".plus".
func (s *techScreen) stepper(id, label string, v *time.Duration, step, lo, hi time.Duration) fyne.CanvasObject {
	a := s.a
	shown := a.styled(v.String(), theme.SizeNameSubHeadingText, theme.ColorNameForeground, true)
	by := func(d time.Duration) func() {
		return func() {
			*v = min(max(*v+d, lo), hi)
			setText(shown, v.String())
		}
	}
	return container.NewVBox(
		a.styled(label, theme.SizeNameText, theme.ColorNameForeground, true),
		container.NewHBox(s.button(id+".minus", "−"+step.String(), by(-step)), container.NewCenter(shown),
			s.button(id+".plus", "+"+step.String(), by(step))))
}

// button adds an action button of the current section.
func (s *techScreen) button(id, label string, f func()) *touch.Button {
	b := touch.NewButton(label, nil, s.act(f))
	s.dyn = append(s.dyn, Element{ID: id, Obj: b})
	return b
}

// fill builds the current section.
func (s *techScreen) fill() {
	a := s.a
	s.dyn = nil
	var objs []fyne.CanvasObject
	if a.deps.Technician == nil {
		s.section = ""
		objs = append(objs, a.para(a.T("tech.unavailable")))
	}
	switch s.section {
	case "devices":
		// Two cards a row where two fit side by side: one a row, the five default devices
		// and the actions under them ran past the bottom of a 1920×1080 display.
		cards := make([]fyne.CanvasObject, 0, len(s.cfg.Devices))
		for i := range s.cfg.Devices {
			cards = append(cards, s.deviceCard(&s.cfg.Devices[i]))
		}
		objs = append(objs, container.New(&columns{counts: []int{2}, width: s.listWidth}, cards...))
		for i, d := range s.found {
			objs = append(objs, container.NewBorder(nil, nil, nil,
				s.button(fmt.Sprintf("tech.adopt.%d", i), a.T("tech.adopt"), func() { s.adopt(d) }),
				a.para(fmt.Sprintf("%s · %s", d.Device.Kind, d.Description))))
		}
	case "queue":
		if a.sync.Revoked {
			objs = append(objs, a.para(a.T("tech.revoked")))
		}
		objs = append(objs, s.button("tech.queue", a.T("tech.queue.refresh"), s.queue),
			s.button("tech.sync_now", a.T("tech.sync_now"), func() {
				s.task("sync_now", func(ctx context.Context) (string, error) { return a.T("tech.done"), a.deps.Technician.SyncNow(ctx) })
			}))
	case "platform":
		objs = append(objs,
			s.field("tech.platform.url", a.T("tech.platform.url"), func() string { return s.cfg.Platform.URL }, func(v string) { s.cfg.Platform.URL = v }),
			s.field("tech.platform.code", a.T("tech.platform.code"), func() string { return s.enroll }, func(v string) { s.enroll = v }),
			container.NewGridWithColumns(2,
				s.button("tech.enroll", a.T("tech.enroll"), func() {
					url, code := s.cfg.Platform.URL, s.enroll
					s.task("enroll", func(ctx context.Context) (string, error) {
						return a.T("tech.done"), a.deps.Technician.Enroll(ctx, url, code)
					})
				}),
				s.button("tech.save", a.T("tech.save"), s.save)))
	case "terminal":
		objs = append(objs, s.platformConfig()...)
		objs = append(objs,
			s.hallName(),
			s.field("tech.hall.en", a.T("tech.hall.en"), func() string { return s.cfg.Hall.NameEn }, func(v string) { s.cfg.Hall.NameEn = v }),
			s.stepper("tech.idle", a.T("tech.idle"), &s.cfg.Session.IdleTimeout.Duration, 30*time.Second, config.MinIdleTimeout, config.MaxIdleTimeout),
			s.stepper("tech.warning", a.T("tech.warning"), &s.cfg.Session.WarningTime.Duration, 5*time.Second, config.MinWarningTime, config.MaxWarningTime),
			s.field("tech.terminal.id", a.T("tech.terminal.id"), func() string { return s.cfg.TerminalID }, func(v string) { s.cfg.TerminalID = v }),
			s.button("tech.save", a.T("tech.save"), s.save))
	case "access":
		objs = append(objs, s.accessSettings()...)
	case "logs":
		objs = append(objs, a.para(a.T("tech.logs.note")),
			s.button("tech.export_logs", a.T("tech.export_logs"), s.exportLogs))
	}
	// What the panel holds can be tapped where its scroll area shows it; the actions
	// below the panel are added after, unclipped.
	for i := range s.dyn {
		s.dyn[i].Clip = s.list
	}
	s.bar.Objects = s.actions()
	s.bar.Hidden = len(s.bar.Objects) == 0
	s.bar.Refresh()
	s.panel.Objects = objs
	s.panel.Refresh()
	a.scheduleMap()
}

// actions are the current section's actions that stay in view under its panel: the
// device page's detection, tests and save, which a site with many devices would
// otherwise have to scroll to.
func (s *techScreen) actions() []fyne.CanvasObject {
	a := s.a
	if s.section != "devices" {
		return nil
	}
	return []fyne.CanvasObject{
		s.button("tech.detect", a.T("tech.detect"), s.detect),
		s.button("tech.test_read", a.T("tech.test_read"), func() { s.task("test_read", a.deps.Technician.TestRead) }),
		s.button("tech.test_print", a.T("tech.test_print"), func() {
			s.task("test_print", func(ctx context.Context) (string, error) { return a.T("tech.done"), a.deps.Technician.TestPrint(ctx) })
		}),
		s.button("tech.test_scan", a.T("tech.test_scan"), func() { s.task("test_scan", a.deps.Technician.TestScan) }),
		s.button("tech.test_document", a.T("tech.test_document"), func() { s.task("test_document", a.deps.Technician.TestDocument) }),
		s.button("tech.save", a.T("tech.save"), s.save),
	}
}

// deviceCard shows one configured device with what its transport needs.
func (s *techScreen) deviceCard(d *config.Device) fyne.CanvasObject {
	a := s.a
	title := d.Name
	if d.Kind != d.Name {
		title = fmt.Sprintf("%s (%s)", d.Name, d.Kind) // said once where the name is the kind
	}
	head := a.styled(title, theme.SizeNameSubHeadingText, theme.ColorNameForeground, true)
	transports := []string{config.TransportSerial, config.TransportUSB, config.TransportTCP, config.TransportESCL, config.TransportSim}
	tr := s.button("tech.device."+d.Name+".transport", d.Transport, nil)
	tr.OnTapped = s.act(func() {
		i := slices.Index(transports, d.Transport)
		d.Transport = transports[(i+1)%len(transports)]
		if d.Transport == config.TransportSerial && d.Baud == 0 {
			d.Baud = 115200 // what the SAM readers and most receipt printers speak
		}
		s.fill()
	})
	objs := []fyne.CanvasObject{container.NewBorder(nil, nil, nil, tr, head)}
	switch d.Transport {
	case config.TransportSerial:
		baud := s.button("tech.device."+d.Name+".baud", fmt.Sprintf("%d baud", d.Baud), nil)
		baud.OnTapped = s.act(func() {
			i := slices.Index(config.BaudRates, d.Baud)
			d.Baud = config.BaudRates[(i+1)%len(config.BaudRates)]
			baud.SetText(fmt.Sprintf("%d baud", d.Baud))
		})
		objs = append(objs, container.NewBorder(nil, nil, nil, baud,
			s.field("tech.device."+d.Name+".path", a.T("tech.device.path"), func() string { return d.Path }, func(v string) { d.Path = v })))
	case config.TransportUSB:
		objs = append(objs, s.field("tech.device."+d.Name+".usb", a.T("tech.device.usb"), func() string { return d.USB }, func(v string) { d.USB = v }))
	case config.TransportTCP, config.TransportESCL:
		objs = append(objs, s.field("tech.device."+d.Name+".address", a.T("tech.device.address"), func() string { return d.Address }, func(v string) { d.Address = v }))
	}
	return card(container.NewVBox(objs...))
}

// task runs a technician action in the background and shows its result.
func (s *techScreen) task(name string, f func(context.Context) (string, error)) {
	a := s.a
	if s.busy || a.deps.Technician == nil {
		return
	}
	s.busy = true
	setText(s.out, a.T("tech.working"))
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		ctx, cancel := context.WithTimeout(s.ctx, taskTimeout)
		defer cancel()
		res, err := f(ctx)
		a.do(func() {
			if s.ctx.Err() != nil {
				return
			}
			s.busy = false
			if err != nil {
				a.log.Warn("technician action failed", "action", name, "err", err)
				setText(s.out, a.T("tech.failed", map[string]any{"Err": err.Error()}))
				return
			}
			a.log.Info("technician action", "action", name)
			setText(s.out, res)
		})
	}()
}

func (s *techScreen) detect() {
	a := s.a
	if s.busy || a.deps.Technician == nil {
		return
	}
	s.busy = true
	setText(s.out, a.T("tech.working"))
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		ctx, cancel := context.WithTimeout(s.ctx, taskTimeout)
		defer cancel()
		found, err := a.deps.Technician.Detect(ctx)
		a.do(func() {
			if s.ctx.Err() != nil {
				return
			}
			s.busy = false
			if err != nil {
				setText(s.out, a.T("tech.failed", map[string]any{"Err": err.Error()}))
				return
			}
			s.found = found
			setText(s.out, a.tr.N("tech.detected", len(found)))
			s.fill()
		})
	}()
}

// adopt takes a detected device's connection for the configured device of its kind.
func (s *techScreen) adopt(d Detected) {
	for i := range s.cfg.Devices {
		c := &s.cfg.Devices[i]
		if c.Kind != d.Device.Kind {
			continue
		}
		c.Transport, c.Path, c.Baud, c.USB, c.Interface, c.Address =
			d.Device.Transport, d.Device.Path, d.Device.Baud, d.Device.USB, d.Device.Interface, d.Device.Address
	}
	setText(s.out, s.a.T("tech.adopted", map[string]any{"Kind": d.Device.Kind}))
	s.fill()
}

func (s *techScreen) queue() {
	a := s.a
	revoked := a.sync.Revoked
	s.task("queue", func(ctx context.Context) (string, error) {
		q, err := a.deps.Technician.Queue(ctx)
		if err != nil {
			return "", err
		}
		online := a.T("tech.offline")
		if q.Online {
			online = a.T("tech.online")
		}
		status := a.T("tech.queue.status", map[string]any{"Pending": q.Pending, "Failed": q.Failed, "Online": online})
		if q.Held > 0 {
			status += " " + a.T("tech.queue.held", map[string]any{"Held": q.Held})
		}
		if revoked {
			status = a.T("tech.revoked") + "\n" + status
		}
		return status, nil
	})
}

// save validates the edited configuration and, when it is right, applies it.
func (s *techScreen) save() {
	a := s.a
	c := *s.cfg
	c.Devices = slices.Clone(s.cfg.Devices)
	var ve *config.ValidationError
	if err := c.Validate(); errors.As(err, &ve) {
		var lines []string
		for _, p := range ve.Problems {
			lines = append(lines, p.String())
		}
		setText(s.out, a.T("tech.invalid")+"\n"+strings.Join(lines, "\n"))
		return
	} else if err != nil {
		setText(s.out, a.T("tech.failed", map[string]any{"Err": err.Error()}))
		return
	}
	s.task("apply", func(ctx context.Context) (string, error) {
		restart, err := a.deps.Technician.Apply(ctx, &c)
		if err != nil {
			return "", err
		}
		eff := &c
		if pc, ok := a.deps.Technician.(PlatformConfigured); ok {
			eff = pc.Effective(&c) // the platform's settings stay over the file's
		}
		a.do(func() {
			s.saved = cloneConfig(&c)
			a.ApplySettings(SettingsOf(eff))
		})
		if restart {
			return a.T("tech.saved.restart"), nil
		}
		return a.T("tech.saved"), nil
	})
}

// platformConfig says which settings the platform's configuration sets (they win over
// this terminal's file) and whether its last push was refused, and why.
func (s *techScreen) platformConfig() []fyne.CanvasObject {
	a := s.a
	pc, ok := a.deps.Technician.(PlatformConfigured)
	if !ok {
		return nil
	}
	st := pc.PlatformConfig()
	var objs []fyne.CanvasObject
	if st.Version == "" {
		objs = append(objs, a.fact(a.T("tech.platform_config"), a.T("tech.platform_config.none")))
	} else {
		objs = append(objs, a.fact(a.T("tech.platform_config"), st.Version),
			a.note(a.T("tech.platform_config.precedence", map[string]any{"Keys": strings.Join(st.Sets, ", ")})))
		if st.Restart {
			objs = append(objs, a.note(a.T("tech.platform_config.restart")))
		}
	}
	if st.Refused != "" {
		objs = append(objs, a.para(a.T("tech.platform_config.refused", map[string]any{"Version": st.Refused})+"\n"+strings.Join(st.Problems, "\n")))
	}
	return objs
}
