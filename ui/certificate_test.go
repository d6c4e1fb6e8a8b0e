package ui_test

import (
	"context"
	"fmt"
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

// TestCertificateReprintAtTheQueryScreen: at any kiosk with an A4 printer, the query
// screen's 补打证明 takes the typed tracking code, asks for the applicant's ID card and
// prints the document for that code and card, telling the resident how it went: printed,
// nothing of theirs under that code (a mistaken code and another resident's read
// alike), no document for that service, not issued yet, the A4 printer out of paper,
// refusing the document or unusable, the platform unreachable. A mistyped code is refused
// before the card; editing the code ends the wait for the card, and a card then looks
// the resident's submissions up as before.
func TestCertificateReprintAtTheQueryScreen(t *testing.T) {
	certs := &fakeCertificates{}
	k := startIssuing(t, certs)
	code := trackingCode(5)
	typed := strings.ReplaceAll(code, "-", "")
	k.Tap("home.track")
	if !k.Has("query.reprint") {
		t.Fatalf("no reprint on the query screen of a kiosk with an A4 printer: %v", k.IDs())
	}
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	last := typed[len(typed)-1]
	k.Type("keyboard", typed[:len(typed)-1]+string(alphabet[(strings.IndexByte(alphabet, last)+1)%32]))
	k.Tap("query.reprint")
	if !k.Shows("编号不对") {
		t.Fatalf("a mistyped code was not refused: %v", k.Texts())
	}
	k.Tap("keyboard.back")
	k.Type("keyboard", string(last))
	for _, tt := range []struct {
		out   ui.CertificateOutcome
		words string
	}{
		{ui.CertPrinted, "证明已打印，请从A4打印机取走"},
		{ui.CertUnknown, "没有查到您在这个办理编号下的证明"},
		{ui.CertNone, "不出具证明"},
		{ui.CertLater, "还没有出具"},
		{ui.CertPaperOut, "A4打印机缺纸，证明没有打印。请到其他自助终端补打"},
		{ui.CertRefused, "打印机无法打印这份证明"},
		{ui.CertNoPrinter, "A4打印机暂时不能使用"},
		{ui.CertOffline, "暂时连不上政务服务平台，证明没有打印"},
	} {
		certs.set(tt.out)
		before := len(certs.called())
		k.Tap("query.reprint")
		if !k.Shows("请把申请人本人的身份证放在读卡区") {
			t.Fatalf("%s: the screen does not ask for the card: %v", tt.out, k.Texts())
		}
		k.Reader.Place(uitest.Resident())
		k.Loop.WaitFor(t, string(tt.out)+" told", func() bool { return k.Shows(tt.words) })
		if !k.Has("query.reprint.outcome." + string(tt.out)) {
			t.Errorf("%s: the outcome is not in the automation map: %v", tt.out, k.IDs())
		}
		if got := certs.called(); len(got) != before+1 || got[before] != code+"/"+uitest.Resident().IDNumber {
			t.Errorf("%s: asked to print %v; want %s for the card's holder", tt.out, got, code)
		}
		if k.App.ScreenName() != "query" {
			t.Errorf("%s: left the query screen for %s", tt.out, k.App.ScreenName())
		}
	}

	// Editing the code ends the wait for a card: the card then looks up progress.
	k.Tap("query.reprint")
	k.Tap("keyboard.back")
	k.Reader.Place(uitest.Resident())
	k.WaitScreen("query_result")
	if n := len(certs.called()); n != 8 {
		t.Errorf("%d reprints; want 8 (a card after the code was edited prints nothing)", n)
	}
}

// TestReprintWithoutA4Printer: a kiosk without an A4 printer offers no reprint.
func TestReprintWithoutA4Printer(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	k.Tap("home.track")
	if k.Has("query.reprint") {
		t.Error("a kiosk without an A4 printer offers to reprint certificates")
	}
}

// TestReprintAccessible walks the query screen's reprint (asking for the card, and a
// failure's words) in every mode and display size.
func TestReprintAccessible(t *testing.T) {
	for _, size := range a11ySizes {
		for _, m := range a11yModes {
			t.Run(fmt.Sprintf("%s_%.0fx%.0f", m.name, size.Width, size.Height), func(t *testing.T) {
				certs := &fakeCertificates{out: ui.CertPaperOut}
				k := uitest.Start(t, uitest.Options{Fonts: true, Voice: true, Size: size, Deps: func(d *ui.Deps) { d.Certificates = certs }})
				a := &auditor{t: t, k: k, seen: map[string]bool{}}
				if m.elder {
					k.Tap("home.elder")
				}
				if m.en {
					k.Tap("home.lang")
				}
				k.Tap("home.track")
				k.Type("keyboard", strings.ReplaceAll(trackingCode(5), "-", ""))
				k.Tap("query.reprint")
				a.check("reprint card")
				k.Reader.Place(uitest.Resident())
				k.Loop.WaitFor(t, "outcome", func() bool { return len(certs.called()) == 1 })
				k.Drain()
				a.check("reprint paper out")
				if len(a.found) > 0 {
					t.Errorf("%d findings:\n%s", len(a.found), strings.Join(a.found, "\n"))
				}
			})
		}
	}
}
