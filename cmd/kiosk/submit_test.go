package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/assets"
	"github.com/govkiosk/govkiosk/kiosk/catalog"
	"github.com/govkiosk/govkiosk/kiosk/identity"
	"github.com/govkiosk/govkiosk/kiosk/session"
	"github.com/govkiosk/govkiosk/sync/queue"
	"github.com/govkiosk/govkiosk/ui"
)

// testIDNumber is a synthetic ID number in the non-existent region 99xxxx with a correct
// GB 11643 check character.
func testIDNumber(t *testing.T, n int) string {
	t.Helper()
	first17 := fmt.Sprintf("99%04d19850615%03d", n, n)
	c, ok := identity.CheckDigit(first17)
	if !ok {
		t.Fatalf("no check digit for %s", first17)
	}
	return first17 + string(c)
}

// newTestSubmitter is the kiosk's submitter over a real outbox in a temporary directory,
// with the shipped catalog for the services' titles.
func newTestSubmitter(t *testing.T) (*submitter, *queue.Queue) {
	t.Helper()
	root := t.TempDir()
	q, err := queue.Open(filepath.Join(root, "queue"), queue.Options{
		TerminalCode: "T3ST", KeyFile: filepath.Join(root, "queue.key"), CreateKey: true, MinFreeBytes: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	c, err := catalog.Parse(assets.DefaultCatalog())
	if err != nil {
		t.Fatal(err)
	}
	return &submitter{s: &syncer{q: q}, catalogs: catalog.NewStore(c, nil)}, q
}

func draft(service string, card *identity.Identity, values map[string]string) session.Draft {
	return session.Draft{ServiceID: service, Identity: card, Values: values}
}

func resident(name, number string) *identity.Identity {
	return &identity.Identity{CardType: identity.Resident, Name: name, IDNumber: number, IDNumberValid: true}
}

func progressCodes(f ui.Found) []string {
	var out []string
	for _, p := range f.Items {
		out = append(out, p.Code)
	}
	return out
}

// TestSubmitterLookupByIDCard submits as the screens do, for two people and one resident
// who skipped the card but typed a number, and looks each card up as the query screen
// does: a card lists its holder's submissions, newest first, with the catalog's titles
// and the platform's status, before and after delivery, and nothing of anyone else's.
func TestSubmitterLookupByIDCard(t *testing.T) {
	ctx := context.Background()
	m, q := newTestSubmitter(t)
	idA, idB := testIDNumber(t, 11), testIDNumber(t, 12)
	enqueue := func(d session.Draft) string {
		t.Helper()
		code, err := m.Enqueue(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		return code
	}
	a1 := enqueue(draft("hukou-cert", resident("测试甲", idA), map[string]string{"purpose": "housing"}))
	b1 := enqueue(draft("hukou-cert", resident("测试乙", idB), nil))
	a2 := enqueue(draft("hpf-withdraw-rent", resident("测试甲", idA), map[string]string{"monthly_rent": "2500"}))
	// No card: the number typed into the form is not the card holder's proof of identity.
	typed := enqueue(draft("hukou-cert", nil, map[string]string{"applicant_id": idA}))

	// The hub still receives the card's number in the fields.
	items, err := q.Pending(0)
	if err != nil || len(items) != 4 {
		t.Fatalf("Pending = %d items, %v", len(items), err)
	}
	if got := items[0].Submission.Fields["_card.id_number"]; got != idA {
		t.Errorf("the card's number is not in the fields sent to the hub")
	}

	tests := []struct {
		name string
		q    ui.Query
		want []string
		err  error
	}{
		{"first card", ui.Query{IDNumber: idA}, []string{a2, a1}, nil},
		{"second card", ui.Query{IDNumber: idB}, []string{b1}, nil},
		{"a card with nothing here", ui.Query{IDNumber: testIDNumber(t, 13)}, nil, nil},
		{"by tracking code, as before", ui.Query{Code: typed}, []string{typed}, nil},
		{"blank number", ui.Query{IDNumber: "  "}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.Lookup(ctx, tt.q)
			if !errors.Is(err, tt.err) || !slices.Equal(progressCodes(got), tt.want) {
				t.Fatalf("Lookup = %v, %v; want %v, %v", progressCodes(got), err, tt.want, tt.err)
			}
			// No sync client: the answer is this terminal's own, and says so.
			if got.Local != ui.LocalOffline {
				t.Errorf("Local = %q, want %q", got.Local, ui.LocalOffline)
			}
		})
	}

	got, err := m.Lookup(ctx, ui.Query{IDNumber: idA})
	if err != nil {
		t.Fatal(err)
	}
	if p := got.Items[0]; p.Service.Zh != m.title("hpf-withdraw-rent").Zh || p.Service.Zh == "hpf-withdraw-rent" || p.Status != ui.StatusQueued {
		t.Errorf("newest = %+v, want the catalog's title and queued", p)
	}

	// Delivered: the personal data goes, the card still finds the receipt, with the
	// platform's status once pushed.
	for _, it := range items {
		if err := q.MarkDelivered(it.Submission.ID, "hub-"+it.Submission.TrackingCode); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC)
	if err := q.SetStatus(a1, "processing", at); err != nil {
		t.Fatal(err)
	}
	got, err = m.Lookup(ctx, ui.Query{IDNumber: strings.ToLower(idA)})
	if err != nil || !slices.Equal(progressCodes(got), []string{a2, a1}) {
		t.Fatalf("after delivery Lookup = %v, %v", progressCodes(got), err)
	}
	if got.Items[0].Status != ui.StatusReceived || got.Items[1].Status != ui.StatusProcessing || !got.Items[1].Updated.Equal(at) {
		t.Errorf("after delivery: %+v", got)
	}
	if it, err := q.Get(items[0].Submission.ID); err != nil || it.Submission.Fields != nil {
		t.Errorf("personal data kept after delivery: %v", err)
	}
}

func TestSubmitterLookupNotEnrolled(t *testing.T) {
	m := &submitter{s: &syncer{}, catalogs: catalog.NewStore(nil, nil)}
	if _, err := m.Lookup(context.Background(), ui.Query{IDNumber: testIDNumber(t, 1)}); !errors.Is(err, errNotEnrolled) {
		t.Errorf("Lookup on an unenrolled terminal = %v, want errNotEnrolled", err)
	}
}

func TestSubmitterLookupCancelled(t *testing.T) {
	m, _ := newTestSubmitter(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Lookup(ctx, ui.Query{IDNumber: testIDNumber(t, 1)}); !errors.Is(err, context.Canceled) {
		t.Errorf("Lookup with a cancelled context = %v", err)
	}
}
