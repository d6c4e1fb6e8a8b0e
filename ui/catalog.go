package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/govkiosk/govkiosk/kiosk/catalog"
	"github.com/govkiosk/govkiosk/ui/kiosktheme"
	"github.com/govkiosk/govkiosk/ui/touch"
)

// Category filters of the catalog screen besides the catalog's own categories.
const (
	categoryAll     = "all"
	categoryBundles = "bundles"
)

// catalogScreen lists the services: category buttons on the left, the services of the
// chosen category (or the search results) as cards, a page at a time (large "previous"
// and "next" buttons are easier for unpractised hands than scrolling), and search on the
// on-screen keyboard by Chinese title, pinyin or pinyin initials.
type catalogScreen struct {
	*screenBase
	a        *App
	cat      *catalog.Catalog
	category string
	query    []rune
	page     int
	typing   bool

	categories map[string]*touch.Button
	search     *touch.Field
	clear      *touch.Button
	prev, next *touch.Button
	pageLabel  fyneText
	grid       *fyne.Container
	results    []Element
	keyboard   *touch.Keyboard
	kbBox      *fyne.Container
	right      *fyne.Container
	left       fyne.CanvasObject
	hint       fyne.CanvasObject
	// cols is the cards to a row; rows, once set, is how many rows fit the display
	// without scrolling (see fitRows).
	cols, rows int
	fitSize    fyne.Size // the list's area rows was fitted to
	empty      fyneText
	// find, in the action bar, opens and closes the keyboard; the search row above the
	// cards shows only while typing or while a search narrows the list, leaving its room
	// to the cards (two rows instead of one in elder mode at 1920×1080).
	find      *touch.Button
	searchRow fyne.CanvasObject
}

func (a *App) newCatalogScreen() screen {
	s := &catalogScreen{screenBase: a.newBase("catalog"), a: a, category: categoryAll,
		categories: map[string]*touch.Button{}}
	if a.deps.Catalog != nil {
		s.cat = a.deps.Catalog.Current()
	}
	var cats []fyne.CanvasObject
	addCat := func(id, title string) {
		b := touch.NewButton(title, nil, nil)
		b.OnTapped = a.act(func() { s.choose(id) })
		s.categories[id] = b
		cats = append(cats, s.add("catalog.category."+id, b))
	}
	addCat(categoryAll, a.T("catalog.all"))
	if s.cat != nil {
		if len(s.cat.Bundles) > 0 {
			addCat(categoryBundles, a.T("catalog.bundles"))
		}
		for _, c := range s.cat.Categories {
			addCat(c.ID, a.text(c.Title))
		}
	}
	s.search = touch.NewField("", a.act(s.toggleKeyboard))
	s.search.Placeholder = a.T("catalog.search.placeholder")
	s.add("catalog.search.field", s.search)
	s.find = touch.NewButton(a.T("catalog.search.open"), theme.SearchIcon(), a.act(s.toggleKeyboard))
	s.add("catalog.search", s.find)
	s.clear = touch.NewButton(a.T("catalog.search.clear"), theme.ContentClearIcon(), a.act(func() { s.setQuery(nil) }))
	s.add("catalog.search.clear", s.clear)
	s.prev = touch.NewButton(a.T("catalog.prev"), theme.NavigateBackIcon(), a.act(func() { s.turn(-1) }))
	s.next = touch.NewButton(a.T("catalog.next"), theme.NavigateNextIcon(), a.act(func() { s.turn(1) }))
	s.add("catalog.page.prev", s.prev)
	s.add("catalog.page.next", s.next)
	s.pageLabel = a.styled("", theme.SizeNameText, kiosktheme.ColorNameMuted, false)
	s.empty = centered(a.para(""))

	s.keyboard = touch.NewKeyboard(a.keyLabels())
	s.keyboard.OnRune = func(r rune) { a.touch(); s.setQuery(append(s.query, r)) }
	s.keyboard.OnBackspace = func() {
		a.touch()
		if len(s.query) > 0 {
			s.setQuery(s.query[:len(s.query)-1])
		}
	}
	s.keyboard.OnClear = func() { a.touch(); s.setQuery(nil) }
	s.kbBox = container.NewVBox(s.keyboard)
	s.kbBox.Hide()
	s.dynamic = func() []Element {
		out := append([]Element(nil), s.results...)
		if s.typing {
			for _, k := range s.keyboard.Keys() {
				out = append(out, Element{ID: k.ID, Obj: k.Button})
			}
		}
		return out
	}

	cols := 2
	if a.portrait() {
		cols = 1 // a portrait screen is too narrow for two cards and the categories
	}
	s.cols = cols
	s.grid = container.New(&cardRows{cols: cols})
	hint := a.note(a.T("catalog.search.hint"))
	searchRow := container.NewBorder(nil, hint, nil, s.clear, s.search)
	s.hint = hint
	hint.Hide()
	s.searchRow = searchRow
	searchRow.Hide()
	s.right = container.NewBorder(searchRow, nil, nil, nil,
		container.New(&layoutHook{after: s.fitRows}, container.NewStack(s.grid, container.NewCenter(s.empty))))
	left := a.scroll(container.NewVBox(cats...))
	s.left = left
	left.SetMinSize(fyne.NewSize(theme.Size(kiosktheme.SizeNameTarget)*4, 0))
	for i := range s.els {
		if len(s.els[i].ID) > len("catalog.category.") && s.els[i].ID[:len("catalog.category.")] == "catalog.category." {
			s.els[i].Clip = left
		}
	}
	body := container.NewBorder(nil, nil, left, nil, container.NewPadded(s.right))
	// The pages' buttons sit in the action bar and the keyboard under the list, both
	// always in view: the list scrolls when a page is taller than the display.
	s.content = a.frame(s.screenBase, frame{title: a.T("catalog.title"), back: true, home: true,
		left:    []fyne.CanvasObject{s.find},
		actions: []fyne.CanvasObject{s.prev, container.NewCenter(s.pageLabel), s.next}, below: s.kbBox}, body)
	for _, k := range s.keyboard.Keys() {
		s.fix(k.Button)
	}
	s.fill()
	return s
}

// fyneText is a styled text run (see App.styled).
type fyneText = *widget.RichText

// pageSize is how many cards fit, two to a row: three rows, two in elder mode, one while
// the keyboard takes the lower half of the screen.
func (s *catalogScreen) pageSize() int {
	n := 6
	switch {
	case s.typing:
		n = 2
	case s.a.theme.Elder():
		n = 4
	}
	if s.rows > 0 {
		n = min(n, s.rows*s.cols)
	}
	return max(n, 1)
}

// fitRows takes a row of cards off the page while the page is taller than the list's
// area (long English titles, elder mode, a smaller display): a page the resident turns
// is easier than a list that scrolls under the page buttons. It runs after each layout
// of the list and acts on the next turn of the UI loop.
func (s *catalogScreen) fitRows() {
	sc, ok := s.clip.(*container.Scroll)
	if !ok || sc.Size().Height < 1 || s.typing {
		// While typing, the page is one row and the keyboard takes what the list leaves.
		return
	}
	// Sizes are compared loosely: App.relayout shrinks the window by a pixel and back.
	size := sc.Size()
	near := func(a, b float32) bool { return a-b < 2 && b-a < 2 }
	if s.rows > 0 && !(near(size.Width, s.fitSize.Width) && near(size.Height, s.fitSize.Height)) {
		// The area changed (the window went full screen, the keyboard opened or
		// closed): start again from a full page.
		s.fitSize = size
		s.a.do(func() {
			s.rows = 0
			s.fill()
		})
		return
	}
	if sc.Content.MinSize().Height <= size.Height+2 {
		return
	}
	rows := (s.pageSize() + s.cols - 1) / s.cols
	if rows <= 1 {
		return
	}
	s.fitSize = size
	s.a.do(func() {
		if s.rows == 0 || s.rows >= rows {
			s.rows = rows - 1
			s.fill()
		}
	})
}

// services returns what the category or the search selects.
func (s *catalogScreen) services() []*catalog.Service {
	if s.cat == nil {
		return nil
	}
	if len(s.query) > 0 {
		return s.cat.Search(string(s.query), 0)
	}
	switch s.category {
	case categoryAll:
		return s.cat.Services()
	case categoryBundles:
		var out []*catalog.Service
		for _, b := range s.cat.Bundles {
			out = append(out, b.Service())
		}
		return out
	}
	return s.cat.InCategory(s.category)
}

// fill shows the current page.
func (s *catalogScreen) fill() {
	a := s.a
	for id, b := range s.categories {
		b.Importance = touch.Secondary
		if id == s.category && len(s.query) == 0 {
			b.Importance = touch.Primary
		}
		b.Refresh()
	}
	s.search.Value = string(s.query)
	s.search.Active = s.typing
	s.search.Refresh()
	if show := s.typing || len(s.query) > 0; show != s.searchRow.Visible() {
		if show {
			s.searchRow.Show()
		} else {
			s.searchRow.Hide()
		}
		s.right.Refresh() // a shown or hidden child changes the layout of its parent only
	}
	if s.typing {
		s.find.SetText(a.T("catalog.search.done"))
	} else {
		s.find.SetText(a.T("catalog.search.open"))
	}
	all := s.services()
	size := s.pageSize()
	pages := max((len(all)+size-1)/size, 1)
	s.page = min(max(s.page, 0), pages-1)
	start := s.page * size
	end := min(start+size, len(all))
	s.grid.Objects = nil
	s.results = nil
	for _, svc := range all[start:end] {
		it := touch.NewItem(a.text(svc.Title), a.text(svc.Summary), a.serviceTags(svc), nil)
		it.OnTapped = a.act(func() { a.run("choose", func() error { return a.sess.Choose(svc) }) })
		s.grid.Add(it)
		s.results = append(s.results, Element{ID: "catalog.service." + svc.ID, Obj: it})
	}
	for i := end - start; i < size; i++ {
		s.grid.Add(layout.NewSpacer())
	}
	s.grid.Refresh()
	setText(s.empty, "")
	if len(all) == 0 {
		setText(s.empty, a.T("catalog.empty"))
	}
	setText(s.pageLabel, a.T("catalog.page", map[string]any{"Page": s.page + 1, "Pages": pages}))
	setEnabled(s.prev, s.page > 0)
	setEnabled(s.next, s.page < pages-1)
	a.scheduleMap()
}

func setEnabled(b *touch.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

func (s *catalogScreen) choose(id string) {
	s.category, s.page = id, 0
	s.query = nil
	s.fill()
}

func (s *catalogScreen) setQuery(q []rune) {
	s.query, s.page = q, 0
	s.fill()
}

func (s *catalogScreen) turn(d int) {
	s.page += d
	s.fill()
}

func (s *catalogScreen) toggleKeyboard() {
	s.typing = !s.typing
	// The keyboard takes the categories' place: search results do not depend on them,
	// and keys as wide as a finger need the whole width on a smaller display. The
	// example of what to type shows while typing; the field's placeholder says it briefly
	// otherwise, leaving the room to the cards.
	if s.typing {
		s.kbBox.Show()
		s.left.Hide()
		s.hint.Show()
	} else {
		s.kbBox.Hide()
		s.left.Show()
		s.hint.Hide()
	}
	s.right.Refresh() // a shown or hidden child changes the layout of its parent only
	s.fill()
}

// serviceTags are a service's short facts: bundle, where to apply, time limit, fee, and
// the 好差评 star the platform publishes for items residents rate four stars or more.
func (a *App) serviceTags(svc *catalog.Service) []string {
	var tags []string
	if svc.Bundle != nil {
		tags = append(tags, a.tr.N("tag.bundle", len(svc.Items)))
	}
	if svc.CounterOnly() {
		tags = append(tags, a.T("tag.counter"))
	}
	tags = append(tags, a.timeLimit(svc.TimeLimitDays))
	tags = append(tags, a.fee(svc))
	if svc.Item != nil && svc.Item.Rating != nil && svc.Item.Rating.Average >= 4 {
		tags = append(tags, a.T("tag.rating", map[string]any{"Average": fmt.Sprintf("%.1f", svc.Item.Rating.Average)}))
	}
	return tags
}

// timeLimit says how long a service takes.
func (a *App) timeLimit(days int) string {
	if days == 0 {
		return a.T("tag.onthespot")
	}
	return a.tr.N("tag.days", days)
}

// fee says what a service costs.
func (a *App) fee(svc *catalog.Service) string {
	if svc.Free() {
		return a.T("tag.free")
	}
	return a.T("tag.fee", map[string]any{"Yuan": svc.TotalFee()})
}
