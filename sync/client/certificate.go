package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/identity"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

// Certificate is a document the platform issued for a submission (see
// protocol.Certificate): State says whether PDF holds it.
type Certificate struct {
	State    string // protocol.CertificateIssued, CertificateLater or CertificateNone
	Document string
	Title    string
	Code     string
	IssuedAt time.Time
	Pages    int
	PDF      []byte
}

// Issued reports whether the certificate holds a document to print.
func (c *Certificate) Issued() bool { return c != nil && c.State == protocol.CertificateIssued }

// ErrNoSuchSubmission is a certificate query for a submission the hub does not have (yet,
// or for this resident).
var ErrNoSuchSubmission = errors.New("client: the hub has no such submission")

// Certificate asks the hub for the document of this terminal's own submission, once
// the hub acknowledged it. ErrOffline and ErrRateLimited mean: try later, or print it
// at any kiosk with the tracking code.
func (c *Client) Certificate(ctx context.Context, submissionID string) (*Certificate, error) {
	return c.certificate(ctx, func(id string, _ []byte) (protocol.Message, error) {
		return &protocol.CertificateQuery{ID: id, SubmissionID: submissionID}, nil
	})
}

// ReprintCertificate asks for the document of a submission made at any terminal, by its
// tracking code, for the resident identified here by idNumber: only a keyed hash of the
// number leaves the kiosk, and the hub gives the document only to its applicant.
func (c *Client) ReprintCertificate(ctx context.Context, trackingCode, idNumber string) (*Certificate, error) {
	n := identity.NormalizeNumber(idNumber)
	return c.certificate(ctx, func(id string, key []byte) (protocol.Message, error) {
		if len(key) == 0 {
			return nil, fmt.Errorf("%w: the hub gave no query key", ErrQueryRefused)
		}
		return &protocol.CertificateQuery{ID: id, TrackingCode: trackingCode, IDHash: protocol.IDHash(key, n)}, nil
	})
}

func (c *Client) certificate(ctx context.Context, build func(id string, key []byte) (protocol.Message, error)) (*Certificate, error) {
	a, err := c.request(ctx, build)
	var pe *protocol.Error
	if errors.As(err, &pe) && pe.Code == protocol.CodeNotFound {
		return nil, fmt.Errorf("%w: %w", ErrNoSuchSubmission, err)
	}
	if err != nil {
		return nil, fmt.Errorf("client: certificate query: %w", err)
	}
	m, ok := a.(*protocol.Certificate)
	if !ok {
		return nil, fmt.Errorf("%w: certificate query answered with %s", ErrQueryRefused, a.MessageType())
	}
	return &Certificate{State: m.State, Document: m.Document, Title: m.Title, Code: m.Code, IssuedAt: m.IssuedAt,
		Pages: m.Pages, PDF: m.PDF}, nil
}
