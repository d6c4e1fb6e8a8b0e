package ui

import (
	"context"
	"errors"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/kiosk/catalog"
	"github.com/govkiosk/govkiosk/kiosk/identity"
	"github.com/govkiosk/govkiosk/kiosk/session"
	"github.com/govkiosk/govkiosk/ui/kiosktheme"
	"github.com/govkiosk/govkiosk/ui/touch"
)

// retryAfter is how long a device loop waits after an error before asking again, so an
// unplugged device is not polled in a busy loop.
const retryAfter = time.Second

// identifyScreen asks for the ID card with a picture of a card going onto the reader,
// shows the reader's state live, and offers the other ways when the reader cannot be
// used: an identity QR code on the barcode scanner, or staff.
type identifyScreen struct {
	*screenBase
	a       *App
	status  *widget.RichText
	message *widget.RichText
	help    *widget.RichText
	qr      *touch.Button
	staff   *touch.Button
	skip    *touch.Button
	anim    *fyne.Animation
	// saidOffline is set once the reader's way out has been spoken.
	saidOffline bool
}

func (a *App) newIdentifyScreen() screen {
	svc := a.sess.Service()
	if svc == nil {
		return a.newHome()
	}
	s := &identifyScreen{screenBase: a.newBase("identify"), a: a}
	s.status = a.styled("", theme.SizeNameSubHeadingText, theme.ColorNameSuccess, true)
	s.status.Wrapping = fyne.TextWrapWord
	s.message = a.styled("", theme.SizeNameSubHeadingText, theme.ColorNameError, true)
	s.message.Wrapping = fyne.TextWrapWord
	s.help = a.para("")

	var alts []fyne.CanvasObject
	if a.deps.QR != nil && a.deps.Barcode != nil {
		s.qr = touch.NewButton(a.T("identify.qr"), theme.GridIcon(), a.act(func() {
			setText(s.help, a.T("identify.qr.help"))
		}))
		alts = append(alts, s.add("identify.qr", s.qr))
	}
	s.staff = touch.NewButton(a.T("identify.staff"), theme.AccountIcon(), a.act(func() {
		setText(s.help, a.T("identify.staff.help"))
	}))
	alts = append(alts, s.add("identify.staff", s.staff))
	var actions []fyne.CanvasObject
	if svc.Identity == catalog.IdentityOptional {
		s.skip = touch.NewButton(a.T("identify.skip"), theme.NavigateNextIcon(), a.act(func() {
			a.run("skip identify", a.sess.SkipIdentify)
		}))
		actions = append(actions, s.add("identify.skip", s.skip))
	}

	picture := a.cardAnimation(s)
	right := container.NewVBox(
		a.heading(a.T("identify.place")),
		a.note(a.T("identify.place.sub")),
		s.status,
		s.message,
		s.help,
		layout.NewSpacer(),
	)
	body := container.New(a.split(0.5), container.NewCenter(picture), right)
	// The other ways (a code, staff) sit in the action bar, always in view: under the
	// instructions they fell below the fold at 1280×800 in English and elder mode, where
	// a resident whose card will not read needs them most.
	s.content = a.frame(s.screenBase, frame{title: a.text(svc.Title), back: true, home: true,
		steps: a.steps(svc), step: 2, left: alts, actions: actions}, body)

	s.showHealth(a.readerHealth())
	a.watchHealth(s.screenBase, a.deps.Identity, s.showHealth)
	a.readCards(s)
	if a.deps.QR != nil && a.deps.Barcode != nil {
		a.readIdentityCodes(s)
	}
	return s
}

// readerHealth is the card reader's health now; no reader counts as offline.
func (a *App) readerHealth() health.Status {
	if a.deps.Identity == nil {
		return health.Status{State: health.Offline}
	}
	return a.deps.Identity.Health().Current()
}

// healthSource is anything with a health feed.
type healthSource interface {
	Health() Feed[health.Status]
}

// watchHealth follows a device's health while a screen is shown.
func (a *App) watchHealth(b *screenBase, dev healthSource, fn func(health.Status)) {
	if dev == nil {
		return
	}
	ch, stop := dev.Health().Subscribe()
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer stop()
		for {
			select {
			case <-b.ctx.Done():
				return
			case st, ok := <-ch:
				if !ok {
					return
				}
				a.do(func() {
					if b.ctx.Err() == nil {
						fn(st)
					}
				})
			}
		}
	}()
}

// showHealth puts the reader's state in words and, when it cannot be used, turns the
// other ways into the main ones.
func (s *identifyScreen) showHealth(st health.Status) {
	a := s.a
	words, col := a.T("identify.reader.ready"), theme.ColorNameSuccess
	usable := true
	switch st.State {
	case health.Busy:
		words, col = a.T("identify.reader.busy"), theme.ColorNamePrimary
	case health.UserError:
		words, col = a.T("identify.reader.reposition"), theme.ColorNameWarning
	case health.Online:
	default:
		words, col, usable = a.T("identify.reader.offline"), theme.ColorNameWarning, false
	}
	setText(s.status, words)
	setColor(s.status, col)
	for _, b := range []*touch.Button{s.qr, s.staff} {
		if b == nil {
			continue
		}
		b.Importance = touch.Secondary
		if !usable {
			b.Importance = touch.Primary
		}
		b.Refresh()
	}
	if !usable && s.help.String() == "" {
		setText(s.help, a.T("identify.reader.offline.help"))
	}
	if !usable && !s.saidOffline {
		s.saidOffline = true
		s.voice = "voice.identify.offline" // "say it again" repeats the way out
		a.say(s.voice, "")
	}
}

// readCards waits for cards while the screen is shown and hands each to the session.
func (a *App) readCards(s *identifyScreen) {
	if a.deps.Identity == nil {
		return
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		for {
			id, err := a.deps.Identity.ReadCard(s.ctx)
			if s.ctx.Err() != nil {
				id.Wipe()
				return
			}
			a.do(func() { s.onCard(id, err) })
			if err != nil && !sleepCtx(s.ctx, retryAfter) {
				return
			}
		}
	}()
}

// readIdentityCodes turns scanned identity QR codes into identities.
func (a *App) readIdentityCodes(s *identifyScreen) {
	a.eachCode(s.ctx, func(code string) {
		id, err := a.deps.QR.IdentifyQR(s.ctx, code)
		if s.ctx.Err() != nil {
			id.Wipe()
			return
		}
		if err != nil && !errors.Is(err, ErrQRNeedsNewCode) {
			err = errQRUnknown
		}
		a.do(func() { s.onCard(id, err) })
	})
}

// eachCode hands every code the barcode scanner reads to fn, on a goroutine of its own,
// until ctx ends; a failed read is retried after a pause.
func (a *App) eachCode(ctx context.Context, fn func(code string)) {
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		for {
			code, err := a.deps.Barcode.ReadCode(ctx)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				if !sleepCtx(ctx, retryAfter) {
					return
				}
				continue
			}
			fn(code)
		}
	}()
}

var errQRUnknown = errors.New("ui: identity code not recognised")

// sleepCtx waits d or until ctx ends, reporting whether the wait was complete.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// onCard hands a read identity to the session, or says why it cannot be used.
func (s *identifyScreen) onCard(id *identity.Identity, err error) {
	a := s.a
	if s.ctx.Err() != nil {
		id.Wipe()
		return
	}
	a.touch()
	if err != nil {
		id.Wipe()
		msg := a.T("identify.error.read")
		switch {
		case errors.Is(err, errQRUnknown):
			msg = a.T("identify.error.qr")
		case errors.Is(err, ErrQRNeedsNewCode):
			msg = a.T("identify.error.qr.renew")
		}
		a.log.Info("card not read", "err", err)
		setText(s.message, msg)
		if !errors.Is(err, errQRUnknown) && !errors.Is(err, ErrQRNeedsNewCode) {
			a.say("voice.identify.error", "")
		}
		return
	}
	err = a.sess.Identify(id)
	switch {
	case err == nil:
		setText(s.message, "")
		a.askLicences(id)
	case errors.Is(err, session.ErrCardExpired):
		setText(s.message, a.T("identify.error.expired"))
	case errors.Is(err, session.ErrCardInvalid):
		setText(s.message, a.T("identify.error.invalid"))
	case errors.Is(err, catalog.ErrIneligible):
		var ie *catalog.IneligibleError
		errors.As(err, &ie)
		a.log.Info("identify refused by the service's eligibility rules", "service", ie.Service, "why", string(ie.Why))
		setText(s.message, a.ineligible(ie))
	default:
		if ignoreStale(err) != nil {
			a.log.Warn("identify refused", "err", err)
		}
	}
}

// ineligible says in plain words why the resident may not apply here, and where to go
// instead.
func (a *App) ineligible(ie *catalog.IneligibleError) string {
	data := map[string]any{"Age": ie.Age, "Min": ie.MinAge, "Max": ie.MaxAge}
	var why string
	switch ie.Why {
	case catalog.TooYoung:
		why = a.T("identify.ineligible.young", data)
	case catalog.TooOld:
		why = a.T("identify.ineligible.old", data)
	case catalog.AgeUnknown:
		why = a.T("identify.ineligible.age")
	default:
		why = a.T("identify.ineligible.card")
	}
	where := a.text(ie.Elsewhere)
	if where == "" {
		where = a.T("identify.ineligible.elsewhere")
	}
	return why + "\n" + where
}

// leave stops the animation as well as the goroutines.
func (s *identifyScreen) leave() {
	if s.anim != nil {
		s.anim.Stop()
	}
	s.screenBase.leave()
}

// cardAnimation draws an ID card gliding down onto the reader, over and over.
func (a *App) cardAnimation(s *identifyScreen) fyne.CanvasObject {
	u := theme.Size(kiosktheme.SizeNameTarget)
	w, h := u*6.5, u*6.5
	bg := canvas.NewRectangle(theme.Color(kiosktheme.ColorNameCard))
	bg.CornerRadius = u / 4
	bg.SetMinSize(fyne.NewSize(w, h))
	bg.Resize(fyne.NewSize(w, h))
	reader := canvas.NewRectangle(color.NRGBA{R: 0x3B, G: 0x47, B: 0x57, A: 0xFF})
	reader.CornerRadius = u / 5
	readerW, readerH := w*0.8, h*0.22
	reader.Resize(fyne.NewSize(readerW, readerH))
	reader.Move(fyne.NewPos((w-readerW)/2, h-readerH-u/3))
	padLabel := canvas.NewText(a.T("identify.reader.area"), color.White)
	padLabel.TextSize = theme.Size(theme.SizeNameText)
	padLabel.Alignment = fyne.TextAlignCenter
	padLabel.Resize(fyne.NewSize(readerW, readerH))
	padLabel.Move(reader.Position().AddXY(0, readerH/2-padLabel.MinSize().Height/2))
	padLabel.Resize(fyne.NewSize(readerW, padLabel.MinSize().Height))

	cardW, cardH := readerW*0.78, readerW*0.78*0.63
	card := canvas.NewRectangle(color.NRGBA{R: 0xD6, G: 0xE6, B: 0xF5, A: 0xFF})
	card.StrokeColor = theme.Color(theme.ColorNamePrimary)
	card.StrokeWidth = 3
	card.CornerRadius = u / 6
	card.Resize(fyne.NewSize(cardW, cardH))
	photo := canvas.NewRectangle(color.NRGBA{R: 0xA9, G: 0xBF, B: 0xD8, A: 0xFF})
	photo.Resize(fyne.NewSize(cardW*0.26, cardH*0.62))
	var lines []*canvas.Rectangle
	for i := 0; i < 4; i++ {
		l := canvas.NewRectangle(color.NRGBA{R: 0x8C, G: 0xA5, B: 0xC2, A: 0xFF})
		l.Resize(fyne.NewSize(cardW*0.5*(1-float32(i%2)*0.3), cardH*0.06))
		lines = append(lines, l)
	}
	top := u / 3
	rest := reader.Position().Y - cardH*0.35
	place := func(y float32) {
		x := (w - cardW) / 2
		card.Move(fyne.NewPos(x, y))
		photo.Move(fyne.NewPos(x+cardW*0.64, y+cardH*0.18))
		for i, l := range lines {
			l.Move(fyne.NewPos(x+cardW*0.08, y+cardH*(0.22+0.16*float32(i))))
		}
	}
	place(rest)
	objs := []fyne.CanvasObject{bg, reader, padLabel, card, photo}
	for _, l := range lines {
		objs = append(objs, l)
	}
	s.anim = fyne.NewAnimation(2200*time.Millisecond, func(p float32) {
		place(top + (rest-top)*p)
		card.Refresh()
		photo.Refresh()
		for _, l := range lines {
			l.Refresh()
		}
	})
	s.anim.Curve = fyne.AnimationEaseInOut
	s.anim.RepeatCount = fyne.AnimationRepeatForever
	s.anim.AutoReverse = true
	s.anim.Start()
	return container.NewWithoutLayout(objs...)
}
