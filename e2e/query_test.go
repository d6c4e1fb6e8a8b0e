package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestQueryByIDCardAfterDelivery makes a submission with the synthetic resident card, waits
// until the hub has it (so the kiosk has deleted its personal data), and then looks it up
// from the home screen's 查询 by placing the same card, and by placing another card that
// made nothing. The query result lists the submission for the one and nothing for the
// other: the result rows are in the automation map as query.result.<code>.
func TestQueryByIDCardAfterDelivery(t *testing.T) {
	w, s, kiosk := kioskTest(t)

	code := w.submitHouseholdCertificate(t, s)
	t.Logf("submitted %s; the same card's query result should list it", code)

	// Delivered: the kiosk keeps only the receipt record and the keyed hash of the number.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	eventually(t, 45*time.Second, "submission at the hub", func() error {
		var got submissionList
		url := fmt.Sprintf("http://%s/api/submissions?tracking_code=%s", w.hubAddr, code)
		if err := getJSONAuth(ctx, url, w.opToken, &got); err != nil {
			return err
		}
		if got.Count != 1 {
			return errNotYet
		}
		return nil
	})

	for _, tt := range []struct {
		card, shot string
		found      bool
	}{
		{"resident", "query-result-same-card", true},
		{"foreigner-2023", "query-result-other-card", false},
	} {
		s.tap("home.track")
		s.wait("query", 10*time.Second)
		s.shot("query-" + tt.card)
		w.card.send(t, "place "+tt.card)
		s.wait("query_result", 20*time.Second)
		s.settle()
		t.Logf("%s: %s", tt.card, s.shot(tt.shot))
		var rows []string
		eventually(t, 10*time.Second, "query result listed", func() error {
			m, err := s.read()
			if err != nil {
				return err
			}
			rows = nil
			for _, e := range m.Elements {
				if strings.HasPrefix(e.ID, "query.result.") {
					rows = append(rows, strings.TrimPrefix(e.ID, "query.result."))
				}
			}
			if tt.found && len(rows) == 0 {
				return errNotYet
			}
			return nil
		})
		if want := []string{code}; tt.found && (len(rows) != 1 || rows[0] != code) {
			t.Errorf("%s card: query lists %v, want %v", tt.card, rows, want)
		}
		if !tt.found && len(rows) != 0 {
			t.Errorf("%s card: query lists %v, want nothing", tt.card, rows)
		}
		w.card.send(t, "remove")
		s.tap("nav.home")
		s.wait("home", 10*time.Second)
	}

	logs := kiosk.stderr()
	if strings.Contains(logs, "lookup failed") {
		t.Errorf("a lookup failed:\n%s", tail(logs, 2048))
	}
	const idNumber = "990101199001010019" // assets/cards/resident.json, synthetic
	if strings.Contains(logs, idNumber) {
		t.Error("the kiosk log holds the ID number")
	}
}

// submitHouseholdCertificate applies for a household certificate with the resident card,
// skips the rating, and returns the tracking code the printer printed.
func (w *world) submitHouseholdCertificate(t *testing.T, s *screen) string {
	t.Helper()
	s.openService("print", "hukou-cert")
	w.card.send(t, "place resident")
	s.wait("form", 20*time.Second)
	w.card.send(t, "remove")
	s.tap("form.choice.housing")
	s.tap("form.next")
	s.wait("review", 10*time.Second)
	s.tap("review.confirm")
	s.wait("receipt", 60*time.Second)
	s.shot("receipt")
	code := w.printedCode(t)
	s.tap("receipt.done")
	s.wait("rate", 10*time.Second)
	s.tap("rate.skip")
	s.wait("home", 20*time.Second)
	return code
}
