package client

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/licence"
	"github.com/govkiosk/govkiosk/sync/hub"
)

// The kiosk asks the real hub over loopback for a resident's licences while the outbox
// delivers beside it; an unknown type is refused by name; without a connection the
// question fails at once (the resident scans).
func TestLicencesFromTheHub(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "demo.json"), []byte(`[
 {"id_number": "990101199003071237", "type": "household_register", "ref": "EL-HR-0001", "number": "HR99010100000021",
  "title": {"zh": "居民户口簿", "en": "Household register"}, "issuer": "样例市公安局示范派出所", "issued": "2020-05-01"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	lh := startHub(t, hub.Options{LicenceDir: dir})
	cr := lh.enroll(t)
	q := openQueue(t, cr)
	c, err := New(fast(cr, q))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Licences(ctx, "990101199003071237", []licence.Type{licence.HouseholdRegister}); !errors.Is(err, ErrOffline) {
		t.Fatalf("before connecting: %v, want ErrOffline", err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); c.Run(runCtx) }()
	t.Cleanup(func() { cancel(); <-done })
	waitFor(t, 5*time.Second, "online", c.Online)

	enqueue(t, q, "", 600<<10) // a delivery in flight beside the questions
	got, err := c.Licences(ctx, "990101199003071237", []licence.Type{licence.HouseholdRegister, licence.PropertyCertificate})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Type != licence.HouseholdRegister || got[0].Ref != "EL-HR-0001" ||
		got[0].Title.En != "Household register" || got[0].Number != "HR99********0021" {
		t.Fatalf("licences %+v", got)
	}
	if got, err := c.Licences(ctx, "990101198001011236", []licence.Type{licence.HouseholdRegister}); err != nil || len(got) != 0 {
		t.Fatalf("a resident without licences: %v %v", got, err)
	}
	if _, err := c.Licences(ctx, "990101199003071237", []licence.Type{"hukou_book"}); !errors.Is(err, ErrUnknownLicenceType) {
		t.Fatalf("unknown type: %v", err)
	}
	waitFor(t, 10*time.Second, "delivery beside the questions", func() bool { return delivered(q) == 1 })

	lh.Close()
	waitFor(t, 5*time.Second, "offline", func() bool { return !c.Online() })
	if _, err := c.Licences(ctx, "990101199003071237", []licence.Type{licence.HouseholdRegister}); !errors.Is(err, ErrOffline) {
		t.Fatalf("hub gone: %v, want ErrOffline", err)
	}
}
