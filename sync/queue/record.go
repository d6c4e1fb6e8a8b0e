package queue

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Buckets. items holds the records keyed by sequence number (so iteration is enqueue
// order); the others are indexes into it, kept in the same transactions.
var (
	bktItems   = []byte("items")   // seq → record JSON
	bktPending = []byte("pending") // seq → nothing: queued and sending items
	bktIDs     = []byte("ids")     // item id → seq
	bktCodes   = []byte("codes")   // tracking code → seq
	bktRated   = []byte("rated")   // submission id → seq of its rating
	bktDone    = []byte("done")    // time it became delivered or failed + seq → nothing
	bktMeta    = []byte("meta")    // key check, counters, schema version
	// bktIdentity is identity tag + seq → nothing (see identity.go). Added after schema
	// "1" without changing it: older versions ignore the bucket and the record field, and
	// Open repairs what they leave behind.
	bktIdentity = []byte("identity")
)

// bktQuarantine holds records that cannot be decoded (seq key → the bytes as found),
// set aside by Open so the rest of the queue keeps working; a technician salvages or
// examines them.
var bktQuarantine = []byte("quarantine")

var allBuckets = [][]byte{bktItems, bktPending, bktIDs, bktCodes, bktRated, bktDone, bktMeta, bktIdentity, bktQuarantine}

// Keys in bktMeta.
var (
	metaVersion  = []byte("version")
	metaKeyCheck = []byte("keycheck")
	// metaCodePerm marks a queue whose tracking codes shuffle the sequence number.
	metaCodePerm = []byte("codes/permutation")
	metaBytes    = []byte("count/bytes")
)

const schemaVersion = "1"

func countKey(s State) []byte { return []byte("count/" + string(s)) }

const (
	kindSubmission = "submission"
	kindRating     = "rating"
)

// record is what bbolt stores per item. Everything personal is inside Sealed.
type record struct {
	Kind         string    `json:"kind"`
	Seq          uint64    `json:"seq"`
	ID           string    `json:"id"`
	TrackingCode string    `json:"tracking_code,omitempty"`
	Item         string    `json:"item,omitempty"`
	ItemTitle    string    `json:"item_title,omitempty"`
	State        State     `json:"state"`
	Reason       string    `json:"reason,omitempty"`
	Attempts     int       `json:"attempts,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	// Stamped is the trusted time that stands in for an implausible CreatedAt (a kiosk
	// clock at 1970) on the way to the hub; zero when CreatedAt was sent as it is.
	Stamped     time.Time `json:"stamped_at,omitzero"`
	UpdatedAt   time.Time `json:"updated_at"`
	DeliveredAt time.Time `json:"delivered_at,omitzero"`
	HubRef      string    `json:"hub_ref,omitempty"`
	Status      string    `json:"status,omitempty"`
	StatusAt    time.Time `json:"status_at,omitzero"`
	Files       []fileRef `json:"files,omitempty"`
	// Sealed is the personal blob, AES-GCM under recordAAD(ID); nil once wiped.
	Sealed []byte `json:"sealed,omitempty"`
	// IdentityTag is the keyed hash of the submitter's ID number (identity.go), kept
	// with the receipt until it is pruned; nil when submitted without one.
	IdentityTag []byte `json:"identity_tag,omitempty"`

	// Rating bookkeeping, not personal.
	SubmissionID string   `json:"submission_id,omitempty"`
	Stars        int      `json:"stars,omitempty"`
	Reasons      []string `json:"reasons,omitempty"`
}

// fileRef names an attachment file and its exact size on disk (ciphertext).
type fileRef struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
}

// personal is the sealed part of a record.
type personal struct {
	Fields      map[string]string `json:"fields,omitempty"`
	Attachments []Attachment      `json:"attachments,omitempty"`
	Comment     string            `json:"comment,omitempty"`
}

func (r *record) fileBytes() int64 {
	var n int64
	for _, f := range r.Files {
		n += f.Size
	}
	return n
}

// doneKey is r's key in bktDone: delivered and failed items ordered by when they became
// so, which is when their retention starts. Pruning walks it from the oldest and stops
// at the first young one, so it costs what it deletes, not what the queue holds. Nil for
// items still waiting.
func (r *record) doneKey() []byte {
	if r.State != Delivered && r.State != Failed {
		return nil
	}
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, uint64(r.UpdatedAt.UnixNano()))
	binary.BigEndian.PutUint64(k[8:], r.Seq)
	return k
}

func seqKey(seq uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return k[:]
}

func decodeRecord(b []byte) (*record, error) {
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%w: record: %v", ErrCorrupt, err)
	}
	if r.ID == "" || (r.Kind != kindSubmission && r.Kind != kindRating) {
		return nil, fmt.Errorf("%w: record without id or kind", ErrCorrupt)
	}
	return &r, nil
}

// getBySeq reads a record inside a transaction.
func getBySeq(tx *bolt.Tx, seq uint64) (*record, error) {
	b := tx.Bucket(bktItems).Get(seqKey(seq))
	if b == nil {
		return nil, fmt.Errorf("%w: index points at missing record %d", ErrCorrupt, seq)
	}
	return decodeRecord(b)
}

// getByID looks an item up by id inside a transaction.
func getByID(tx *bolt.Tx, id string) (*record, error) {
	v := tx.Bucket(bktIDs).Get([]byte(id))
	if v == nil {
		return nil, fmt.Errorf("%w: item %s", ErrNotFound, id)
	}
	if len(v) != 8 {
		return nil, fmt.Errorf("%w: id index entry for %s", ErrCorrupt, id)
	}
	return getBySeq(tx, binary.BigEndian.Uint64(v))
}

// putRecord stores r and keeps the pending index and the counters in step with the
// change from prev (nil for a new record).
func putRecord(tx *bolt.Tx, prev, r *record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	key := seqKey(r.Seq)
	if err := tx.Bucket(bktItems).Put(key, b); err != nil {
		return err
	}
	if r.State.pending() {
		if err := tx.Bucket(bktPending).Put(key, nil); err != nil {
			return err
		}
	} else if err := tx.Bucket(bktPending).Delete(key); err != nil {
		return err
	}
	newDone := r.doneKey()
	if prev != nil {
		if old := prev.doneKey(); old != nil && string(old) != string(newDone) {
			if err := tx.Bucket(bktDone).Delete(old); err != nil {
				return err
			}
		}
	}
	if newDone != nil {
		if err := tx.Bucket(bktDone).Put(newDone, nil); err != nil {
			return err
		}
	}
	var from State
	var fromBytes int64
	if prev != nil {
		from, fromBytes = prev.State, prev.fileBytes()
	}
	return adjustCounts(tx, from, r.State, r.fileBytes()-fromBytes)
}

// deleteRecord removes r and its index entries and takes it out of the counters.
func deleteRecord(tx *bolt.Tx, r *record) error {
	key := seqKey(r.Seq)
	for _, del := range []struct {
		bkt []byte
		key []byte
	}{
		{bktItems, key}, {bktPending, key}, {bktIDs, []byte(r.ID)},
	} {
		if err := tx.Bucket(del.bkt).Delete(del.key); err != nil {
			return err
		}
	}
	if k := r.doneKey(); k != nil {
		if err := tx.Bucket(bktDone).Delete(k); err != nil {
			return err
		}
	}
	if r.TrackingCode != "" && r.Kind == kindSubmission {
		if err := tx.Bucket(bktCodes).Delete([]byte(r.TrackingCode)); err != nil {
			return err
		}
	}
	if r.Kind == kindRating && r.SubmissionID != "" {
		if err := tx.Bucket(bktRated).Delete([]byte(r.SubmissionID)); err != nil {
			return err
		}
	}
	if k := identityIndexKey(r.IdentityTag, r.Seq); k != nil {
		if err := tx.Bucket(bktIdentity).Delete(k); err != nil {
			return err
		}
	}
	return adjustCounts(tx, r.State, "", -r.fileBytes())
}

func readCount(m *bolt.Bucket, k []byte) int64 {
	v := m.Get(k)
	if len(v) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}

func writeCount(m *bolt.Bucket, k []byte, n int64) error {
	return m.Put(k, seqKey(uint64(n)))
}

// adjustCounts moves one item from state from to state to (either may be empty) and adds
// dBytes to the held file bytes. The counters live in the same transaction as the
// change, so they are exactly as durable as the data they count.
func adjustCounts(tx *bolt.Tx, from, to State, dBytes int64) error {
	m := tx.Bucket(bktMeta)
	if from != to {
		if from != "" {
			if err := writeCount(m, countKey(from), readCount(m, countKey(from))-1); err != nil {
				return err
			}
		}
		if to != "" {
			if err := writeCount(m, countKey(to), readCount(m, countKey(to))+1); err != nil {
				return err
			}
		}
	}
	if dBytes != 0 {
		return writeCount(m, metaBytes, readCount(m, metaBytes)+dBytes)
	}
	return nil
}

// toEntry is the technician's view of a record.
func (r *record) toEntry() Entry {
	return Entry{
		Seq: r.Seq, ID: r.ID, Kind: r.Kind, TrackingCode: r.TrackingCode, Item: r.Item,
		ItemTitle: r.ItemTitle, State: r.State, Reason: r.Reason, Attempts: r.Attempts,
		CreatedAt: r.CreatedAt, Stamped: r.Stamped, UpdatedAt: r.UpdatedAt, DeliveredAt: r.DeliveredAt,
		HubRef: r.HubRef, Status: r.Status, StatusAt: r.StatusAt,
		Files: len(r.Files), Bytes: r.fileBytes(),
	}
}

// toReceipt is the status screen's view of a submission's record.
func (r *record) toReceipt() *Receipt {
	return &Receipt{
		TrackingCode: r.TrackingCode, Item: r.Item, ItemTitle: r.ItemTitle, State: r.State,
		Status: r.Status, CreatedAt: r.CreatedAt, DeliveredAt: r.DeliveredAt, StatusAt: r.StatusAt,
	}
}

// toItem builds the caller's view from a record and its opened personal part (nil once
// wiped).
func (r *record) toItem(p *personal) Item {
	it := Item{Seq: r.Seq}
	if r.Kind == kindRating {
		rt := &Rating{
			Seq: r.Seq, ID: r.ID, State: r.State, CreatedAt: r.CreatedAt, Stamped: r.Stamped,
			RatingInput: RatingInput{
				SubmissionID: r.SubmissionID, TrackingCode: r.TrackingCode, Item: r.Item,
				Stars: r.Stars, Reasons: append([]string(nil), r.Reasons...),
			},
		}
		if p != nil {
			rt.Comment = p.Comment
		}
		it.Rating = rt
		return it
	}
	s := &Submission{
		Seq: r.Seq, ID: r.ID, TrackingCode: r.TrackingCode, Item: r.Item, ItemTitle: r.ItemTitle,
		State: r.State, Reason: r.Reason, Attempts: r.Attempts, CreatedAt: r.CreatedAt,
		Stamped: r.Stamped, UpdatedAt: r.UpdatedAt, DeliveredAt: r.DeliveredAt, HubRef: r.HubRef,
	}
	if p != nil {
		s.Fields = p.Fields
		s.Attachments = p.Attachments
	}
	it.Submission = s
	return it
}
