package client

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/assets"
	"github.com/govkiosk/govkiosk/sync/hub"
	"github.com/govkiosk/govkiosk/sync/queue"
)

// The kiosk gets the certificate of its delivered 参保证明 submission from the real hub;
// another kiosk gets the same one with the tracking code for the same resident, not for
// another; offline the question fails at once.
func TestCertificateFromTheHub(t *testing.T) {
	lh := startHub(t, hub.Options{})
	if _, err := lh.SetCatalog("", assets.DefaultCatalog()); err != nil {
		t.Fatal(err)
	}
	cr := lh.enroll(t)
	q := openQueue(t, cr)
	c, err := New(fast(cr, q))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Certificate(ctx, "nothing"); !errors.Is(err, ErrOffline) {
		t.Fatalf("before connecting: %v, want ErrOffline", err)
	}
	s, err := q.Enqueue(ctx, queue.NewSubmission{Item: "ss-record-print", ItemTitle: "社会保险个人参保证明打印",
		Fields: map[string]string{"applicant_name": "测试甲", "applicant_id": "990101199003071237"}})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); c.Run(runCtx) }()
	t.Cleanup(func() { cancel(); <-done })
	waitFor(t, 10*time.Second, "delivered", func() bool { return delivered(q) == 1 })

	got, err := c.Certificate(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Issued() || got.Pages != 1 || !strings.HasPrefix(string(got.PDF), "%PDF-") || got.Code == "" {
		t.Fatalf("certificate %+v", got)
	}

	cr2 := lh.enroll(t)
	other, err := New(fast(cr2, openQueue(t, cr2)))
	if err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithCancel(ctx)
	done2 := make(chan struct{})
	go func() { defer close(done2); other.Run(ctx2) }()
	t.Cleanup(func() { cancel2(); <-done2 })
	waitFor(t, 5*time.Second, "other online", other.Online)
	again, err := other.ReprintCertificate(ctx, s.TrackingCode, "990101199003071237")
	if err != nil || again.Code != got.Code || string(again.PDF) != string(got.PDF) {
		t.Fatalf("reprint: %+v %v", again, err)
	}
	if _, err := other.ReprintCertificate(ctx, s.TrackingCode, "990101198001011236"); !errors.Is(err, ErrNoSuchSubmission) {
		t.Errorf("another resident's reprint: %v", err)
	}
	if _, err := other.Certificate(ctx, s.ID); !errors.Is(err, ErrNoSuchSubmission) {
		t.Errorf("another kiosk by id: %v", err)
	}
}
