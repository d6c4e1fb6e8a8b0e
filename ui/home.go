package ui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/govkiosk/govkiosk/ui/kiosktheme"
	"github.com/govkiosk/govkiosk/ui/locale"
	"github.com/govkiosk/govkiosk/ui/touch"
)

// homeScreen is the start screen: the hall's name, the platform's announcements, four
// large choices, the language and elder-mode switches, and a calm line about delivery.
// Its empty areas feed the technician gesture.
type homeScreen struct {
	*screenBase
	apply, track, rate, notices *touch.Tile
	elder, lang                 *touch.Button
	clock                       *widget.RichText
	status                      *widget.RichText
	news                        *fyne.Container
}

func (a *App) newHome() screen {
	s := &homeScreen{screenBase: a.newBase("home")}
	s.apply = touch.NewTile(a.T("home.apply"), a.T("home.apply.sub"), theme.DocumentCreateIcon(), a.act(func() { a.run("start", a.sess.Start) }))
	s.apply.Primary = true
	s.track = touch.NewTile(a.T("home.track"), a.T("home.track.sub"), theme.SearchIcon(), a.act(func() { a.run("open query", a.sess.OpenQuery) }))
	s.rate = touch.NewTile(a.T("home.rate"), a.T("home.rate.sub"), theme.ConfirmIcon(), a.act(func() { a.run("open rate", a.sess.OpenRate) }))
	s.notices = touch.NewTile(a.T("home.notices"), a.T("home.notices.sub"), theme.ListIcon(), a.act(func() { a.run("open notices", a.sess.OpenNotices) }))
	if a.sync.Revoked {
		// The platform refuses this terminal: what it takes would never arrive, so it
		// takes no application and no rating; progress and notices still work.
		s.apply.Subtitle, s.rate.Subtitle = a.T("home.apply.revoked"), a.T("home.rate.revoked")
		s.apply.Disable()
		s.rate.Disable()
		s.voice = "voice.home.revoked"
	}
	s.add("home.apply", s.apply)
	s.add("home.track", s.track)
	s.add("home.rate", s.rate)
	s.add("home.notices", s.notices)

	elderText := a.T("home.elder.on")
	if a.theme.Elder() {
		elderText = a.T("home.elder.off")
	}
	s.elder = touch.NewButton(elderText, theme.ZoomInIcon(), a.act(a.toggleElder))
	s.elder.Importance = touch.Quiet
	langText := "English"
	if a.tr.Language() == locale.English {
		langText = "中文"
	}
	s.lang = touch.NewButton(langText, nil, a.act(a.toggleLanguage))
	s.lang.Importance = touch.Quiet
	s.add("home.elder", s.elder)
	s.add("home.lang", s.lang)

	hall := a.styled(a.text(a.deps.Hall), kiosktheme.SizeNameTitleText, kiosktheme.ColorNameOnBar, true)
	if a.deps.Hall.IsZero() {
		setText(hall, a.T("home.hall.default"))
	}
	hall.Truncation = fyne.TextTruncateEllipsis
	s.clock = a.styled("", theme.SizeNameText, kiosktheme.ColorNameOnBar, false)
	// The clock, not a button, sits in the top-right corner: the corners stay free of
	// buttons so the technician gesture's taps reach the background.
	corner := theme.Size(kiosktheme.SizeNameBar) * 1.6
	clockSlot := canvas.NewRectangle(kiosktheme.Transparent)
	clockSlot.SetMinSize(fyne.NewSize(corner, 1))
	toggles := container.NewHBox(append(a.soundControls(s.screenBase, a.portrait()), s.elder, s.lang)...)
	top := a.bar(container.New(&homeHeader{a: a, hall: hall},
		container.NewVBox(layout.NewSpacer(), fitting(hall, titleSizes...), layout.NewSpacer()),
		container.NewHBox(toggles, container.NewStack(clockSlot, container.NewCenter(s.clock)))))

	s.news = container.NewVBox()
	s.status = a.styled("", theme.SizeNameText, kiosktheme.ColorNameCalm, false)
	s.status.Wrapping = fyne.TextWrapWord
	help := a.styled(a.T("home.help"), theme.SizeNameText, kiosktheme.ColorNameMuted, false)

	tiles := container.NewGridWithColumns(2, s.apply, s.track, s.rate, s.notices)
	pad := theme.Size(theme.SizeNameInnerPadding)
	body := container.New(layout.NewCustomPaddedLayout(pad, pad, 0, 0), container.New(inset{side: corner},
		container.NewBorder(s.news, nil, nil, nil, tiles)))
	bottom := container.New(layout.NewCustomPaddedLayout(pad, pad, 0, 0), container.New(inset{side: corner},
		container.NewBorder(nil, nil, nil, help, s.status)))

	s.fix(toggles) // the header's buttons never scroll away
	content := container.NewBorder(top, bottom, nil, nil, a.fit(s.screenBase, body))
	s.content = container.NewStack(newTapCatcher(a.cornerTap), content)
	s.refresh = func() { a.fillHome(s) }
	a.fillHome(s)
	a.tickClock(s)
	return s
}

// fillHome shows the announcements (or, on a revoked terminal, where to go instead),
// the sync line and the time.
func (a *App) fillHome(s *homeScreen) {
	s.news.Objects = nil
	if a.sync.Revoked {
		s.news.Add(a.revokedNotice())
		s.news.Refresh()
		setText(s.status, a.syncLine())
		setText(s.clock, a.clockText(a.clock.Now()))
		return
	}
	for i, n := range a.bulletin.Announcements {
		if i == 2 {
			break // two at most: the choices below must stay in view
		}
		line := container.NewBorder(nil, nil, icon(theme.InfoIcon(), theme.ColorNamePrimary, theme.Size(theme.SizeNameInlineIcon)), nil,
			a.para(a.text(n.Title)))
		s.news.Add(line)
	}
	if len(s.news.Objects) == 0 {
		s.news.Add(centered(a.heading(a.T("home.welcome"))))
	} else {
		s.news.Objects = []fyne.CanvasObject{card(container.NewVBox(s.news.Objects...))}
	}
	s.news.Refresh()
	setText(s.status, a.syncLine())
	setText(s.clock, a.clockText(a.clock.Now()))
}

// revokedNotice tells residents, above the choices, that this terminal takes no new
// application and where to go instead.
func (a *App) revokedNotice() fyne.CanvasObject {
	size := theme.Size(theme.SizeNameInlineIcon) * 1.5
	return card(container.NewBorder(nil, nil,
		container.NewVBox(icon(theme.WarningIcon(), theme.ColorNameWarning, size)), nil,
		container.NewVBox(a.heading(a.T("home.revoked.heading")), a.para(a.T("home.revoked.body")))))
}

// syncLine tells residents, without alarm, how delivery is going: offline work is kept
// safely and sent later, which is all they need to know.
func (a *App) syncLine() string {
	switch {
	case a.sync.Revoked:
		// Not "working offline": what a resident applies for here would never arrive.
		return a.T("sync.revoked")
	case !a.sync.Online && a.sync.Queued > 0:
		return a.tr.N("sync.offline.queued", a.sync.Queued)
	case !a.sync.Online:
		return a.T("sync.offline")
	case a.sync.Queued > 0:
		return a.tr.N("sync.sending", a.sync.Queued)
	}
	return a.T("sync.online")
}

// clockText formats the date and time for the start screen.
func (a *App) clockText(t time.Time) string {
	return t.Format("15:04")
}

// tickClock keeps the clock current while the start screen is shown.
func (a *App) tickClock(s *homeScreen) {
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		t := time.NewTicker(15 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-s.ctx.Done():
				return
			case <-t.C:
				a.do(func() { setText(s.clock, a.clockText(a.clock.Now())) })
			}
		}
	}()
}

// cornerTap feeds a tap on the start screen's background to the technician gesture.
func (a *App) cornerTap(pos fyne.Position) {
	if a.gesture.Tap(pos.X, pos.Y, a.clock.Now()) && a.deps.Access != nil {
		a.openPIN()
	}
}

// homeHeader lays out the start screen's header: the hall's name on the left and the
// switches and clock on the right, or, when the switches leave the name too little room
// even at body text size (elder mode, English, a narrower display), the name on a row of
// its own above them.
type homeHeader struct {
	a    *App
	hall *widget.RichText
}

// stacked reports whether the name goes above the switches in a header width wide.
func (l *homeHeader) stacked(objects []fyne.CanvasObject, width float32) bool {
	seg, ok := l.hall.Segments[0].(*widget.TextSegment)
	if !ok {
		return false
	}
	th := l.hall.Theme()
	need := fyne.MeasureText(seg.Text, th.Size(theme.SizeNameText), seg.Style.TextStyle).Width +
		2*th.Size(theme.SizeNameInnerPadding)
	return need > width-objects[1].MinSize().Width
}

func (l *homeHeader) Layout(objects []fyne.CanvasObject, s fyne.Size) {
	name, right := objects[0], objects[1]
	rm := right.MinSize()
	if l.stacked(objects, s.Width) {
		nh := max(s.Height-rm.Height, 0)
		name.Move(fyne.NewPos(0, 0))
		name.Resize(fyne.NewSize(s.Width, nh))
		right.Move(fyne.NewPos(s.Width-rm.Width, nh))
		right.Resize(rm)
		return
	}
	name.Move(fyne.NewPos(0, 0))
	name.Resize(fyne.NewSize(s.Width-rm.Width, s.Height))
	right.Move(fyne.NewPos(s.Width-rm.Width, 0))
	right.Resize(fyne.NewSize(rm.Width, s.Height))
}

func (l *homeHeader) MinSize(objects []fyne.CanvasObject) fyne.Size {
	nm, rm := objects[0].MinSize(), objects[1].MinSize()
	// The header spans the window, less the bar's side padding.
	width := l.a.root.Size().Width - 4*theme.Size(theme.SizeNamePadding)
	if width > 0 && l.stacked(objects, width) {
		return fyne.NewSize(max(nm.Width, rm.Width), nm.Height+rm.Height)
	}
	return fyne.NewSize(nm.Width+rm.Width, max(nm.Height, rm.Height))
}
