package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/govkiosk/govkiosk/drivers/ipp"
	"github.com/govkiosk/govkiosk/sync/client"
	"github.com/govkiosk/govkiosk/sync/protocol"
	"github.com/govkiosk/govkiosk/sync/queue"
	"github.com/govkiosk/govkiosk/ui"
)

// certificatePrinter gets a visit's issued document from the hub and prints it on the A4
// printer (ui.Certificates).
type certificatePrinter struct {
	hub    func() *client.Client
	outbox func() (*queue.Queue, error)
	a4     *ipp.Device // nil: no A4 printer configured
	log    *slog.Logger
	// fetchFor bounds the wait for the hub to have the submission (the outbox delivers
	// it within moments when online) and retry is the pause between asks.
	fetchFor, retry time.Duration
}

func newCertificatePrinter(s *syncer, a4 *ipp.Device, log *slog.Logger) *certificatePrinter {
	return &certificatePrinter{hub: s.client, outbox: s.queue, a4: a4, log: log, fetchFor: 30 * time.Second, retry: 500 * time.Millisecond}
}

// PrintCertificate implements ui.Certificates.
func (p *certificatePrinter) PrintCertificate(ctx context.Context, code, idNumber string) (ui.CertificateOutcome, error) {
	if p.a4 == nil {
		return ui.CertNoPrinter, errors.New("no A4 printer configured")
	}
	cert, err := p.fetch(ctx, code, idNumber)
	if errors.Is(err, client.ErrNoSuchSubmission) {
		// A mistyped code and another resident's read alike: the hub says neither.
		return ui.CertUnknown, err
	}
	if err != nil {
		return ui.CertOffline, err
	}
	if cert.State == protocol.CertificateNone {
		return ui.CertNone, nil
	}
	if !cert.Issued() {
		return ui.CertLater, nil
	}
	if _, err := p.a4.Print(ctx, "govkiosk certificate", cert.PDF); err != nil {
		return certificateOutcome(err), err
	}
	p.log.Info("certificate printed", "document", cert.Document, "pages", cert.Pages)
	return ui.CertPrinted, nil
}

// fetch waits until this kiosk's outbox has delivered the submission (a reprint of one
// made elsewhere is not in it) and a connection is up, then asks the hub once: a code
// the hub does not know for this resident is not asked again, so a stranger's codes
// cannot be walked through.
func (p *certificatePrinter) fetch(ctx context.Context, code, idNumber string) (*client.Certificate, error) {
	ctx, cancel := context.WithTimeout(ctx, p.fetchFor)
	defer cancel()
	for {
		waiting := "the connection to the hub"
		if q, err := p.outbox(); err == nil {
			if r, err := q.Lookup(code); err == nil && r.State != queue.Delivered {
				waiting = "the submission's delivery"
			} else if c := p.hub(); c != nil {
				return c.ReprintCertificate(ctx, code, idNumber)
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("certificate: waited for %s: %w", waiting, ctx.Err())
		case <-time.After(p.retry):
		}
	}
}

// certificateOutcome says what the resident is told about a failed A4 print.
func certificateOutcome(err error) ui.CertificateOutcome {
	var je *ipp.JobError
	switch {
	case errors.Is(err, ipp.ErrMediaEmpty):
		return ui.CertPaperOut
	case errors.Is(err, ipp.ErrDocumentRefused):
		return ui.CertRefused
	case errors.As(err, &je) && je.Cause == nil:
		// The printer ended the job itself with no paper or hardware condition: it
		// could not print this document.
		return ui.CertRefused
	}
	return ui.CertNoPrinter
}
