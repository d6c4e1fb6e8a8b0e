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

// TestELicenceAndAScanOnTheRealKiosk: in 个体工商户设立登记 the platform holds the
// resident's 不动产权证书; the resident takes the proof of premises from it with one tap
// and scans the power of attorney. The hub holds the licence's reference (no copy) and
// the two scanned pages.
func TestELicenceAndAScanOnTheRealKiosk(t *testing.T) {
	w, s, _ := kioskTest(t)
	s.openService("business", "gtgsh-setup")
	w.card.send(t, "place resident")
	s.wait("form", 20*time.Second)
	// The texts in the keyboard's letters mode: what this test is about is the materials
	// (pinyin has its own end-to-end test).
	for _, f := range []struct{ id, text string }{{"shop_scope", "retail"}, {"shop_address", "renminlu8hao"}} {
		s.tap("form.field." + f.id)
		s.settle()
		s.tap("ime.mode.abc")
		s.settle()
		for _, r := range f.text {
			s.tap("keyboard." + string(r))
		}
	}
	for _, f := range []struct{ id, value string }{{"capital_yuan", "50000"}, {"staff_count", "2"}, {"phone", "13800138000"}} {
		s.tap("form.field." + f.id)
		s.keys(f.value)
	}
	s.tap("form.next")
	s.wait("materials", 10*time.Second)
	s.settle()
	s.shot("licence-offered")
	s.tap("materials.licence.premises-proof")
	s.settle()
	s.shot("licence-used")
	s.scanPage("power-of-attorney")
	s.scanPage("power-of-attorney")
	s.tap("materials.next")
	s.wait("review", 10*time.Second)
	s.tap("review.confirm")
	s.wait("receipt", 60*time.Second)
	code := w.printedCode(t)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var got submissionList
	eventually(t, 45*time.Second, "submission at the hub", func() error {
		got = submissionList{}
		url := fmt.Sprintf("http://%s/api/submissions?tracking_code=%s&personal=1", w.hubAddr, code)
		if err := getJSONAuth(ctx, url, w.opToken, &got); err != nil {
			return err
		}
		if got.Count != 1 {
			return fmt.Errorf("hub lists %d submissions for %s", got.Count, code)
		}
		return nil
	})
	sub := got.Submissions[0]
	if ref := sub.Fields["_licence.premises-proof"]; ref != "property_certificate:EL-PC-990101-0042" {
		t.Errorf("hub holds licence reference %q", ref)
	}
	if sub.Attachments != 2 {
		t.Errorf("hub holds %d attachments; want the power of attorney's 2 pages and nothing of the licence", sub.Attachments)
	}
	// The lookup is on the hub's audit chain, without the holder.
	audit, err := os.ReadFile(filepath.Join(w.dir, "hub", "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(audit), `"action":"licence_query"`) || strings.Contains(string(audit), "990101199001010019") {
		t.Errorf("audit log: lookup missing or holder named:\n%s", audit)
	}
}

// TestAppointmentUntilFullOnTheRealKiosk: a resident books the first free half-day for
// 驾驶证期满换证预约 (one place a half-day at this hub); the next resident sees it full;
// a cancel with the first receipt's tracking code, at the query screen, frees it.
func TestAppointmentUntilFullOnTheRealKiosk(t *testing.T) {
	w, s, _ := kioskTest(t)
	visit := func() {
		s.openService("traffic", "driving-renew")
		w.card.send(t, "place resident")
		s.wait("form", 20*time.Second)
		w.card.send(t, "remove")
		s.tap("form.field.expiry_date")
		s.keys(time.Now().AddDate(0, 0, 30).Format("20060102"))
		s.tap("form.field.phone")
		s.keys("13800138000")
		s.tap("form.next")
		s.wait("materials", 10*time.Second)
		s.scanPage("health-cert")
		s.tap("materials.next")
		s.wait("arrange", 10*time.Second)
		s.settle()
	}
	slotState := func(id string) (found, disabled bool) {
		m, err := s.read()
		if err != nil {
			return false, false
		}
		for _, e := range m.Elements {
			if e.ID == id {
				return true, e.Disabled
			}
		}
		return false, false
	}
	firstFree := func() string {
		m, err := s.read()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range m.Elements {
			if strings.HasPrefix(e.ID, "arrange.slot.") && !e.Disabled {
				return e.ID
			}
		}
		s.shot("no-free-slot")
		t.Fatalf("no free slot: %v", ids(m))
		return ""
	}

	visit()
	slot := firstFree()
	s.shot("calendar")
	s.tap(slot)
	s.settle()
	s.find("arrange.cancel") // booked
	s.shot("booked")
	s.tap("arrange.next")
	s.wait("review", 10*time.Second)
	s.tap("review.confirm")
	s.wait("receipt", 60*time.Second)
	code := w.printedCode(t)
	receipt, _ := os.ReadFile(filepath.Join(w.printedDir, "0001.txt"))
	if !strings.Contains(string(receipt), "预约时间") {
		t.Errorf("the receipt does not carry the appointment:\n%s", receipt)
	}
	s.tap("receipt.done")
	s.wait("rate", 10*time.Second)
	s.tap("rate.skip")
	s.wait("thanks", 10*time.Second)
	s.tap("thanks.home")
	s.wait("home", 10*time.Second)

	// The next resident sees that half-day full.
	visit()
	if found, off := slotState(slot); !found || !off {
		s.shot("not-full")
		t.Fatalf("%s: found %v, disabled %v; want it full", slot, found, off)
	}
	s.shot("full")
	s.tap("nav.home")
	s.wait("confirm_home", 10*time.Second) // the typed phone number would be lost
	s.tap("confirm_home.leave")
	s.wait("home", 10*time.Second)

	// The first resident cancels at the query screen with the receipt's code.
	eventually(t, 45*time.Second, "submission at the hub", func() error {
		var got submissionList
		url := fmt.Sprintf("http://%s/api/submissions?tracking_code=%s", w.hubAddr, code)
		if err := getJSONAuth(context.Background(), url, w.opToken, &got); err != nil {
			return err
		}
		if got.Count != 1 {
			return fmt.Errorf("hub lists %d", got.Count)
		}
		return nil
	})
	s.tap("home.track")
	s.wait("query", 10*time.Second)
	for _, r := range strings.ToLower(strings.ReplaceAll(code, "-", "")) {
		s.tap("keyboard." + string(r))
	}
	s.tap("query.cancel")
	s.settle()
	s.shot("cancelled")
	s.tap("nav.home")
	s.wait("home", 10*time.Second)

	visit()
	if found, off := slotState(slot); !found || off {
		s.shot("still-full")
		t.Fatalf("%s after the cancel: found %v, disabled %v; want it free", slot, found, off)
	}
}
