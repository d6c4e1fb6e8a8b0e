package ui

import (
	"errors"
	"image"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/kiosk/catalog"
	"github.com/govkiosk/govkiosk/kiosk/session"
	"github.com/govkiosk/govkiosk/ui/kiosktheme"
	"github.com/govkiosk/govkiosk/ui/touch"
)

// Preview size of a scanned page, at scale 1.
const thumbW, thumbH = 150, 212

// materialsScreen scans each required material page by page, with a preview of every
// page and "retake" to scan a material again. Materials not scanned here are listed with
// what to do about them.
type materialsScreen struct {
	*screenBase
	a        *App
	rows     map[string]*materialRow
	scanning string
	status   *widget.RichText
	message  *widget.RichText
	next     *touch.Button
	// fewer goes on with fewer pages than a material has, shown only where every
	// shortfall is one the item accepts.
	fewer  *touch.Button
	usable bool
	// saidOffline is set once the scanner's way out has been spoken.
	saidOffline bool
}

// materialRow is one material's card.
type materialRow struct {
	m      catalog.Material
	thumbs *fyne.Container
	count  *widget.RichText
	scan   *touch.Button
	retake *touch.Button
	// licence offers an e-licence instead of scanning; nil for a material no e-licence
	// can stand in for.
	licence *licenceRow
}

func (a *App) newMaterialsScreen() screen {
	svc := a.sess.Service()
	if svc == nil {
		return a.newHome()
	}
	s := &materialsScreen{screenBase: a.newBase("materials"), a: a, rows: map[string]*materialRow{}, usable: true}
	s.status = a.styled("", theme.SizeNameText, theme.ColorNameSuccess, true)
	s.status.Wrapping = fyne.TextWrapWord
	s.message = a.styled("", theme.SizeNameText, theme.ColorNameError, true)
	s.message.Wrapping = fyne.TextWrapWord
	list := container.NewVBox(a.para(a.T("materials.how")), s.status)
	scroll := a.scroll(list)
	var others []string
	for _, m := range svc.Materials {
		if !m.Scannable {
			others = append(others, a.text(m.Title))
			continue
		}
		r := &materialRow{m: m, thumbs: container.NewHBox(), count: a.styled("", theme.SizeNameText, kiosktheme.ColorNameMuted, false)}
		r.scan = touch.NewButton(a.T("materials.scan"), theme.MediaPhotoIcon(), a.act(func() { s.startScan(m.ID) }))
		r.scan.Importance = touch.Primary
		r.retake = touch.NewButton(a.T("materials.retake"), theme.ViewRefreshIcon(), a.act(func() { s.retake(m.ID) }))
		s.rows[m.ID] = r
		s.addIn("materials.scan."+m.ID, r.scan, scroll)
		s.addIn("materials.retake."+m.ID, r.retake, scroll)
		if m.Licence != "" {
			r.licence = s.newLicenceRow(m.ID, scroll)
		}
		need := a.T("guide.material.optional")
		if m.Mandatory {
			need = a.T("guide.material.mandatory")
		}
		title := a.styled(a.text(m.Title), theme.SizeNameSubHeadingText, theme.ColorNameForeground, true)
		head := container.NewBorder(nil, nil, nil, container.NewHBox(r.retake, r.scan), title)
		// The page previews sit beside the facts, not under them, so they stay in view
		// with elder mode's larger type.
		facts := container.NewVBox(a.styled(need+" · "+a.tr.N("materials.pages", m.PageCount()), theme.SizeNameText, kiosktheme.ColorNameMuted, false), r.count)
		body := container.NewVBox(head, container.NewBorder(nil, nil, facts, nil, container.NewHScroll(r.thumbs)))
		if r.licence != nil {
			body.Add(r.licence.box)
		}
		list.Add(card(body))
		s.fillRow(r)
	}
	if len(others) > 0 {
		var lines []fyne.CanvasObject
		for _, o := range others {
			lines = append(lines, a.para("• "+o))
		}
		list.Add(a.section(a.T("materials.others"), lines...))
	}
	s.next = touch.NewPrimary(a.T("form.next"), theme.NavigateNextIcon(), a.act(s.done))
	s.add("materials.next", s.next)
	s.fewer = touch.NewButton(a.T("materials.fewer"), theme.NavigateNextIcon(), a.act(s.goOnWithFewer))
	s.fewer.Hide()
	s.add("materials.fewer", s.fewer)
	s.content = a.frame(s.screenBase, frame{title: a.text(svc.Title), back: true, home: true,
		steps: a.steps(svc), step: a.stepOf(svc, "steps.materials"),
		message: s.message, actions: []fyne.CanvasObject{s.fewer, s.next}}, scroll)
	var st health.Status
	if a.deps.Scanner != nil {
		st = a.deps.Scanner.Health().Current()
		a.watchHealth(s.screenBase, a.deps.Scanner, s.showHealth)
	} else {
		st.State = health.Offline
	}
	s.showHealth(st)
	return s
}

// fillRow shows a material's previews and page count.
func (s *materialsScreen) fillRow(r *materialRow) {
	a := s.a
	thumbs := a.thumbs[r.m.ID]
	if s.fillLicence(r) {
		// Taken from the e-licence: nothing to scan, nothing to show.
		r.thumbs.Objects = nil
		r.thumbs.Refresh()
		setText(r.count, "")
		r.scan.Hide()
		r.retake.Hide()
		return
	}
	r.scan.Show()
	r.thumbs.Objects = nil
	scale := a.theme.Scale()
	for i, t := range thumbs {
		img := canvas.NewImageFromImage(t)
		img.FillMode = canvas.ImageFillContain
		img.SetMinSize(fyne.NewSize(thumbW*scale, thumbH*scale))
		label := a.styled(a.T("materials.page", map[string]any{"N": i + 1}), theme.SizeNameCaptionText, kiosktheme.ColorNameMuted, false)
		r.thumbs.Add(container.NewVBox(img, container.NewCenter(label)))
	}
	r.thumbs.Refresh()
	n := len(thumbs)
	switch {
	case r.m.ID == s.scanning:
		setText(r.count, a.T("materials.scanning"))
		setColor(r.count, theme.ColorNamePrimary)
	case n == 0:
		setText(r.count, a.T("materials.none"))
		setColor(r.count, kiosktheme.ColorNameMuted)
	default:
		setText(r.count, a.tr.N("materials.scanned", n))
		setColor(r.count, theme.ColorNameSuccess)
	}
	r.scan.SetText(a.T("materials.scan"))
	if n > 0 {
		r.scan.SetText(a.T("materials.scan.more"))
	}
	setEnabled(r.scan, s.usable && s.scanning == "" && n < session.MaxPages)
	// "Scan again" appears once there is something to scan again: one button fewer to
	// puzzle over before the first page.
	r.retake.Hidden = n == 0
	setEnabled(r.retake, s.scanning == "")
}

func (s *materialsScreen) fillAll() {
	for _, r := range s.rows {
		s.fillRow(r)
	}
	s.a.scheduleMap()
}

// showHealth says whether the scanner can be used and, when not, what to do instead.
func (s *materialsScreen) showHealth(st health.Status) {
	a := s.a
	s.usable = st.State.Usable() || st.State == health.Unknown && a.deps.Scanner != nil
	switch {
	case s.usable:
		setText(s.status, a.T("materials.scanner.ready"))
		setColor(s.status, theme.ColorNameSuccess)
	case st.State == health.UserError:
		setText(s.status, a.T("materials.scanner.check"))
		setColor(s.status, theme.ColorNameWarning)
	default:
		setText(s.status, a.T("materials.scanner.offline"))
		setColor(s.status, theme.ColorNameWarning)
		if !s.saidOffline {
			s.saidOffline = true
			s.voice = "voice.materials.offline"
			a.say(s.voice, "")
		}
	}
	s.fillAll()
}

// startScan scans one page of a material in the background.
func (s *materialsScreen) startScan(id string) {
	a := s.a
	if s.scanning != "" || a.deps.Scanner == nil {
		return
	}
	s.scanning = id
	setText(s.message, "")
	s.fewer.Hide()
	s.fillAll()
	scale := a.theme.Scale()
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		data, err := a.deps.Scanner.Scan(s.ctx)
		var thumb image.Image
		if err == nil {
			thumb, err = thumbnail(data, int(thumbW*scale), int(thumbH*scale))
		}
		a.do(func() { s.scanned(id, data, thumb, err) })
	}()
}

// scanned takes a page the scanner returned.
func (s *materialsScreen) scanned(id string, data []byte, thumb image.Image, err error) {
	a := s.a
	if s.ctx.Err() != nil {
		clear(data)
		return
	}
	s.scanning = ""
	a.touch()
	if err != nil {
		clear(data)
		a.log.Warn("scan failed", "material", id, "err", err)
		setText(s.message, a.T("materials.error"))
		a.say("voice.materials.error", "")
		s.fillAll()
		return
	}
	if err := a.sess.AddScan(id, data); err != nil {
		clear(data)
		if errors.Is(err, session.ErrTooManyPages) {
			setText(s.message, a.T("materials.toomany"))
		} else if ignoreStale(err) != nil {
			a.log.Warn("scan refused", "material", id, "err", err)
		}
		s.fillAll()
		return
	}
	if a.thumbs == nil {
		a.thumbs = map[string][]image.Image{}
	}
	a.thumbs[id] = append(a.thumbs[id], thumb)
	s.fillAll()
}

// retake drops a material's pages to scan it again.
func (s *materialsScreen) retake(id string) {
	a := s.a
	if err := a.sess.Retake(id); ignoreStale(err) != nil {
		a.log.Warn("retake refused", "material", id, "err", err)
		return
	}
	a.dropThumbs(id)
	setText(s.message, "")
	s.fewer.Hide()
	s.fillAll()
}

// done goes on to review, or names what is still missing.
func (s *materialsScreen) done() { s.finish(s.a.sess.MaterialsDone()) }

// goOnWithFewer goes on with fewer pages where the item accepts that many.
func (s *materialsScreen) goOnWithFewer() { s.finish(s.a.sess.GoOnWithFewerPages()) }

// finish says what is missing: materials without a page, then each material short of
// pages, with how many it has; it offers to go on only where every shortfall is allowed.
func (s *materialsScreen) finish(err error) {
	a := s.a
	var miss *session.MissingError
	switch {
	case err == nil:
	case errors.As(err, &miss):
		svc := a.sess.Service()
		title := func(id string) string {
			if m := svc.Material(id); m != nil {
				return a.text(m.Title)
			}
			return id
		}
		var lines []string
		if len(miss.Materials) > 0 {
			names := ""
			for i, id := range miss.Materials {
				if i > 0 {
					names += a.T("list.sep")
				}
				names += title(id)
			}
			lines = append(lines, a.T("materials.missing", map[string]any{"Names": names}))
		}
		for _, f := range miss.Short {
			data := map[string]any{"Name": title(f.MaterialID), "Want": f.Want, "Scanned": f.Scanned, "Left": f.Want - f.Scanned, "Min": f.Min}
			lines = append(lines, a.T("materials.short", data))
		}
		if miss.CanGoOn() {
			lines = append(lines, a.T("materials.short.allowed"))
			s.fewer.Show()
		} else {
			s.fewer.Hide()
		}
		setText(s.message, strings.Join(lines, "\n"))
		s.a.scheduleMap()
	default:
		if ignoreStale(err) != nil {
			a.log.Warn("materials done refused", "err", err)
		}
	}
}
