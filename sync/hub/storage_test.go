package hub

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/govkiosk/govkiosk/internal/pgtest"
	"github.com/govkiosk/govkiosk/kiosk/tracking"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

// storeKinds opens each storage implementation fresh: every contract test runs against
// both, so the PostgreSQL store behaves exactly like the bbolt one the hub was built on.
var storeKinds = []struct {
	name string
	open func(t *testing.T) (storage, attachmentStorage)
}{
	{"bbolt", func(t *testing.T) (storage, attachmentStorage) {
		dir := t.TempDir()
		seal := testSealer(t)
		s, err := openStore(filepath.Join(dir, "hub.db"), seal)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.close() })
		return s, &attachmentStore{dir: filepath.Join(dir, "attachments"), seal: seal, syncChunks: true}
	}},
	{"postgres", func(t *testing.T) (storage, attachmentStorage) {
		s, err := openPGStore(t.Context(), pgtest.New(t), testSealer(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.close() })
		return s, &pgAttachments{s: s}
	}},
}

func testSealer(t *testing.T) *sealer {
	s, err := newSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func forEachStore(t *testing.T, f func(t *testing.T, st storage, att attachmentStorage)) {
	for _, k := range storeKinds {
		t.Run(k.name, func(t *testing.T) {
			st, att := k.open(t)
			f(t, st, att)
		})
	}
}

func trackingCode(t *testing.T, term string, seq uint64) string {
	c, err := tracking.New(term, seq)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func openRec(t *testing.T, id, term string, seq uint64) *submissionRecord {
	return &submissionRecord{ID: id, TerminalID: "t-" + term, TrackingCode: trackingCode(t, term, seq), Item: "item",
		CreatedAt: time.Unix(1700000000, 0).UTC(), Digest: "d-" + id, State: stateOpen,
		Attachments: []protocol.Attachment{{Name: "a.jpg", Size: 3, SHA256: sha256Hex([]byte("abc"))}}}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestStorageHubIDIsStable(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage, _ attachmentStorage) {
		a, err := st.hubID()
		if err != nil || !strings.HasPrefix(a, "hub-") {
			t.Fatalf("hub id %q, %v", a, err)
		}
		if b, _ := st.hubID(); b != a {
			t.Fatalf("hub id changed: %q then %q", a, b)
		}
	})
}

func TestStorageEnrollConsumesCodeOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage, _ attachmentStorage) {
		now := time.Now()
		if err := st.addEnrollCode("abcd-efgh", now, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := st.addEnrollCode("OLD1-OLD1", now.Add(-2*time.Hour), now.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		rec, err := st.enroll("ABCDEFGH", now, []byte("pub"), "hall", "1.0")
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.Code) != 4 || !strings.HasPrefix(rec.ID, "t-") {
			t.Errorf("terminal %+v", rec)
		}
		for _, code := range []string{"ABCDEFGH", "OLD1OLD1", "NEVERISSUED"} {
			if _, err := st.enroll(code, now, []byte("pub"), "", ""); !errors.Is(err, ErrEnrollCode) {
				t.Errorf("enroll with %s: %v, want ErrEnrollCode", code, err)
			}
		}
		got, err := st.terminal(rec.ID)
		if err != nil || got == nil || got.Code != rec.Code || string(got.PublicKey) != "pub" {
			t.Errorf("terminal: %+v, %v", got, err)
		}
		if got, err := st.terminal("t-none"); got != nil || err != nil {
			t.Errorf("unknown terminal: %+v, %v", got, err)
		}
		all, err := st.terminals()
		if err != nil || len(all) != 1 || all[0].ID != rec.ID {
			t.Errorf("terminals: %+v, %v", all, err)
		}
	})
}

func TestStorageSubmissionExactlyOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage, _ attachmentStorage) {
		a := openRec(t, "s-a", "TRM1", 1)
		got, outcome, err := st.openSubmission(a)
		if err != nil || outcome != openCreated || got.ID != a.ID {
			t.Fatalf("open: %v %v %v", got, outcome, err)
		}
		again := openRec(t, "s-a", "TRM1", 1)
		again.Digest = "other"
		got, outcome, err = st.openSubmission(again)
		if err != nil || outcome != openExisting || got.Digest != "d-s-a" {
			t.Fatalf("reopen: %+v %v %v", got, outcome, err)
		}
		if _, outcome, err = st.openSubmission(openRec(t, "s-b", "TRM1", 1)); err != nil || outcome != openTrackingTaken {
			t.Fatalf("same tracking code, other id: %v %v", outcome, err)
		}
		if _, err := st.commitSubmission("s-none", time.Now()); !errors.Is(err, ErrNotFound) {
			t.Fatalf("commit unknown: %v", err)
		}
		c1, err := st.commitSubmission("s-a", time.Unix(1700000100, 0).UTC())
		if err != nil || c1.State != stateCommitted || c1.HubRef == "" {
			t.Fatalf("commit: %+v %v", c1, err)
		}
		c2, err := st.commitSubmission("s-a", time.Now())
		if err != nil || c2.HubRef != c1.HubRef || !c2.ReceivedAt.Equal(c1.ReceivedAt) {
			t.Fatalf("second commit changed it: %+v then %+v (%v)", c1, c2, err)
		}
		lower := strings.ToLower(a.TrackingCode)
		got, err = st.byTracking(lower[:4] + "-" + lower[4:])
		if err != nil || got == nil || got.ID != "s-a" || got.HubRef != c1.HubRef {
			t.Fatalf("by tracking code: %+v %v", got, err)
		}
		if got, err := st.byTracking(trackingCode(t, "TRM1", 99)); got != nil || err != nil {
			t.Fatalf("unknown tracking code: %+v %v", got, err)
		}
		if got, err := st.submission("s-none"); got != nil || err != nil {
			t.Fatalf("unknown submission: %+v %v", got, err)
		}
	})
}

func TestStorageRecentAndCount(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage, _ attachmentStorage) {
		for i := 1; i <= 5; i++ {
			r := openRec(t, fmt.Sprintf("s-%d", i), "TRM2", uint64(i))
			if i%2 == 0 {
				r.TerminalID = "t-other"
			}
			if _, _, err := st.openSubmission(r); err != nil {
				t.Fatal(err)
			}
			if i < 5 { // s-5 stays open
				if _, err := st.commitSubmission(r.ID, time.Now()); err != nil {
					t.Fatal(err)
				}
			}
		}
		if n, err := st.countCommitted(); err != nil || n != 4 {
			t.Fatalf("count %d, %v", n, err)
		}
		got, err := st.recentSubmissions(2, func(r *submissionRecord) bool { return r.TerminalID == "t-TRM2" })
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range got {
			ids = append(ids, r.ID)
		}
		if strings.Join(ids, ",") != "s-3,s-1" {
			t.Fatalf("recent: %v, want s-3,s-1 (newest first, filtered, committed only)", ids)
		}
	})
}

func TestStorageRatingOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage, _ attachmentStorage) {
		r := &ratingRecord{ID: "r-1", TerminalID: "t-a", Stars: 5, Digest: "x", ReceivedAt: time.Now().UTC()}
		a, existed, err := st.putRating(r)
		if err != nil || existed || a.HubRef == "" {
			t.Fatalf("first: %+v %v %v", a, existed, err)
		}
		b, existed, err := st.putRating(&ratingRecord{ID: "r-1", TerminalID: "t-b", Stars: 1, Digest: "y"})
		if err != nil || !existed || b.HubRef != a.HubRef || b.TerminalID != "t-a" {
			t.Fatalf("again: %+v %v %v", b, existed, err)
		}
	})
}

func TestStorageStatusQueue(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage, _ attachmentStorage) {
		at := time.Unix(1700000200, 0).UTC()
		if err := st.queueStatus(&protocol.Status{UpdateID: "u-1", SubmissionID: "s-none", Status: "completed", At: at}, "t-a"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("status of unknown submission: %v", err)
		}
		r := openRec(t, "s-st", "TRM3", 1)
		st.openSubmission(r)
		st.commitSubmission(r.ID, at)
		for _, u := range []string{"u-2", "u-1"} {
			if err := st.queueStatus(&protocol.Status{UpdateID: u, SubmissionID: r.ID, TrackingCode: r.TrackingCode, Status: "processing", At: at}, r.TerminalID); err != nil {
				t.Fatal(err)
			}
		}
		got, _ := st.submission(r.ID)
		if got.Status != "processing" || !got.StatusAt.Equal(at) {
			t.Errorf("status on record: %q %v", got.Status, got.StatusAt)
		}
		p, err := st.pendingStatus(r.TerminalID)
		if err != nil || len(p) != 2 || p[0].UpdateID != "u-1" || p[1].UpdateID != "u-2" {
			t.Fatalf("pending: %+v %v", p, err)
		}
		if p, _ := st.pendingStatus("t-other"); len(p) != 0 {
			t.Fatalf("another terminal sees %d updates", len(p))
		}
		if ok, err := st.ackStatus("t-other", "u-1"); ok || err != nil {
			t.Fatalf("another terminal acknowledged: %v %v", ok, err)
		}
		if ok, err := st.ackStatus(r.TerminalID, "u-1"); !ok || err != nil {
			t.Fatalf("ack: %v %v", ok, err)
		}
		if ok, _ := st.ackStatus(r.TerminalID, "u-1"); ok {
			t.Fatal("acknowledged twice")
		}
		if p, _ := st.pendingStatus(r.TerminalID); len(p) != 1 || p[0].UpdateID != "u-2" {
			t.Fatalf("pending after ack: %+v", p)
		}
	})
}

func TestStoragePublishedAndHeartbeats(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage, _ attachmentStorage) {
		if p, err := st.published(kindCatalog); p != nil || err != nil {
			t.Fatalf("nothing published yet: %+v %v", p, err)
		}
		if err := st.putPublished(kindCatalog, publishedRecord{Version: "v1", Payload: []byte(`{"a":1}`), At: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if err := st.putPublished(kindCatalog, publishedRecord{Version: "v2", Payload: []byte(`{"a":2}`), At: time.Now()}); err != nil {
			t.Fatal(err)
		}
		p, err := st.published(kindCatalog)
		if err != nil || p.Version != "v2" || !strings.Contains(string(p.Payload), "2") {
			t.Fatalf("published: %+v %v", p, err)
		}
		hb := map[string]heartbeatRecord{"t-a": {App: "1.0", Queue: protocol.QueueDepth{Queued: 3}}, "t-b": {App: "2.0"}}
		if err := st.saveHeartbeats(hb); err != nil {
			t.Fatal(err)
		}
		if err := st.saveHeartbeats(map[string]heartbeatRecord{"t-b": {App: "2.1"}}); err != nil {
			t.Fatal(err)
		}
		got, err := st.heartbeats()
		if err != nil || len(got) != 2 || got["t-a"].Queue.Queued != 3 || got["t-b"].App != "2.1" {
			t.Fatalf("heartbeats: %+v %v", got, err)
		}
	})
}

func TestStorageAttachmentResumeAndVerify(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage, att attachmentStorage) {
		data := randomBytes(2*protocol.MinChunkData+17, 3)
		meta := protocol.Attachment{Name: "scan.pdf", Size: int64(len(data)), SHA256: sha256Hex(data)}
		if err := att.prepare("t-a", "s-1"); err != nil {
			t.Fatal(err)
		}
		if att.complete("t-a", "s-1", 0, meta.Size) {
			t.Fatal("complete before any byte")
		}
		if _, err := att.read("t-a", "s-1", 0, meta); !errors.Is(err, ErrNotFound) {
			t.Fatalf("read before complete: %v", err)
		}
		p, err := att.openPart("t-a", "s-1", 0, meta)
		if err != nil || p.offset() != 0 || p.length() != meta.Size {
			t.Fatalf("open: %v", err)
		}
		if err := p.append(data[:protocol.MinChunkData]); err != nil {
			t.Fatal(err)
		}
		p.close()
		// Another connection (or replica) continues where the stored offset says.
		p, err = att.openPart("t-a", "s-1", 0, meta)
		if err != nil || p.offset() != protocol.MinChunkData {
			t.Fatalf("reopen at %d, %v", p.offset(), err)
		}
		if err := p.append(data[protocol.MinChunkData:]); err != nil {
			t.Fatal(err)
		}
		if err := p.finish(); err != nil {
			t.Fatal(err)
		}
		if !att.complete("t-a", "s-1", 0, meta.Size) {
			t.Fatal("not complete after finish")
		}
		got, err := att.read("t-a", "s-1", 0, meta)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("read %d bytes, %v", len(got), err)
		}

		// Bytes that do not match the announced sum are thrown away.
		bad := protocol.Attachment{Name: "x", Size: 4, SHA256: sha256Hex([]byte("good"))}
		p, err = att.openPart("t-a", "s-1", 1, bad)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.append([]byte("evil")); err != nil {
			t.Fatal(err)
		}
		if err := p.finish(); !errors.Is(err, errChecksum) || p.offset() != 0 {
			t.Fatalf("bad bytes: %v at %d", err, p.offset())
		}
		p.close()
		p, err = att.openPart("t-a", "s-1", 1, bad)
		if err != nil || p.offset() != 0 {
			t.Fatalf("after a checksum failure the upload restarts at 0: %d %v", p.offset(), err)
		}
		p.close()
	})
}

// Replicas race: many commits of one id give one hub reference, and two submissions
// with one tracking code give one winner.
func TestStorageConcurrentCommits(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage, _ attachmentStorage) {
		r := openRec(t, "s-race", "TRM4", 1)
		if _, _, err := st.openSubmission(r); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		refs := make([]string, 8)
		created := make([]bool, 8)
		for i := range 8 {
			wg.Go(func() {
				if c, err := st.commitSubmission(r.ID, time.Now()); err == nil {
					refs[i] = c.HubRef
				}
				_, outcome, err := st.openSubmission(openRec(t, fmt.Sprintf("s-tc-%d", i), "TRM4", 2))
				created[i] = err == nil && outcome == openCreated
			})
		}
		wg.Wait()
		n := 0
		for i := range 8 {
			if refs[i] == "" || refs[i] != refs[0] {
				t.Errorf("commit %d: hub ref %q, want %q", i, refs[i], refs[0])
			}
			if created[i] {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d submissions took one tracking code", n)
		}
	})
}

// Migrations apply once, replicas starting together do not collide, and a hub refuses
// a database a newer hub has migrated.
func TestPostgresMigrations(t *testing.T) {
	url := pgtest.New(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			s, err := openPGStore(t.Context(), url, testSealer(t))
			if err == nil {
				s.close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	s, err := openPGStore(t.Context(), url, testSealer(t))
	if err != nil {
		t.Fatal(err)
	}
	var n, v int
	if err := s.pool.QueryRow(t.Context(), "SELECT count(*), max(version) FROM schema_migrations").Scan(&n, &v); err != nil {
		t.Fatal(err)
	}
	if n != v || v != schemaVersion() {
		t.Errorf("%d migrations recorded up to %d, want %d", n, v, schemaVersion())
	}
	if _, err := s.pool.Exec(t.Context(), "INSERT INTO schema_migrations (version, name) VALUES ($1, 'from the future')", schemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	s.close()
	if _, err := openPGStore(t.Context(), url, testSealer(t)); !errors.Is(err, ErrSchemaNewer) {
		t.Fatalf("newer schema: %v, want ErrSchemaNewer", err)
	}
	if _, err := New(Options{Dir: t.TempDir(), Store: url}); !errors.Is(err, ErrSchemaNewer) {
		t.Fatalf("hub on a newer schema: %v, want ErrSchemaNewer", err)
	}
}

// The outbox: committed submissions are queued once, a lease keeps a job with one
// forwarder, failures reschedule or park it, and an operator's retry revives it.
func TestStorageForwardQueue(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage, _ attachmentStorage) {
		st.enableOutbox()
		now := time.Unix(1700000000, 0).UTC()
		r := openRec(t, "s-fw", "TRM5", 1)
		st.openSubmission(r)
		st.commitSubmission(r.ID, now)
		st.commitSubmission(r.ID, now) // a repeat queues nothing more
		jobs, err := st.claimForward(now, time.Minute, 10)
		if err != nil || len(jobs) != 1 || jobs[0].Key != r.ID {
			t.Fatalf("claim: %+v %v", jobs, err)
		}
		if again, _ := st.claimForward(now.Add(time.Second), time.Minute, 10); len(again) != 0 {
			t.Fatalf("leased job claimed again: %+v", again)
		}
		if err := st.forwardFailed(r.ID, 1, now.Add(time.Hour), false, "503"); err != nil {
			t.Fatal(err)
		}
		if due, _ := st.claimForward(now.Add(2*time.Minute), time.Minute, 10); len(due) != 0 {
			t.Fatalf("job claimed before it is due: %+v", due)
		}
		if err := st.forwardFailed(r.ID, 2, now, true, "503 again"); err != nil {
			t.Fatal(err)
		}
		if due, _ := st.claimForward(now.Add(2*time.Hour), time.Minute, 10); len(due) != 0 {
			t.Fatalf("dead letter claimed: %+v", due)
		}
		dead, err := st.deadLetters()
		if err != nil || len(dead) != 1 || dead[0].Attempts != 2 || dead[0].LastError != "503 again" {
			t.Fatalf("dead letters %+v %v", dead, err)
		}
		if ok, err := st.retryDead(r.ID, now); !ok || err != nil {
			t.Fatalf("retry: %v %v", ok, err)
		}
		jobs, _ = st.claimForward(now, time.Minute, 10)
		if len(jobs) != 1 || jobs[0].Attempts != 0 {
			t.Fatalf("after retry: %+v", jobs)
		}
		if err := st.forwardDone(r.ID); err != nil {
			t.Fatal(err)
		}
		if jobs, _ = st.claimForward(now.Add(time.Hour), time.Minute, 10); len(jobs) != 0 {
			t.Fatalf("delivered job still queued: %+v", jobs)
		}
	})
}

// A new rating that names a submission is queued for forwarding with the rating, once;
// a rating of a visit alone is not, nor anything while the outbox is off.
func TestStorageRatingForwardQueue(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage, _ attachmentStorage) {
		now := time.Unix(1700000000, 0).UTC()
		put := func(r ratingRecord) {
			t.Helper()
			r.CreatedAt, r.ReceivedAt, r.Stars, r.Digest = now, now, 4, "d-"+r.ID
			if _, _, err := st.putRating(&r); err != nil {
				t.Fatal(err)
			}
		}
		put(ratingRecord{ID: "r-before", TerminalID: "t-TRM7", SubmissionID: "s-rt"}) // outbox off
		st.enableOutbox()
		put(ratingRecord{ID: "r-sub", TerminalID: "t-TRM7", SubmissionID: "s-rt", Comment: []byte("sealed")})
		put(ratingRecord{ID: "r-sub", TerminalID: "t-TRM7", SubmissionID: "s-rt"}) // a repeat queues nothing more
		put(ratingRecord{ID: "r-code", TerminalID: "t-TRM7", TrackingCode: trackingCode(t, "TRM7", 1)})
		put(ratingRecord{ID: "r-visit", TerminalID: "t-TRM7", Item: "item"})
		jobs, err := st.claimForward(now, time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, j := range jobs {
			keys = append(keys, j.Key)
		}
		slices.Sort(keys)
		if want := []string{"rating/r-code", "rating/r-sub"}; !slices.Equal(keys, want) {
			t.Fatalf("queued %q, want %q", keys, want)
		}
		for key, want := range map[string]bool{"rating/r-sub": true, "rating/r-visit": false, "rating/r-before": false, "r-sub": false} {
			if got, err := st.forwardQueued(key); err != nil || got != want {
				t.Errorf("forwardQueued(%s) = %v, %v; want %v", key, got, err, want)
			}
		}
		r, err := st.rating("r-sub")
		if err != nil || r == nil || r.SubmissionID != "s-rt" || string(r.Comment) != "sealed" || r.HubRef == "" {
			t.Fatalf("rating: %+v %v", r, err)
		}
		if r, err := st.rating("r-none"); r != nil || err != nil {
			t.Fatalf("unknown rating: %+v %v", r, err)
		}
		if err := st.forwardDone("rating/r-sub"); err != nil {
			t.Fatal(err)
		}
		if got, _ := st.forwardQueued("rating/r-sub"); got {
			t.Error("delivered rating still queued")
		}
	})
}

func TestStorageBySubject(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage, _ attachmentStorage) {
		for i := 1; i <= 4; i++ {
			r := openRec(t, fmt.Sprintf("s-h%d", i), "TRM6", uint64(i))
			r.IDHash = "hash-a"
			if i == 4 {
				r.IDHash = "hash-b"
			}
			st.openSubmission(r)
			if i != 3 { // s-h3 stays open: not listed
				st.commitSubmission(r.ID, time.Now())
			}
		}
		got, err := st.bySubject("hash-a", 10)
		if err != nil || len(got) != 2 || got[0].ID != "s-h2" || got[1].ID != "s-h1" {
			t.Fatalf("by subject: %v", err)
		}
		if got, _ := st.bySubject("hash-a", 1); len(got) != 1 || got[0].ID != "s-h2" {
			t.Fatalf("limit 1: %d", len(got))
		}
		if got, _ := st.bySubject("hash-none", 10); len(got) != 0 {
			t.Fatalf("unknown subject: %d", len(got))
		}
	})
}

// Open submissions are listed for quotas and the sweep; dropping one frees its tracking
// code and its partial bytes, and never touches a committed one.
func TestStorageOpenSubmissionsAndDrop(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage, att attachmentStorage) {
		a, b := openRec(t, "s-open-a", "TRMA", 1), openRec(t, "s-open-b", "TRMA", 2)
		for _, r := range []*submissionRecord{a, b} {
			if _, _, err := st.openSubmission(r); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.commitSubmission(b.ID, time.Unix(1700000100, 0).UTC()); err != nil {
			t.Fatal(err)
		}
		open, err := st.openSubmissions()
		if err != nil || len(open) != 1 || open[0].ID != a.ID {
			t.Fatalf("open submissions %v %v", open, err)
		}
		data := randomBytes(protocol.MinChunkData, 4)
		meta := protocol.Attachment{Name: "x", Size: 2 * protocol.MinChunkData, SHA256: sha256Hex(data)}
		if err := att.prepare(a.TerminalID, a.ID); err != nil {
			t.Fatal(err)
		}
		p, err := att.openPart(a.TerminalID, a.ID, 0, meta)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.append(data); err != nil {
			t.Fatal(err)
		}
		p.close()
		freed, err := att.drop(a.TerminalID, a.ID)
		if err != nil || freed < int64(len(data)) {
			t.Fatalf("drop freed %d, %v", freed, err)
		}
		if err := att.prepare(a.TerminalID, a.ID); err != nil {
			t.Fatal(err)
		}
		if p, err = att.openPart(a.TerminalID, a.ID, 0, meta); err != nil {
			t.Fatal(err)
		}
		if p.offset() != 0 {
			t.Errorf("after drop the part starts at %d", p.offset())
		}
		p.close()
		if gone, err := st.dropOpenSubmission(b.ID); err != nil || gone != nil {
			t.Fatalf("dropped a committed submission: %v %v", gone, err)
		}
		if gone, err := st.dropOpenSubmission(a.ID); err != nil || gone == nil || gone.ID != a.ID {
			t.Fatalf("drop open: %v %v", gone, err)
		}
		if r, _ := st.submission(a.ID); r != nil {
			t.Errorf("dropped submission still there")
		}
		if open, _ := st.openSubmissions(); len(open) != 0 {
			t.Errorf("open after drop: %v", open)
		}
		// Its tracking code is free again.
		again := openRec(t, "s-open-c", "TRMA", 1)
		if _, outcome, err := st.openSubmission(again); err != nil || outcome != openCreated {
			t.Errorf("code after drop: %v %v", outcome, err)
		}
		if r, _ := st.byTracking(b.TrackingCode); r == nil || r.ID != b.ID || r.State != stateCommitted {
			t.Errorf("committed submission changed: %+v", r)
		}
	})
}

// TestStorageReleaseBlobs: a package spanning several chunks comes back byte for byte,
// an unknown one is ErrNotFound, a half-read source stores nothing visible, and storing
// the same package again is harmless.
func TestStorageReleaseBlobs(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage, _ attachmentStorage) {
		pkg := make([]byte, 2*releaseChunk+12345)
		for i := range pkg {
			pkg[i] = byte(i * 7)
		}
		sum := sha256Hex(pkg)
		var out bytes.Buffer
		if err := st.releaseBlob(sum, &out); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown package: %v", err)
		}
		if err := st.putReleaseBlob(sum, int64(len(pkg)), bytes.NewReader(pkg[:releaseChunk+10])); err == nil {
			t.Fatal("a short source was stored")
		}
		if err := st.releaseBlob(sum, &out); !errors.Is(err, ErrNotFound) || out.Len() != 0 {
			t.Fatalf("half a package is visible: %v, %d bytes", err, out.Len())
		}
		for range 2 {
			if err := st.putReleaseBlob(sum, int64(len(pkg)), bytes.NewReader(pkg)); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.releaseBlob(sum, &out); err != nil || !bytes.Equal(out.Bytes(), pkg) {
			t.Fatalf("read back %d bytes, %v", out.Len(), err)
		}
	})
}

// TestStoragePruneAlerts: only alerts cleared and acknowledged before the cutoff go;
// health events go by their time.
func TestStoragePruneAlerts(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage, _ attachmentStorage) {
		day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		cutoff := day.AddDate(0, 0, 10)
		for _, a := range []*alertRecord{
			{ID: "over", Raised: day, Cleared: day.Add(time.Hour), AckedBy: "op", AckedAt: day.Add(2 * time.Hour)},
			{ID: "active-acked", Raised: day, AckedBy: "op", AckedAt: day},
			{ID: "cleared-unacked", Raised: day, Cleared: day},
			{ID: "acked-late", Raised: day, Cleared: day, AckedBy: "op", AckedAt: cutoff.Add(time.Hour)},
			{ID: "recent", Raised: cutoff, Cleared: cutoff.Add(time.Hour), AckedBy: "op", AckedAt: cutoff.Add(time.Hour)},
		} {
			a.TerminalID, a.Device, a.Action, a.State = "t-1", "printer", ActionClear, "user_error"
			if err := st.putAlert(a); err != nil {
				t.Fatal(err)
			}
		}
		evs := []healthEventRecord{
			{TerminalID: "t-1", At: day, Device: "printer", State: "user_error"},
			{TerminalID: "t-1", At: cutoff.Add(-time.Second), Device: "printer", State: "online"},
			{TerminalID: "t-1", At: cutoff, Device: "printer", State: "user_error"},
		}
		if err := st.addHealthEvents(evs); err != nil {
			t.Fatal(err)
		}
		if n, err := st.pruneAlerts(cutoff); err != nil || n != 1 {
			t.Fatalf("pruned %d alerts, %v; want 1", n, err)
		}
		as, _ := st.alerts()
		var ids []string
		for _, a := range as {
			ids = append(ids, a.ID)
		}
		slices.Sort(ids)
		if want := []string{"acked-late", "active-acked", "cleared-unacked", "recent"}; !slices.Equal(ids, want) {
			t.Errorf("kept %q, want %q", ids, want)
		}
		if n, err := st.pruneHealthEvents(cutoff); err != nil || n != 2 {
			t.Fatalf("pruned %d events, %v; want 2", n, err)
		}
		if got, _ := st.healthEvents("t-1", 10); len(got) != 1 || !got[0].At.Equal(cutoff) {
			t.Errorf("kept events %+v", got)
		}
	})
}

// TestStorageCommands: a command comes back with its output by id and without it in the
// terminal's list; pruning keeps each terminal's newest answered screenshot.
func TestStorageCommands(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage, _ attachmentStorage) {
		day := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		shot := func(id, term string, at time.Time, ok bool) *commandRecord {
			return &commandRecord{Cmd: protocol.Command{ID: id, Name: protocol.CommandScreenshot}, TerminalID: term, Created: at,
				Result: &protocol.CommandResult{ID: id, OK: ok}, Answered: at.Add(time.Second), Output: []byte("sealed " + id)}
		}
		recs := []*commandRecord{
			shot("c-old", "t-1", day, true),
			shot("c-new", "t-1", day.Add(time.Hour), true),
			shot("c-failed", "t-1", day.Add(2*time.Hour), false),
			shot("c-other", "t-2", day, true),
			{Cmd: protocol.Command{ID: "c-wait", Name: protocol.CommandRestart}, TerminalID: "t-1", Created: day.Add(3 * time.Hour)},
		}
		for _, r := range recs {
			if err := st.putCommand(r); err != nil {
				t.Fatal(err)
			}
		}
		got, err := st.command("c-new")
		if err != nil || got == nil || string(got.Output) != "sealed c-new" || !got.Result.OK || got.TerminalID != "t-1" {
			t.Fatalf("command: %+v, %v", got, err)
		}
		if got, err := st.command("c-none"); got != nil || err != nil {
			t.Fatalf("unknown command: %+v, %v", got, err)
		}
		list, err := st.terminalCommands("t-1")
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, c := range list {
			ids = append(ids, c.Cmd.ID)
			if c.Output != nil {
				t.Errorf("%s listed with its output", c.Cmd.ID)
			}
		}
		if want := []string{"c-old", "c-new", "c-failed", "c-wait"}; !slices.Equal(ids, want) {
			t.Errorf("listed %q, want %q", ids, want)
		}
		// Answered: the waiting command is replaced with its result.
		recs[4].Result, recs[4].Answered = &protocol.CommandResult{ID: "c-wait", OK: true, Output: "done"}, day.Add(4*time.Hour)
		if err := st.putCommand(recs[4]); err != nil {
			t.Fatal(err)
		}
		if got, _ := st.command("c-wait"); got == nil || got.Result == nil || got.Result.Output != "done" {
			t.Fatalf("answered command: %+v", got)
		}
		if n, err := st.pruneCommands(day.Add(10 * time.Hour)); err != nil || n != 3 {
			t.Fatalf("pruned %d, %v; want 3", n, err)
		}
		for id, want := range map[string]bool{"c-new": true, "c-other": true, "c-old": false, "c-failed": false, "c-wait": false} {
			if got, _ := st.command(id); (got != nil) != want {
				t.Errorf("%s kept %v, want %v", id, got != nil, want)
			}
		}
	})
}

// TestStorageRatingsBetweenMatchesAScan: the indexed window returns exactly the ratings a
// scan of all of them picks (nanosecond times on the window's edges, equal times, times
// far apart), oldest first, with the fields a summary reads.
func TestStorageRatingsBetweenMatchesAScan(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage, _ attachmentStorage) {
		from := time.Date(2026, 5, 1, 0, 0, 0, 500, time.UTC)
		to := from.AddDate(0, 1, 0)
		var all []*ratingRecord
		times := []time.Time{from.Add(-1), from, from.Add(1), to.Add(-1), to, to.Add(1), from.AddDate(-1, 0, 0), to.AddDate(2, 0, 0),
			time.Unix(0, 0).UTC(), from.Add(time.Hour), from.Add(time.Hour)}
		for i := range 300 {
			times = append(times, from.Add(time.Duration(i*i)*37*time.Minute+time.Duration(i)))
		}
		for i, at := range times {
			r := &ratingRecord{ID: fmt.Sprintf("r%03d", i), TerminalID: fmt.Sprintf("t-%d", i%7), Item: fmt.Sprintf("item%d", i%5),
				Stars: 1 + i%5, CreatedAt: at, Digest: "d", ReceivedAt: at, Comment: []byte("sealed")}
			if _, _, err := st.putRating(r); err != nil {
				t.Fatal(err)
			}
			all = append(all, r)
		}
		var want []string
		sortRatings(all)
		for _, r := range all {
			if !r.CreatedAt.Before(from) && r.CreatedAt.Before(to) {
				want = append(want, fmt.Sprintf("%s %s %s %d %s", r.ID, r.TerminalID, r.Item, r.Stars, r.CreatedAt.Format(time.RFC3339Nano)))
			}
		}
		rs, err := st.ratingsBetween(from, to)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rs {
			got = append(got, fmt.Sprintf("%s %s %s %d %s", r.ID, r.TerminalID, r.Item, r.Stars, r.CreatedAt.Format(time.RFC3339Nano)))
		}
		if !slices.Equal(got, want) {
			t.Errorf("indexed window: %d ratings, a scan: %d\ngot  %q\nwant %q", len(got), len(want), got, want)
		}
	})
}

// TestRatingIndexBuiltForAnOlderDatabase: a bbolt database written before the time index
// existed gets it when the hub opens it, and its summaries count every rating.
func TestRatingIndexBuiltForAnOlderDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hub.db")
	s, err := openStore(path, testSealer(t))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 5, 3, 10, 0, 0, 0, time.UTC)
	for i := range 3 {
		if _, _, err := s.putRating(&ratingRecord{ID: fmt.Sprintf("r%d", i), TerminalID: "t-1", Stars: 5, CreatedAt: at, Digest: "d"}); err != nil {
			t.Fatal(err)
		}
	}
	// What an older hub left: no index.
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketRatingsByTime) }); err != nil {
		t.Fatal(err)
	}
	s.close()
	s, err = openStore(path, testSealer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if rs, err := s.ratingsBetween(at, at.Add(time.Second)); err != nil || len(rs) != 3 {
		t.Fatalf("after reopening: %d ratings, %v", len(rs), err)
	}
}

// TestStorageConsoleSessions: stored, read, ended, and pruned once expired.
func TestStorageConsoleSessions(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage, _ attachmentStorage) {
		now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		live := consoleSessionRecord{Name: "zhang.wei", Role: RoleOperator, CSRF: "c1", Expires: now.Add(8 * time.Hour)}
		if err := st.putConsoleSession("k-live", live); err != nil {
			t.Fatal(err)
		}
		if err := st.putConsoleSession("k-old", consoleSessionRecord{Name: "li.na", Role: RoleViewer, CSRF: "c2", Expires: now.Add(-time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if err := st.putConsoleSession("k-out", live); err != nil {
			t.Fatal(err)
		}
		got, err := st.consoleSession("k-live")
		if err != nil || got == nil || got.Name != "zhang.wei" || got.Role != RoleOperator || got.CSRF != "c1" || !got.Expires.Equal(live.Expires) {
			t.Fatalf("session %+v, %v", got, err)
		}
		if err := st.deleteConsoleSession("k-out"); err != nil {
			t.Fatal(err)
		}
		if err := st.deleteConsoleSession("k-none"); err != nil {
			t.Fatal(err)
		}
		if n, err := st.pruneConsoleSessions(now); err != nil || n != 1 {
			t.Fatalf("pruned %d, %v", n, err)
		}
		for k, want := range map[string]bool{"k-live": true, "k-old": false, "k-out": false, "k-none": false} {
			if got, _ := st.consoleSession(k); (got != nil) != want {
				t.Errorf("%s kept %v, want %v", k, got != nil, want)
			}
		}
	})
}

// TestStorageReleasePrune: publications are recorded once per channel and package, the
// later time winning; storedReleases lists complete packages (and, where a cut upload
// leaves chunks, those); dropRelease removes a package whole with its publications and
// leaves the others byte for byte; commandsNamed returns only that command.
func TestStorageReleasePrune(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage, _ attachmentStorage) {
		day := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		pkg := func(n int, fill byte) ([]byte, string) {
			b := bytes.Repeat([]byte{fill}, n)
			return b, sha256Hex(b)
		}
		a, sumA := pkg(2*releaseChunk+7, 'a')
		b, sumB := pkg(1000, 'b')
		c, sumC := pkg(releaseChunk+10, 'c')
		for _, p := range []struct {
			data []byte
			sum  string
		}{{a, sumA}, {b, sumB}} {
			if err := st.putReleaseBlob(p.sum, int64(len(p.data)), bytes.NewReader(p.data)); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.putReleaseBlob(sumC, int64(len(c)), bytes.NewReader(c[:releaseChunk+1])); err == nil {
			t.Fatal("a cut upload was stored")
		}
		for _, e := range []releaseEntry{
			{Channel: "pilot", SHA256: sumA, Version: "1.0.0", At: day},
			{Channel: "all", SHA256: sumA, Version: "1.0.0", At: day.Add(time.Hour)},
			{Channel: "all", SHA256: sumA, Version: "1.0.0", At: day.Add(time.Minute)}, // older: ignored
			{Channel: "all", SHA256: sumB, Version: "1.1.0", At: day.Add(2 * time.Hour)},
			{Channel: "all", SHA256: sumC, Version: "1.2.0", At: day.Add(3 * time.Hour)},
		} {
			if err := st.recordRelease(e); err != nil {
				t.Fatal(err)
			}
		}
		entries := func() string {
			es, err := st.releaseEntries()
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, e := range es {
				out = append(out, fmt.Sprintf("%s %s %s %s", e.Channel, e.At.Format("15:04"), e.Version, e.SHA256[:4]))
			}
			slices.Sort(out)
			return strings.Join(out, ", ")
		}
		want := fmt.Sprintf("all 10:00 1.0.0 %s, all 11:00 1.1.0 %s, all 12:00 1.2.0 %s, pilot 09:00 1.0.0 %s",
			sumA[:4], sumB[:4], sumC[:4], sumA[:4])
		if got := entries(); got != want {
			t.Fatalf("entries\n%s\nwant\n%s", got, want)
		}
		stored, err := st.storedReleases()
		if err != nil || !slices.Contains(stored, sumA) || !slices.Contains(stored, sumB) || len(stored) > 3 {
			t.Fatalf("stored %q, %v", stored, err)
		}

		for _, sum := range []string{sumA, sumC, sumC, strings.Repeat("0", 64)} {
			if err := st.dropRelease(sum); err != nil {
				t.Fatalf("drop %s: %v", sum[:4], err)
			}
		}
		var out bytes.Buffer
		if err := st.releaseBlob(sumA, &out); !errors.Is(err, ErrNotFound) {
			t.Fatalf("a dropped package reads: %v, %d bytes", err, out.Len())
		}
		if err := st.releaseBlob(sumB, &out); err != nil || !bytes.Equal(out.Bytes(), b) {
			t.Fatalf("the kept package: %d bytes, %v", out.Len(), err)
		}
		if stored, err := st.storedReleases(); err != nil || !slices.Equal(stored, []string{sumB}) {
			t.Fatalf("stored after the drops %q, %v", stored, err)
		}
		if got, want := entries(), fmt.Sprintf("all 11:00 1.1.0 %s", sumB[:4]); got != want {
			t.Fatalf("entries after the drops %q, want %q", got, want)
		}
		// Storing a dropped package again brings it back whole.
		if err := st.putReleaseBlob(sumA, int64(len(a)), bytes.NewReader(a)); err != nil {
			t.Fatal(err)
		}
		out.Reset()
		if err := st.releaseBlob(sumA, &out); err != nil || !bytes.Equal(out.Bytes(), a) {
			t.Fatalf("stored again: %d bytes, %v", out.Len(), err)
		}

		for _, c := range []*commandRecord{
			{Cmd: protocol.Command{ID: "c-1", Name: CommandUpdate, Args: map[string]string{"sha256": sumB}}, TerminalID: "t-1", Created: day},
			{Cmd: protocol.Command{ID: "c-2", Name: protocol.CommandScreenshot}, TerminalID: "t-1", Created: day},
			{Cmd: protocol.Command{ID: "c-3", Name: CommandUpdate, Args: map[string]string{"sha256": sumA}}, TerminalID: "t-2", Created: day.Add(time.Hour)},
		} {
			if err := st.putCommand(c); err != nil {
				t.Fatal(err)
			}
		}
		cs, err := st.commandsNamed(CommandUpdate)
		if err != nil || len(cs) != 2 || cs[0].Cmd.ID != "c-1" || cs[1].Cmd.Args["sha256"] != sumA {
			t.Fatalf("update commands %+v, %v", cs, err)
		}
	})
}
