package ui_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/govkiosk/govkiosk/kiosk/catalog"
	"github.com/govkiosk/govkiosk/ui"
	"github.com/govkiosk/govkiosk/ui/uitest"
)

// fakeCertificates is an A4 printing that ends as told and records what it was asked.
type fakeCertificates struct {
	mu    sync.Mutex
	out   ui.CertificateOutcome
	calls []string
}

func (f *fakeCertificates) PrintCertificate(_ context.Context, code, idNumber string) (ui.CertificateOutcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, code+"/"+idNumber)
	return f.out, nil
}

func (f *fakeCertificates) set(out ui.CertificateOutcome) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.out = out
}

func (f *fakeCertificates) called() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

const collectZh = "请于1个工作日后到户籍窗口领取，或凭办理编号在任一自助终端打印。"

// startIssuing starts the kiosk with the household certificate marked as issuing a
// document, printed through certs.
func startIssuing(t *testing.T, certs *fakeCertificates) *uitest.Kiosk {
	return uitest.Start(t, uitest.Options{Deps: func(d *ui.Deps) {
		c := uitest.Catalog()
		c.Item("hukou-proof").Issues = &catalog.Issue{Document: "household_certificate",
			Title:   catalog.Text{Zh: "户籍证明", En: "household certificate"},
			Collect: catalog.Text{Zh: collectZh, En: "Collect it at the counter after 1 working day."}}
		d.Catalog = uitest.StaticCatalog{C: c}
		d.Certificates = certs
	}})
}

func flat(s string) string { return strings.Join(strings.Fields(s), "") }

// TestCertificateOutcomes: after the submission the kiosk prints the issued document for
// the identified resident, and the receipt screen and the paper receipt say how it went:
// printed (take it from the A4 printer), the A4 printer out of paper or refusing the
// document (reprint at any kiosk with the tracking code), or issued later (when and where).
func TestCertificateOutcomes(t *testing.T) {
	for _, tt := range []struct {
		out           ui.CertificateOutcome
		screen, paper string
	}{
		{ui.CertPrinted, "《户籍证明》已打印，请从A4打印机取走。", "《户籍证明》已在A4打印机打印"},
		{ui.CertPaperOut, "A4打印机缺纸，《户籍证明》没有完整打印。请凭办理编号在任一自助终端补打", collectZh},
		{ui.CertRefused, "打印机无法打印《户籍证明》。请凭办理编号在任一自助终端补打", collectZh},
		{ui.CertLater, collectZh, collectZh},
		{ui.CertOffline, "《户籍证明》暂时无法打印。", collectZh},
	} {
		t.Run(string(tt.out), func(t *testing.T) {
			certs := &fakeCertificates{out: tt.out}
			k := startIssuing(t, certs)
			path["review"](t, k)
			k.Tap("review.confirm")
			k.WaitScreen("receipt")
			k.Loop.WaitFor(t, "the certificate's words", func() bool { return k.Shows(tt.screen) })
			code := k.App.Session().TrackingCode()
			if got := certs.called(); len(got) != 1 || got[0] != code+"/"+uitest.Resident().IDNumber {
				t.Errorf("asked to print %v; want the code %s for the identified resident", got, code)
			}
			k.Loop.WaitFor(t, "receipt printed", func() bool { return len(k.Printer.Printed()) == 1 })
			if receipt := flat(k.Printer.Printed()[0]); !strings.Contains(receipt, flat(tt.paper)) {
				t.Errorf("the receipt lacks %q:\n%s", tt.paper, k.Printer.Printed()[0])
			}
		})
	}
}

// TestCertificateReprintAfterPaperOut: after the A4 printer ran out of paper, "print
// again" prints the document again; once it printed, reprinting the receipt leaves it.
func TestCertificateReprintAfterPaperOut(t *testing.T) {
	certs := &fakeCertificates{out: ui.CertPaperOut}
	k := startIssuing(t, certs)
	path["review"](t, k)
	k.Tap("review.confirm")
	k.WaitScreen("receipt")
	k.Loop.WaitFor(t, "paper out told", func() bool { return k.Shows("A4打印机缺纸") })
	certs.set(ui.CertPrinted)
	k.Tap("receipt.reprint")
	k.Loop.WaitFor(t, "printed after the paper was loaded", func() bool { return k.Shows("请从A4打印机取走") })
	k.Loop.WaitFor(t, "second receipt", func() bool { return len(k.Printer.Printed()) == 2 })
	k.Tap("receipt.reprint")
	k.Loop.WaitFor(t, "third receipt", func() bool { return len(k.Printer.Printed()) == 3 })
	if n := len(certs.called()); n != 2 {
		t.Errorf("the document was printed %d times; want 2 (not again once it printed)", n)
	}
}
