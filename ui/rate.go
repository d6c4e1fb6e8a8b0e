package ui

import (
	"context"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"

	"github.com/govkiosk/govkiosk/kiosk/session"
	"github.com/govkiosk/govkiosk/ui/kiosktheme"
	"github.com/govkiosk/govkiosk/ui/touch"
)

// Rating reasons: what went wrong for 1–3 stars, what went well for 4–5. Keys go to the
// platform; the words are translations "rate.reason.<key>".
var (
	badReasons  = []string{"slow", "hard", "unclear", "device"}
	goodReasons = []string{"fast", "clear", "helpful"}
)

// rateTimeout bounds recording a rating; the visit does not wait for it.
const rateTimeout = 10 * time.Second

// rateScreen asks for 1–5 stars (好差评) and, optionally, why.
type rateScreen struct {
	*screenBase
	a       *App
	stars   *touch.Stars
	reasons *fyne.Container
	chosen  []string
	chips   []Element
	send    *touch.Button
	skip    *touch.Button
}

func (a *App) newRateScreen() screen {
	s := &rateScreen{screenBase: a.newBase("rate"), a: a}
	s.stars = touch.NewStars([5]string{a.T("rate.1"), a.T("rate.2"), a.T("rate.3"), a.T("rate.4"), a.T("rate.5")})
	for _, k := range s.stars.Keys() {
		s.add(k.ID, k.Button)
	}
	s.reasons = container.NewGridWithColumns(2)
	s.stars.OnChanged = func(int) { a.touch(); s.chosen = nil; s.fillReasons() }
	s.send = touch.NewPrimary(a.T("rate.send"), theme.MailSendIcon(), a.act(s.submit))
	s.skip = touch.NewButton(a.T("rate.skip"), nil, a.act(func() { a.run("skip rate", a.sess.SkipRate) }))
	s.add("rate.send", s.send)
	s.add("rate.skip", s.skip)
	s.dynamic = func() []Element { return s.chips }
	question := a.T("rate.question")
	if svc := a.sess.Service(); svc != nil && !a.sess.RateOnly() {
		question = a.T("rate.question.service", map[string]any{"Service": a.text(svc.Title)})
	}
	side := inset{side: theme.Size(kiosktheme.SizeNameTileHeight)}
	starBox := container.New(side, s.stars)
	body := container.NewVBox(centered(a.heading(question)), starBox,
		centered(a.note(a.T("rate.reasons"))), container.New(side, s.reasons))
	s.content = a.frame(s.screenBase, frame{title: a.T("rate.title"), back: a.sess.RateOnly(), home: true,
		left: []fyne.CanvasObject{s.skip}, actions: []fyne.CanvasObject{s.send}}, body)
	s.fillReasons()
	return s
}

// fillReasons shows the reasons that fit the stars chosen.
func (s *rateScreen) fillReasons() {
	a := s.a
	s.reasons.Objects = nil
	s.chips = nil
	n := s.stars.Value()
	setEnabled(s.send, n > 0)
	if n == 0 {
		s.reasons.Refresh()
		a.scheduleMap()
		return
	}
	keys := goodReasons
	if n <= 3 {
		keys = badReasons
	}
	for _, k := range keys {
		b := touch.NewButton(a.T("rate.reason."+k), nil, nil)
		if slices.Contains(s.chosen, k) {
			b.Importance = touch.Primary
			b.Icon = theme.ConfirmIcon()
		}
		b.OnTapped = a.act(func() {
			if i := slices.Index(s.chosen, k); i >= 0 {
				s.chosen = slices.Delete(s.chosen, i, i+1)
			} else {
				s.chosen = append(s.chosen, k)
			}
			s.fillReasons()
		})
		s.reasons.Add(b)
		s.chips = append(s.chips, Element{ID: "rate.reason." + k, Obj: b})
	}
	s.reasons.Refresh()
	a.scheduleMap()
}

func (s *rateScreen) submit() {
	n := s.stars.Value()
	if n == 0 {
		return
	}
	s.a.reasons = slices.Clone(s.chosen)
	s.a.run("rate", func() error { return s.a.sess.Rate(n) })
}

// sendRating records a rating the session announced, with the reasons chosen.
func (a *App) sendRating(u session.Update) {
	if a.deps.Submitter == nil {
		return
	}
	r := Rating{Code: u.TrackingCode, ServiceID: u.ServiceID, Stars: u.Rating, Reasons: a.reasons, At: a.clock.Now()}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		ctx, cancel := context.WithTimeout(a.ctx, rateTimeout)
		defer cancel()
		if err := a.deps.Submitter.Rate(ctx, r); err != nil {
			a.log.Warn("rating not recorded", "err", err)
		}
	}()
}

// newThanksScreen thanks the resident and says their data is gone; the session returns to
// the start screen by itself after a few seconds.
func (a *App) newThanksScreen() screen {
	s := a.newBase("thanks")
	home := touch.NewPrimary(a.T("thanks.home"), theme.HomeIcon(), a.act(a.home))
	s.add("thanks.home", home)
	body := container.NewVBox(layout.NewSpacer(),
		container.NewCenter(icon(theme.ConfirmIcon(), theme.ColorNameSuccess, theme.Size(kiosktheme.SizeNameTileHeight)/2)),
		centered(a.heading(a.T("thanks.title"))),
		centered(a.para(a.T("thanks.wiped"))), layout.NewSpacer(),
		container.NewCenter(home), layout.NewSpacer())
	s.content = a.frame(s, frame{title: a.T("thanks.bar")}, body)
	return s
}
