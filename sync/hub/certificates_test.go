package hub

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/assets"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

// ssRecord is a synthetic 社会保险个人参保证明打印 submission (ID region 9901).
func ssRecord(t *testing.T, tk *termKey) *protocol.Submit {
	s := synthetic(t, tk)
	s.Item, s.ItemTitle = "ss-record-print", "社会保险个人参保证明打印"
	s.Fields = map[string]string{"applicant_name": "测试甲", "applicant_id": holderA,
		"period_from": "2024-01-01", "period_to": "2024-12-31"}
	return s
}

// certHub starts a hub on the shipped catalog, whose items issue the certificates, with
// one terminal enrolled and connected.
func certHub(t *testing.T, opt Options) (*testHub, *termKey, *rawTerm) {
	t.Helper()
	th := startHub(t, opt)
	if _, err := th.SetCatalog("", assets.DefaultCatalog()); err != nil {
		t.Fatal(err)
	}
	tk := th.enroll(t)
	return th, tk, th.connect(t, tk)
}

func getVerify(t *testing.T, th *testHub, code, accept string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, th.url("/verify/"+code), nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestCertificateIssuedAndVerified: right after a 参保证明 submission the terminal gets a
// one-page PDF (poppler reads it and finds the code, the masked ID number and the title);
// asking again gives the same document; GET /verify/CODE confirms it with the masked
// name only, also when typed in lower case without dashes; an unknown code is not genuine.
func TestCertificateIssuedAndVerified(t *testing.T) {
	th, tk, r := certHub(t, Options{PublicURL: "https://hub.example.test/"})
	sub := ssRecord(t, tk)
	r.upload(sub, nil)

	r.send(&protocol.CertificateQuery{ID: "rq-1", SubmissionID: sub.ID})
	c := expect[*protocol.Certificate](r)
	if c.State != protocol.CertificateIssued || c.Document != "ss_record" || c.Title != "社会保险个人参保证明" || c.Pages != 1 {
		t.Fatalf("certificate %+v", c)
	}
	if !regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$`).MatchString(c.Code) {
		t.Errorf("code %q", c.Code)
	}
	text := pdfText(t, c.PDF)
	for _, want := range []string{"社会保险个人参保证明", c.Code, "9901**********1237", "测试甲", sub.TrackingCode,
		"https://hub.example.test/verify/" + c.Code} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, holderA) {
		t.Errorf("PDF shows the whole ID number")
	}
	// The certificate carries its font (a subset of WenQuanYi Zen Hei): a printer
	// without Chinese fonts prints it right.
	if fonts := pdfFonts(t, c.PDF); !regexp.MustCompile(`(?m)^[A-Z]{6}\+WenQuanYiZenHei\s+CID TrueType\s+Identity-H\s+yes yes yes `).MatchString(fonts) {
		t.Errorf("the certificate does not embed its font (fonts-wqy-zenhei installed?):\n%s", fonts)
	}

	r.send(&protocol.CertificateQuery{ID: "rq-2", SubmissionID: sub.ID})
	again := expect[*protocol.Certificate](r)
	if again.Code != c.Code || string(again.PDF) != string(c.PDF) {
		t.Errorf("a second query issued another document: %s vs %s", again.Code, c.Code)
	}

	status, body := getVerify(t, th, c.Code, "")
	var ans verifyAnswer
	if err := json.Unmarshal([]byte(body), &ans); err != nil || status != http.StatusOK {
		t.Fatalf("verify: %d %s", status, body)
	}
	if !ans.Genuine || ans.Title != "社会保险个人参保证明" || ans.Holder != "测**" || ans.Pages != 1 {
		t.Errorf("verify answer %+v", ans)
	}
	for _, personal := range []string{"测试甲", "1237", "9901", sub.TrackingCode} {
		if strings.Contains(body, personal) {
			t.Errorf("verify answer shows %q: %s", personal, body)
		}
	}
	typed := strings.ToLower(strings.ReplaceAll(c.Code, "-", ""))
	if status, body := getVerify(t, th, typed, "text/html"); status != http.StatusOK || !strings.Contains(body, "真实有效") {
		t.Errorf("verify of %q as typed: %d %s", typed, status, body)
	}
	for _, bad := range []string{"0000-0000-0000-0000", "not-a-code", strings.Repeat("A", 40)} {
		status, body := getVerify(t, th, bad, "")
		if status != http.StatusNotFound || strings.Contains(body, `"genuine":true`) {
			t.Errorf("verify %q: %d %s", bad, status, body)
		}
	}
}

// TestCertificateReprintAnywhere: another terminal gets the same document with the
// tracking code and the applicant's ID hash; with another resident's hash, or with the
// code of an unknown submission, it gets not_found alike.
func TestCertificateReprintAnywhere(t *testing.T) {
	th, tk, r := certHub(t, Options{})
	sub := ssRecord(t, tk)
	r.upload(sub, nil)
	r.send(&protocol.CertificateQuery{ID: "rq-1", SubmissionID: sub.ID})
	first := expect[*protocol.Certificate](r)

	other := th.connect(t, th.enroll(t))
	key := other.welcome.QueryKey
	other.send(&protocol.CertificateQuery{ID: "rq-2", TrackingCode: sub.TrackingCode, IDHash: protocol.IDHash(key, holderA)})
	again := expect[*protocol.Certificate](other)
	if again.State != protocol.CertificateIssued || again.Code != first.Code || string(again.PDF) != string(first.PDF) {
		t.Errorf("reprint %+v; want the first document", again)
	}
	other.send(&protocol.CertificateQuery{ID: "rq-3", TrackingCode: sub.TrackingCode, IDHash: protocol.IDHash(key, holderB)})
	other.expectErr(protocol.CodeNotFound)
	// Another terminal cannot name the submission by id.
	other.send(&protocol.CertificateQuery{ID: "rq-4", SubmissionID: sub.ID})
	other.expectErr(protocol.CodeNotFound)

	entries, err := th.AuditLog(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "certificate.") {
			actions = append(actions, e.Action)
		}
	}
	if strings.Join(actions, ",") != "certificate.issue,certificate.reprint" {
		t.Errorf("audited %v", actions)
	}
}

// failingIssuer is a platform that cannot issue now.
type failingIssuer struct{}

func (failingIssuer) Issue(context.Context, IssueRequest) (*IssuedDocument, error) {
	return nil, errors.New("platform down")
}

// TestCertificateNotAtOnce: an item that issues a document later answers later (the
// receipt then says when and where), an item that issues none answers none, and a
// platform that fails answers try_later without storing anything.
func TestCertificateNotAtOnce(t *testing.T) {
	_, tk, r := certHub(t, Options{})
	hukou := synthetic(t, tk)
	hukou.Item = "hukou-cert"
	r.upload(hukou, nil)
	r.send(&protocol.CertificateQuery{ID: "rq-1", SubmissionID: hukou.ID})
	if c := expect[*protocol.Certificate](r); c.State != protocol.CertificateLater || c.Document != "household_certificate" || len(c.PDF) != 0 {
		t.Errorf("hukou certificate %+v; want later", c)
	}
	plain := synthetic(t, tk) // hukou.move issues no document
	r.upload(plain, nil)
	r.send(&protocol.CertificateQuery{ID: "rq-2", SubmissionID: plain.ID})
	if c := expect[*protocol.Certificate](r); c.State != protocol.CertificateNone {
		t.Errorf("certificate %+v; want none", c)
	}

	down, dk, dr := certHub(t, Options{Certificates: failingIssuer{}})
	sub := ssRecord(t, dk)
	dr.upload(sub, nil)
	dr.send(&protocol.CertificateQuery{ID: "rq-3", SubmissionID: sub.ID})
	dr.expectErr(protocol.CodeTryLater)
	if c, err := down.st.certificateFor(sub.ID); err != nil || c != nil {
		t.Errorf("stored %+v %v after a failed issue", c, err)
	}
}

// TestStorageCertificates: both stores keep one document per submission, find it by its
// code, and refuse a code another submission's document has.
func TestStorageCertificates(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage, _ attachmentStorage) {
		at := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
		rec := &certificateRecord{Code: "7K3M-Q9XD-2B4F-H8JN", SubmissionID: "s-1", Document: "ss_record",
			Title: "社会保险个人参保证明", Holder: "测**", IssuedAt: at, Pages: 1, PDF: []byte("sealed")}
		out, existed, err := st.putCertificate(rec)
		if err != nil || existed || out.Code != rec.Code {
			t.Fatalf("put: %+v %v %v", out, existed, err)
		}
		dup := *rec
		dup.Code = "AAAA-BBBB-CCCC-DDDD"
		out, existed, err = st.putCertificate(&dup)
		if err != nil || !existed || out.Code != rec.Code {
			t.Errorf("second put for the same submission: %+v %v %v; want the first", out, existed, err)
		}
		clash := *rec
		clash.SubmissionID = "s-2"
		if _, _, err := st.putCertificate(&clash); !errors.Is(err, errCodeTaken) {
			t.Errorf("a taken code: %v", err)
		}
		if c, err := st.certificateFor("s-2"); err != nil || c != nil {
			t.Errorf("the refused one was stored: %+v %v", c, err)
		}
		got, err := st.certificateByCode(rec.Code)
		if err != nil || got == nil || got.SubmissionID != "s-1" || !got.IssuedAt.Equal(at) || string(got.PDF) != "sealed" || got.Holder != "测**" {
			t.Errorf("by code: %+v %v", got, err)
		}
		if got, err := st.certificateFor("s-1"); err != nil || got == nil || got.Code != rec.Code {
			t.Errorf("for submission: %+v %v", got, err)
		}
		if got, err := st.certificateByCode("AAAA-BBBB-CCCC-DDDD"); err != nil || got != nil {
			t.Errorf("unknown code: %+v %v", got, err)
		}
	})
}

// TestNormalizeVerifyCode: codes read as people type them; anything else is no code.
func TestNormalizeVerifyCode(t *testing.T) {
	cases := map[string]string{
		"7K3M-Q9XD-2B4F-H8JN":   "7K3M-Q9XD-2B4F-H8JN",
		"7k3m q9xd 2b4f h8jn":   "7K3M-Q9XD-2B4F-H8JN",
		"7K3MQ9XD2B4FH8JN":      "7K3M-Q9XD-2B4F-H8JN",
		"OOOO-IIII-LLLL-0000":   "0000-1111-1111-0000",
		"7K3M-Q9XD-2B4F":        "",
		"7K3M-Q9XD-2B4F-H8JNX":  "",
		"7K3M-Q9XD-2B4F-H8JU":   "",
		"７K3M-Q9XD-2B4F-H8JN":   "",
		"../../etc/passwd-xxxx": "",
	}
	for in, want := range cases {
		if got := normalizeVerifyCode(in); got != want {
			t.Errorf("normalizeVerifyCode(%q) = %q; want %q", in, got, want)
		}
	}
	for range 100 {
		c := newVerifyCode()
		if normalizeVerifyCode(c) != c {
			t.Fatalf("new code %q does not read back", c)
		}
	}
}

// FuzzNormalizeVerifyCode: whatever a URL carries, the result is empty or a printed code
// that reads back to itself.
func FuzzNormalizeVerifyCode(f *testing.F) {
	f.Add("7K3M-Q9XD-2B4F-H8JN")
	f.Add("oooo iiii llll 0000")
	f.Fuzz(func(t *testing.T, s string) {
		c := normalizeVerifyCode(s)
		if c != "" && (len(c) != 19 || normalizeVerifyCode(c) != c) {
			t.Fatalf("%q → %q", s, c)
		}
	})
}

// TestCertificateWithoutFont: with the font missing (a broken install) the certificate is
// still issued, naming STSong-Light instead of embedding it, with its text; the log says
// why at start and with the certificate, and never what the certificate says.
func TestCertificateWithoutFont(t *testing.T) {
	logs := &lockedBuffer{}
	_, tk, r := certHub(t, Options{CertificateFont: filepath.Join(t.TempDir(), "wqy-zenhei.ttc"),
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if !strings.Contains(logs.String(), "the font to embed is missing") {
		t.Errorf("nothing said at start:\n%s", logs.String())
	}
	sub := ssRecord(t, tk)
	r.upload(sub, nil)
	r.send(&protocol.CertificateQuery{ID: "rq-1", SubmissionID: sub.ID})
	c := expect[*protocol.Certificate](r)
	if c.State != protocol.CertificateIssued || c.Pages != 1 {
		t.Fatalf("certificate %+v", c)
	}
	if text := pdfText(t, c.PDF); !strings.Contains(text, "社会保险个人参保证明") || !strings.Contains(text, "测试甲") {
		t.Errorf("PDF text:\n%s", text)
	}
	if fonts := pdfFonts(t, c.PDF); !regexp.MustCompile(`(?m)^STSong-Light\s+CID Type 0\s+UniGB-UCS2-H\s+no `).MatchString(fonts) {
		t.Errorf("pdffonts:\n%s", fonts)
	}
	log := logs.String()
	if !strings.Contains(log, "issued without an embedded font") || !strings.Contains(log, "no such file") {
		t.Errorf("the log does not say why:\n%s", log)
	}
	for _, personal := range []string{"测试甲", "1237"} {
		if strings.Contains(log, personal) {
			t.Errorf("the log shows %q", personal)
		}
	}
}

// pdfFonts is what pdffonts says of doc.
func pdfFonts(t *testing.T, doc []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdffonts"); err != nil {
		t.Fatal("pdffonts not installed (scripts/install-deps installs poppler-utils)")
	}
	path := filepath.Join(t.TempDir(), "c.pdf")
	if err := os.WriteFile(path, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdffonts", path).CombinedOutput()
	if err != nil {
		t.Fatalf("pdffonts: %v\n%s", err, out)
	}
	return string(out)
}

func pdfText(t *testing.T, doc []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatal("pdftotext not installed (scripts/install-deps installs poppler-utils)")
	}
	path := filepath.Join(t.TempDir(), "c.pdf")
	if err := os.WriteFile(path, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", path, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	return string(out)
}
