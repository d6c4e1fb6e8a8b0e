package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/assets"
	"github.com/govkiosk/govkiosk/drivers/ipp"
	"github.com/govkiosk/govkiosk/drivers/ipp/ipptest"
	"github.com/govkiosk/govkiosk/kiosk/tracking"
	"github.com/govkiosk/govkiosk/ui"
)

// TestCertificatePrintedOnA4 wires two kiosks to a real hub on loopback and an A4 printer
// simulator (ippeveprinter) as the kiosk wires them. A resident applies for
// 社会保险个人参保证明打印 at kiosk A; the A4 printer runs out of paper mid-job: the outcome
// says so. Paper loaded, kiosk B prints the same document for the same resident by the
// tracking code: one PDF of one page arrives at the printer, its verification code is
// confirmed by GET /verify/CODE. A printer that cannot read the document is told apart;
// an item issued later, and a kiosk without an A4 printer, print nothing.
func TestCertificatePrintedOnA4(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h, addr, _, terminal := loopbackPlatform(t, log)
	if _, err := h.SetCatalog("", assets.DefaultCatalog()); err != nil {
		t.Fatal(err)
	}
	printer := ipptest.Start(t, ipptest.Options{})
	cl, err := ipp.NewClient(printer.URL, ipp.ClientOptions{JobPoll: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	a4 := ipp.NewDevice("a4", cl, time.Hour, log)

	a, b := terminal(), terminal()
	id := testIDNumber(t, 41)
	code, err := a.Enqueue(ctx, draft("ss-record-print", resident("测试甲", id), map[string]string{
		"applicant_name": "测试甲", "applicant_id": id, "period_from": "2024-01-01", "period_to": "2024-12-31"}))
	if err != nil {
		t.Fatal(err)
	}
	atA := newCertificatePrinter(a.s, a4, log)
	printer.OutOfPaperAfter(0)
	if out, err := atA.PrintCertificate(ctx, code, id); out != ui.CertPaperOut {
		t.Fatalf("paper out mid-job: %s (%v); want %s", out, err, ui.CertPaperOut)
	}
	if n := len(printer.Printed(t)); n != 0 {
		t.Fatalf("%d documents printed without paper", n)
	}

	printer.OutOfPaperAfter(-1)
	printer.LoadPaper(t, 250)
	atB := newCertificatePrinter(b.s, a4, log)
	// Another resident's card and a code nobody submitted read alike: nothing found.
	if out, err := atB.PrintCertificate(ctx, code, testIDNumber(t, 42)); out != ui.CertUnknown {
		t.Errorf("another resident's reprint: %s (%v); want %s", out, err, ui.CertUnknown)
	}
	unused, err := tracking.New(code[:4], 99999)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := atB.PrintCertificate(ctx, unused, id); out != ui.CertUnknown {
		t.Errorf("a code nobody submitted: %s (%v); want %s", out, err, ui.CertUnknown)
	}
	if out, err := atB.PrintCertificate(ctx, code, id); out != ui.CertPrinted {
		t.Fatalf("reprint at B: %s (%v)", out, err)
	}
	jobs := printer.Printed(t)
	if len(jobs) != 1 || jobs[0].Pages != 1 {
		t.Fatalf("printer holds %d documents (%+v); want one of 1 page", len(jobs), jobs)
	}
	text := pdfText(t, jobs[0].Data)
	m := regexp.MustCompile(`核验码\s+([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no verification code on the printed document:\n%s", text)
	}
	resp, err := http.Get("http://" + addr + "/verify/" + m[1])
	if err != nil {
		t.Fatal(err)
	}
	var ans struct {
		Genuine bool   `json:"genuine"`
		Title   string `json:"title"`
	}
	err = json.NewDecoder(resp.Body).Decode(&ans)
	resp.Body.Close()
	if err != nil || !ans.Genuine || ans.Title != "社会保险个人参保证明" {
		t.Errorf("verify %s: %+v %v", m[1], ans, err)
	}

	printer.Refuse(true)
	if out, err := atB.PrintCertificate(ctx, code, id); out != ui.CertRefused {
		t.Errorf("a document the printer cannot read: %s (%v); want %s", out, err, ui.CertRefused)
	}
	printer.Refuse(false)

	later, err := a.Enqueue(ctx, draft("hukou-cert", resident("测试甲", id), map[string]string{"purpose": "housing"}))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := atA.PrintCertificate(ctx, later, id); out != ui.CertLater {
		t.Errorf("an item issued later: %s (%v)", out, err)
	}
	plain, err := a.Enqueue(ctx, draft("hpf-withdraw-rent", resident("测试甲", id), map[string]string{"monthly_rent": "2500"}))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := atA.PrintCertificate(ctx, plain, id); out != ui.CertNone {
		t.Errorf("an item that issues no document: %s (%v); want %s", out, err, ui.CertNone)
	}
	none := newCertificatePrinter(a.s, nil, log)
	if out, _ := none.PrintCertificate(ctx, code, id); out != ui.CertNoPrinter {
		t.Errorf("no A4 printer: %s", out)
	}
	if n := len(printer.Printed(t)); n != 1 {
		t.Errorf("%d documents printed in all; want 1", n)
	}
}

func pdfText(t *testing.T, doc []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "d.pdf")
	if err := os.WriteFile(path, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", path, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	return string(out)
}
