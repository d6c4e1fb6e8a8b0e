package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestIdentifyByQRCodeWithTheReaderUnplugged: the card reader is unplugged, so a resident
// asking for a household certificate identifies with an identity QR code instead. The
// platform issues the code (the hub's operator API stands in for the government app), the
// barcode scanner reads it from the resident's phone, the kiosk checks it offline against
// the key it got at enrollment, and the form comes up filled from it. The submission
// reaches the hub marked as identified by QR code.
func TestIdentifyByQRCodeWithTheReaderUnplugged(t *testing.T) {
	w, s, kiosk := kioskTest(t)
	w.card.send(t, "unplug")

	s.openService("print", "hukou-cert")
	s.tap("identify.qr")
	s.shot("identify-reader-unplugged")

	// A QR code that is not an identity code is refused; the resident stays here.
	w.barcode.send(t, "K7Q2-00001-A")
	time.Sleep(time.Second)
	if m, err := s.read(); err != nil || m.Screen != "identify" {
		t.Fatalf("after a receipt's QR code the kiosk shows %q (%v), want identify", m.Screen, err)
	}
	s.shot("identify-not-an-identity-code")

	// Synthetic resident: region 99, a correct GB 11643 check character.
	const name, idNumber = "测试乙", "99010219850506002X"
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var code struct {
		Payload   string    `json:"payload"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	err := postJSON(ctx, "http://"+w.hubAddr+"/api/identity-codes", w.opToken,
		map[string]any{"name": name, "id_number": idNumber, "address": "测试省测试市示例路1号", "purpose": "e2e: resident at the kiosk"}, &code)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(code.Payload, "GKID:") || len(code.Payload) > 300 || time.Until(code.ExpiresAt) < 5*time.Minute {
		t.Fatalf("identity code of %d characters expiring %v", len(code.Payload), code.ExpiresAt)
	}
	w.barcode.send(t, code.Payload)

	s.wait("form", 20*time.Second)
	s.shot("form-prefilled-from-qr")
	s.tap("form.choice.housing")
	s.tap("form.next")
	s.wait("review", 10*time.Second)
	s.shot("review")
	s.tap("review.confirm")
	s.wait("receipt", 60*time.Second)
	s.shot("receipt")

	var got submissionList
	eventually(t, 45*time.Second, "submission at the hub", func() error {
		got = submissionList{}
		if err := getJSONAuth(ctx, "http://"+w.hubAddr+"/api/submissions?personal=1", w.opToken, &got); err != nil {
			return err
		}
		if got.Total != 1 || len(got.Submissions) != 1 {
			return fmt.Errorf("hub holds %d submissions", got.Total)
		}
		return nil
	})
	sub := got.Submissions[0]
	if sub.Item != "hukou-cert" || sub.Fields["applicant_name"] != name || sub.Fields["applicant_id"] != idNumber ||
		sub.Fields["purpose"] != "housing" || sub.Fields["_card.type"] != "qr" {
		t.Errorf("hub got item %q, name %q, id %q, purpose %q, identified by %q",
			sub.Item, sub.Fields["applicant_name"], sub.Fields["applicant_id"], sub.Fields["purpose"], sub.Fields["_card.type"])
	}

	s.tap("receipt.done")
	s.wait("rate", 10*time.Second)
	s.tap("rate.skip")
	s.wait("home", 20*time.Second)

	// The code was used: at the next visit the same code is refused as used.
	s.openService("print", "hukou-cert")
	w.barcode.send(t, code.Payload)
	eventually(t, 10*time.Second, "the used code refused", func() error {
		if !strings.Contains(kiosk.stderr(), "reason=replayed") {
			return errNotYet
		}
		return nil
	})
	if m, err := s.read(); err != nil || m.Screen != "identify" {
		t.Fatalf("a used code let the resident on to %q (%v)", m.Screen, err)
	}
	s.shot("identify-code-used")

	for _, want := range []string{"identity code accepted", "reason=not_identity_code"} {
		if !strings.Contains(kiosk.stderr(), want) {
			t.Errorf("the kiosk log lacks %q", want)
		}
	}
	for _, secret := range []string{name, idNumber, code.Payload[5:30]} {
		if strings.Contains(kiosk.stderr(), secret) {
			t.Errorf("kiosk log contains personal data %q", secret)
		}
	}
}
