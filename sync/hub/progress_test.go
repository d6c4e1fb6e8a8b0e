package hub

import (
	"strings"
	"testing"

	"github.com/govkiosk/govkiosk/sync/protocol"
)

// A resident who submitted at one terminal (on one replica) finds the submission and its
// status at another terminal on another replica, by ID card (keyed hash) or by tracking
// code; nobody else's submissions show, codes the resident did not type are masked,
// and a terminal cannot walk through ID numbers.
func TestProgressQueryFromAnyTerminal(t *testing.T) {
	hubs := startReplicas(t, 2)
	a, b := hubs[0], hubs[1]
	tkA, tkB := a.enroll(t), b.enroll(t)
	ra := a.connect(t, tkA)
	sub := synthetic(t, tkA)
	ra.upload(sub, nil)
	other := synthetic(t, tkA)
	other.Fields["id_number"] = "990101198001011232" // another (synthetic) resident
	ra.upload(other, nil)
	const note = "请携带户口簿原件到3号窗口"
	if _, err := a.PostStatus(sub.TrackingCode, "needs_correction", note); err != nil {
		t.Fatal(err)
	}

	rb := b.connect(t, tkB)
	w := rb.welcome
	if len(w.QueryKey) != 32 {
		t.Fatalf("welcome carries a %d-byte query key", len(w.QueryKey))
	}

	rb.send(&protocol.ProgressQuery{ID: "q1", IDHash: protocol.IDHash(w.QueryKey, sub.Fields["id_number"])})
	p := expect[*protocol.Progress](rb)
	if len(p.Items) != 1 || p.Items[0].Status != "needs_correction" || p.Items[0].Note != note || p.Items[0].Item != sub.Item || p.Items[0].HubRef == "" {
		t.Fatalf("by ID: %+v", p)
	}
	if p.Items[0].TrackingCode == sub.TrackingCode || !strings.HasPrefix(sub.TrackingCode, p.Items[0].TrackingCode[:4]) {
		t.Errorf("tracking code %q not masked in an ID query", p.Items[0].TrackingCode)
	}

	rb.send(&protocol.ProgressQuery{ID: "q2", TrackingCode: strings.ToLower(sub.TrackingCode)})
	if p := expect[*protocol.Progress](rb); len(p.Items) != 1 || p.Items[0].TrackingCode != sub.TrackingCode || p.Items[0].Note != note {
		t.Fatalf("by code: %+v", p)
	}
	rb.send(&protocol.ProgressQuery{ID: "q3", IDHash: protocol.IDHash(w.QueryKey, "990101197001011235")})
	if p := expect[*protocol.Progress](rb); len(p.Items) != 0 {
		t.Fatalf("a stranger's query found %+v", p.Items)
	}
	// The burst is spent after a few more.
	refused := false
	for i := range 2 * progressBurst {
		rb.send(&protocol.ProgressQuery{ID: "q-walk", IDHash: protocol.IDHash(w.QueryKey, "99010119700101123"+string(rune('0'+i%10)))})
		m, err := rb.recv()
		if err != nil {
			t.Fatal(err)
		}
		if e, ok := m.(*protocol.Error); ok && e.Code == protocol.CodeTryLater {
			refused = true
			break
		}
	}
	if !refused {
		t.Error("no rate limit on progress queries")
	}
}

func TestProgressQueryValidate(t *testing.T) {
	h := strings.Repeat("a", 64)
	for _, tt := range []struct {
		q  protocol.ProgressQuery
		ok bool
	}{
		{protocol.ProgressQuery{ID: "q", IDHash: h}, true},
		{protocol.ProgressQuery{ID: "q", TrackingCode: "ABCD-1234"}, true},
		{protocol.ProgressQuery{ID: "q"}, false},
		{protocol.ProgressQuery{ID: "q", IDHash: h, TrackingCode: "ABCD-1234"}, false},
		{protocol.ProgressQuery{ID: "q", IDHash: strings.Repeat("A", 64)}, false},
		{protocol.ProgressQuery{ID: "q", IDHash: "990101199003071237"}, false}, // a raw ID number is refused
		{protocol.ProgressQuery{IDHash: h}, false},
	} {
		if err := tt.q.Validate(); (err == nil) != tt.ok {
			t.Errorf("%+v: %v", tt.q, err)
		}
	}
}
