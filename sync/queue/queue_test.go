package queue

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/tracking"
)

func TestEnqueuePendingDeliver(t *testing.T) {
	env := newEnv(t)
	q := env.open(t)
	in := sampleSubmission(1, 1000, 70000)
	s := mustEnqueue(t, q, in)

	if s.Seq != 1 || s.State != Queued || s.ID == "" {
		t.Fatalf("Enqueue = %+v", s)
	}
	c, err := tracking.Parse(s.TrackingCode)
	if err != nil || c.Terminal != testTerminal || c.Seq != q.perm.Permute(s.Seq) {
		t.Fatalf("tracking code %q: %+v, %v", s.TrackingCode, c, err)
	}
	if !reflect.DeepEqual(s.Fields, in.Fields) {
		t.Errorf("Fields = %v", s.Fields)
	}
	if len(s.Attachments) != 2 || s.Attachments[1].Size != 70000 || s.Attachments[1].Name != "scan-1.jpg" {
		t.Errorf("Attachments = %+v", s.Attachments)
	}

	items, err := q.Pending(0)
	if err != nil || len(items) != 1 || items[0].Submission == nil {
		t.Fatalf("Pending = %+v, %v", items, err)
	}
	got := items[0].Submission
	if got.ID != s.ID || !reflect.DeepEqual(got.Fields, in.Fields) || !reflect.DeepEqual(got.Attachments, s.Attachments) {
		t.Errorf("Pending submission = %+v, want %+v", got, s)
	}
	for i, a := range in.Attachments {
		data, err := q.ReadAttachment(s.ID, i)
		if err != nil || !bytes.Equal(data, a.Data) {
			t.Fatalf("ReadAttachment(%d) = %d bytes, %v", i, len(data), err)
		}
	}
	if _, err := q.ReadAttachment(s.ID, 2); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadAttachment(out of range) = %v, want ErrNotFound", err)
	}

	if err := q.MarkSending(s.ID); err != nil {
		t.Fatal(err)
	}
	if err := q.MarkDelivered(s.ID, "HUB-1"); err != nil {
		t.Fatal(err)
	}
	if items, _ := q.Pending(0); len(items) != 0 {
		t.Errorf("Pending after delivery = %d items", len(items))
	}
	it, err := q.Get(s.ID)
	if err != nil {
		t.Fatal(err)
	}
	d := it.Submission
	if d.State != Delivered || d.HubRef != "HUB-1" || d.Fields != nil || d.Attachments != nil || d.DeliveredAt.IsZero() {
		t.Errorf("delivered = %+v", d)
	}
	if _, err := q.ReadAttachment(s.ID, 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadAttachment after delivery = %v, want ErrNotFound", err)
	}
	if left := listFiles(t, env.dir); len(left) != 0 {
		t.Errorf("files left after delivery: %v", left)
	}
	r, err := q.Lookup(strings.ToLower(strings.ReplaceAll(s.TrackingCode, "-", "")))
	if err != nil {
		t.Fatal(err)
	}
	if r.TrackingCode != s.TrackingCode || r.State != Delivered || r.ItemTitle != "户口迁移" {
		t.Errorf("Lookup = %+v", r)
	}
}

func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, filesDir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestPendingOrderAndLimit(t *testing.T) {
	q := newEnv(t).open(t)
	var ids []string
	for i := 0; i < 5; i++ {
		s := mustEnqueue(t, q, sampleSubmission(i))
		ids = append(ids, s.ID)
		if i == 2 {
			r, err := q.Rate(context.Background(), RatingInput{SubmissionID: s.ID, TrackingCode: s.TrackingCode, Item: s.Item, Stars: 4, Comment: "很好"})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, r.ID)
		}
	}
	items, err := q.Pending(0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, it.ID())
		if (it.Submission == nil) == (it.Rating == nil) {
			t.Errorf("item %d: exactly one of Submission and Rating must be set", it.Seq)
		}
	}
	if !reflect.DeepEqual(got, ids) {
		t.Errorf("Pending order = %v, want %v", got, ids)
	}
	if items[3].Rating == nil || items[3].Rating.Comment != "很好" || items[3].Rating.Stars != 4 {
		t.Errorf("rating item = %+v", items[3])
	}
	first, err := q.Pending(2)
	if err != nil || len(first) != 2 || first[0].ID() != ids[0] || first[1].ID() != ids[1] {
		t.Errorf("Pending(2) = %v, %v", first, err)
	}
	// Delivering the first moves the window.
	if err := q.MarkDelivered(ids[0], "h"); err != nil {
		t.Fatal(err)
	}
	first, _ = q.Pending(1)
	if len(first) != 1 || first[0].ID() != ids[1] {
		t.Errorf("Pending(1) after delivery = %v", first)
	}
}

func TestEnqueueSameIDTwice(t *testing.T) {
	env := newEnv(t)
	q := env.open(t)
	in := sampleSubmission(7, 5000)
	in.ID = "fixed-id-1"
	a := mustEnqueue(t, q, in)
	b := mustEnqueue(t, q, in)
	if a.TrackingCode != b.TrackingCode || a.Seq != b.Seq {
		t.Errorf("second Enqueue gave %s, first %s", b.TrackingCode, a.TrackingCode)
	}
	st, _ := q.Stats()
	if st.Queued != 1 {
		t.Errorf("Queued = %d, want 1", st.Queued)
	}
	if n := len(listFiles(t, env.dir)); n != 1 {
		t.Errorf("%d files, want 1", n)
	}
	data, err := q.ReadAttachment(in.ID, 0)
	if err != nil || !bytes.Equal(data, in.Attachments[0].Data) {
		t.Errorf("ReadAttachment = %v", err)
	}
}

func TestRateOncePerSubmission(t *testing.T) {
	q := newEnv(t).open(t)
	r1, err := q.Rate(context.Background(), RatingInput{SubmissionID: "s1", Stars: 5})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := q.Rate(context.Background(), RatingInput{SubmissionID: "s1", Stars: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r2.ID != r1.ID || r2.Stars != 5 {
		t.Errorf("second rating = %+v, want the first %+v", r2, r1)
	}
	for _, stars := range []int{0, 6, -1} {
		if _, err := q.Rate(context.Background(), RatingInput{Stars: stars}); !errors.Is(err, ErrInvalid) {
			t.Errorf("Rate(%d stars) = %v, want ErrInvalid", stars, err)
		}
	}
}

func TestEnqueueInvalid(t *testing.T) {
	q := newEnv(t).open(t)
	tests := []struct {
		name string
		in   NewSubmission
	}{
		{"no item", NewSubmission{}},
		{"path in id", NewSubmission{ID: "../x", Item: "a"}},
		{"dot in id", NewSubmission{ID: "a.b", Item: "a"}},
		{"long id", NewSubmission{ID: strings.Repeat("a", 65), Item: "a"}},
		{"too many attachments", NewSubmission{Item: "a", Attachments: make([]NewAttachment, maxAttachments+1)}},
	}
	for _, tt := range tests {
		if _, err := q.Enqueue(context.Background(), tt.in); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Enqueue = %v, want ErrInvalid", tt.name, err)
		}
	}
}

func TestStateTransitions(t *testing.T) {
	type op func(q *Queue, id string) error
	var (
		sending   op = func(q *Queue, id string) error { return q.MarkSending(id) }
		attempt   op = func(q *Queue, id string) error { return q.NoteAttempt(id, errors.New("link down")) }
		delivered op = func(q *Queue, id string) error { return q.MarkDelivered(id, "HUB") }
		failed    op = func(q *Queue, id string) error { return q.MarkFailed(id, "rejected: form version") }
		requeue   op = func(q *Queue, id string) error { return q.Requeue(id) }
	)
	tests := []struct {
		name    string
		setup   []op // brings the item into its starting state
		do      op
		want    State // state after do; the starting state when wantErr
		wantErr bool
	}{
		{"queued→sending", nil, sending, Sending, false},
		{"queued→attempt", nil, attempt, Queued, false},
		{"queued→delivered", nil, delivered, Delivered, false},
		{"queued→failed", nil, failed, Failed, false},
		{"queued→requeue", nil, requeue, Queued, true},
		{"sending→sending", []op{sending}, sending, Sending, false},
		{"sending→attempt", []op{sending}, attempt, Queued, false},
		{"sending→delivered", []op{sending}, delivered, Delivered, false},
		{"sending→failed", []op{sending}, failed, Failed, false},
		{"delivered→sending", []op{delivered}, sending, Delivered, true},
		{"delivered→attempt", []op{delivered}, attempt, Delivered, true},
		{"delivered→delivered", []op{delivered}, delivered, Delivered, false},
		{"delivered→failed", []op{delivered}, failed, Delivered, true},
		{"delivered→requeue", []op{delivered}, requeue, Delivered, true},
		{"failed→sending", []op{failed}, sending, Failed, true},
		{"failed→attempt", []op{failed}, attempt, Failed, true},
		{"failed→failed", []op{failed}, failed, Failed, false},
		{"failed→delivered", []op{failed}, delivered, Delivered, false},
		{"failed→requeue", []op{failed}, requeue, Queued, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := newEnv(t).open(t)
			s := mustEnqueue(t, q, sampleSubmission(1, 100))
			for _, f := range tt.setup {
				if err := f(q, s.ID); err != nil {
					t.Fatalf("setup: %v", err)
				}
			}
			before, _ := q.Stats()
			err := tt.do(q, s.ID)
			var te *TransitionError
			if tt.wantErr != errors.As(err, &te) {
				t.Fatalf("err = %v, want TransitionError: %v", err, tt.wantErr)
			}
			if te != nil && (te.ID != s.ID || te.From != tt.want) {
				t.Errorf("TransitionError = %+v", te)
			}
			it, gerr := q.Get(s.ID)
			if gerr != nil {
				t.Fatal(gerr)
			}
			if it.Submission.State != tt.want {
				t.Errorf("state = %s, want %s", it.Submission.State, tt.want)
			}
			after, _ := q.Stats()
			if tt.wantErr && after != before {
				t.Errorf("a refused transition changed the stats: %+v → %+v", before, after)
			}
			if n := after.Queued + after.Sending + after.Delivered + after.Failed; n != 1 {
				t.Errorf("stats count %d items: %+v", n, after)
			}
		})
	}
}

func TestAttemptsAndReasons(t *testing.T) {
	q := newEnv(t).open(t)
	s := mustEnqueue(t, q, sampleSubmission(1))
	for i := 0; i < 3; i++ {
		if err := q.MarkSending(s.ID); err != nil {
			t.Fatal(err)
		}
		if err := q.NoteAttempt(s.ID, errors.New("hub: try again later")); err != nil {
			t.Fatal(err)
		}
	}
	it, _ := q.Get(s.ID)
	if it.Submission.Attempts != 3 || it.Submission.Reason != "hub: try again later" || it.Submission.State != Queued {
		t.Errorf("after 3 attempts: %+v", it.Submission)
	}
	long := strings.Repeat("原因", 400)
	if err := q.MarkFailed(s.ID, long); err != nil {
		t.Fatal(err)
	}
	it, _ = q.Get(s.ID)
	if len(it.Submission.Reason) > maxReasonLen+len("…") || !strings.HasSuffix(it.Submission.Reason, "…") {
		t.Errorf("reason not shortened: %d bytes", len(it.Submission.Reason))
	}
	// A failed item keeps its data for the technician.
	if it.Submission.Fields["name"] != "测试甲" {
		t.Errorf("failed item lost its data")
	}
	for _, f := range []func(string) error{q.MarkSending, q.Requeue, func(id string) error { return q.MarkFailed(id, "x") },
		func(id string) error { return q.NoteAttempt(id, nil) }, func(id string) error { return q.MarkDelivered(id, "x") }} {
		if err := f("no-such-id"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown id: %v, want ErrNotFound", err)
		}
	}
}

func TestSetStatusAndLookup(t *testing.T) {
	q := newEnv(t).open(t)
	s := mustEnqueue(t, q, sampleSubmission(1))
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	if err := q.SetStatus(s.TrackingCode, "processing", at); err != nil {
		t.Fatal(err)
	}
	// An older push arriving late does not overwrite a newer status.
	if err := q.SetStatus(s.TrackingCode, "accepted", at.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	r, err := q.Lookup(s.TrackingCode)
	if err != nil || r.Status != "processing" || !r.StatusAt.Equal(at) {
		t.Errorf("Lookup = %+v, %v", r, err)
	}

	wrong := []byte(s.TrackingCode)
	wrong[0] ^= 1 // T→U or similar: a different character
	if wrong[0] == 'U' {
		wrong[0] = 'V'
	}
	tests := []struct {
		code string
		want error
	}{
		{string(wrong), tracking.ErrCheck},
		{"hello", tracking.ErrFormat},
		{mustCode(t, testTerminal, 999), ErrNotFound},
		{mustCode(t, "ZZZZ", 1), ErrNotFound},
	}
	for _, tt := range tests {
		if _, err := q.Lookup(tt.code); !errors.Is(err, tt.want) {
			t.Errorf("Lookup(%q) = %v, want %v", tt.code, err, tt.want)
		}
	}
	if err := q.SetStatus(mustCode(t, testTerminal, 999), "x", at); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetStatus(unknown) = %v", err)
	}
}

func mustCode(t *testing.T, term string, seq uint64) string {
	t.Helper()
	c, err := tracking.New(term, seq)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClosed(t *testing.T) {
	env := newEnv(t)
	q, err := Open(env.dir, env.options())
	if err != nil {
		t.Fatal(err)
	}
	s := mustEnqueue(t, q, sampleSubmission(1))
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if err := q.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close = %v", err)
	}
	if _, err := q.Enqueue(context.Background(), sampleSubmission(2)); !errors.Is(err, ErrClosed) {
		t.Errorf("Enqueue after Close = %v", err)
	}
	if _, err := q.Pending(0); !errors.Is(err, ErrClosed) {
		t.Errorf("Pending after Close = %v", err)
	}
	if err := q.MarkDelivered(s.ID, "x"); !errors.Is(err, ErrClosed) {
		t.Errorf("MarkDelivered after Close = %v", err)
	}
	if _, err := q.Stats(); !errors.Is(err, ErrClosed) {
		t.Errorf("Stats after Close = %v", err)
	}
}

func TestEnqueueCancelled(t *testing.T) {
	env := newEnv(t)
	q := env.open(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := q.Enqueue(ctx, sampleSubmission(1, 1000)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Enqueue with a cancelled context = %v", err)
	}
	st, _ := q.Stats()
	if st != (Stats{}) || len(listFiles(t, env.dir)) != 0 {
		t.Errorf("a cancelled Enqueue left something behind: %+v", st)
	}
}
