package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestQueryByIDCardAfterDelivery makes a submission with the synthetic resident card, waits
// until the hub has it (so the kiosk has deleted its personal data), and then looks it up
// from the home screen's 查询 by placing the same card, and by placing another card that
// made nothing. The query result lists the submission (from the platform, its code
// masked) for the one and nothing for the other: the result rows are in the automation
// map as query.result.<code>.
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
		// The platform answers a card (the kiosk is online), and masks the codes a card
		// finds: the resident did not type them. This terminal's own receipts alone
		// would show the code in full.
		if want := []string{code[:4] + "-*****-*"}; tt.found && (len(rows) != 1 || rows[0] != want[0]) {
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

// TestQueryAtAnyTerminal: an application made at another terminal (a simulated one of
// kioskctl sim fleet) is found at the kiosk by typing its tracking code, with the status
// the platform gave it. With the hub stopped, the same lookup answers from the kiosk's
// own receipts and the screen says that only this terminal's records are shown.
func TestQueryAtAnyTerminal(t *testing.T) {
	w, s, kiosk := kioskTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	fleet := exec.Command(filepath.Join(w.bin, "kioskctl"), "sim", "fleet", "--hub", "ws://"+w.hubAddr,
		"--kiosks", "1", "--submissions", "1", "--attachment-size", "0",
		"--operator-token-file", filepath.Join(w.dir, "operator.token"), "--timeout", "90s")
	if out, err := fleet.CombinedOutput(); err != nil {
		t.Fatalf("kioskctl sim fleet: %v\n%s", err, out)
	}
	var got submissionList
	if err := getJSONAuth(ctx, fmt.Sprintf("http://%s/api/submissions", w.hubAddr), w.opToken, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Submissions) != 1 {
		t.Fatalf("the hub has %d submissions, want the other terminal's one", len(got.Submissions))
	}
	code := got.Submissions[0].TrackingCode
	const note = "请补充户口簿原件"
	if err := postJSON(ctx, fmt.Sprintf("http://%s/api/submissions/%s/status", w.hubAddr, code), w.opToken,
		map[string]string{"status": "needs_correction", "note": note}, &map[string]any{}); err != nil {
		t.Fatal(err)
	}

	lookup := func(shot string) uiMap {
		t.Helper()
		s.tap("home.track")
		s.wait("query", 10*time.Second)
		for _, r := range strings.ToLower(strings.ReplaceAll(code, "-", "")) {
			s.tap("keyboard." + string(r))
		}
		s.tap("query.lookup")
		s.wait("query_result", 20*time.Second)
		s.settle()
		t.Logf("%s: %s", shot, s.shot(shot))
		m, err := s.read()
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	element := func(m uiMap, id string) *uiElement {
		for i := range m.Elements {
			if m.Elements[i].ID == id {
				return &m.Elements[i]
			}
		}
		return nil
	}

	m := lookup("query-other-terminal")
	if e := element(m, "query.result."+code); e == nil || e.Label != "需补正材料" {
		t.Errorf("another terminal's application by its code: %+v in %v; want its row, 需补正材料", e, ids(m))
	}
	if element(m, "query.local") != nil {
		t.Error("the platform's answer is labelled as this terminal's own")
	}
	s.tap("nav.home")
	s.wait("home", 10*time.Second)

	// The hub stops: the kiosk can only look at its own receipts, and says so.
	_ = w.hub.cmd.Process.Kill()
	eventually(t, 30*time.Second, "hub gone", func() error {
		if _, err := getText("http://" + w.hubAddr + "/healthz"); err == nil {
			return errNotYet
		}
		return nil
	})
	m = lookup("query-offline")
	if element(m, "query.local") == nil || element(m, "query.result."+code) != nil {
		t.Errorf("offline lookup: %v; want the notice that only this terminal's records are shown, and no row", ids(m))
	}
	if logs := kiosk.stderr(); strings.Contains(logs, "lookup failed") {
		t.Errorf("a lookup failed:\n%s", tail(logs, 2048))
	}
}
