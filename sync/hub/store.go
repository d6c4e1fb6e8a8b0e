package hub

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/govkiosk/govkiosk/kiosk/tracking"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

// Buckets of the hub's database. Values are JSON; personal data inside them is sealed.
var (
	bucketMeta        = []byte("meta")        // "hub_id"
	bucketTerminals   = []byte("terminals")   // terminal id → terminalRecord
	bucketTermCodes   = []byte("term_codes")  // terminal code → terminal id
	bucketEnrollCodes = []byte("enroll")      // sha256(code) → enrollCodeRecord
	bucketSubmissions = []byte("submissions") // submission id → submissionRecord
	bucketTracking    = []byte("tracking")    // tracking code → submission id
	bucketReceived    = []byte("received")    // big-endian commit sequence → submission id
	bucketRatings     = []byte("ratings")     // rating id → ratingRecord
	bucketStatusQueue = []byte("status_q")    // terminal id "/" update id → protocol.Status
	bucketPublished   = []byte("published")   // kind → publishedRecord
	bucketHeartbeats  = []byte("heartbeats")  // terminal id → heartbeatRecord
	bucketForward     = []byte("forward")     // submission id → forwardJob
	bucketIDHash      = []byte("id_hash")     // ID-number hash "/" submission id → nothing
	bucketOpenSubs    = []byte("open_subs")   // open (uncommitted) submission id → terminal id
	bucketCerts       = []byte("certs")       // submission id → certificateRecord
	bucketCertCodes   = []byte("cert_codes")  // verification code → submission id
)

// Errors the store returns where callers branch.
var (
	// ErrEnrollCode is an enrollment code that is unknown, already used or expired.
	ErrEnrollCode = errors.New("hub: enrollment code unknown, used or expired")
	// ErrNotFound is a record that does not exist (or belongs to another terminal).
	ErrNotFound = errors.New("hub: not found")
)

// Submission states at the hub.
const (
	stateOpen      = "open"
	stateCommitted = "committed"
)

type terminalRecord struct {
	ID         string    `json:"id"`
	Code       string    `json:"code"`
	PublicKey  []byte    `json:"public_key"`
	Name       string    `json:"name,omitempty"`
	App        string    `json:"app_version,omitempty"`
	EnrolledAt time.Time `json:"enrolled_at"`
	// RevokedAt is when an operator revoked the terminal; zero while it may connect.
	// What it delivered before stays.
	RevokedAt    time.Time `json:"revoked_at,omitzero"`
	RevokedBy    string    `json:"revoked_by,omitempty"`
	RevokeReason string    `json:"revoke_reason,omitempty"`
}

// revoked reports whether an operator revoked the terminal.
func (r *terminalRecord) revoked() bool { return !r.RevokedAt.IsZero() }

type enrollCodeRecord struct {
	Expires time.Time `json:"expires"`
	Created time.Time `json:"created"`
}

type submissionRecord struct {
	ID           string    `json:"id"`
	TerminalID   string    `json:"terminal_id"`
	TrackingCode string    `json:"tracking_code"`
	Item         string    `json:"item"`
	ItemTitle    string    `json:"item_title,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	OpenedAt     time.Time `json:"opened_at"`
	// Digest is the SHA-256 of the submit message: a repeat must match it exactly.
	Digest string `json:"digest"`
	// Fields is the sealed JSON of the form values.
	Fields      []byte                `json:"fields"`
	Attachments []protocol.Attachment `json:"attachments"`
	State       string                `json:"state"`
	Seq         uint64                `json:"seq,omitempty"`
	HubRef      string                `json:"hub_ref,omitempty"`
	ReceivedAt  time.Time             `json:"received_at,omitzero"`
	Status      string                `json:"status,omitempty"`
	StatusAt    time.Time             `json:"status_at,omitzero"`
	// StatusNote is the note that came with Status, for progress queries.
	StatusNote string `json:"status_note,omitempty"`
	// IDHash is protocol.IDHash of the resident's ID number, for progress queries.
	IDHash string `json:"id_hash,omitempty"`
}

func (r *submissionRecord) ack(dup bool) *protocol.Ack {
	return &protocol.Ack{ID: r.ID, Kind: protocol.AckSubmission, HubRef: r.HubRef, ReceivedAt: r.ReceivedAt, Duplicate: dup}
}

type ratingRecord struct {
	ID           string    `json:"id"`
	TerminalID   string    `json:"terminal_id"`
	SubmissionID string    `json:"submission_id,omitempty"`
	TrackingCode string    `json:"tracking_code,omitempty"`
	Item         string    `json:"item,omitempty"`
	Stars        int       `json:"stars"`
	Reasons      []string  `json:"reasons,omitempty"`
	Comment      []byte    `json:"comment,omitempty"` // sealed
	CreatedAt    time.Time `json:"created_at"`
	Digest       string    `json:"digest"`
	HubRef       string    `json:"hub_ref"`
	ReceivedAt   time.Time `json:"received_at"`
}

func (r *ratingRecord) ack(dup bool) *protocol.Ack {
	return &protocol.Ack{ID: r.ID, Kind: protocol.AckRating, HubRef: r.HubRef, ReceivedAt: r.ReceivedAt, Duplicate: dup}
}

type publishedRecord struct {
	Version string          `json:"version"`
	Payload json.RawMessage `json:"payload"`
	At      time.Time       `json:"at"`
}

type heartbeatRecord struct {
	LastSeen time.Time               `json:"last_seen"`
	At       time.Time               `json:"at"`
	Devices  []protocol.DeviceStatus `json:"devices"`
	Queue    protocol.QueueDepth     `json:"queue"`
	App      string                  `json:"app_version"`
	Catalog  string                  `json:"catalog_version,omitempty"`
	Config   string                  `json:"config_version,omitempty"`
	// ConfigRefused is the configuration push the terminal last refused, with why.
	ConfigRefused *protocol.ConfigRefusal `json:"config_refused,omitempty"`
	// Update is the terminal's latest software-update steps, oldest first.
	Update []protocol.UpdateStep `json:"update,omitempty"`
}

// store is the hub's bbolt database. Every write is its own fsynced transaction (or a
// bbolt batch of them), so what the hub acknowledges survives power loss.
type store struct {
	db     *bolt.DB
	seal   *sealer
	outbox bool // queue committed submissions for forwarding
}

func openStore(path string, seal *sealer) (*store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("hub: open database %s: %w", path, err)
	}
	// Submit and commit go through db.Batch. bbolt's default wait of 10 ms for a batch to
	// fill added about 20 ms to every submission of a lone terminal; 1 ms still gathers
	// the writes of terminals arriving together (measured: BenchmarkDeliver200KB in
	// sync/fleet, faster with 1 terminal and with 64).
	db.MaxBatchDelay = time.Millisecond
	err = db.Update(func(tx *bolt.Tx) error {
		if err := indexOpenSubmissions(tx); err != nil {
			return err
		}
		if _, err := tx.CreateBucketIfNotExists(bucketRatings); err != nil {
			return err
		}
		if err := indexRatingsByTime(tx); err != nil {
			return err
		}
		for _, b := range [][]byte{bucketMeta, bucketTerminals, bucketTermCodes, bucketEnrollCodes,
			bucketSubmissions, bucketTracking, bucketReceived, bucketRatings, bucketStatusQueue,
			bucketPublished, bucketHeartbeats, bucketForward, bucketIDHash} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		for _, b := range [][]byte{bucketCerts, bucketCertCodes} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("hub: prepare database: %w", err)
	}
	return &store{db: db, seal: seal}, nil
}

func (s *store) close() error { return s.db.Close() }

func getJSON(b *bolt.Bucket, key []byte, v any) (bool, error) {
	raw := b.Get(key)
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("hub: corrupt record %q: %w", key, err)
	}
	return true, nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}

// hubID returns the hub's id, creating it on first use.
func (s *store) hubID() (string, error) {
	var id string
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMeta)
		if v := b.Get([]byte("hub_id")); v != nil {
			id = string(v)
			return nil
		}
		r := make([]byte, 6)
		if _, err := rand.Read(r); err != nil {
			return err
		}
		id = "hub-" + hex.EncodeToString(r)
		return b.Put([]byte("hub_id"), []byte(id))
	})
	return id, err
}

func codeKey(code string) []byte {
	sum := sha256.Sum256([]byte(normalizeCode(code)))
	return sum[:]
}

// normalizeCode makes enrollment codes forgiving to type: case, spaces and dashes do not
// matter.
func normalizeCode(code string) string {
	code = strings.ToUpper(code)
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, code)
}

func (s *store) addEnrollCode(code string, created, expires time.Time) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketEnrollCodes), codeKey(code), enrollCodeRecord{Expires: expires, Created: created})
	})
}

// terminalAlphabet is Crockford's base 32, the alphabet of tracking codes (see
// kiosk/tracking): a terminal code starts every tracking code its terminal prints.
const terminalAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// enroll consumes a one-time code and records a new terminal with a fresh id and a unique
// 4-character code, in one transaction.
func (s *store) enroll(code string, now time.Time, pub []byte, name, app string) (terminalRecord, error) {
	var rec terminalRecord
	err := s.db.Update(func(tx *bolt.Tx) error {
		codes := tx.Bucket(bucketEnrollCodes)
		var ec enrollCodeRecord
		ok, err := getJSON(codes, codeKey(code), &ec)
		if err != nil {
			return err
		}
		if !ok || now.After(ec.Expires) {
			return ErrEnrollCode
		}
		if err := codes.Delete(codeKey(code)); err != nil {
			return err
		}
		tc := tx.Bucket(bucketTermCodes)
		var tcode string
		for range 1000 {
			c, err := randomString(terminalAlphabet, 4)
			if err != nil {
				return err
			}
			if tc.Get([]byte(c)) == nil {
				tcode = c
				break
			}
		}
		if tcode == "" {
			return errors.New("hub: no free terminal code")
		}
		idb := make([]byte, 8)
		if _, err := rand.Read(idb); err != nil {
			return err
		}
		rec = terminalRecord{ID: "t-" + hex.EncodeToString(idb), Code: tcode, PublicKey: pub,
			Name: name, App: app, EnrolledAt: now}
		if err := tc.Put([]byte(tcode), []byte(rec.ID)); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bucketTerminals), []byte(rec.ID), rec)
	})
	return rec, err
}

func randomString(alphabet string, n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	// The modulo bias over 256 values is irrelevant for identifiers checked for
	// uniqueness; enrollment codes use a 32-letter alphabet, which has none.
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b), nil
}

func (s *store) terminals() ([]terminalRecord, error) {
	var out []terminalRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTerminals).ForEach(func(k, v []byte) error {
			var r terminalRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("hub: corrupt terminal %q: %w", k, err)
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

func (s *store) terminal(id string) (*terminalRecord, error) {
	var r terminalRecord
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		ok, err = getJSON(tx.Bucket(bucketTerminals), []byte(id), &r)
		return err
	})
	if err != nil || !ok {
		return nil, err
	}
	return &r, nil
}

// revokeTerminal marks a terminal revoked. A terminal revoked already keeps its first
// revocation; ErrNotFound when the id is unknown.
func (s *store) revokeTerminal(id string, at time.Time, by, reason string) (*terminalRecord, error) {
	var r terminalRecord
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTerminals)
		ok, err := getJSON(b, []byte(id), &r)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNotFound
		}
		if r.revoked() {
			return nil
		}
		r.RevokedAt, r.RevokedBy, r.RevokeReason = at.UTC(), by, reason
		return putJSON(b, []byte(id), r)
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

func (s *store) submission(id string) (*submissionRecord, error) {
	var r submissionRecord
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		ok, err = getJSON(tx.Bucket(bucketSubmissions), []byte(id), &r)
		return err
	})
	if err != nil || !ok {
		return nil, err
	}
	return &r, nil
}

// openOutcome is what openSubmission found.
type openOutcome int

const (
	openCreated openOutcome = iota
	openExisting
	openTrackingTaken
)

// openSubmission records a new open submission unless the id exists (it then returns the
// stored record) or its tracking code belongs to another submission.
func (s *store) openSubmission(rec *submissionRecord) (*submissionRecord, openOutcome, error) {
	var out *submissionRecord
	var outcome openOutcome
	err := s.db.Batch(func(tx *bolt.Tx) error {
		subs := tx.Bucket(bucketSubmissions)
		var cur submissionRecord
		ok, err := getJSON(subs, []byte(rec.ID), &cur)
		if err != nil {
			return err
		}
		if ok {
			out, outcome = &cur, openExisting
			return nil
		}
		tr := tx.Bucket(bucketTracking)
		if other := tr.Get([]byte(rec.TrackingCode)); other != nil && string(other) != rec.ID {
			out, outcome = nil, openTrackingTaken
			return nil
		}
		if err := tr.Put([]byte(rec.TrackingCode), []byte(rec.ID)); err != nil {
			return err
		}
		if rec.IDHash != "" {
			if err := tx.Bucket(bucketIDHash).Put([]byte(rec.IDHash+"/"+rec.ID), nil); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketOpenSubs).Put([]byte(rec.ID), []byte(rec.TerminalID)); err != nil {
			return err
		}
		out, outcome = rec, openCreated
		return putJSON(subs, []byte(rec.ID), rec)
	})
	return out, outcome, err
}

// indexOpenSubmissions creates the index of open submissions, filling it from the
// records once for a database written before it existed.
func indexOpenSubmissions(tx *bolt.Tx) error {
	if tx.Bucket(bucketOpenSubs) != nil {
		return nil
	}
	idx, err := tx.CreateBucket(bucketOpenSubs)
	if err != nil {
		return err
	}
	subs := tx.Bucket(bucketSubmissions)
	if subs == nil {
		return nil
	}
	return subs.ForEach(func(k, v []byte) error {
		var r submissionRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("hub: corrupt submission %q: %w", k, err)
		}
		if r.State == stateOpen {
			return idx.Put(k, []byte(r.TerminalID))
		}
		return nil
	})
}

// openSubmissions returns every open (uncommitted) submission.
func (s *store) openSubmissions() ([]*submissionRecord, error) {
	var out []*submissionRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		subs := tx.Bucket(bucketSubmissions)
		return tx.Bucket(bucketOpenSubs).ForEach(func(k, _ []byte) error {
			var r submissionRecord
			ok, err := getJSON(subs, k, &r)
			if err != nil {
				return err
			}
			if ok && r.State == stateOpen {
				out = append(out, &r)
			}
			return nil
		})
	})
	return out, err
}

// dropOpenSubmission deletes an open submission, freeing its tracking code, and returns
// it; a committed or unknown one is left alone and nil returned.
func (s *store) dropOpenSubmission(id string) (*submissionRecord, error) {
	var out *submissionRecord
	err := s.db.Update(func(tx *bolt.Tx) error {
		subs := tx.Bucket(bucketSubmissions)
		var r submissionRecord
		ok, err := getJSON(subs, []byte(id), &r)
		if err != nil || !ok || r.State != stateOpen {
			return err
		}
		if err := subs.Delete([]byte(id)); err != nil {
			return err
		}
		tr := tx.Bucket(bucketTracking)
		if string(tr.Get([]byte(r.TrackingCode))) == id {
			if err := tr.Delete([]byte(r.TrackingCode)); err != nil {
				return err
			}
		}
		if r.IDHash != "" {
			if err := tx.Bucket(bucketIDHash).Delete([]byte(r.IDHash + "/" + r.ID)); err != nil {
				return err
			}
		}
		out = &r
		return tx.Bucket(bucketOpenSubs).Delete([]byte(id))
	})
	return out, err
}

// commitSubmission marks an open submission committed with the next hub reference. A
// committed one is returned unchanged.
func (s *store) commitSubmission(id string, now time.Time) (*submissionRecord, error) {
	var out submissionRecord
	err := s.db.Batch(func(tx *bolt.Tx) error {
		subs := tx.Bucket(bucketSubmissions)
		ok, err := getJSON(subs, []byte(id), &out)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNotFound
		}
		if out.State == stateCommitted {
			return nil
		}
		rcv := tx.Bucket(bucketReceived)
		seq, err := rcv.NextSequence()
		if err != nil {
			return err
		}
		out.State, out.Seq, out.HubRef, out.ReceivedAt = stateCommitted, seq, fmt.Sprintf("H%09d", seq), now
		if err := rcv.Put(seqKey(seq), []byte(id)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketOpenSubs).Delete([]byte(id)); err != nil {
			return err
		}
		if s.outbox {
			if err := putJSON(tx.Bucket(bucketForward), []byte(id), forwardJob{Key: id, NextAt: now}); err != nil {
				return err
			}
		}
		return putJSON(subs, []byte(id), &out)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func seqKey(seq uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, seq)
	return k
}

// putRating stores a rating unless its id exists, in which case the stored one is
// returned with existed set.
func (s *store) putRating(rec *ratingRecord) (out *ratingRecord, existed bool, err error) {
	err = s.db.Batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRatings)
		var cur ratingRecord
		ok, err := getJSON(b, []byte(rec.ID), &cur)
		if err != nil {
			return err
		}
		if ok {
			out, existed = &cur, true
			return nil
		}
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		r := *rec
		r.HubRef = fmt.Sprintf("R%09d", seq)
		out, existed = &r, false
		if s.outbox && r.handedOff() {
			if err := putJSON(tx.Bucket(bucketForward), []byte(ratingJobPrefix+r.ID), forwardJob{Key: ratingJobPrefix + r.ID, NextAt: r.ReceivedAt}); err != nil {
				return err
			}
		}
		if err := putJSON(tx.Bucket(bucketRatingsByTime), ratingTimeKey(r.CreatedAt, r.ID), ratingIndexEntry(&r)); err != nil {
			return err
		}
		return putJSON(b, []byte(r.ID), &r)
	})
	return out, existed, err
}

func (s *store) rating(id string) (*ratingRecord, error) {
	var r ratingRecord
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		ok, err = getJSON(tx.Bucket(bucketRatings), []byte(id), &r)
		return err
	})
	if err != nil || !ok {
		return nil, err
	}
	return &r, nil
}

// recentSubmissions returns up to limit committed submissions, newest first, that keep
// returns true for.
func (s *store) recentSubmissions(limit int, keep func(*submissionRecord) bool) ([]*submissionRecord, error) {
	var out []*submissionRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		subs := tx.Bucket(bucketSubmissions)
		c := tx.Bucket(bucketReceived).Cursor()
		for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
			var r submissionRecord
			ok, err := getJSON(subs, v, &r)
			if err != nil {
				return err
			}
			if ok && keep(&r) {
				out = append(out, &r)
			}
		}
		return nil
	})
	return out, err
}

func (s *store) countCommitted() (int, error) {
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketReceived).Stats().KeyN
		return nil
	})
	return n, err
}

// byTracking finds a submission by tracking code, read as forgivingly as a person types
// it (see kiosk/tracking).
func (s *store) byTracking(code string) (*submissionRecord, error) {
	if c, err := tracking.Normalize(code); err == nil {
		code = c
	}
	var id []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketTracking).Get([]byte(code)); v != nil {
			id = append([]byte(nil), v...)
		}
		return nil
	})
	if err != nil || id == nil {
		return nil, err
	}
	return s.submission(string(id))
}

// queueStatus records a status change on the submission and queues the update for its
// terminal, in one transaction.
func (s *store) queueStatus(st *protocol.Status, terminalID string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		subs := tx.Bucket(bucketSubmissions)
		var r submissionRecord
		ok, err := getJSON(subs, []byte(st.SubmissionID), &r)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNotFound
		}
		r.Status, r.StatusAt, r.StatusNote = st.Status, st.At, st.Note
		if err := putJSON(subs, []byte(r.ID), &r); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bucketStatusQueue), []byte(terminalID+"/"+st.UpdateID), st)
	})
}

func (s *store) pendingStatus(terminalID string) ([]*protocol.Status, error) {
	var out []*protocol.Status
	prefix := []byte(terminalID + "/")
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketStatusQueue).Cursor()
		for k, v := c.Seek(prefix); k != nil && strings.HasPrefix(string(k), string(prefix)); k, v = c.Next() {
			var st protocol.Status
			if err := json.Unmarshal(v, &st); err != nil {
				return fmt.Errorf("hub: corrupt status update %q: %w", k, err)
			}
			out = append(out, &st)
		}
		return nil
	})
	return out, err
}

// ackStatus removes a terminal's acknowledged update. The key includes the terminal id,
// so a terminal cannot acknowledge another's updates.
func (s *store) ackStatus(terminalID, updateID string) (bool, error) {
	found := false
	err := s.db.Batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketStatusQueue)
		k := []byte(terminalID + "/" + updateID)
		found = b.Get(k) != nil
		if !found {
			return nil
		}
		return b.Delete(k)
	})
	return found, err
}

func (s *store) putPublished(kind string, rec publishedRecord) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketPublished), []byte(kind), rec)
	})
}

func (s *store) published(kind string) (*publishedRecord, error) {
	var r publishedRecord
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		ok, err = getJSON(tx.Bucket(bucketPublished), []byte(kind), &r)
		return err
	})
	if err != nil || !ok {
		return nil, err
	}
	return &r, nil
}

func (s *store) saveHeartbeats(hb map[string]heartbeatRecord) error {
	if len(hb) == 0 {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHeartbeats)
		for id, r := range hb {
			if err := putJSON(b, []byte(id), r); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *store) heartbeats() (map[string]heartbeatRecord, error) {
	out := map[string]heartbeatRecord{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketHeartbeats).ForEach(func(k, v []byte) error {
			var r heartbeatRecord
			if err := json.Unmarshal(v, &r); err == nil {
				out[string(k)] = r
			}
			return nil
		})
	})
	return out, err
}

func (s *store) enableOutbox() { s.outbox = true }

func (s *store) claimForward(now time.Time, lease time.Duration, limit int) ([]*forwardJob, error) {
	var out []*forwardJob
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketForward)
		c := b.Cursor()
		for k, v := c.First(); k != nil && len(out) < limit; k, v = c.Next() {
			var j forwardJob
			if err := json.Unmarshal(v, &j); err != nil {
				return fmt.Errorf("hub: corrupt forwarding job %q: %w", k, err)
			}
			if j.Dead || j.NextAt.After(now) || j.LeaseUntil.After(now) {
				continue
			}
			j.LeaseUntil = now.Add(lease)
			out = append(out, &j)
		}
		for _, j := range out {
			if err := putJSON(b, []byte(j.Key), j); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

func (s *store) forwardQueued(key string) (bool, error) {
	found := false
	err := s.db.View(func(tx *bolt.Tx) error {
		found = tx.Bucket(bucketForward).Get([]byte(key)) != nil
		return nil
	})
	return found, err
}

func (s *store) forwardDone(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketForward).Delete([]byte(id)) })
}

func (s *store) forwardFailed(id string, attempts int, next time.Time, dead bool, lastErr string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketForward)
		if b.Get([]byte(id)) == nil {
			return ErrNotFound
		}
		return putJSON(b, []byte(id), forwardJob{Key: id, Attempts: attempts, NextAt: next, Dead: dead, LastError: lastErr})
	})
}

func (s *store) deadLetters() ([]*forwardJob, error) {
	var out []*forwardJob
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketForward).ForEach(func(k, v []byte) error {
			var j forwardJob
			if err := json.Unmarshal(v, &j); err != nil {
				return fmt.Errorf("hub: corrupt forwarding job %q: %w", k, err)
			}
			if j.Dead {
				out = append(out, &j)
			}
			return nil
		})
	})
	return out, err
}

func (s *store) retryDead(id string, now time.Time) (bool, error) {
	found := false
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketForward)
		var j forwardJob
		ok, err := getJSON(b, []byte(id), &j)
		if err != nil || !ok || !j.Dead {
			return err
		}
		found = true
		return putJSON(b, []byte(id), forwardJob{Key: id, NextAt: now, LastError: j.LastError})
	})
	return found, err
}

func (s *store) bySubject(idHash string, limit int) ([]*submissionRecord, error) {
	var out []*submissionRecord
	prefix := []byte(idHash + "/")
	err := s.db.View(func(tx *bolt.Tx) error {
		subs := tx.Bucket(bucketSubmissions)
		c := tx.Bucket(bucketIDHash).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			var r submissionRecord
			ok, err := getJSON(subs, k[len(prefix):], &r)
			if err != nil {
				return err
			}
			if ok && r.State == stateCommitted {
				out = append(out, &r)
			}
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Seq > out[j].Seq })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, err
}
