package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"

	"github.com/govkiosk/govkiosk/kiosk/identity"
	"github.com/govkiosk/govkiosk/kiosk/licence"
	"github.com/govkiosk/govkiosk/ui/kiosktheme"
	"github.com/govkiosk/govkiosk/ui/touch"
)

// licenceWait bounds the question to the platform: the resident is on the form by then
// and scans when no answer comes.
const licenceWait = 15 * time.Second

// askLicences asks the platform, in the background, which e-licences the resident just
// identified holds for the service's materials. The answer becomes offers on the
// materials screen; no answer, an error or nothing found leaves every material to scan.
func (a *App) askLicences(id *identity.Identity) {
	if a.deps.Licences == nil || id == nil || id.IDNumber == "" {
		return
	}
	types := a.sess.LicenceTypes()
	if len(types) == 0 {
		return
	}
	number := id.IDNumber
	ctx, cancel := context.WithTimeout(a.ctx, licenceWait)
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer cancel()
		found, err := a.deps.Licences.Licences(ctx, number, types)
		a.do(func() {
			if err != nil {
				a.log.Info("no e-licence offer; the resident scans", "err", err)
				return
			}
			if !a.sess.OfferLicences(id, found) {
				return // another card, or the visit ended
			}
			if ms, ok := a.cur.(*materialsScreen); ok {
				ms.fillAll()
			}
		})
	}()
}

// licenceRow is the part of a material's card that offers an e-licence.
type licenceRow struct {
	box     *fyne.Container
	use     *touch.Button
	instead *touch.Button
}

func (s *materialsScreen) newLicenceRow(materialID string, clip fyne.CanvasObject) *licenceRow {
	a := s.a
	r := &licenceRow{box: container.NewVBox()}
	r.box.Hide()
	r.use = touch.NewButton(a.T("materials.licence.use"), theme.ConfirmIcon(), a.act(func() { s.useLicence(materialID) }))
	r.use.Importance = touch.Primary
	r.instead = touch.NewButton(a.T("materials.licence.scan"), theme.MediaPhotoIcon(), a.act(func() { s.scanInstead(materialID) }))
	s.addIn("materials.licence."+materialID, r.use, clip)
	s.addIn("materials.licence.scan."+materialID, r.instead, clip)
	return r
}

// fillLicence shows the offer for a material, or its use, or nothing; it reports whether
// the material is taken from an e-licence (then it is not scanned).
func (s *materialsScreen) fillLicence(r *materialRow) bool {
	a := s.a
	lr := r.licence
	if lr == nil {
		return false
	}
	lr.box.Objects = nil
	// Hidden while empty, so a card without an offer lays out as it always did.
	lr.box.Hide()
	lr.use.Hide()
	lr.instead.Hide()
	for _, o := range a.sess.LicenceOffers() {
		if o.Material.ID != r.m.ID {
			continue
		}
		l := o.Licence
		name := a.text(l.Label())
		if o.Used {
			lr.box.Add(container.NewBorder(nil, nil, nil, lr.instead,
				a.styledWrap(a.T("materials.licence.used", map[string]any{"Name": name}), theme.ColorNameSuccess, true)))
			lr.instead.Show()
		} else {
			lr.box.Add(container.NewBorder(nil, nil, nil, lr.use,
				container.NewVBox(a.styledWrap(a.T("materials.licence.found", map[string]any{"Name": name}), theme.ColorNamePrimary, true),
					a.styledWrap(licenceFacts(a, l), kiosktheme.ColorNameMuted, false))))
			lr.use.Show()
		}
		lr.box.Show()
		lr.box.Refresh()
		return o.Used
	}
	lr.box.Refresh()
	return false
}

// licenceFacts is what the resident recognises the licence by: issuer, masked number,
// date of issue.
func licenceFacts(a *App, l licence.Licence) string {
	var parts []string
	if is := a.text(l.Issuer); is != "" {
		parts = append(parts, a.T("materials.licence.issuer", map[string]any{"Issuer": is}))
	}
	if l.Number != "" {
		parts = append(parts, a.T("materials.licence.number", map[string]any{"Number": l.Number}))
	}
	if !l.Issued.IsZero() {
		parts = append(parts, a.T("materials.licence.issued", map[string]any{"Date": l.Issued.Format(time.DateOnly)}))
	}
	out := ""
	for i, p := range parts {
		if i > 0 {
			out += " · "
		}
		out += p
	}
	return out
}

func (s *materialsScreen) useLicence(id string) {
	a := s.a
	if s.scanning != "" {
		return
	}
	if err := a.sess.UseLicence(id); ignoreStale(err) != nil {
		a.log.Warn("licence refused", "material", id, "err", err)
		return
	}
	a.dropThumbs(id)
	setText(s.message, "")
	s.fewer.Hide()
	s.fillAll()
}

func (s *materialsScreen) scanInstead(id string) {
	a := s.a
	if err := a.sess.ScanInstead(id); ignoreStale(err) != nil {
		a.log.Warn("scan instead refused", "material", id, "err", err)
		return
	}
	s.fillAll()
}

// styledWrap is styled body text that wraps.
func (a *App) styledWrap(s string, col fyne.ThemeColorName, bold bool) fyne.CanvasObject {
	rt := a.styled(s, theme.SizeNameText, col, bold)
	rt.Wrapping = fyne.TextWrapWord
	return rt
}
