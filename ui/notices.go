package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/govkiosk/govkiosk/ui/touch"
)

// noticesScreen is the public notice board (政务公开): titles on one side, the chosen
// notice on the other.
type noticesScreen struct {
	*screenBase
	a      *App
	list   *fyne.Container
	scroll *container.Scroll
	title  *widget.RichText
	date   *widget.RichText
	body   *widget.RichText
	chosen string
	items  []Element
}

func (a *App) newNoticesScreen() screen {
	s := &noticesScreen{screenBase: a.newBase("notices"), a: a}
	s.list = container.NewVBox()
	s.scroll = a.scroll(s.list)
	s.title = a.heading("")
	s.date = a.note("")
	s.body = a.para("")
	detail := a.scroll(container.NewVBox(s.title, s.date, s.body))
	s.dynamic = func() []Element { return s.items }
	s.refresh = s.fill
	body := container.New(a.split(0.4), s.scroll, detail)
	s.content = a.frame(s.screenBase, frame{title: a.T("notices.title"), back: true, home: true}, body)
	s.fill()
	return s
}

// fill lists the notices and shows the chosen one (the newest at first).
func (s *noticesScreen) fill() {
	a := s.a
	notices := a.bulletin.Notices
	s.list.Objects = nil
	s.items = nil
	if len(notices) == 0 {
		s.list.Add(a.para(a.T("notices.none")))
	}
	if s.chosen == "" && len(notices) > 0 {
		s.chosen = notices[0].ID
	}
	for _, n := range notices {
		it := touch.NewItem(a.text(n.Title), n.Date.Format("2006-01-02"), nil, nil)
		it.Selected = n.ID == s.chosen
		it.OnTapped = a.act(func() { s.chosen = n.ID; s.fill() })
		s.list.Add(it)
		s.items = append(s.items, Element{ID: "notices.item." + n.ID, Obj: it, Clip: s.scroll})
		if it.Selected {
			setText(s.title, a.text(n.Title))
			setText(s.date, n.Date.Format("2006-01-02"))
			setText(s.body, a.text(n.Body))
		}
	}
	s.list.Refresh()
	a.scheduleMap()
}
