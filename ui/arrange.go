package ui

import (
	"context"
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/govkiosk/govkiosk/kiosk/booking"
	"github.com/govkiosk/govkiosk/ui/kiosktheme"
	"github.com/govkiosk/govkiosk/ui/touch"
)

// bookingWait bounds one question to the platform about appointments.
const bookingWait = 15 * time.Second

// arrangeScreen books the counter visit on a 14-day calendar of half-days with the
// places left, and chooses how the result is received, with the postal address typed on
// the kiosk's Chinese keyboard. Booking needs the platform: offline, the screen says so
// and the resident goes on without one.
type arrangeScreen struct {
	*screenBase
	a       *App
	item    string
	status  *widget.RichText
	message *widget.RichText
	cal     *fyne.Container
	booked  *fyne.Container
	scroll  *container.Scroll
	// editing is set while the postal address is being typed.
	editing bool
	address []rune
}

func (a *App) newArrangeScreen() screen {
	svc := a.sess.Service()
	if svc == nil {
		return a.newHome()
	}
	s := &arrangeScreen{screenBase: a.newBase("arrange"), a: a, item: svc.ID}
	s.voice = "voice.arrange"
	_, addr := a.sess.Delivery()
	s.address = []rune(addr)
	s.build()
	if svc.Appointment {
		s.loadCalendar()
	}
	return s
}

// build lays the screen out for its mode: the arrangements, or typing the address.
func (s *arrangeScreen) build() {
	a := s.a
	svc := a.sess.Service()
	s.els = nil
	s.message = a.styled("", theme.SizeNameText, theme.ColorNameError, true)
	s.message.Wrapping = fyne.TextWrapWord
	f := frame{title: a.text(svc.Title), back: true, home: true, steps: a.steps(svc), step: a.stepOf(svc, "steps.arrange"),
		message: s.message}
	if s.editing {
		s.content = s.addressEditor(f)
		a.scheduleMap()
		return
	}
	list := container.NewVBox()
	scroll := a.scroll(list)
	if svc.Appointment {
		s.status = a.styled(a.T("arrange.loading"), theme.SizeNameText, kiosktheme.ColorNameMuted, false)
		s.status.Wrapping = fyne.TextWrapWord
		s.cal = container.NewVBox()
		s.booked = container.NewVBox()
		list.Add(a.section(a.T("arrange.booking.title"), s.status, s.booked, s.cal))
	}
	if svc.Post {
		list.Add(s.deliverySection(scroll))
	}
	next := touch.NewPrimary(a.T("form.next"), theme.NavigateNextIcon(), a.act(s.done))
	s.add("arrange.next", next)
	f.actions = []fyne.CanvasObject{next}
	s.content = a.frame(s.screenBase, f, scroll)
	s.scroll = scroll
	a.scheduleMap()
}

// deliverySection offers 到窗口领取 and 邮寄到家, and with the latter the address.
func (s *arrangeScreen) deliverySection(clip fyne.CanvasObject) fyne.CanvasObject {
	a := s.a
	d, _ := a.sess.Delivery()
	choice := func(id string, label string, v booking.Delivery) *touch.Button {
		b := touch.NewButton(label, nil, a.act(func() { s.setDelivery(v) }))
		b.Large = true
		if d == v {
			b.Importance = touch.Primary
			b.Icon = theme.ConfirmIcon()
		}
		s.addIn(id, b, clip)
		return b
	}
	box := container.NewVBox(container.NewGridWithColumns(2,
		choice("arrange.delivery.counter", a.T("arrange.delivery.counter"), booking.Counter),
		choice("arrange.delivery.post", a.T("arrange.delivery.post"), booking.Post)))
	if d == booking.Post {
		shown := string(s.address)
		col := theme.ColorNameForeground
		if strings.TrimSpace(shown) == "" {
			shown, col = a.T("arrange.address.none"), kiosktheme.ColorNameMuted
		}
		addr := a.styled(shown, theme.SizeNameText, col, false)
		addr.Wrapping = fyne.TextWrapWord
		edit := touch.NewButton(a.T("arrange.address.edit"), theme.DocumentCreateIcon(), a.act(s.editAddress))
		s.addIn("arrange.address.edit", edit, clip)
		box.Add(container.NewBorder(nil, nil, nil, edit,
			container.NewVBox(a.styled(a.T("arrange.address"), theme.SizeNameText, theme.ColorNameForeground, true), addr)))
	}
	return a.section(a.T("arrange.delivery.title"), box)
}

// addressEditor is the address and the kiosk's keyboard, which stays in view.
func (s *arrangeScreen) addressEditor(f frame) fyne.CanvasObject {
	a := s.a
	shown := a.styled(string(s.address), theme.SizeNameSubHeadingText, theme.ColorNameForeground, false)
	shown.Wrapping = fyne.TextWrapWord
	refresh := func() {
		a.touch()
		setText(shown, string(s.address))
		_ = a.sess.SetDelivery(booking.Post, string(s.address))
	}
	insert := func(text string) {
		for _, r := range text {
			if len(s.address) < booking.MaxAddress {
				s.address = append(s.address, r)
			}
		}
		refresh()
	}
	back := func() {
		if len(s.address) > 0 {
			s.address = s.address[:len(s.address)-1]
		}
		refresh()
	}
	clearAll := func() { s.address = nil; refresh() }
	var kb fyne.CanvasObject
	if a.deps.IME.Pinyin != nil || a.deps.IME.Handwriting != nil {
		ck := touch.NewChineseKeyboard(a.deps.IME, a.imeLabels())
		ck.OnText = insert
		ck.OnComposing = func(string) { a.touch() }
		ck.OnChange = a.touch
		ck.OnBackspace = back
		ck.OnClear = clearAll
		base := len(s.els)
		ck.OnKeys = func() {
			s.els = s.els[:base]
			for _, k := range ck.Keys() {
				s.add(k.ID, k.Button)
			}
			if p := ck.Pad(); p != nil {
				s.add("ime.pad", p)
			}
			a.scheduleMap()
		}
		ck.OnKeys()
		kb = ck
	} else {
		k := touch.NewKeyboard(a.keyLabels())
		k.OnRune = func(r rune) { insert(string(r)) }
		k.OnBackspace = back
		k.OnClear = clearAll
		for _, key := range k.Keys() {
			s.add(key.ID, key.Button)
		}
		kb = k
	}
	done := touch.NewPrimary(a.T("arrange.address.done"), theme.ConfirmIcon(), a.act(s.addressDone))
	s.add("arrange.address.done", done)
	// The keyboard needs the height: no steps row while typing (elder mode at 1280×800).
	f.back, f.steps, f.step = false, nil, 0
	f.actions = []fyne.CanvasObject{done}
	f.below = kb
	body := container.NewVBox(a.styled(a.T("arrange.address"), theme.SizeNameSubHeadingText, theme.ColorNameForeground, true),
		card(shown))
	return a.frame(s.screenBase, f, a.scroll(body))
}

func (s *arrangeScreen) redraw() {
	s.build()
	s.a.showScreen(s)
	s.fillCalendar()
}

func (s *arrangeScreen) setDelivery(d booking.Delivery) {
	a := s.a
	addr := ""
	if d == booking.Post {
		addr = string(s.address)
	}
	if !a.run("delivery", func() error { return a.sess.SetDelivery(d, addr) }) {
		return
	}
	s.redraw()
}

func (s *arrangeScreen) editAddress() {
	s.editing = true
	s.redraw()
}

func (s *arrangeScreen) addressDone() {
	s.editing = false
	s.redraw()
	if err := booking.CheckAddress(string(s.address)); err != nil {
		setText(s.message, s.a.T("arrange.address.short"))
	}
}

// done goes on to review; an incomplete address keeps the resident here.
func (s *arrangeScreen) done() {
	a := s.a
	err := a.sess.ArrangeDone()
	switch {
	case err == nil:
	case errors.Is(err, booking.ErrAddress):
		setText(s.message, a.T("arrange.address.short"))
	default:
		_ = ignoreStale(err)
	}
}

// calendar is what the platform said last; nil until it answered.
type calendarState struct {
	free    []booking.Free
	offline bool
}

// loadCalendar asks the platform for the calendar in the background.
func (s *arrangeScreen) loadCalendar() {
	a := s.a
	if a.deps.Appointments == nil {
		a.calendar = &calendarState{offline: true}
		s.fillCalendar()
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, bookingWait)
	item := s.item
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer cancel()
		free, _, err := a.deps.Appointments.Slots(ctx, item)
		a.do(func() {
			if s.ctx.Err() != nil {
				return
			}
			if err != nil {
				a.log.Info("no appointment calendar", "err", err)
				a.calendar = &calendarState{offline: true}
			} else {
				a.calendar = &calendarState{free: free}
			}
			s.fillCalendar()
		})
	}()
}

// fillCalendar shows the booking, or the calendar, or why there is none.
func (s *arrangeScreen) fillCalendar() {
	a := s.a
	if s.editing || s.cal == nil {
		return
	}
	s.cal.Objects, s.booked.Objects = nil, nil
	// The calendar's buttons are rebuilt: drop their old elements.
	kept := s.els[:0]
	for _, e := range s.els {
		if !strings.HasPrefix(e.ID, "arrange.slot.") && e.ID != "arrange.cancel" {
			kept = append(kept, e)
		}
	}
	s.els = kept
	if b, ok := a.sess.Booking(); ok {
		setText(s.status, "")
		cancel := touch.NewButton(a.T("arrange.cancel"), theme.CancelIcon(), a.act(s.cancel))
		s.addIn("arrange.cancel", cancel, s.scroll)
		line := a.styled(a.T("arrange.booked", map[string]any{"When": a.slotWhen(b.Slot)}), theme.SizeNameSubHeadingText, theme.ColorNameSuccess, true)
		line.Wrapping = fyne.TextWrapWord
		s.booked.Add(container.NewBorder(nil, nil, nil, cancel, line))
	} else {
		switch cs := a.calendar; {
		case cs == nil:
			setText(s.status, a.T("arrange.loading"))
			setColor(s.status, kiosktheme.ColorNameMuted)
		case cs.offline:
			setText(s.status, a.T("arrange.offline"))
			setColor(s.status, theme.ColorNameWarning)
		default:
			setText(s.status, a.T("arrange.booking.how")+"\n"+a.T("arrange.none"))
			setColor(s.status, theme.ColorNameForeground)
			s.cal.Add(s.calendarGrid(cs.free))
		}
	}
	s.cal.Refresh()
	s.booked.Refresh()
	a.scheduleMap()
}

// calendarGrid lays the days out a week to a row: the date, then a button for each
// half-day with its places left.
func (s *arrangeScreen) calendarGrid(free []booking.Free) fyne.CanvasObject {
	a := s.a
	cols := 7
	if a.theme.Elder() || a.win != nil && a.win.Canvas().Size().Width < 1200 {
		cols = 4
	}
	grid := container.NewGridWithColumns(cols)
	for i := 0; i+1 < len(free); i += 2 {
		day := container.NewVBox(centered(a.styled(a.dayLabel(free[i].Slot.Date), theme.SizeNameText, theme.ColorNameForeground, true)))
		for _, f := range free[i : i+2] {
			label := a.T("arrange."+string(f.Slot.Half)) + " "
			switch {
			case f.Closed:
				label += a.T("arrange.closed")
			case f.Left() == 0:
				label += a.T("arrange.full")
			default:
				label += a.T("arrange.left", map[string]any{"N": f.Left()})
			}
			b := touch.NewButton(label, nil, a.act(func() { s.book(f.Slot) }))
			if !f.Bookable() {
				b.Disable()
			}
			s.addIn("arrange.slot."+strings.ReplaceAll(f.Slot.String(), "/", "."), b, s.scroll)
			day.Add(b)
		}
		grid.Add(card(day))
	}
	return grid
}

// dayLabel is "12月4日 周五" or "Fri 4/12".
func (a *App) dayLabel(date string) string {
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return date
	}
	wd := a.T("arrange.weekday." + string(rune('0'+int(d.Weekday()))))
	if a.tr.Language() == "en" {
		return wd + " " + d.Format("2/1")
	}
	return d.Format("1月2日") + " " + wd
}

// slotWhen says when a slot is, in full.
func (a *App) slotWhen(s booking.Slot) string {
	d, _ := time.Parse(time.DateOnly, s.Date)
	return a.T("arrange.when", map[string]any{"Date": s.Date, "Weekday": a.T("arrange.weekday." + string(rune('0'+int(d.Weekday())))),
		"Half": a.T("arrange." + string(s.Half)), "Hours": s.Hours()})
}

// book asks the platform for a place; the calendar is read again whatever the answer.
func (s *arrangeScreen) book(slot booking.Slot) {
	a := s.a
	if a.deps.Appointments == nil {
		return
	}
	setText(s.message, "")
	id, item := a.sess.SubmissionID(), s.item
	ctx, cancel := context.WithTimeout(s.ctx, bookingWait)
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer cancel()
		b, err := a.deps.Appointments.Book(ctx, id, item, slot)
		a.do(func() {
			if s.ctx.Err() != nil {
				if err == nil {
					a.cancelBooking(id) // the resident left meanwhile: give the place back
				}
				return
			}
			switch {
			case err == nil:
				if a.run("booking", func() error { return a.sess.SetBooking(b) }) {
					a.heldBooking = b.ID
				} else {
					a.cancelBooking(b.ID) // the visit moved on: give the place back
				}
			case errors.Is(err, booking.ErrFull):
				setText(s.message, a.T("arrange.error.full"))
			case errors.Is(err, booking.ErrPast):
				setText(s.message, a.T("arrange.error.past"))
			default:
				a.log.Info("booking failed", "err", err)
				setText(s.message, a.T("arrange.error.other"))
			}
			s.fillCalendar()
			s.loadCalendar()
		})
	}()
}

// cancel gives the booked place back.
func (s *arrangeScreen) cancel() {
	a := s.a
	b, ok := a.sess.Booking()
	if !ok {
		return
	}
	a.sess.DropBooking()
	a.cancelBooking(b.ID)
	a.calendar = nil
	s.fillCalendar()
	s.loadCalendar()
}

// cancelBooking gives a place back in the background (the visit ended without
// submitting, or the resident cancelled); a failure is only logged: the place then
// stays taken until the slot passes, and staff can see it.
func (a *App) cancelBooking(id string) {
	if a.deps.Appointments == nil || id == "" {
		return
	}
	if a.heldBooking == id {
		a.heldBooking = ""
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(a.ctx), bookingWait)
		defer cancel()
		if _, err := a.deps.Appointments.CancelBooking(ctx, id); err != nil {
			a.log.Warn("booking not given back", "booking", id, "err", err)
		}
	}()
}
