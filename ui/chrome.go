package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/govkiosk/govkiosk/ui/kiosktheme"
	"github.com/govkiosk/govkiosk/ui/touch"
)

// frame is the layout every screen but the start screen shares: a top bar with back,
// title and home; the body; a bottom bar with the screen's actions, the main one last
// and rightmost where a right hand finds it.
type frame struct {
	title   string
	back    bool
	home    bool
	steps   []string // the application's steps, when the screen is one of them
	step    int      // 1-based index in steps
	left    []fyne.CanvasObject
	message fyne.CanvasObject // a line between the left buttons and the actions
	actions []fyne.CanvasObject
	// below, when set, stays in view under the scrolling content, above the action bar:
	// an on-screen keyboard that must not scroll away from the field it types into.
	below fyne.CanvasObject
}

func (a *App) frame(b *screenBase, f frame, body fyne.CanvasObject) fyne.CanvasObject {
	pad := theme.Size(theme.SizeNameInnerPadding)
	var leftTop, rightTop fyne.CanvasObject = layout.NewSpacer(), layout.NewSpacer()
	if f.back {
		btn := touch.NewButton(a.T("nav.back"), theme.NavigateBackIcon(), a.act(a.back))
		btn.Importance = touch.Quiet
		leftTop = b.add("nav.back", btn)
	}
	if f.home {
		btn := touch.NewButton(a.T("nav.home"), theme.HomeIcon(), a.act(a.home))
		btn.Importance = touch.Quiet
		rightTop = b.add("nav.home", btn)
	}
	if sound := a.soundControls(b, true); sound != nil && !a.tech {
		rightTop = container.NewHBox(append(sound, rightTop)...)
	}
	title := centered(a.styled(f.title, kiosktheme.SizeNameTitleText, kiosktheme.ColorNameOnBar, true))
	title.Truncation = fyne.TextTruncateEllipsis
	bar := a.bar(container.NewBorder(nil, nil, leftTop, rightTop,
		container.NewVBox(layout.NewSpacer(), fitting(title, titleSizes...), layout.NewSpacer())))

	top := []fyne.CanvasObject{bar}
	if len(f.steps) > 0 {
		top = append(top, a.stepsRow(f.steps, f.step))
	}
	var bottom fyne.CanvasObject
	if len(f.left)+len(f.actions) > 0 || f.message != nil {
		msg := f.message
		if msg == nil {
			msg = layout.NewSpacer()
		}
		bottom = container.NewPadded(container.NewBorder(nil, nil, container.NewHBox(f.left...), container.NewHBox(f.actions...),
			container.NewPadded(msg)))
		bottom = container.NewStack(canvas.NewRectangle(theme.Color(kiosktheme.ColorNameCard)),
			container.NewVBox(widget.NewSeparator(), bottom))
	}
	b.fix(leftTop, rightTop, f.message, f.below)
	b.fix(f.left...)
	b.fix(f.actions...)
	inner := container.New(layout.NewCustomPaddedLayout(pad, pad, pad*2, pad*2), body)
	center := a.fit(b, inner)
	if f.below != nil {
		kw := theme.Size(kiosktheme.SizeNameKey)*1.15*10 + theme.Size(theme.SizeNamePadding)*9
		below := container.New(layout.NewCustomPaddedLayout(0, 0, pad*2, pad*2), container.New(maxWidth{w: kw}, f.below))
		center = container.New(&aboveBelow{scroll: center.(*container.Scroll), shown: f.below}, center, below)
	}
	return container.NewBorder(container.NewVBox(top...), bottom, nil, nil, center)
}

// titleSizes are the sizes a title may shrink to, largest first, before it is cut short.
var titleSizes = []fyne.ThemeSizeName{kiosktheme.SizeNameTitleText, theme.SizeNameHeadingText,
	theme.SizeNameSubHeadingText, theme.SizeNameText}

// fit puts a screen's content in a vertical scroll area: a screen fits the display it is
// given whatever the language, elder mode or orientation, and what does not fit scrolls
// between the header and the action bar, which stay in view. Content that fits is
// stretched to the area as before; the window never grows to make room.
func (a *App) fit(b *screenBase, content fyne.CanvasObject) fyne.CanvasObject {
	s := container.NewVScroll(content)
	s.OnScrolled = func(fyne.Position) {
		a.sess.Touch()
		a.scheduleMap()
	}
	b.clip = s
	return s
}

// scroll is a vertical scroll area with room on the right for its bar (so the cards in it
// keep their right edge). A scroll is activity, and moves the elements in it: the idle
// timeout starts over and the automation map is written again.
func (a *App) scroll(content fyne.CanvasObject) *container.Scroll {
	pad := theme.Size(kiosktheme.SizeNameTarget) / 2
	s := container.NewVScroll(container.New(layout.NewCustomPaddedLayout(0, 0, 0, pad), content))
	s.OnScrolled = func(fyne.Position) {
		a.sess.Touch()
		a.scheduleMap()
	}
	return s
}

// bar is the primary-coloured top bar around content.
func (a *App) bar(content fyne.CanvasObject) fyne.CanvasObject {
	pad := theme.Size(theme.SizeNamePadding)
	h := theme.Size(kiosktheme.SizeNameBar)
	bg := canvas.NewRectangle(theme.Color(kiosktheme.ColorNameBar))
	bg.SetMinSize(fyne.NewSize(0, h))
	return container.NewStack(bg, container.New(layout.NewCustomPaddedLayout(pad, pad, pad*2, pad*2), content))
}

// stepsRow shows where the resident is in the application: every step by name, the
// current one filled.
func (a *App) stepsRow(steps []string, cur int) fyne.CanvasObject {
	items := make([]fyne.CanvasObject, 0, len(steps))
	for i, s := range steps {
		n := i + 1
		fg, fill := theme.ColorNameForeground, theme.Color(theme.ColorNameButton)
		switch {
		case n == cur:
			fg, fill = theme.ColorNameForegroundOnPrimary, theme.Color(theme.ColorNamePrimary)
		case n < cur:
			fg, fill = theme.ColorNameForeground, theme.Color(kiosktheme.ColorNameLocked)
		}
		// The steps share the width whatever it is: a long name wraps rather than
		// widening the row past the display.
		txt := centered(a.styled(a.T("steps.item", map[string]any{"N": n, "Name": s}), theme.SizeNameText, fg, n == cur))
		txt.Wrapping = fyne.TextWrapWord
		bg := canvas.NewRectangle(fill)
		bg.CornerRadius = theme.Size(theme.SizeNameInputRadius) * 2
		items = append(items, container.NewStack(bg, container.NewPadded(txt)))
	}
	return container.NewPadded(container.NewGridWithColumns(len(items), items...))
}

// styled is one run of text in a theme size and colour; it wraps at word boundaries
// (Chinese at any character).
func (a *App) styled(s string, size fyne.ThemeSizeName, col fyne.ThemeColorName, bold bool) *widget.RichText {
	rt := widget.NewRichText(&widget.TextSegment{Text: s, Style: widget.RichTextStyle{
		SizeName: size, ColorName: col, TextStyle: fyne.TextStyle{Bold: bold}, Inline: true}})
	return rt
}

// para is a wrapped paragraph of body text.
func (a *App) para(s string) *widget.RichText {
	rt := a.styled(s, theme.SizeNameText, theme.ColorNameForeground, false)
	rt.Wrapping = fyne.TextWrapWord
	return rt
}

// heading is a wrapped heading.
func (a *App) heading(s string) *widget.RichText {
	rt := a.styled(s, theme.SizeNameHeadingText, theme.ColorNameForeground, true)
	rt.Wrapping = fyne.TextWrapWord
	return rt
}

// note is wrapped secondary text.
func (a *App) note(s string) *widget.RichText {
	rt := a.styled(s, theme.SizeNameText, kiosktheme.ColorNameMuted, false)
	rt.Wrapping = fyne.TextWrapWord
	return rt
}

// centered wraps a paragraph centred.
func centered(rt *widget.RichText) *widget.RichText {
	for _, s := range rt.Segments {
		if t, ok := s.(*widget.TextSegment); ok {
			t.Style.Alignment = fyne.TextAlignCenter
		}
	}
	rt.Refresh()
	return rt
}

// setText replaces a styled text's words, keeping its style.
func setText(rt *widget.RichText, s string) {
	if t, ok := rt.Segments[0].(*widget.TextSegment); ok {
		t.Text = s
	}
	rt.Refresh()
}

// setColor changes a styled text's colour.
func setColor(rt *widget.RichText, c fyne.ThemeColorName) {
	if t, ok := rt.Segments[0].(*widget.TextSegment); ok {
		t.Style.ColorName = c
	}
	rt.Refresh()
}

// card is a white panel with rounded corners around content.
func card(content fyne.CanvasObject) fyne.CanvasObject {
	bg := canvas.NewRectangle(theme.Color(kiosktheme.ColorNameCard))
	bg.CornerRadius = theme.Size(theme.SizeNameInputRadius) * 1.5
	bg.StrokeColor = theme.Color(theme.ColorNameSeparator)
	bg.StrokeWidth = theme.Size(theme.SizeNameSeparatorThickness)
	return container.NewStack(bg, container.NewPadded(container.NewPadded(content)))
}

// tinted is a panel in a soft colour: notes, warnings, ways out.
func tinted(content fyne.CanvasObject, c color.Color) fyne.CanvasObject {
	bg := canvas.NewRectangle(c)
	bg.CornerRadius = theme.Size(theme.SizeNameInputRadius) * 1.5
	return container.NewStack(bg, container.NewPadded(container.NewPadded(content)))
}

// icon is a theme icon drawn at a given size in a colour.
func icon(res fyne.Resource, col fyne.ThemeColorName, size float32) fyne.CanvasObject {
	img := canvas.NewImageFromResource(theme.NewColoredResource(res, col))
	img.FillMode = canvas.ImageFillContain
	img.SetMinSize(fyne.NewSquareSize(size))
	return img
}

// blankContent is an empty screen in the background colour.
func (a *App) blankContent() fyne.CanvasObject {
	return canvas.NewRectangle(theme.Color(theme.ColorNameBackground))
}

// labels are the on-screen keys' words in the current language.
func (a *App) keyLabels() touch.KeyLabels {
	return touch.KeyLabels{Backspace: a.T("key.backspace"), Clear: a.T("key.clear"), Space: a.T("key.space")}
}

func (a *App) imeLabels() touch.IMELabels {
	return touch.IMELabels{KeyLabels: a.keyLabels(),
		Pinyin: a.T("ime.pinyin"), Handwriting: a.T("ime.handwriting"), ABC: a.T("ime.abc"),
		Digits: a.T("ime.digits"), Prev: a.T("ime.prev"), Next: a.T("ime.next"),
		Undo: a.T("ime.undo"), Rewrite: a.T("ime.rewrite"), Off: a.T("ime.off")}
}

// rootLayout stacks the screen and the dialog over the whole window, and notices size
// changes (the window going full screen, a rotated display) to rewrite the automation
// map and resize the technician gesture's corners.
type rootLayout struct {
	a    *App
	last fyne.Size
}

// portrait reports whether the window is taller than wide.
func (a *App) portrait() bool {
	s := a.root.Size()
	return s.Height > s.Width
}

func (l *rootLayout) Layout(objects []fyne.CanvasObject, s fyne.Size) {
	for _, o := range objects {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(s)
	}
	if s != l.last && !l.a.relayingOut {
		turned := (s.Height > s.Width) != (l.last.Height > l.last.Width)
		l.last = s
		l.a.gesture.Resize(s.Width, s.Height)
		l.a.do(func() {
			// Some screens arrange themselves by orientation; others only need wrapped
			// text, which knows its height once it has a width, laid out once more.
			if turned && l.a.cur != nil {
				l.a.rebuild()
			}
		})
	}
}

// minWindow is the least window size the kiosk asks for: smaller than any display it is
// installed with, yet not zero, which X refuses as a window size.
var minWindow = fyne.NewSize(640, 400)

// MinSize is minWindow whatever the screen: the window is as large as the display, and
// the screens fit into it (they scroll what does not fit). A window that grew to a
// screen's size would run past the display's edge and draw its buttons away from where
// taps land.
func (l *rootLayout) MinSize([]fyne.CanvasObject) fyne.Size { return minWindow }
