package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"

	"github.com/govkiosk/govkiosk/kiosk/form"
	"github.com/govkiosk/govkiosk/kiosk/identity"
	"github.com/govkiosk/govkiosk/ui/touch"
)

// reviewScreen shows everything before it is submitted: the service, who applies (name
// and masked number: the screen faces the hall), every answer, the scanned pages, time and
// fee. "Back" changes things; "confirm" submits.
type reviewScreen struct {
	*screenBase
	confirm *touch.Button
}

func (a *App) newReviewScreen() screen {
	svc, f := a.sess.Service(), a.sess.Form()
	if svc == nil || f == nil {
		return a.newHome()
	}
	s := &reviewScreen{screenBase: a.newBase("review")}
	var parts []fyne.CanvasObject
	parts = append(parts, a.heading(a.text(svc.Title)))
	if id := a.sess.Identity(); id != nil {
		parts = append(parts, a.section(a.T("review.applicant"),
			a.fact(a.T("review.name"), id.Name),
			a.fact(a.T("review.idnumber"), identity.MaskNumber(id.IDNumber))))
	} else {
		parts = append(parts, a.section(a.T("review.applicant"), a.para(a.T("review.anonymous"))))
	}
	var answers []fyne.CanvasObject
	for _, fd := range f.Fields() {
		v := f.Display(fd.ID, a.formLang())
		if v == "" {
			v = a.T("review.empty")
		}
		if fd.Type == form.TypeIDNumber {
			v = identity.MaskNumber(v)
		}
		answers = append(answers, a.fact(a.text(fd.Label), v))
	}
	if len(answers) > 0 {
		parts = append(parts, a.section(a.T("review.answers"), answers...))
	}
	if sc := svc.Scannable(); len(sc) > 0 {
		var lines []fyne.CanvasObject
		for _, m := range sc {
			lines = append(lines, a.fact(a.text(m.Title), a.tr.N("materials.scanned", a.sess.PageCount(m.ID))))
		}
		parts = append(parts, a.section(a.T("review.materials"), lines...))
	}
	parts = append(parts, a.section(a.T("review.service"),
		a.fact(a.T("guide.time"), a.timeLimit(svc.TimeLimitDays)),
		a.fact(a.T("guide.fee"), a.feeDetail(svc))))
	scroll := a.scroll(container.NewVBox(parts...))
	s.confirm = touch.NewPrimary(a.T("review.confirm"), theme.ConfirmIcon(), a.act(func() { a.run("confirm", a.sess.Confirm) }))
	s.add("review.confirm", s.confirm)
	s.content = a.frame(s.screenBase, frame{title: a.T("review.title"), back: true, home: true,
		steps: a.steps(svc), step: len(a.steps(svc)),
		message: a.note(a.T("review.check")),
		actions: []fyne.CanvasObject{s.confirm}}, scroll)
	return s
}
