package ui

import (
	"context"
	"errors"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/govkiosk/govkiosk/kiosk/catalog"
	"github.com/govkiosk/govkiosk/kiosk/identity"
	"github.com/govkiosk/govkiosk/kiosk/receipt"
	"github.com/govkiosk/govkiosk/ui/kiosktheme"
	"github.com/govkiosk/govkiosk/ui/touch"
)

// slowAfter is when a waiting screen adds "still working": a resident who sees nothing
// change for this long starts to wonder whether the kiosk has frozen.
const slowAfter = 8 * time.Second

// waitScreen is a screen a resident waits on: a moving progress bar, what is happening,
// and after a while a reassurance that it is still going.
func (a *App) waitScreen(name, title, what string) (*screenBase, *widget.RichText) {
	s := a.newBase(name)
	bar := widget.NewProgressBarInfinite()
	slow := centered(a.note(""))
	body := container.NewVBox(layout.NewSpacer(),
		centered(a.heading(what)),
		container.New(layout.NewCustomPaddedLayout(0, 0, theme.Size(kiosktheme.SizeNameTileHeight), theme.Size(kiosktheme.SizeNameTileHeight)), bar),
		slow, layout.NewSpacer())
	s.content = a.frame(s, frame{title: title}, body)
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if sleepCtx(s.ctx, slowAfter) {
			a.do(func() {
				if s.ctx.Err() == nil {
					setText(slow, a.T("wait.slow"))
				}
			})
		}
	}()
	return s, slow
}

// newSubmittingScreen stores the submission in the background.
func (a *App) newSubmittingScreen() screen {
	s, _ := a.waitScreen("submitting", a.T("submit.title"), a.T("submit.wait"))
	draft, err := a.sess.Draft()
	if err != nil {
		a.log.Error("no draft to submit", "err", err)
		return s
	}
	a.dropThumbs() // the pages are about to be stored and cleared from the session
	if a.deps.Submitter == nil {
		a.run("submit failed", func() error { return a.sess.SubmitFailed(errors.New("ui: no submitter")) })
		return s
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		// The platform only holds a booked place for a while (a kiosk that dies
		// mid-visit never gives it back): keep it for good before the submission and
		// the receipt name it. A place that cannot be kept is left out of both, so a
		// receipt never shows an appointment the platform may give away.
		lost := ""
		if b := draft.Booking; b != nil && a.deps.Appointments != nil {
			ctx, cancel := context.WithTimeout(a.ctx, bookingWait)
			if _, err := a.deps.Appointments.ConfirmBooking(ctx, b.ID); err != nil {
				a.log.Warn("booking not confirmed; the receipt leaves it out", "booking", b.ID, "err", err)
				lost, draft.Booking = b.ID, nil
			}
			cancel()
		}
		// Not the screen's context: a submission under way is finished even if the
		// screen changes, so it is never half stored.
		code, err := a.deps.Submitter.Enqueue(a.ctx, draft)
		a.do(func() {
			if lost != "" {
				a.sess.DropBooking()
				a.cancelBooking(lost) // if the hold is still there, free it now
			}
			if err != nil {
				a.log.Warn("submission not stored", "err", err)
				a.run("submit failed", func() error { return a.sess.SubmitFailed(err) })
				return
			}
			a.log.Info("submission stored", "service", draft.ServiceID)
			a.heldBooking = "" // the booking belongs to the submission now
			a.run("submitted", func() error { return a.sess.Submitted(code) })
		})
	}()
	return s
}

// submitFailedScreen says the submission could not be stored and what to do.
func (a *App) newSubmitFailedScreen() screen {
	s := a.newBase("submit_failed")
	words := a.T("submit.failed.retry")
	switch err := a.sess.SubmitErr(); {
	case errors.Is(err, ErrStorageFull):
		words = a.T("submit.failed.full")
	case errors.Is(err, ErrTimeUnknown):
		words = a.T("submit.failed.time")
	}
	retry := touch.NewPrimary(a.T("submit.retry"), theme.ViewRefreshIcon(), a.act(func() { a.run("retry", a.sess.Retry) }))
	s.add("submit_failed.retry", retry)
	body := container.NewVBox(layout.NewSpacer(),
		container.NewCenter(icon(theme.WarningIcon(), theme.ColorNameWarning, theme.Size(kiosktheme.SizeNameTileHeight)/2)),
		centered(a.heading(a.T("submit.failed"))), centered(a.para(words)), layout.NewSpacer())
	s.content = a.frame(s, frame{title: a.T("submit.title"), back: true, home: true, actions: []fyne.CanvasObject{retry}}, body)
	return s
}

// certificateTimeout bounds getting an issued document from the platform and printing it
// on A4: the submission is delivered first, and the resident waits for the paper.
const certificateTimeout = 90 * time.Second

// issued returns the document the visit's service issues, or nil.
func (a *App) issued() *catalog.Issue {
	svc := a.sess.Service()
	if svc == nil {
		return nil
	}
	for _, it := range svc.Items {
		if it.Issues != nil {
			return it.Issues
		}
	}
	return nil
}

// newPrintingScreen prints the service's issued document on A4 (once it printed, a
// reprint of the receipt leaves it) and then the receipt, in the background.
func (a *App) newPrintingScreen() screen {
	issue := a.issued()
	wait := a.T("print.wait")
	if issue != nil && a.cert != CertPrinted {
		wait = a.T("print.cert.wait", map[string]any{"Title": a.text(issue.Title)})
	}
	s, _ := a.waitScreen("printing", a.T("print.title"), wait)
	a.printErr = nil
	code := a.sess.TrackingCode()
	idNumber := ""
	if id := a.sess.Identity(); id != nil {
		idNumber = id.IDNumber
	}
	if issue == nil || a.cert == CertPrinted {
		a.printReceipt()
		return s
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		cert := CertNoPrinter
		if a.deps.Certificates != nil && idNumber != "" {
			ctx, cancel := context.WithTimeout(a.ctx, certificateTimeout)
			out, err := a.deps.Certificates.PrintCertificate(ctx, code, idNumber)
			cancel()
			if err != nil {
				a.log.Warn("certificate not printed", "outcome", string(out), "err", err)
			}
			cert = out
		}
		a.do(func() {
			a.cert = cert
			a.printReceipt()
		})
	}()
	return s
}

// printReceipt prints the receipt in the background and moves the session on.
func (a *App) printReceipt() {
	doc := a.receipt()
	if code := a.sess.TrackingCode(); code != a.printCode {
		a.printTries, a.printCode = 0, code
	}
	a.printTries++
	if a.deps.Printer == nil {
		a.printErr = &PrinterError{Fault: FaultOffline}
		a.run("printed", func() error { return a.sess.Printed(false) })
		return
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		ctx, cancel := context.WithTimeout(a.ctx, a.deps.PrintTimeout)
		err := a.deps.Printer.Print(ctx, *doc)
		cancel()
		a.do(func() {
			if err != nil {
				a.log.Warn("receipt not printed", "fault", string(FaultOf(err)), "err", err)
			}
			a.printErr = err
			a.run("printed", func() error { return a.sess.Printed(err == nil) })
		})
	}()
}

// receipt builds the visit's receipt: no full name or number on paper that may be left
// behind, only the masked forms.
func (a *App) receipt() *receipt.Document {
	svc := a.sess.Service()
	code := a.sess.TrackingCode()
	hall := a.text(a.deps.Hall)
	if hall == "" {
		hall = a.T("home.hall.default")
	}
	d := receipt.New().Title(hall).Text(a.T("receipt.doc.title")).Separator()
	if svc != nil {
		d.Field(a.T("receipt.doc.service"), a.text(svc.Title))
		d.Field(a.T("guide.time"), a.timeLimit(svc.TimeLimitDays))
	}
	if id := a.sess.Identity(); id != nil {
		d.Field(a.T("review.name"), identity.MaskedName(id.Name))
		d.ID(a.T("review.idnumber"), id.IDNumber)
	}
	if svc != nil && svc.Appointment {
		if b, ok := a.sess.Booking(); ok {
			d.Field(a.T("receipt.doc.appointment"), a.slotWhen(b.Slot))
		} else {
			d.Text(a.T("receipt.doc.appointment.none"))
		}
	}
	if svc != nil && svc.Post {
		dl, _ := a.sess.Delivery()
		d.Field(a.T("receipt.doc.delivery"), a.T("arrange.delivery."+string(dl)))
	}
	d.Field(a.T("receipt.doc.time"), a.clock.Now().Format("2006-01-02 15:04"))
	if issue := a.issued(); issue != nil {
		d.Separator()
		if a.cert == CertPrinted {
			d.Text(a.T("receipt.doc.cert.printed", map[string]any{"Title": a.text(issue.Title)}))
		} else {
			d.Text(a.text(issue.Collect))
		}
	}
	d.Separator().Tracking(a.T("receipt.code"), code).QR(code, a.T("receipt.doc.qr"))
	d.Footer(a.T("receipt.doc.footer")).Feed(2).Cut(false)
	return d
}

// receiptScreen shows the tracking code. When the receipt did not print, the screen is
// the only copy: the code is shown huge and as a QR code, with what to do.
type receiptScreen struct {
	*screenBase
	done, reprint *touch.Button
}

func (a *App) newReceiptScreen() screen {
	s := &receiptScreen{screenBase: a.newBase("receipt")}
	code := a.sess.TrackingCode()
	s.done = touch.NewPrimary(a.T("receipt.done"), theme.ConfirmIcon(), a.act(func() { a.run("finish", a.sess.Finish) }))
	s.reprint = touch.NewButton(a.T("receipt.reprint"), theme.DocumentPrintIcon(), a.act(func() { a.run("reprint", a.sess.Reprint) }))
	s.add("receipt.done", s.done)
	s.add("receipt.reprint", s.reprint)
	codeText := canvas.NewText(code, theme.Color(theme.ColorNameForeground))
	codeText.TextStyle.Bold = true
	codeText.Alignment = fyne.TextAlignCenter
	// The one place the kiosk speaks a datum: the resident's own tracking code, after the
	// screen's words (and, when the receipt did not print, after how to keep the code).
	s.voiceCode = code
	s.voice = "voice.receipt"
	if !a.sess.ReceiptPrinted() {
		s.voice = "voice.receipt." + map[PrinterFault]string{FaultPaperOut: "paper", FaultCoverOpen: "cover",
			FaultOffline: "offline"}[FaultOf(a.printErr)]
		if s.voice == "voice.receipt." {
			s.voice += "other"
		}
	}
	var body fyne.CanvasObject
	if a.sess.ReceiptPrinted() {
		codeText.TextSize = theme.Size(theme.SizeNameHeadingText)
		body = container.NewVBox(layout.NewSpacer(),
			container.NewCenter(icon(theme.ConfirmIcon(), theme.ColorNameSuccess, theme.Size(kiosktheme.SizeNameTileHeight)/2)),
			centered(a.heading(a.T("receipt.printed"))),
			centered(a.para(a.T("receipt.code"))), codeText,
			centered(a.note(a.T("receipt.printed.sub"))), layout.NewSpacer())
	} else {
		codeText.TextSize = theme.Size(kiosktheme.SizeNameHugeText)
		qr := a.qrImage(code)
		msg := a.styled(a.printFaultWords(), theme.SizeNameSubHeadingText, theme.ColorNameWarning, true)
		msg.Wrapping = fyne.TextWrapWord
		lines := []fyne.CanvasObject{layout.NewSpacer()}
		if a.printTries > 1 && a.printCode == code {
			// A reprint that failed again: say so, or the screen looks as if nothing
			// had been tried.
			again := a.styled(a.T("receipt.retry.failed", map[string]any{"Count": a.printTries}),
				theme.SizeNameText, theme.ColorNameWarning, true)
			again.Wrapping = fyne.TextWrapWord
			lines = append(lines, again)
		}
		lines = append(lines, msg,
			a.para(a.T("receipt.noprint.what")),
			a.styled(a.T("receipt.code"), theme.SizeNameText, kiosktheme.ColorNameMuted, false),
			tinted(codeText, theme.Color(kiosktheme.ColorNameCard)),
			a.note(a.T("receipt.noprint.staff")), layout.NewSpacer())
		left := container.NewVBox(lines...)
		body = container.New(a.split(0.6), left, container.NewCenter(qr))
	}
	if words := a.certificateWords(); words != "" {
		body = container.NewBorder(nil, a.para(words), nil, nil, body)
	}
	s.content = a.frame(s.screenBase, frame{title: a.T("receipt.title"), home: true,
		left: []fyne.CanvasObject{s.reprint}, actions: []fyne.CanvasObject{s.done}}, body)
	return s
}

// certificateWords tells the resident about the visit's issued document: printed, or why
// not and what to do; "" when the service issues none.
func (a *App) certificateWords() string {
	issue := a.issued()
	if issue == nil || a.cert == "" {
		return ""
	}
	title := map[string]any{"Title": a.text(issue.Title)}
	switch a.cert {
	case CertPrinted:
		return a.T("receipt.cert.printed", title)
	case CertPaperOut:
		return a.T("receipt.cert.paper", title)
	case CertRefused:
		return a.T("receipt.cert.refused", title)
	case CertOffline, CertNoPrinter:
		return a.T("receipt.cert.notnow", title) + " " + a.text(issue.Collect)
	}
	return a.text(issue.Collect)
}

// printFaultWords says why the receipt did not print, in words a resident understands.
func (a *App) printFaultWords() string {
	switch FaultOf(a.printErr) {
	case FaultPaperOut:
		return a.T("receipt.fault.paper")
	case FaultCoverOpen:
		return a.T("receipt.fault.cover")
	case FaultOffline:
		return a.T("receipt.fault.offline")
	}
	return a.T("receipt.fault.other")
}

// qrImage draws a QR code of payload, large enough to scan from the screen with a phone.
func (a *App) qrImage(payload string) fyne.CanvasObject {
	side := theme.Size(kiosktheme.SizeNameTileHeight) * 1.8
	q, err := qrcode.New(payload, qrcode.Medium)
	if err != nil {
		a.log.Error("qr code", "err", err)
		return layout.NewSpacer()
	}
	q.ForegroundColor = color.Black
	q.BackgroundColor = color.White
	img := canvas.NewImageFromImage(q.Image(int(side)))
	img.FillMode = canvas.ImageFillContain
	img.ScaleMode = canvas.ImageScalePixels
	img.SetMinSize(fyne.NewSquareSize(side))
	return img
}
