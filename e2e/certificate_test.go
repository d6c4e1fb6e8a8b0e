package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/drivers/ipp/ipptest"
)

// verifyRE finds the verification code printed on a certificate.
var verifyRE = regexp.MustCompile(`核验码\s+([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})`)

// TestCertificatePrintedOnTheRealKiosk: 社会保险个人参保证明打印 on the real kiosk with an
// A4 printer (ippeveprinter, started by the test, reached over IPP like a network
// printer). The certificate arrives at the printer as a PDF of one page, and the hub's
// GET /verify/CODE confirms the code printed on it. Then the A4 printer runs out of paper
// in the middle of a second resident's job: the receipt screen says so and nothing is
// printed; paper loaded, the resident reprints it with the tracking code on the query
// screen's 补打证明 and the ID card, and the printer holds the second certificate.
func TestCertificatePrintedOnTheRealKiosk(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the real binaries under Xvfb")
	}
	needTools(t, "Xvfb", "xdotool", "import", "pdftotext")
	if err := ipptest.Available(); err != nil {
		t.Fatalf("the A4 printer simulator: %v", err)
	}
	printer := ipptest.Start(t, ipptest.Options{})
	w := startWorld(t)
	w.addA4Printer(t, printer.URL)
	s, kiosk := w.startKiosk(t)
	s.wait("home", 60*time.Second)

	w.applyForRecord(t, s)
	s.shot("certificate-printed")
	code := w.printedCode(t)
	jobs := printer.Printed(t)
	if len(jobs) != 1 || jobs[0].Pages != 1 {
		t.Fatalf("the A4 printer holds %+v; want one PDF of 1 page", jobSummary(jobs))
	}
	verify := verificationCode(t, jobs[0].Data)
	resp, err := http.Get("http://" + w.hubAddr + "/verify/" + verify)
	if err != nil {
		t.Fatal(err)
	}
	var ans struct {
		Genuine bool   `json:"genuine"`
		Title   string `json:"title"`
		Pages   int    `json:"pages"`
	}
	err = json.NewDecoder(resp.Body).Decode(&ans)
	resp.Body.Close()
	if err != nil || !ans.Genuine || ans.Title != "社会保险个人参保证明" || ans.Pages != 1 {
		t.Errorf("GET /verify/%s: %+v (%v); want a genuine 社会保险个人参保证明 of 1 page", verify, ans, err)
	}
	t.Logf("submitted %s; certificate %s verified", code, verify)
	w.finishVisit(t, s)

	// The second certificate: the paper runs out on its first page.
	printer.OutOfPaperAfter(0)
	w.applyForRecord(t, s)
	m := s.wait("receipt", 10*time.Second)
	s.shot("certificate-paper-out")
	if !hasElement(m, "receipt.reprint") {
		t.Errorf("receipt screen without print again: %v", ids(m))
	}
	if !strings.Contains(kiosk.stderr(), "outcome=paper_out") {
		t.Errorf("the kiosk did not log the A4 paper-out:\n%s", tail(kiosk.stderr(), 2048))
	}
	code2 := w.receiptCode(t, "0002.txt")
	if b, _ := os.ReadFile(filepath.Join(w.printedDir, "0002.txt")); !strings.Contains(strings.Join(strings.Fields(string(b)), ""), "任一自助终端补打") {
		t.Errorf("the receipt does not say where to get the certificate:\n%s", b)
	}
	if n := len(printer.Printed(t)); n != 1 {
		t.Fatalf("the A4 printer holds %d documents after running out; want still 1", n)
	}
	w.finishVisit(t, s)
	printer.OutOfPaperAfter(-1)
	printer.LoadPaper(t, 250)

	// Reprint with the tracking code and the ID card at the query screen.
	s.tap("home.track")
	s.wait("query", 10*time.Second)
	for _, r := range strings.ToLower(strings.ReplaceAll(code2, "-", "")) {
		s.tap("keyboard." + string(r))
	}
	s.tap("query.reprint")
	s.settle()
	s.shot("reprint-asks-for-card")
	w.card.send(t, "place resident")
	eventually(t, 90*time.Second, "the reprint's outcome", func() error {
		m, err := s.read()
		if err != nil {
			return err
		}
		for _, e := range m.Elements {
			if e.ID == "query.reprint.outcome.printed" {
				return nil
			}
			if strings.HasPrefix(e.ID, "query.reprint.outcome.") {
				return fmt.Errorf("reprint ended %s", e.ID)
			}
		}
		return errNotYet
	})
	s.settle()
	s.shot("reprinted")
	w.card.send(t, "remove")
	jobs = printer.Printed(t)
	if len(jobs) != 2 || jobs[1].Pages != 1 {
		t.Fatalf("the A4 printer holds %+v; want a second PDF of 1 page", jobSummary(jobs))
	}
	if v2 := verificationCode(t, jobs[1].Data); v2 == verify {
		t.Errorf("the reprint carries the first certificate's code %s", v2)
	}
}

// addA4Printer adds the A4 printer at uri to the kiosk's configuration.
func (w *world) addA4Printer(t *testing.T, uri string) {
	t.Helper()
	path := filepath.Join(w.dir, "kiosk.toml")
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = fmt.Fprintf(f, "\n[[device]]\nname = \"a4\"\nkind = \"a4printer\"\ntransport = \"ipp\"\naddress = %q\n", uri)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}

// applyForRecord applies for 社会保险个人参保证明打印 with the resident card, up to the
// receipt screen.
func (w *world) applyForRecord(t *testing.T, s *screen) {
	t.Helper()
	s.openService("print", "ss-record-print")
	w.card.send(t, "place resident")
	s.wait("form", 20*time.Second)
	w.card.send(t, "remove")
	for _, f := range []struct{ id, value string }{{"period_from", "20240101"}, {"period_to", "20241231"}} {
		s.tap("form.field." + f.id)
		s.keys(f.value)
	}
	s.tap("form.field.purpose")
	s.settle()
	s.tap("form.choice.housing")
	s.settle()
	s.tap("form.next")
	s.wait("review", 10*time.Second)
	s.tap("review.confirm")
	s.wait("receipt", 120*time.Second)
	s.settle()
}

// finishVisit ends the visit from the receipt screen.
func (w *world) finishVisit(t *testing.T, s *screen) {
	t.Helper()
	s.tap("receipt.done")
	s.wait("rate", 10*time.Second)
	s.tap("rate.skip")
	s.wait("home", 20*time.Second)
}

// receiptCode waits for the named receipt and returns its tracking code.
func (w *world) receiptCode(t *testing.T, name string) string {
	t.Helper()
	var code string
	eventually(t, 20*time.Second, "receipt "+name, func() error {
		b, err := os.ReadFile(filepath.Join(w.printedDir, name))
		if err != nil {
			return err
		}
		if code = trackingRE.FindString(string(b)); code == "" {
			return fmt.Errorf("no tracking code on the receipt:\n%s", b)
		}
		return nil
	})
	return code
}

// verificationCode reads the verification code printed on a certificate.
func verificationCode(t *testing.T, doc []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cert.pdf")
	if err := os.WriteFile(path, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "pdftotext", "-layout", path, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	m := verifyRE.FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("no verification code on the certificate:\n%s", out)
	}
	return m[1]
}

func jobSummary(jobs []ipptest.Job) []string {
	var out []string
	for _, j := range jobs {
		out = append(out, fmt.Sprintf("job %d: %d pages, %d bytes", j.ID, j.Pages, len(j.Data)))
	}
	return out
}
