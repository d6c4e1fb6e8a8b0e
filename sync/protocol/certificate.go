package protocol

import "time"

// Certificates (version 2): an item that issues a document (参保证明, 户籍证明...) has it
// printed at the kiosk when the platform issues it at once. Right after the hub
// acknowledged the submission, the terminal asks for it by submission id; any terminal
// can ask again later (a reprint after the printer ran out of paper) with the tracking
// code and the keyed hash of the ID number of the resident it identified, which must be
// the applicant's. The hub answers with the PDF, or says it is not issued at once.
const (
	TypeCertificateQuery Type = "certificate_query" // terminal: the document a submission issues
	TypeCertificate      Type = "certificate"       // hub: the document, or why there is none
)

// Certificate states.
const (
	// CertificateIssued: PDF holds the document.
	CertificateIssued = "issued"
	// CertificateLater: the platform issues it later; the receipt says when and where.
	CertificateLater = "later"
	// CertificateNone: the submission's item issues no document.
	CertificateNone = "none"
)

// MaxCertificatePDF is the largest document the hub sends (base64 in a text frame).
const MaxCertificatePDF = 2 << 20

func init() {
	registry[TypeCertificateQuery] = entry{Terminal, func() Message { return new(CertificateQuery) }}
	registry[TypeCertificate] = entry{Hub, func() Message { return new(Certificate) }}
}

// CertificateQuery asks for the document of one submission: by SubmissionID (the
// terminal's own, just submitted), or by TrackingCode and IDHash (from any terminal).
type CertificateQuery struct {
	// ID is the terminal's request id, repeated in the answer.
	ID           string `json:"id"`
	SubmissionID string `json:"submission_id,omitempty"`
	TrackingCode string `json:"tracking_code,omitempty"`
	// IDHash is IDHash(the hub's query key, the identified resident's ID number).
	IDHash string `json:"id_hash,omitempty"`
}

// Certificate answers a CertificateQuery.
type Certificate struct {
	ID    string `json:"id"`
	State string `json:"state"`
	// Document is the document type ("ss_record"); Title its name.
	Document string `json:"document,omitempty"`
	Title    string `json:"title,omitempty"`
	// Code is the verification code printed on the document (GET /verify/CODE).
	Code     string    `json:"code,omitempty"`
	IssuedAt time.Time `json:"issued_at,omitzero"`
	Pages    int       `json:"pages,omitempty"`
	PDF      []byte    `json:"pdf,omitempty"`
}

// MessageType implements Message.
func (*CertificateQuery) MessageType() Type { return TypeCertificateQuery }

// MessageType implements Message.
func (*Certificate) MessageType() Type { return TypeCertificate }

// Validate implements Message.
func (m *CertificateQuery) Validate() error {
	const t = TypeCertificateQuery
	if err := checkID(t, "id", m.ID); err != nil {
		return err
	}
	switch {
	case m.SubmissionID != "" && m.TrackingCode != "":
		return invalid(t, "tracking_code", "give submission_id or tracking_code, not both")
	case m.SubmissionID != "":
		if err := checkID(t, "submission_id", m.SubmissionID); err != nil {
			return err
		}
		if m.IDHash != "" && !validHash(m.IDHash) {
			return invalid(t, "id_hash", "want 64 lower-case hex digits")
		}
	case m.TrackingCode != "":
		if !ValidTrackingCode(m.TrackingCode) {
			return invalid(t, "tracking_code", "not a tracking code")
		}
		if m.IDHash == "" {
			return missing(t, "id_hash")
		}
		if !validHash(m.IDHash) {
			return invalid(t, "id_hash", "want 64 lower-case hex digits")
		}
	default:
		return missing(t, "submission_id")
	}
	return nil
}

// Validate implements Message.
func (m *Certificate) Validate() error {
	const t = TypeCertificate
	if err := checkID(t, "id", m.ID); err != nil {
		return err
	}
	switch m.State {
	case CertificateIssued:
		if len(m.PDF) == 0 {
			return missing(t, "pdf")
		}
		if m.Code == "" {
			return missing(t, "code")
		}
	case CertificateLater, CertificateNone:
		if len(m.PDF) != 0 {
			return invalid(t, "pdf", "only an issued certificate has one")
		}
	case "":
		return missing(t, "state")
	default:
		return invalid(t, "state", "want issued, later or none")
	}
	if len(m.PDF) > MaxCertificatePDF {
		return invalid(t, "pdf", "too large")
	}
	if m.Document != "" && !validWord(m.Document, 64) {
		return invalid(t, "document", "want 1-64 of a-z 0-9 _")
	}
	if err := checkText(t, "title", m.Title, 256, false); err != nil {
		return err
	}
	if m.Code != "" && !ValidID(m.Code) {
		return invalid(t, "code", "want 1-64 of A-Z a-z 0-9 . _ : -")
	}
	if m.Pages < 0 || m.Pages > 1000 {
		return invalid(t, "pages", "want 0 to 1000")
	}
	return nil
}
