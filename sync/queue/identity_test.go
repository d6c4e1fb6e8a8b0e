package queue

import (
	"bytes"
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// person is a synthetic resident: a fictional name and an ID number in region 99xxxx.
type person struct {
	name, id string
}

var (
	personA = person{"测试甲", syntheticID(7)}
	personB = person{"测试乙", syntheticID(8)}
)

// submissionBy is a form-only synthetic submission made with p's card.
func submissionBy(p person, item string) NewSubmission {
	return NewSubmission{
		Item: item, ItemTitle: "样例事项",
		Fields:         map[string]string{"name": p.name, "_card.id_number": p.id},
		IdentityNumber: p.id,
	}
}

// newest returns subs newest first (they were enqueued oldest first).
func newest(subs []*Submission) []*Submission {
	out := slices.Clone(subs)
	slices.Reverse(out)
	return out
}

// codes lists the receipts' tracking codes in the order given.
func codes(rs []*Receipt) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.TrackingCode)
	}
	return out
}

// wantReceipts looks p up and checks the codes (newest first) and, if given, the states.
func wantReceipts(t *testing.T, q *Queue, p person, want []*Submission, states ...State) {
	t.Helper()
	got, err := q.LookupIdentity(p.id)
	if len(want) == 0 {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("LookupIdentity(%s) = %v, %v; want ErrNotFound", p.name, codes(got), err)
		}
		return
	}
	if err != nil {
		t.Fatalf("LookupIdentity(%s): %v", p.name, err)
	}
	var wantCodes []string
	for _, s := range want {
		wantCodes = append(wantCodes, s.TrackingCode)
	}
	if !slices.Equal(codes(got), wantCodes) {
		t.Fatalf("LookupIdentity(%s) = %v, want %v", p.name, codes(got), wantCodes)
	}
	for i, st := range states {
		if got[i].State != st {
			t.Errorf("LookupIdentity(%s)[%d] (%s) state %s, want %s", p.name, i, got[i].TrackingCode, got[i].State, st)
		}
	}
}

// identityEntries counts the identity index's entries.
func identityEntries(t *testing.T, q *Queue) int {
	t.Helper()
	n := 0
	if err := q.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bktIdentity).Stats().KeyN
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func checkClean(t *testing.T, q *Queue) {
	t.Helper()
	rep, err := q.Check(context.Background())
	if err != nil || len(rep.Problems) != 0 {
		t.Errorf("Check = %v, %v", rep.Problems, err)
	}
}

// TestLookupIdentityAcrossDeliveryAndPruning follows two people's submissions through
// queued, delivered, failed, a restart and pruning: each card finds only its holder's
// receipts, newest first, for exactly as long as the receipts are kept.
func TestLookupIdentityAcrossDeliveryAndPruning(t *testing.T) {
	env := newEnv(t)
	opts := func(o *Options) { o.Retention = 48 * time.Hour }
	q := env.open(t, opts)

	// Interleaved, an hour apart, with an anonymous submission and a rating among them.
	var a, b []*Submission
	for i := 0; i < 3; i++ {
		a = append(a, mustEnqueue(t, q, submissionBy(personA, "hukou-move")))
		env.clock.Advance(time.Hour)
		b = append(b, mustEnqueue(t, q, submissionBy(personB, "hukou-cert")))
		env.clock.Advance(time.Hour)
	}
	noCard := sampleSubmission(1)
	noCard.IdentityNumber = "" // the resident skipped identification
	anon := mustEnqueue(t, q, noCard)
	if _, err := q.Rate(context.Background(), RatingInput{SubmissionID: a[0].ID, TrackingCode: a[0].TrackingCode, Stars: 4}); err != nil {
		t.Fatal(err)
	}
	wantReceipts(t, q, personA, newest(a), Queued, Queued, Queued)
	wantReceipts(t, q, personB, newest(b), Queued, Queued, Queued)

	// Delivery deletes the personal data; the receipts stay findable by card.
	for _, s := range []*Submission{a[0], a[1], b[0]} {
		if err := q.MarkDelivered(s.ID, "hub-"+s.ID[:8]); err != nil {
			t.Fatal(err)
		}
		if it, err := q.Get(s.ID); err != nil || it.Submission.Fields != nil {
			t.Fatalf("Get(%s) after delivery = %+v, %v: personal data kept", s.TrackingCode, it.Submission, err)
		}
	}
	if err := q.SetStatus(a[0].TrackingCode, "processing", env.clock.Now()); err != nil {
		t.Fatal(err)
	}
	env.clock.Advance(24 * time.Hour)
	if err := q.MarkFailed(b[1].ID, "rejected by the hub"); err != nil {
		t.Fatal(err)
	}
	wantReceipts(t, q, personA, newest(a), Queued, Delivered, Delivered)
	wantReceipts(t, q, personB, newest(b), Queued, Failed, Delivered)
	if got, _ := q.LookupIdentity(personA.id); got[2].Status != "processing" {
		t.Errorf("A's oldest receipt status %q, want the pushed one", got[2].Status)
	}

	// A restart keeps the index.
	q.Close()
	q = env.open(t, opts)
	wantReceipts(t, q, personA, newest(a), Queued, Delivered, Delivered)
	wantReceipts(t, q, personB, newest(b), Queued, Failed, Delivered)
	checkClean(t, q)

	// 25 h later the three delivered ones are past 48 h; the failed one is not.
	env.clock.Advance(25 * time.Hour)
	if n, err := q.Prune(); err != nil || n != 3 {
		t.Fatalf("Prune = %d, %v; want the 3 delivered receipts", n, err)
	}
	wantReceipts(t, q, personA, []*Submission{a[2]}, Queued)
	wantReceipts(t, q, personB, []*Submission{b[2], b[1]}, Queued, Failed)

	// Everything delivered and past retention: nothing left to find, nothing left indexed.
	for _, s := range []*Submission{a[2], b[2], b[1], anon} {
		if err := q.MarkDelivered(s.ID, "h"); err != nil {
			t.Fatal(err)
		}
	}
	env.clock.Advance(49 * time.Hour)
	if _, err := q.Prune(); err != nil {
		t.Fatal(err)
	}
	wantReceipts(t, q, personA, nil)
	wantReceipts(t, q, personB, nil)
	if n := identityEntries(t, q); n != 0 {
		t.Errorf("identity index holds %d entries after everything was pruned", n)
	}
	checkClean(t, q)
}

func TestLookupIdentityInput(t *testing.T) {
	env := newEnv(t)
	q := env.open(t)
	// A number whose check character is X, to show 'x' finds it.
	var withX, someoneElse string
	for n := 0; withX == ""; n++ {
		if id := syntheticID(n); strings.HasSuffix(id, "X") {
			withX, someoneElse = id, syntheticID(n+1)
		}
	}
	holder := person{"测试丙", withX}
	s := mustEnqueue(t, q, submissionBy(holder, "hukou-cert"))
	foreigner := person{"测试丁", "ABC991234567890"} // the 15-character 2017 permanent-residence layout
	f := mustEnqueue(t, q, submissionBy(foreigner, "hukou-cert"))

	tests := []struct {
		name, number string
		want         *Submission
		err          error
	}{
		{"as read from the card", withX, s, nil},
		{"lower-case check character", strings.ToLower(withX), s, nil},
		{"typed with spaces", " " + withX[:6] + " " + withX[6:14] + " " + withX[14:] + "\n", s, nil},
		{"another layout", foreigner.id, f, nil},
		{"another layout, lower case", strings.ToLower(foreigner.id), f, nil},
		{"someone else", someoneElse, nil, ErrNotFound},
		{"one character off", withX[:17] + "0", nil, ErrNotFound},
		{"empty", "", nil, ErrInvalid},
		{"only spaces", " \t ", nil, ErrInvalid},
		{"too long", strings.Repeat("9", maxIdentityLen+1), nil, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := q.LookupIdentity(tt.number)
			if tt.err != nil {
				if !errors.Is(err, tt.err) || got != nil {
					t.Fatalf("LookupIdentity = %v, %v; want %v", codes(got), err, tt.err)
				}
				return
			}
			if err != nil || len(got) != 1 || got[0].TrackingCode != tt.want.TrackingCode {
				t.Fatalf("LookupIdentity = %v, %v; want %s", codes(got), err, tt.want.TrackingCode)
			}
		})
	}

	// A queue opened read-only without its key cannot compute tags.
	q.Close()
	ro := env.open(t, func(o *Options) { o.ReadOnly, o.KeyFile, o.CreateKey = true, "", false })
	if _, err := ro.LookupIdentity(withX); !errors.Is(err, ErrKey) {
		t.Errorf("LookupIdentity without the key = %v, want ErrKey", err)
	}
	ro.Close()
	if _, err := ro.LookupIdentity(withX); !errors.Is(err, ErrClosed) {
		t.Errorf("LookupIdentity after Close = %v, want ErrClosed", err)
	}
}

func TestLookupIdentityIsBounded(t *testing.T) {
	env := newEnv(t)
	q := env.open(t)
	q.db.NoSync = true // setting up only
	var all []*Submission
	for i := 0; i < IdentityLookupLimit+5; i++ {
		all = append(all, mustEnqueue(t, q, submissionBy(personA, "hukou-cert")))
		mustEnqueue(t, q, submissionBy(personB, "hukou-cert"))
	}
	q.db.NoSync = false
	got, err := q.LookupIdentity(personA.id)
	if err != nil {
		t.Fatal(err)
	}
	want := newest(all)[:IdentityLookupLimit]
	if !slices.Equal(codes(got), codes(receiptsOf(want))) {
		t.Errorf("LookupIdentity = %v,\nwant the newest %d: %v", codes(got), IdentityLookupLimit, codes(receiptsOf(want)))
	}
}

func receiptsOf(subs []*Submission) []*Receipt {
	var out []*Receipt
	for _, s := range subs {
		out = append(out, &Receipt{TrackingCode: s.TrackingCode})
	}
	return out
}

// storedTags reads the identity tags straight from the database file (queue closed).
func storedTags(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, dbName), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tags := map[string][]byte{}
	if err := db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bktItems).ForEach(func(_, v []byte) error {
			r, err := decodeRecord(v)
			if err != nil {
				return err
			}
			tags[r.TrackingCode] = r.IdentityTag
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return tags
}

func readKey(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	k, err := parseKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestIdentityKeySeparation shows the stored tag is an HMAC under a key of its own: not the
// AES key, not a plain hash, different under another queue key; and that a queue whose
// key is not the one the tags were made with finds nothing.
func TestIdentityKeySeparation(t *testing.T) {
	env := newEnv(t)
	q := env.open(t)
	s := mustEnqueue(t, q, submissionBy(personA, "hukou-cert"))
	q.Close()
	master := readKey(t, env.keyFile)
	derived, err := deriveIdentityKey(master)
	if err != nil {
		t.Fatal(err)
	}
	if len(derived) != sha256.Size || bytes.Equal(derived, master) {
		t.Fatalf("derived identity key is the queue key or the wrong size (%d bytes)", len(derived))
	}
	tag := storedTags(t, env.dir)[s.TrackingCode]
	plainHash := sha256.Sum256([]byte(personA.id))
	for _, tt := range []struct {
		name string
		tag  []byte
		same bool
	}{
		{"HMAC under the derived key", identityMAC(derived, personA.id), true},
		{"HMAC under the queue key itself", identityMAC(master, personA.id), false},
		{"plain SHA-256", plainHash[:], false},
		{"HMAC under a key derived with another label", mustHKDF(t, master, "govkiosk/queue/v1 other purpose"), false},
	} {
		if got := bytes.Equal(tag, tt.tag); got != tt.same {
			t.Errorf("stored tag equals %s: %v, want %v", tt.name, got, tt.same)
		}
	}

	// Another terminal, another key: the same person gets an unrelated tag.
	other := newEnv(t)
	q2 := other.open(t)
	s2 := mustEnqueue(t, q2, submissionBy(personA, "hukou-cert"))
	q2.Close()
	if tag2 := storedTags(t, other.dir)[s2.TrackingCode]; len(tag2) != tagSize || bytes.Equal(tag, tag2) {
		t.Errorf("two queue keys gave the same tag (or none) for the same number")
	}

	// The first queue's database opened under a different key (its key check removed, as
	// a tamperer or a restore from the wrong backup would): its tags match nothing.
	wrong := newEnv(t)
	if err := os.MkdirAll(wrong.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join(env.dir, dbName), filepath.Join(wrong.dir, dbName))
	rawUpdate(t, wrong.dir, func(tx *bolt.Tx) error { return tx.Bucket(bktMeta).Delete(metaKeyCheck) })
	writeFile(t, wrong.keyFile, strings.Repeat("5a", keySize)+"\n", 0o600)
	q3 := wrong.open(t)
	if _, err := q3.Lookup(s.TrackingCode); err != nil {
		t.Fatalf("the copied receipt is not there: %v", err)
	}
	wantReceipts(t, q3, personA, nil)
}

func mustHKDF(t *testing.T, master []byte, label string) []byte {
	t.Helper()
	k, err := hkdf.Key(sha256.New, master, nil, label, sha256.Size)
	if err != nil {
		t.Fatal(err)
	}
	return identityMAC(k, personA.id)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// rawUpdate changes the database directly (the queue must be closed), as an older
// version of the queue, a tamperer or damage would.
func rawUpdate(t *testing.T, dir string, f func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, dbName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(f); err != nil {
		t.Fatal(err)
	}
}

// TestIdentityIndexAgainstOlderVersions covers databases an older version of the queue
// (one without the identity index) wrote or changed: its records do not match, and what
// it left out of step is repaired at Open.
func TestIdentityIndexAgainstOlderVersions(t *testing.T) {
	tests := []struct {
		name string
		// edit changes the closed database; s is a submission made with personA's card.
		edit      func(tx *bolt.Tx, s *record) error
		wantFound bool
	}{
		{"written by an older version: no bucket, no tag", func(tx *bolt.Tx, s *record) error {
			s.IdentityTag = nil
			if err := putRaw(tx, s); err != nil {
				return err
			}
			return tx.DeleteBucket(bktIdentity)
		}, false},
		{"tag dropped by an older version's rewrite, entry left", func(tx *bolt.Tx, s *record) error {
			s.IdentityTag = nil
			return putRaw(tx, s)
		}, false},
		{"record pruned by an older version, entry left", func(tx *bolt.Tx, s *record) error {
			s.IdentityTag = nil // an older version deletes everything it knows of
			return deleteRecord(tx, s)
		}, false},
		{"index entry lost", func(tx *bolt.Tx, s *record) error {
			return tx.Bucket(bktIdentity).Delete(identityIndexKey(s.IdentityTag, s.Seq))
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			q := env.open(t)
			s := mustEnqueue(t, q, submissionBy(personA, "hukou-cert"))
			if err := q.MarkDelivered(s.ID, "h"); err != nil {
				t.Fatal(err)
			}
			keep := mustEnqueue(t, q, submissionBy(personB, "hukou-cert"))
			q.Close()
			rawUpdate(t, env.dir, func(tx *bolt.Tx) error {
				r, err := getByID(tx, s.ID)
				if err != nil {
					return err
				}
				return tt.edit(tx, r)
			})
			q = env.open(t)
			if tt.wantFound {
				wantReceipts(t, q, personA, []*Submission{s}, Delivered)
			} else {
				wantReceipts(t, q, personA, nil)
			}
			wantReceipts(t, q, personB, []*Submission{keep}, Queued)
			if strings.Contains(tt.name, "entry") && !strings.Contains(env.logs.String(), "identity index disagreed") {
				t.Errorf("the repair was not logged:\n%s", env.logs.String())
			}
			checkClean(t, q)
		})
	}
}

func putRaw(tx *bolt.Tx, r *record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return tx.Bucket(bktItems).Put(seqKey(r.Seq), b)
}

// TestCheckReportsIdentityIndexProblems: a technician's check sees what Open would repair.
func TestCheckReportsIdentityIndexProblems(t *testing.T) {
	env := newEnv(t)
	q := env.open(t)
	s := mustEnqueue(t, q, submissionBy(personA, "hukou-cert"))
	q.Close()
	rawUpdate(t, env.dir, func(tx *bolt.Tx) error {
		r, err := getByID(tx, s.ID)
		if err != nil {
			return err
		}
		// One entry lost, one entry pointing at nothing.
		if err := tx.Bucket(bktIdentity).Delete(identityIndexKey(r.IdentityTag, r.Seq)); err != nil {
			return err
		}
		return tx.Bucket(bktIdentity).Put(identityIndexKey(r.IdentityTag, 999), nil)
	})
	ro := env.open(t, func(o *Options) { o.ReadOnly = true })
	rep, err := ro.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(rep.Problems, "\n")
	if !strings.Contains(joined, "missing from the identity index") || !strings.Contains(joined, "identity index: an entry points at no record") {
		t.Errorf("Check problems:\n%s", joined)
	}
	if strings.Contains(joined, personA.id) || strings.Contains(joined, hex.EncodeToString(storedTags(t, env.dir)[s.TrackingCode])) {
		t.Errorf("Check output names the number or its tag:\n%s", joined)
	}
	ro.Close()
	q = env.open(t)
	checkClean(t, q)
	wantReceipts(t, q, personA, []*Submission{s}, Queued)
}

// TestLookupIdentityConcurrent runs lookups beside enqueues and deliveries (go test -race).
func TestLookupIdentityConcurrent(t *testing.T) {
	env := newEnv(t)
	q := env.open(t)
	q.db.NoSync = true
	done := make(chan error, 1)
	go func() {
		for i := 0; i < 30; i++ {
			s, err := q.Enqueue(context.Background(), submissionBy(personA, "hukou-cert"))
			if err == nil && i%2 == 0 {
				err = q.MarkDelivered(s.ID, "h")
			}
			if err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for seen := 0; ; {
		got, err := q.LookupIdentity(personA.id)
		if err != nil && !errors.Is(err, ErrNotFound) {
			t.Fatal(err)
		}
		if len(got) < seen {
			t.Fatalf("lookup went from %d receipts to %d", seen, len(got))
		}
		seen = len(got)
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			wantAll, _ := q.LookupIdentity(personA.id)
			if len(wantAll) != IdentityLookupLimit {
				t.Errorf("after 30 submissions: %d receipts, want the limit %d", len(wantAll), IdentityLookupLimit)
			}
			return
		default:
		}
	}
}

// BenchmarkLookupIdentity looks one person's 3 receipts up among n receipt records, most
// delivered, as a busy terminal holds within 30 days. "scan" is what the same answer
// costs without the index, reading every record, for comparison.
func BenchmarkLookupIdentity(b *testing.B) {
	for _, n := range []int{1_000, 10_000} {
		env := newEnv(b)
		q := env.open(b)
		q.db.NoSync = true // building the data set only
		var target person
		for i := 0; i < n; i++ {
			p := person{"测试戊", syntheticID(1000 + i/3)} // three receipts each
			s, err := q.Enqueue(context.Background(), submissionBy(p, "hukou-cert"))
			if err != nil {
				b.Fatal(err)
			}
			if i%10 != 0 {
				if err := q.MarkDelivered(s.ID, "h"); err != nil {
					b.Fatal(err)
				}
			}
			if i == n/2 {
				target = p
			}
		}
		q.db.NoSync = false
		b.Run(fmt.Sprintf("index/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if got, err := q.LookupIdentity(target.id); err != nil || len(got) != 3 {
					b.Fatal(len(got), err)
				}
			}
		})
		b.Run(fmt.Sprintf("scan/%d", n), func(b *testing.B) {
			tag := identityMAC(q.idKey, target.id)
			b.ReportAllocs()
			for b.Loop() {
				found := 0
				if err := q.db.View(func(tx *bolt.Tx) error {
					return tx.Bucket(bktItems).ForEach(func(_, v []byte) error {
						r, err := decodeRecord(v)
						if err == nil && bytes.Equal(r.IdentityTag, tag) {
							found++
						}
						return err
					})
				}); err != nil || found != 3 {
					b.Fatal(found, err)
				}
			}
		})
	}
}
