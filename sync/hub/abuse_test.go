package hub

import (
	"testing"

	"github.com/govkiosk/govkiosk/kiosk/tracking"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

// TestTrackingCodeSquattingRefused is the attack of finding 1: an enrolled terminal A
// submits and commits with terminal B's next tracking code, rates B's submission and
// waits for B's status updates. The hub must refuse all of it, and B's real submission,
// its status and its rating must go through untouched.
func TestTrackingCodeSquattingRefused(t *testing.T) {
	th := startHub(t, Options{})
	a, b := th.enroll(t), th.enroll(t)
	ra := th.connect(t, a)

	// A takes B's next code (B's seq 1) for a submission of its own.
	squat := synthetic(t, a)
	squat.TrackingCode, _ = tracking.New(b.code, 1)
	ra.send(squat)
	ra.expectErr(protocol.CodeConflict)
	ra.send(&protocol.Commit{ID: squat.ID})
	ra.expectErr(protocol.CodeNotFound)
	// Forgiving spellings of B's code are B's code too.
	lower := *squat
	lower.ID = "sub-squat-lower"
	lower.TrackingCode = toLower(squat.TrackingCode)
	ra.send(&lower)
	ra.expectErr(protocol.CodeConflict)

	// B's real submission with that code is stored.
	rb := th.connect(t, b)
	real := synthetic(t, b)
	if real.TrackingCode != squat.TrackingCode {
		t.Fatalf("test set-up: B's code %s, squatted %s", real.TrackingCode, squat.TrackingCode)
	}
	ackB := rb.upload(real, nil)
	if ackB.Duplicate || ackB.HubRef == "" {
		t.Fatalf("B's submission not stored: %+v", ackB)
	}

	// A's ratings of B's submission, by id or by code, are refused; B's own is stored.
	ra.send(&protocol.Rating{ID: "r-a-1", SubmissionID: real.ID, Stars: 1, CreatedAt: real.CreatedAt})
	ra.expectErr(protocol.CodeRejected)
	ra.send(&protocol.Rating{ID: "r-a-2", TrackingCode: real.TrackingCode, Stars: 1, CreatedAt: real.CreatedAt})
	ra.expectErr(protocol.CodeRejected)
	rb.send(&protocol.Rating{ID: "r-b-1", SubmissionID: real.ID, TrackingCode: real.TrackingCode, Stars: 5, CreatedAt: real.CreatedAt})
	expect[*protocol.Ack](rb)
	// A rating of B's that names its own submission with someone else's code is refused.
	other, _ := tracking.New(b.code, 77)
	rb.send(&protocol.Rating{ID: "r-b-2", SubmissionID: real.ID, TrackingCode: other, Stars: 5, CreatedAt: real.CreatedAt})
	rb.expectErr(protocol.CodeRejected)

	// A status for the code reaches B, not A.
	if _, err := th.PostStatus(real.TrackingCode, "processing", ""); err != nil {
		t.Fatal(err)
	}
	st := expect[*protocol.Status](rb)
	if st.SubmissionID != real.ID {
		t.Errorf("status for %s, want %s", st.SubmissionID, real.ID)
	}
	if p, _ := th.st.pendingStatus(a.id); len(p) != 0 {
		t.Errorf("A got %d status updates for B's code", len(p))
	}
	subs, err := th.Submissions(SubmissionQuery{TrackingCode: real.TrackingCode})
	if err != nil || len(subs) != 1 || subs[0].TerminalID != b.id || subs[0].HubRef != ackB.HubRef {
		t.Fatalf("lookup of B's code: %+v %v", subs, err)
	}
	if s := th.Stats(); s.ForeignCodes != 4 {
		t.Errorf("foreign code refusals %d, want 4", s.ForeignCodes)
	}
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
