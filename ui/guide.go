package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"

	"github.com/govkiosk/govkiosk/kiosk/catalog"
	"github.com/govkiosk/govkiosk/ui/kiosktheme"
	"github.com/govkiosk/govkiosk/ui/touch"
)

// guideScreen is the service guide (办事指南): who may apply, what to bring, how long it
// takes, what it costs. A counter-only service ends here with where to go instead.
type guideScreen struct {
	*screenBase
	begin *touch.Button
}

func (a *App) newGuideScreen() screen {
	s := &guideScreen{screenBase: a.newBase("guide")}
	svc := a.sess.Service()
	if svc == nil {
		return a.newHome()
	}
	var parts []fyne.CanvasObject
	if svc.CounterOnly() {
		parts = append(parts, tinted(container.NewBorder(nil, nil,
			icon(theme.InfoIcon(), theme.ColorNameWarning, theme.Size(kiosktheme.SizeNameTarget)), nil,
			a.heading(a.T("guide.counter"))), theme.Color(kiosktheme.ColorNameLocked)))
	}
	parts = append(parts, a.para(a.text(svc.Guide)))
	facts := []fyne.CanvasObject{
		a.fact(a.T("guide.time"), a.timeLimit(svc.TimeLimitDays)),
		a.fact(a.T("guide.fee"), a.feeDetail(svc)),
		a.fact(a.T("guide.department"), a.text(svc.Department)),
	}
	if svc.Bundle != nil {
		var names string
		for i, it := range svc.Items {
			names += fmt.Sprintf("%d. %s\n", i+1, a.text(it.Title))
		}
		facts = append([]fyne.CanvasObject{a.fact(a.T("guide.items"), names)}, facts...)
	}
	parts = append(parts, card(container.NewVBox(facts...)))
	if len(svc.Materials) > 0 {
		var lines []fyne.CanvasObject
		for _, m := range svc.Materials {
			lines = append(lines, a.para("• "+a.materialLine(m)))
		}
		parts = append(parts, a.section(a.T("guide.materials"), lines...))
	}
	if len(svc.Conditions) > 0 {
		var lines []fyne.CanvasObject
		for _, c := range svc.Conditions {
			lines = append(lines, a.para("• "+a.text(c)))
		}
		parts = append(parts, a.section(a.T("guide.conditions"), lines...))
	}
	scroll := a.scroll(container.NewVBox(parts...))

	var actions []fyne.CanvasObject
	if !svc.CounterOnly() {
		s.begin = touch.NewPrimary(a.T("guide.begin"), theme.NavigateNextIcon(), a.act(func() { a.run("begin", a.sess.Begin) }))
		actions = append(actions, s.add("guide.begin", s.begin))
	}
	f := frame{title: a.text(svc.Title), back: true, home: true, actions: actions}
	if !svc.CounterOnly() {
		f.steps, f.step = a.steps(svc), 1
	}
	s.content = a.frame(s.screenBase, f, scroll)
	return s
}

// fact is one "label: value" line of the guide.
func (a *App) fact(label, value string) fyne.CanvasObject {
	l := a.styled(label, theme.SizeNameText, kiosktheme.ColorNameMuted, false)
	v := a.para(value)
	lw := fyne.NewSize(theme.Size(kiosktheme.SizeNameTarget)*3.2, 0)
	return container.NewBorder(nil, nil, container.NewGridWrap(lw.Max(l.MinSize()), l), nil, v)
}

// section is a titled card.
func (a *App) section(title string, lines ...fyne.CanvasObject) fyne.CanvasObject {
	h := a.styled(title, theme.SizeNameSubHeadingText, theme.ColorNameForeground, true)
	return card(container.NewVBox(append([]fyne.CanvasObject{h}, lines...)...))
}

// materialLine describes a material: its name, whether it is scanned here or shown at the
// counter, and whether it is always needed.
func (a *App) materialLine(m catalog.Material) string {
	how := a.T("guide.material.show")
	if m.Scannable {
		how = a.tr.N("guide.material.scan", m.PageCount())
	}
	need := a.T("guide.material.optional")
	if m.Mandatory {
		need = a.T("guide.material.mandatory")
	}
	return a.T("guide.material", map[string]any{"Name": a.text(m.Title), "How": how, "Need": need})
}

// feeDetail lists a service's fees, or says it is free.
func (a *App) feeDetail(svc *catalog.Service) string {
	if svc.Free() {
		return a.T("tag.free")
	}
	out := ""
	for _, f := range svc.Fees {
		out += a.T("guide.fee.line", map[string]any{"Name": a.text(f.Title), "Yuan": f.Yuan()}) + "\n"
	}
	return out + a.T("guide.fee.total", map[string]any{"Yuan": svc.TotalFee()})
}

// steps names the application's steps for a service: guide, identification, form,
// materials when there are any to scan, and confirmation.
func (a *App) steps(svc *catalog.Service) []string {
	st := []string{a.T("steps.guide"), a.T("steps.identify"), a.T("steps.form")}
	if len(svc.Scannable()) > 0 {
		st = append(st, a.T("steps.materials"))
	}
	if svc.Arranged() {
		st = append(st, a.T("steps.arrange"))
	}
	return append(st, a.T("steps.review"))
}

// stepOf is the 1-based position of a named step for svc.
func (a *App) stepOf(svc *catalog.Service, key string) int {
	want := a.T(key)
	for i, s := range a.steps(svc) {
		if s == want {
			return i + 1
		}
	}
	return 0
}
