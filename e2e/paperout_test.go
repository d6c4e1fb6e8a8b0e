package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPrinterOutOfPaperDuringAService runs a printer out of paper before a resident's
// household certificate: the kiosk still stores and delivers the submission, shows the
// tracking code itself (large, and as a QR code: see the receipt screenshot), and once
// paper is back, "print again" puts the same code on paper.
func TestPrinterOutOfPaperDuringAService(t *testing.T) {
	w, s, kiosk := kioskTest(t)
	w.printer.send(t, "paper out")

	s.openService("print", "hukou-cert")
	w.card.send(t, "place resident")
	s.wait("form", 20*time.Second)
	s.tap("form.choice.housing")
	s.tap("form.next")
	s.wait("review", 10*time.Second)
	s.tap("review.confirm")

	m := s.wait("receipt", 60*time.Second)
	shot := s.shot("receipt-no-paper")
	t.Logf("the tracking code on screen: %s", shot)
	if !hasElement(m, "receipt.done") || !hasElement(m, "receipt.reprint") {
		t.Errorf("receipt screen without done and print again: %v", ids(m))
	}
	if _, err := os.Stat(filepath.Join(w.printedDir, "0001.txt")); err == nil {
		t.Fatal("a receipt came out of a printer with no paper")
	}
	if !strings.Contains(kiosk.stderr(), "fault=paper_out") {
		t.Error("the kiosk did not log the paper-out fault")
	}

	// The submission reaches the hub all the same.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var got submissionList
	eventually(t, 45*time.Second, "submission at the hub", func() error {
		got = submissionList{}
		if err := getJSONAuth(ctx, "http://"+w.hubAddr+"/api/submissions", w.opToken, &got); err != nil {
			return err
		}
		if got.Total != 1 || len(got.Submissions) != 1 {
			return fmt.Errorf("hub holds %d submissions", got.Total)
		}
		return nil
	})
	code := got.Submissions[0].TrackingCode
	if got.Submissions[0].Item != "hukou-cert" || !trackingRE.MatchString(code) {
		t.Fatalf("hub got item %q with tracking code %q", got.Submissions[0].Item, code)
	}

	// Paper is back: printing again gives the resident the same code on paper.
	w.printer.send(t, "paper ok")
	reprinted := time.Now()
	s.tap("receipt.reprint")
	var printed string
	eventually(t, 30*time.Second, "receipt printed after paper was loaded", func() error {
		b, err := os.ReadFile(filepath.Join(w.printedDir, "0001.txt"))
		printed = string(b)
		return err
	})
	if !strings.Contains(printed, code) {
		t.Errorf("the receipt printed later lacks the hub's tracking code %s:\n%s", code, printed)
	}
	// The paper leaves the printer before the kiosk has heard that it printed: tap 完成 on
	// the receipt screen drawn after the reprint, not on the one from before it.
	s.waitFresh("receipt", reprinted, 30*time.Second)
	s.tap("receipt.done")
	s.wait("rate", 10*time.Second)
	s.tap("rate.skip")
	s.wait("home", 20*time.Second)
}

func hasElement(m uiMap, id string) bool {
	for _, e := range m.Elements {
		if e.ID == id {
			return true
		}
	}
	return false
}
