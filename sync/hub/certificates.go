package hub

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/govkiosk/govkiosk/internal/pdf"
	"github.com/govkiosk/govkiosk/kiosk/catalog"
	"github.com/govkiosk/govkiosk/kiosk/identity"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

// Certificates (立等可取): an item the catalog marks as issuing a document gets it from the
// platform right after submission, and the kiosk prints it on A4. The hub asks a
// CertificateIssuer, gives every document a verification code that GET /verify/CODE
// checks, and keeps the document (sealed) so any kiosk can print it again for its holder.

// ErrIssuedLater is returned by a CertificateIssuer for a document the platform does not
// issue at once (it is reviewed first); the receipt then says when and where.
var ErrIssuedLater = errors.New("hub: the document is issued later")

// IssueRequest is what a CertificateIssuer gets to issue one document.
type IssueRequest struct {
	// Document is the catalog's document type ("ss_record"); Title its name.
	Document string
	Title    string
	// Item, HubRef, TrackingCode and ReceivedAt identify the submission.
	Item         string
	HubRef       string
	TrackingCode string
	ReceivedAt   time.Time
	// Fields are the submission's form values: personal data.
	Fields map[string]string
	// Code is the verification code the document must carry, and VerifyURL the address
	// that checks it (for the QR code).
	Code      string
	VerifyURL string
	// IssuedAt is the issue time to print.
	IssuedAt time.Time
}

// IssuedDocument is a document the platform issued.
type IssuedDocument struct {
	PDF   []byte
	Pages int
	// Holder is the holder's name as the verification page may show it: masked, as the
	// holder would show it anyway (张**).
	Holder string
}

// CertificateIssuer is the platform service that issues documents. Implementations are
// safe for concurrent use and honour ctx.
type CertificateIssuer interface {
	Issue(ctx context.Context, req IssueRequest) (*IssuedDocument, error)
}

// certificateRecord is an issued document as the hub keeps it.
type certificateRecord struct {
	// Code is the verification code, in its printed form (XXXX-XXXX-XXXX-XXXX).
	Code         string    `json:"code"`
	SubmissionID string    `json:"submission_id"`
	Document     string    `json:"document"`
	Title        string    `json:"title"`
	Holder       string    `json:"holder,omitempty"`
	IssuedAt     time.Time `json:"issued_at"`
	Pages        int       `json:"pages"`
	// PDF is sealed with certAAD(SubmissionID).
	PDF []byte `json:"pdf"`
}

func certAAD(submissionID string) []byte { return []byte("certificate:" + submissionID) }

// certificateStorage keeps issued documents, in both stores.
type certificateStorage interface {
	// putCertificate stores rec unless its submission has one already, in which case the
	// stored one is returned with existed set. errCodeTaken when another submission's
	// document has the same code.
	putCertificate(rec *certificateRecord) (out *certificateRecord, existed bool, err error)
	// certificateFor returns a submission's document, or nil.
	certificateFor(submissionID string) (*certificateRecord, error)
	// certificateByCode returns the document with a verification code (printed form), or nil.
	certificateByCode(code string) (*certificateRecord, error)
}

var errCodeTaken = errors.New("hub: verification code taken")

// Verification codes: 16 characters of Crockford's base32 (80 random bits), printed in
// groups of four. Reading forgives case, spaces, dashes, O for 0 and I or L for 1.
const codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

func newVerifyCode() string {
	var b [16]byte
	rand.Read(b[:])
	var s strings.Builder
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			s.WriteByte('-')
		}
		s.WriteByte(codeAlphabet[c&31])
	}
	return s.String()
}

// normalizeVerifyCode returns the printed form of a code as typed, or "".
func normalizeVerifyCode(s string) string {
	var out []byte
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == '-' || r == ' ':
			continue
		case r == 'O':
			r = '0'
		case r == 'I' || r == 'L':
			r = '1'
		}
		if r > 0x7f || !strings.ContainsRune(codeAlphabet, r) {
			return ""
		}
		out = append(out, byte(r))
		if len(out) > 16 {
			return ""
		}
	}
	if len(out) != 16 {
		return ""
	}
	return string(out[0:4]) + "-" + string(out[4:8]) + "-" + string(out[8:12]) + "-" + string(out[12:16])
}

// Budget of certificate queries per terminal: one or two per resident.
const (
	certificateRate    = 0.5
	certificateBurst   = 10
	certificateTimeout = 15 * time.Second
)

func (h *Hub) certificateBudget(terminalID string) *tokenBucket {
	h.certQ.mu.Lock()
	defer h.certQ.mu.Unlock()
	if h.certQ.by == nil {
		h.certQ.by = map[string]*tokenBucket{}
	}
	b := h.certQ.by[terminalID]
	if b == nil {
		b = newTokenBucket(certificateRate, certificateBurst, h.opt.Now)
		h.certQ.by[terminalID] = b
	}
	return b
}

// catalogIssues returns the document an item issues according to the published catalog,
// or nil (no catalog, unknown item, an item that issues none).
func (h *Hub) catalogIssues(item string) *catalog.Issue {
	version, payload, ok := h.Published(kindCatalog)
	if !ok {
		return nil
	}
	h.certCat.mu.Lock()
	defer h.certCat.mu.Unlock()
	if h.certCat.version != version {
		c, err := catalog.Parse(payload)
		if err != nil {
			h.log.Warn("certificates: the published catalog does not parse", "version", version, "err", err)
			c = nil
		}
		h.certCat.version, h.certCat.cat = version, c
	}
	if h.certCat.cat == nil {
		return nil
	}
	it := h.certCat.cat.Item(item)
	if it == nil {
		return nil
	}
	return it.Issues
}

type certCatalog struct {
	mu      sync.Mutex
	version string
	cat     *catalog.Catalog
}

// verifyURL is where a code is checked, for the QR code.
func (h *Hub) verifyURL(code string) string {
	base := strings.TrimSuffix(h.opt.PublicURL, "/")
	if base == "" {
		base = "http://localhost"
	}
	return base + "/verify/" + code
}

func (c *conn) handleCertificateQuery(m *protocol.CertificateQuery) {
	h := c.h
	if ok, wait := h.certificateBudget(c.term.rec.ID).take(); !ok {
		e := protocol.Errorf(protocol.CodeTryLater, m.ID, "too many certificate queries; try again later")
		e.RetryAfterMS = max(wait, h.opt.RetryAfter).Milliseconds()
		c.reply(e)
		return
	}
	var rec *submissionRecord
	var err error
	reprint := m.TrackingCode != ""
	if reprint {
		rec, err = h.st.byTracking(m.TrackingCode)
		// Another resident's code reads exactly like an unknown one.
		if err == nil && rec != nil && (rec.IDHash == "" || subtle.ConstantTimeCompare([]byte(rec.IDHash), []byte(m.IDHash)) != 1) {
			rec = nil
		}
	} else {
		rec, err = c.ownSubmission(m.SubmissionID)
	}
	if err != nil {
		c.internal(m.ID, err)
		return
	}
	if rec == nil || rec.State != stateCommitted {
		c.reply(protocol.Errorf(protocol.CodeNotFound, m.ID, "no such submission"))
		return
	}
	issue := h.catalogIssues(rec.Item)
	if issue == nil {
		c.sendMsg(&protocol.Certificate{ID: m.ID, State: protocol.CertificateNone})
		return
	}
	cert, err := h.st.certificateFor(rec.ID)
	if err != nil {
		c.internal(m.ID, err)
		return
	}
	action := "certificate.reprint"
	if cert == nil {
		action = "certificate.issue"
		cert, err = h.issueCertificate(rec, issue)
		if errors.Is(err, ErrIssuedLater) {
			c.sendMsg(&protocol.Certificate{ID: m.ID, State: protocol.CertificateLater, Document: issue.Document, Title: issue.Title.Zh})
			return
		}
		if err != nil {
			c.log.Warn("certificate issuer", "err", err)
			e := protocol.Errorf(protocol.CodeTryLater, m.ID, "the document could not be issued now")
			e.RetryAfterMS = h.opt.RetryAfter.Milliseconds()
			c.reply(e)
			return
		}
	}
	plain, err := h.seal.open(cert.PDF, certAAD(cert.SubmissionID))
	if err != nil {
		c.internal(m.ID, err)
		return
	}
	// Every document handed out is on the audit chain: which terminal, which submission.
	if aerr := h.audit.append(AuditEntry{At: h.opt.Now().UTC(), Actor: "terminal:" + c.term.rec.ID, Role: RoleTerminal,
		Action: action, Target: rec.TrackingCode, Remote: c.remote, Status: 200}); aerr != nil {
		c.log.Error("audit certificate", "err", aerr)
		c.reply(protocol.Errorf(protocol.CodeInternal, m.ID, "audit log unavailable"))
		return
	}
	c.sendMsg(&protocol.Certificate{ID: m.ID, State: protocol.CertificateIssued, Document: cert.Document, Title: cert.Title,
		Code: cert.Code, IssuedAt: cert.IssuedAt, Pages: cert.Pages, PDF: plain})
}

// issueCertificate asks the issuer for a submission's document and stores it; two
// terminals asking at once get the same one.
func (h *Hub) issueCertificate(rec *submissionRecord, issue *catalog.Issue) (*certificateRecord, error) {
	var fields map[string]string
	if len(rec.Fields) > 0 {
		plain, err := h.seal.open(rec.Fields, []byte("fields:"+rec.ID))
		if err != nil {
			return nil, fmt.Errorf("hub: open fields: %w", err)
		}
		if err := json.Unmarshal(plain, &fields); err != nil {
			return nil, fmt.Errorf("hub: fields: %w", err)
		}
	}
	for range 3 {
		code := newVerifyCode()
		now := h.opt.Now().UTC()
		ctx, cancel := context.WithTimeout(context.Background(), certificateTimeout)
		doc, err := h.issuer.Issue(ctx, IssueRequest{Document: issue.Document, Title: issue.Title.Zh, Item: rec.Item,
			HubRef: rec.HubRef, TrackingCode: rec.TrackingCode, ReceivedAt: rec.ReceivedAt, Fields: fields,
			Code: code, VerifyURL: h.verifyURL(code), IssuedAt: now})
		cancel()
		if err != nil {
			return nil, err
		}
		if len(doc.PDF) == 0 || len(doc.PDF) > protocol.MaxCertificatePDF {
			return nil, fmt.Errorf("hub: issuer returned a document of %d bytes", len(doc.PDF))
		}
		out, _, err := h.st.putCertificate(&certificateRecord{Code: code, SubmissionID: rec.ID, Document: issue.Document,
			Title: issue.Title.Zh, Holder: doc.Holder, IssuedAt: now, Pages: doc.Pages,
			PDF: h.seal.seal(doc.PDF, certAAD(rec.ID))})
		if errors.Is(err, errCodeTaken) {
			continue
		}
		return out, err
	}
	return nil, errCodeTaken
}

// verifyAnswer is what GET /verify/CODE says: whether the code belongs to a genuine
// document, and what the holder's paper shows anyway to compare with.
type verifyAnswer struct {
	Code     string    `json:"code"`
	Genuine  bool      `json:"genuine"`
	Title    string    `json:"title,omitempty"`
	Holder   string    `json:"holder,omitempty"`
	IssuedAt time.Time `json:"issued_at,omitzero"`
	Pages    int       `json:"pages,omitempty"`
}

var verifyPage = template.Must(template.New("verify").Parse(`<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>证明核验 Verification</title></head><body>
{{if .Genuine}}<h1>✔ 真实有效 Genuine</h1>
<p>{{.Title}}</p><p>持有人 Holder: {{.Holder}}</p><p>出具日期 Issued: {{.IssuedAt.Format "2006-01-02"}}</p>
<p>页数 Pages: {{.Pages}}</p><p>核验码 Code: {{.Code}}</p>
<p>请核对纸质证明上的内容与此一致。Check that the paper shows the same.</p>
{{else}}<h1>✘ 未找到 Not found</h1><p>核验码 {{.Code}} 不对应任何本平台出具的证明。No document of this platform has this code.</p>{{end}}
</body></html>
`))

// serveVerify answers GET /verify/{code}: JSON for a client that asks for it, a small page
// for a phone that scanned the QR code. It needs no sign-in and shows no personal data
// beyond the masked name printed on the document.
func (h *Hub) serveVerify(w http.ResponseWriter, r *http.Request) {
	raw := r.PathValue("code")
	code := normalizeVerifyCode(raw)
	ans := verifyAnswer{Code: code}
	if code == "" {
		ans.Code = ""
	} else {
		cert, err := h.st.certificateByCode(code)
		if err != nil {
			h.log.Error("verify", "err", err)
			http.Error(w, "verification unavailable", http.StatusServiceUnavailable)
			return
		}
		if cert != nil {
			ans = verifyAnswer{Code: code, Genuine: true, Title: cert.Title, Holder: cert.Holder, IssuedAt: cert.IssuedAt, Pages: cert.Pages}
		}
	}
	status := http.StatusOK
	if !ans.Genuine {
		status = http.StatusNotFound
	}
	w.Header().Set("Cache-Control", "no-store")
	if strings.Contains(r.Header.Get("Accept"), "text/html") {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_ = verifyPage.Execute(w, ans)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(ans)
}

// DefaultCertificateFont is the font the reference issuer embeds (a subset of) in every
// certificate: WenQuanYi Zen Hei from Debian's fonts-wqy-zenhei, a TrueType collection.
// Its licence is the GPL-2 with a font embedding exception: a document that embeds the
// font, or unaltered portions of it (a subset keeps each glyph unaltered), is not covered
// by the GPL for that.
const DefaultCertificateFont = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"

// certificateFontFace is the face of the collection embedded: the proportional one.
const certificateFontFace = "WenQuanYiZenHei"

// refIssuer is the reference platform: it issues 社会保险个人参保证明 (ss_record) at once as
// a one-page A4 PDF with the verification code and its QR code, from the submission's own
// form values (a demonstration: the record states are sample data). Other documents are
// issued later.
//
// The PDF embeds a subset of the font at fontPath, so the A4 printer needs no Chinese font
// of its own. Without it (a broken install) the certificate still prints, naming the
// STSong-Light font printers and readers often have, and the log says why.
type refIssuer struct {
	log      *slog.Logger
	fontPath string

	once    sync.Once
	font    *pdf.Font
	fontErr error
}

func newRefIssuer(log *slog.Logger, fontPath string) *refIssuer {
	if fontPath == "" {
		fontPath = DefaultCertificateFont
	}
	ri := &refIssuer{log: log, fontPath: fontPath}
	// Said at start, so a technician reads it before the first certificate; the font
	// itself (16 MB) is read at the first certificate.
	if _, err := os.Stat(fontPath); err != nil {
		log.Warn("certificates: the font to embed is missing (install fonts-wqy-zenhei); certificates will name STSong-Light and print right only where the printer has that font",
			"font", fontPath, "err", err)
	}
	return ri
}

// certFonts are the fonts certificates embed, read once per process: a Font is read-only
// and holds its whole file (16 MB), and every hub of a process (tests, several in one
// binary) wants the same one. A font that failed to load is not remembered, so a hub
// started after the install is fixed finds it.
var certFonts struct {
	mu sync.Mutex
	m  map[string]*pdf.Font
}

func loadCertFont(path string) (*pdf.Font, error) {
	certFonts.mu.Lock()
	defer certFonts.mu.Unlock()
	if f := certFonts.m[path]; f != nil {
		return f, nil
	}
	f, err := pdf.LoadFont(path, certificateFontFace)
	if err != nil {
		return nil, err
	}
	if certFonts.m == nil {
		certFonts.m = map[string]*pdf.Font{}
	}
	certFonts.m[path] = f
	return f, nil
}

// certFont loads the font once.
func (ri *refIssuer) certFont() (*pdf.Font, error) {
	ri.once.Do(func() {
		ri.font, ri.fontErr = loadCertFont(ri.fontPath)
		if ri.fontErr != nil {
			ri.log.Warn("certificates: the font to embed is unusable (reinstall fonts-wqy-zenhei); certificates name STSong-Light and print right only where the printer has that font",
				"font", ri.fontPath, "err", ri.fontErr)
		}
	})
	return ri.font, ri.fontErr
}

func (ri *refIssuer) Issue(_ context.Context, req IssueRequest) (*IssuedDocument, error) {
	if req.Document != "ss_record" {
		return nil, ErrIssuedLater
	}
	name := req.Fields["applicant_name"]
	number := req.Fields["applicant_id"]
	font, fontErr := ri.certFont()
	d := &pdf.Doc{Title: "social insurance record " + req.HubRef, Created: req.IssuedAt, Font: font}
	p := d.AddPage()
	const left, right = 72.0, pdf.A4Width - 72
	p.TextCentered(pdf.A4Width/2, 760, 22, req.Title)
	p.TextCentered(pdf.A4Width/2, 736, 10, "SOCIAL INSURANCE RECORD")
	p.Line(left, 724, right, 724, 1)
	y := 690.0
	row := func(label, value string) {
		p.Text(left, y, 12, label)
		p.Text(left+130, y, 12, value)
		y -= 26
	}
	row("姓名", name)
	row("公民身份号码", identity.MaskNumber(number))
	row("参保地", "样例市（示例数据）")
	if from, to := req.Fields["period_from"], req.Fields["period_to"]; from != "" || to != "" {
		row("证明期间", monthOf(from)+" 至 "+monthOf(to))
	}
	row("参保险种", "养老保险、医疗保险、失业保险、工伤保险")
	row("参保状态", "正常参保（参考实现出具的示例数据）")
	row("办件编号", req.TrackingCode)
	row("平台受理号", req.HubRef)
	row("出具日期", req.IssuedAt.In(chinaTime).Format("2006年01月02日"))
	p.Line(left, y+8, right, y+8, 0.5)
	y -= 10
	p.Text(left, y, 11, "本证明经电子签章，可扫描右侧二维码或访问下列地址核验真伪：")
	p.Text(left, y-18, 9, req.VerifyURL)
	p.Text(left, y-44, 14, "核验码  "+req.Code)
	q, err := qrcode.New(req.VerifyURL, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("hub: QR code: %w", err)
	}
	q.DisableBorder = true
	p.QR(right-100, y-140, 100, q.Bitmap())
	p.TextCentered(pdf.A4Width/2, 60, 9, "样例市人力资源和社会保障局（电子签章）  本证明由自助终端打印，涂改无效")
	doc := d.Bytes()
	if err := d.FontErr(); err != nil {
		fontErr = err
	}
	// Never the text: the characters missing may be the resident's name.
	if fontErr != nil {
		ri.log.Warn("certificates: issued without an embedded font", "hub_ref", req.HubRef, "err", fontErr)
	} else if n := d.MissingGlyphs(); n > 0 {
		ri.log.Warn("certificates: the embedded font lacks characters of a certificate; they print as boxes", "hub_ref", req.HubRef, "characters", n)
	}
	return &IssuedDocument{PDF: doc, Pages: d.Pages(), Holder: identity.MaskedName(name)}, nil
}

// chinaTime is UTC+8, for the printed date.
var chinaTime = time.FixedZone("CST", 8*3600)

// monthOf turns a form date (2006-01-02) into 2006年01月.
func monthOf(s string) string {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return s
	}
	return t.Format("2006年01月")
}
