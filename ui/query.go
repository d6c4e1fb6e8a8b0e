package ui

import (
	"context"
	"errors"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/govkiosk/govkiosk/kiosk/booking"
	"github.com/govkiosk/govkiosk/kiosk/session"
	"github.com/govkiosk/govkiosk/kiosk/tracking"
	"github.com/govkiosk/govkiosk/ui/kiosktheme"
	"github.com/govkiosk/govkiosk/ui/touch"
)

// lookupTimeout bounds a progress lookup, which may ask the platform.
const lookupTimeout = 15 * time.Second

// queryScreen looks up progress: type the code from the receipt, hold the receipt's QR
// code to the scanner, or place the ID card for everything the card holder submitted.
type queryScreen struct {
	*screenBase
	a      *App
	code   []rune
	field  *touch.Field
	lookup *touch.Button
	// cancel gives back the appointment booked with the typed tracking code (only
	// where the kiosk can book).
	cancel *touch.Button
	// reprint prints again, on this kiosk's A4 printer, the document issued for the
	// typed tracking code (only where the kiosk has one): the resident's ID card then
	// proves the document is theirs. reprintCode is the code waiting for that card;
	// printing is set while the document is being fetched and printed.
	reprint     *touch.Button
	reprintCode string
	printing    bool
	// outcome is how the last reprint went, until the code is edited: in the automation
	// map as query.reprint.outcome.<outcome> (not tappable), so a test reads it.
	outcome CertificateOutcome
	kb      *touch.Keyboard
	message *widget.RichText
}

func (a *App) newQueryScreen() screen {
	s := &queryScreen{screenBase: a.newBase("query"), a: a}
	s.field = touch.NewField(a.T("query.code"), nil)
	s.field.Active = true
	s.field.Placeholder = a.T("query.code.placeholder")
	s.field.Hint = a.T("query.code.hint")
	s.message = a.styled("", theme.SizeNameText, theme.ColorNameError, true)
	s.message.Wrapping = fyne.TextWrapWord
	s.kb = touch.NewKeyboard(a.keyLabels())
	s.kb.OnRune = func(r rune) {
		a.touch()
		if len(s.code) < 20 {
			s.code = append(s.code, r)
		}
		s.show()
	}
	s.kb.OnBackspace = func() {
		a.touch()
		if len(s.code) > 0 {
			s.code = s.code[:len(s.code)-1]
		}
		s.show()
	}
	s.kb.OnClear = func() { a.touch(); s.code = nil; s.show() }
	for _, k := range s.kb.Keys() {
		s.add(k.ID, k.Button)
	}
	s.lookup = touch.NewPrimary(a.T("query.lookup"), theme.SearchIcon(), a.act(s.submit))
	s.add("query.lookup", s.lookup)
	actions := []fyne.CanvasObject{s.lookup}
	if a.deps.Appointments != nil {
		s.cancel = touch.NewButton(a.T("query.cancel"), theme.CancelIcon(), a.act(s.cancelBooking))
		s.add("query.cancel", s.cancel)
		actions = []fyne.CanvasObject{s.cancel, s.lookup}
	}
	if a.deps.Certificates != nil {
		s.reprint = touch.NewButton(a.T("query.reprint"), theme.DocumentPrintIcon(), a.act(s.askCard))
		s.add("query.reprint", s.reprint)
		actions = append([]fyne.CanvasObject{s.reprint}, actions...)
	}

	left := container.NewVBox(s.field, s.message)
	ways := []fyne.CanvasObject{
		a.styled(a.T("query.other"), theme.SizeNameSubHeadingText, theme.ColorNameForeground, true),
		container.NewBorder(nil, nil, icon(theme.GridIcon(), theme.ColorNamePrimary, theme.Size(kiosktheme.SizeNameTarget)), nil, a.para(a.T("query.qr"))),
		container.NewBorder(nil, nil, icon(theme.AccountIcon(), theme.ColorNamePrimary, theme.Size(kiosktheme.SizeNameTarget)), nil, a.para(a.T("query.card"))),
	}
	body := container.New(a.split(0.6), left, card(container.NewVBox(ways...)))
	s.content = a.frame(s.screenBase, frame{title: a.T("query.title"), back: true, home: true,
		actions: actions, below: s.kb}, body)
	for _, k := range s.kb.Keys() {
		s.fix(k.Button)
	}
	s.dynamic = func() []Element {
		if s.outcome == "" {
			return nil
		}
		return []Element{{ID: "query.reprint.outcome." + string(s.outcome), Obj: s.message, Label: a.T("query.reprint")}}
	}
	s.show()
	a.listenQuery(s)
	return s
}

func (s *queryScreen) show() {
	s.field.Value = string(s.code)
	s.field.Refresh()
	if s.printing {
		return // the code stays what is being printed; the message says how it goes
	}
	// Editing the code ends a reprint that waited for a card.
	s.reprintCode, s.outcome = "", ""
	setText(s.message, "")
	setEnabled(s.lookup, len(s.code) > 0)
	if s.cancel != nil {
		setEnabled(s.cancel, len(s.code) > 0)
	}
	if s.reprint != nil {
		setEnabled(s.reprint, len(s.code) > 0)
	}
}

// askCard starts a reprint of the document issued for the typed tracking code: the code
// is checked, then the resident places their ID card, which the platform checks against
// the submission's applicant (the document is personal; the code alone is printed on a
// receipt that may be lost).
func (s *queryScreen) askCard() {
	a := s.a
	code, err := tracking.Normalize(string(s.code))
	if err != nil {
		setText(s.message, a.T("query.code.bad"))
		setColor(s.message, theme.ColorNameError)
		return
	}
	s.reprintCode = code
	setText(s.message, a.T("query.reprint.card"))
	setColor(s.message, theme.ColorNamePrimary)
	a.say("voice.query.reprint", "")
}

// printAgain fetches and prints the document for the waiting code and the card's holder.
// The ID number goes only to Certificates, which sends the platform a keyed hash of it.
func (s *queryScreen) printAgain(idNumber string) {
	a := s.a
	code := s.reprintCode
	s.reprintCode = ""
	s.printing = true
	setEnabled(s.reprint, false)
	setEnabled(s.lookup, false)
	if s.cancel != nil {
		setEnabled(s.cancel, false)
	}
	setText(s.message, a.T("query.reprint.printing"))
	setColor(s.message, theme.ColorNamePrimary)
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		ctx, cancel := context.WithTimeout(s.ctx, certificateTimeout)
		out, err := a.deps.Certificates.PrintCertificate(ctx, code, idNumber)
		cancel()
		if err != nil {
			a.log.Warn("certificate not reprinted", "outcome", string(out), "err", err)
		}
		a.do(func() {
			if s.ctx.Err() != nil {
				return
			}
			a.touch()
			s.printing = false
			s.show()
			words, colour := a.reprintWords(out)
			setText(s.message, words)
			setColor(s.message, colour)
			s.outcome = out
			a.scheduleMap()
			if out == CertPrinted {
				a.say("voice.query.reprint.printed", "")
			} else {
				a.say("voice.query.reprint.failed", "")
			}
		})
	}()
}

// reprintWords tells the resident how a reprint went and what to do next.
func (a *App) reprintWords(out CertificateOutcome) (string, fyne.ThemeColorName) {
	switch out {
	case CertPrinted:
		return a.T("query.reprint.printed"), theme.ColorNameSuccess
	case CertUnknown:
		return a.T("query.reprint.unknown"), theme.ColorNameError
	case CertNone:
		return a.T("query.reprint.none"), theme.ColorNameError
	case CertLater:
		return a.T("query.reprint.later"), theme.ColorNameError
	case CertPaperOut:
		return a.T("query.reprint.paper"), theme.ColorNameError
	case CertRefused:
		return a.T("query.reprint.refused"), theme.ColorNameError
	case CertNoPrinter:
		return a.T("query.reprint.noprinter"), theme.ColorNameError
	}
	return a.T("query.reprint.offline"), theme.ColorNameError
}

// cancelBooking gives back the appointment booked for the typed tracking code, made at
// any kiosk: the code on the receipt is what proves the resident may.
func (s *queryScreen) cancelBooking() {
	a := s.a
	code, err := tracking.Normalize(string(s.code))
	if err != nil {
		setText(s.message, a.T("query.code.bad"))
		return
	}
	setEnabled(s.cancel, false)
	ctx, cancel := context.WithTimeout(s.ctx, lookupTimeout)
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer cancel()
		b, err := a.deps.Appointments.CancelByTrackingCode(ctx, code)
		a.do(func() {
			if s.ctx.Err() != nil {
				return
			}
			setEnabled(s.cancel, true)
			switch {
			case err == nil:
				setText(s.message, a.T("query.cancel.done", map[string]any{"When": a.slotWhen(b.Slot)}))
				setColor(s.message, theme.ColorNameSuccess)
				return
			case errors.Is(err, booking.ErrPast):
				setText(s.message, a.T("query.cancel.past"))
			case errors.Is(err, booking.ErrFull), errors.Is(err, booking.ErrUnavailable), errors.Is(err, ErrNotFound),
				errors.Is(err, ErrNoBooking):
				setText(s.message, a.T("query.cancel.none"))
			default:
				a.log.Info("appointment not cancelled", "err", err)
				setText(s.message, a.T("query.cancel.offline"))
			}
			setColor(s.message, theme.ColorNameError)
		})
	}()
}

// submit checks the typed code (a mistyped one fails its check character rather than
// showing a stranger's submission) and looks it up.
func (s *queryScreen) submit() {
	code, err := tracking.Normalize(string(s.code))
	if err != nil {
		setText(s.message, s.a.T("query.code.bad"))
		return
	}
	s.a.run("lookup", func() error { return s.a.sess.Lookup(session.QueryKey{Kind: session.QueryCode, Code: code}) })
}

// listenQuery takes receipt QR codes and ID cards while the screen is shown.
func (a *App) listenQuery(s *queryScreen) {
	if a.deps.Barcode != nil {
		a.eachCode(s.ctx, func(raw string) {
			a.do(func() {
				if s.ctx.Err() != nil {
					return
				}
				a.touch()
				code, err := tracking.Normalize(raw)
				if err != nil {
					setText(s.message, a.T("query.qr.bad"))
					return
				}
				a.run("lookup", func() error { return a.sess.Lookup(session.QueryKey{Kind: session.QueryQR, Code: code}) })
			})
		})
	}
	if a.deps.Identity != nil {
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			for {
				id, err := a.deps.Identity.ReadCard(s.ctx)
				if s.ctx.Err() != nil {
					id.Wipe()
					return
				}
				a.do(func() {
					if s.ctx.Err() != nil || err != nil {
						id.Wipe()
						if err != nil && s.ctx.Err() == nil {
							setText(s.message, a.T("identify.error.read"))
						}
						return
					}
					a.touch()
					if s.printing {
						id.Wipe() // one reprint at a time
						return
					}
					if s.reprintCode != "" {
						n := id.IDNumber
						id.Wipe()
						s.printAgain(n)
						return
					}
					if err := a.sess.Lookup(session.QueryKey{Kind: session.QueryIDCard, Identity: id}); err != nil {
						id.Wipe()
					}
				})
				if err != nil && !sleepCtx(s.ctx, retryAfter) {
					return
				}
			}
		}()
	}
}

// queryResultScreen shows what the lookup found.
type queryResultScreen struct {
	*screenBase
	a      *App
	list   *fyne.Container
	scroll fyne.CanvasObject
	// byCard is set when the resident looked up by ID card, not by tracking code.
	byCard bool
	// local says that only this terminal's records are listed, when that is so.
	local *widget.RichText
}

func (a *App) newQueryResultScreen() screen {
	s := &queryResultScreen{screenBase: a.newBase("query_result"), a: a}
	s.list = container.NewVBox(centered(a.heading(a.T("query.searching"))), widget.NewProgressBarInfinite())
	scroll := a.scroll(s.list)
	s.scroll = scroll
	s.content = a.frame(s.screenBase, frame{title: a.T("query.title"), back: true, home: true}, scroll)
	key, ok := a.sess.Query()
	if !ok || a.deps.Submitter == nil {
		s.show(Found{}, errors.New("ui: nothing to look up"))
		return s
	}
	q := Query{Code: key.Code}
	if key.Identity != nil {
		q = Query{IDNumber: key.Identity.IDNumber}
		s.byCard = true
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		// The ID number goes only to the submitter, which keeps it no longer than the
		// lookup (the platform gets a keyed hash of it), and the session wipes the card
		// it came from when the visit ends.
		ctx, cancel := context.WithTimeout(s.ctx, lookupTimeout)
		defer cancel()
		res, err := a.deps.Submitter.Lookup(ctx, q)
		a.do(func() {
			if s.ctx.Err() == nil {
				s.show(res, err)
			}
		})
	}()
	return s
}

// show lists the submissions found, or says why there are none. When the platform could
// not be asked, it says first that only this terminal's own records are listed.
func (s *queryResultScreen) show(res Found, err error) {
	a := s.a
	s.list.Objects = nil
	if errors.Is(err, ErrNotFound) {
		err = nil
	}
	if err == nil && res.Local != "" {
		words := a.T("query.local.offline")
		if res.Local == LocalBusy {
			words = a.T("query.local.busy")
		}
		s.local = a.para(words)
		banner := tinted(container.NewBorder(nil, nil,
			icon(theme.InfoIcon(), theme.ColorNameWarning, theme.Size(kiosktheme.SizeNameTarget)), nil,
			container.NewVBox(a.styled(a.T("query.local"), theme.SizeNameSubHeadingText, theme.ColorNameForeground, true), s.local)),
			theme.Color(kiosktheme.ColorNameLocked))
		// In the automation map (not tappable), so a test sees that the screen says it.
		s.els = append(s.els, Element{ID: "query.local", Obj: banner, Clip: s.scroll, Label: a.T("query.local")})
		s.list.Add(banner)
	}
	switch {
	case err == nil && len(res.Items) == 0:
		s.list.Add(centered(a.heading(a.T("query.none"))))
		switch {
		case !s.byCard:
			s.list.Add(centered(a.para(a.T("query.none.sub"))))
		case res.Local != "":
			// A card finds what was submitted at this terminal: the advice is about
			// where else to ask, not about a code the resident never typed.
			s.list.Add(centered(a.para(a.T("query.none.card"))))
		default:
			s.list.Add(centered(a.para(a.T("query.none.city"))))
		}
	case err != nil:
		a.log.Warn("lookup failed", "err", err)
		s.list.Add(centered(a.heading(a.T("query.error"))))
		s.list.Add(centered(a.para(a.T("query.error.sub"))))
	default:
		seen := map[string]bool{}
		for i, p := range res.Items {
			status := a.styled(a.T("status."+string(p.Status)), theme.SizeNameSubHeadingText, statusColor(p.Status), true)
			lines := []fyne.CanvasObject{
				container.NewBorder(nil, nil, nil, status, a.styled(a.text(p.Service), theme.SizeNameSubHeadingText, theme.ColorNameForeground, true)),
				a.fact(a.T("receipt.code"), p.Code),
			}
			if !p.Updated.IsZero() {
				lines = append(lines, a.fact(a.T("query.updated"), p.Updated.Format("2006-01-02 15:04")))
			}
			if !p.Note.IsZero() {
				lines = append(lines, a.fact(a.T("query.note"), a.text(p.Note)))
			}
			row := card(container.NewVBox(lines...))
			// Listed in the automation map (not tappable) so a test can read what was
			// found. Codes found by card are masked and may repeat: the row's place
			// then tells them apart.
			id := "query.result." + p.Code
			if seen[id] {
				id = fmt.Sprintf("%s.%d", id, i)
			}
			seen[id] = true
			s.els = append(s.els, Element{ID: id, Obj: row, Clip: s.scroll, Label: a.T("status." + string(p.Status))})
			s.list.Add(row)
		}
	}
	s.list.Refresh()
	a.scheduleMap()
}

func statusColor(st Status) fyne.ThemeColorName {
	switch st {
	case StatusDone:
		return theme.ColorNameSuccess
	case StatusRejected, StatusNotTaken:
		return theme.ColorNameError
	case StatusCorrection:
		return theme.ColorNameWarning
	}
	return theme.ColorNamePrimary
}
