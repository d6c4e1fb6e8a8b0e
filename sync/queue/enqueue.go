package queue

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"

	"github.com/govkiosk/govkiosk/kiosk/tracking"
)

// errExists reports, inside Enqueue's transaction, that the id is already stored.
var errExists = errors.New("queue: id exists")

// recordSlack is a generous estimate of a record's size apart from its sealed blob, for
// the free-space check.
const recordSlack = 4 << 10

// Enqueue stores a new submission durably: when it returns without error the submission
// survives a crash or power cut and will be delivered. It allocates the tracking code.
// Enqueueing an id that is already stored stores nothing and returns the stored
// submission, so a caller unsure whether an earlier call succeeded can simply repeat it.
//
// It returns ErrDiskFull when the disk is (nearly) full, ErrInvalid for unusable input.
// ctx can abandon the call while attachments are still being written; once the record
// commit starts it completes.
func (q *Queue) Enqueue(ctx context.Context, s NewSubmission) (*Submission, error) {
	if err := q.enter(true); err != nil {
		return nil, err
	}
	defer q.leave()
	if err := validateSubmission(&s); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("queue: enqueue: %w", err)
	}
	if s.ID == "" {
		s.ID = uuid.NewString()
	} else if existing, err := q.getSubmission(s.ID); err == nil {
		return existing, nil
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}

	need := int64(recordSlack)
	for _, a := range s.Attachments {
		need += int64(len(a.Data) + q.seal.overhead())
	}
	if err := q.checkFree(need); err != nil {
		return nil, err
	}

	p := personal{Fields: s.Fields}
	var refs []fileRef
	cleanup := func() {
		for _, f := range refs {
			os.Remove(filepath.Join(q.filesDir, f.Name))
		}
	}
	for i, a := range s.Attachments {
		if err := ctx.Err(); err != nil {
			cleanup()
			return nil, fmt.Errorf("queue: enqueue: %w", err)
		}
		sum := sha256.Sum256(a.Data)
		sealed := q.seal.seal(a.Data, fileAAD(s.ID, i))
		name := attachmentName(s.ID, i)
		if err := writeFileDurably(q.filesDir, name, sealed, q.wrapWriter); err != nil {
			cleanup()
			return nil, diskErr("write attachment", err)
		}
		refs = append(refs, fileRef{Name: name, Size: int64(len(sealed))})
		p.Attachments = append(p.Attachments, Attachment{
			Name: a.Name, ContentType: a.ContentType, Size: int64(len(a.Data)),
			SHA256: hex.EncodeToString(sum[:]),
		})
	}
	if len(refs) > 0 {
		if err := syncDir(q.filesDir); err != nil {
			cleanup()
			return nil, diskErr("sync attachments directory", err)
		}
	}
	plain, err := json.Marshal(p)
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("queue: enqueue: %w", err)
	}

	now := q.now()
	rec := &record{
		Kind: kindSubmission, ID: s.ID, Item: s.Item, ItemTitle: s.ItemTitle, State: Queued,
		CreatedAt: now, UpdatedAt: now, Files: refs, Sealed: q.seal.seal(plain, recordAAD(s.ID)),
		IdentityTag: q.identityTag(s.IdentityNumber),
	}
	err = q.update(func(tx *bolt.Tx) error {
		if tx.Bucket(bktIDs).Get([]byte(s.ID)) != nil {
			return errExists
		}
		return q.insertSubmission(tx, rec)
	})
	if errors.Is(err, errExists) {
		// A concurrent Enqueue of the same id won the race; ours was never stored.
		cleanup()
		return q.getSubmission(s.ID)
	}
	if err != nil {
		cleanup()
		if errors.Is(err, ErrCorrupt) {
			return nil, err
		}
		return nil, diskErr("commit submission", err)
	}
	q.log.Info("queue: submission queued", "id", rec.ID, "tracking_code", rec.TrackingCode,
		"seq", rec.Seq, "attachments", len(refs), "identity_indexed", rec.IdentityTag != nil)
	q.changed()
	return rec.toItem(&p).Submission, nil
}

// insertSubmission gives rec its sequence number and tracking code and stores it with
// its index entries, inside Enqueue's transaction.
func (q *Queue) insertSubmission(tx *bolt.Tx, rec *record) error {
	seq, err := tx.Bucket(bktItems).NextSequence()
	if err != nil {
		return err
	}
	v := seq
	if q.perm != nil {
		// Consecutive receipts must not give away each other's codes.
		v = q.perm.Permute(seq)
	}
	code, err := tracking.New(q.opt.TerminalCode, v)
	if err != nil {
		return err
	}
	codes := tx.Bucket(bktCodes)
	if codes.Get([]byte(code)) != nil {
		// Only possible if the database was replaced without raising SeqFloor.
		return fmt.Errorf("%w: tracking code %s already issued; set the sequence floor", ErrCorrupt, code)
	}
	rec.Seq, rec.TrackingCode = seq, code
	if err := putRecord(tx, nil, rec); err != nil {
		return err
	}
	if err := tx.Bucket(bktIDs).Put([]byte(rec.ID), seqKey(seq)); err != nil {
		return err
	}
	if k := identityIndexKey(rec.IdentityTag, seq); k != nil {
		if err := tx.Bucket(bktIdentity).Put(k, nil); err != nil {
			return err
		}
	}
	return codes.Put([]byte(code), seqKey(seq))
}

func validateSubmission(s *NewSubmission) error {
	if s.ID != "" && !validID.MatchString(s.ID) {
		return fmt.Errorf("%w: id must be 1–64 letters, digits, '-' or '_'", ErrInvalid)
	}
	if s.Item == "" {
		return fmt.Errorf("%w: no service item", ErrInvalid)
	}
	if len(s.Attachments) > maxAttachments {
		return fmt.Errorf("%w: %d attachments, at most %d", ErrInvalid, len(s.Attachments), maxAttachments)
	}
	return nil
}

// checkFree refuses when storing need more bytes would leave less than MinFreeBytes.
func (q *Queue) checkFree(need int64) error {
	if q.opt.MinFreeBytes < 0 {
		return nil
	}
	free, err := freeBytes(q.dir)
	if err != nil {
		return err
	}
	if free-need < q.opt.MinFreeBytes {
		q.log.Warn("queue: refusing a new item, disk nearly full", "free_bytes", free,
			"need_bytes", need, "min_free_bytes", q.opt.MinFreeBytes)
		return fmt.Errorf("%w: %d bytes free, %d needed plus a reserve of %d", ErrDiskFull, free, need, q.opt.MinFreeBytes)
	}
	return nil
}

// Rate stores a rating as its own outbox item, durably on return. A second rating for
// the same SubmissionID returns the first one (a double tap rates once).
func (q *Queue) Rate(ctx context.Context, in RatingInput) (*Rating, error) {
	if err := q.enter(true); err != nil {
		return nil, err
	}
	defer q.leave()
	if in.Stars < 1 || in.Stars > 5 {
		return nil, fmt.Errorf("%w: %d stars, want 1 to 5", ErrInvalid, in.Stars)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("queue: rate: %w", err)
	}
	if err := q.checkFree(recordSlack); err != nil {
		return nil, err
	}
	now := q.now()
	id := uuid.NewString()
	rec := &record{
		Kind: kindRating, ID: id, TrackingCode: in.TrackingCode, Item: in.Item, State: Queued,
		CreatedAt: now, UpdatedAt: now, SubmissionID: in.SubmissionID, Stars: in.Stars,
		Reasons: append([]string(nil), in.Reasons...),
	}
	if in.Comment != "" {
		plain, err := json.Marshal(personal{Comment: in.Comment})
		if err != nil {
			return nil, fmt.Errorf("queue: rate: %w", err)
		}
		rec.Sealed = q.seal.seal(plain, recordAAD(id))
	}
	var existing *record
	err := q.update(func(tx *bolt.Tx) error {
		rated := tx.Bucket(bktRated)
		if in.SubmissionID != "" {
			if v := rated.Get([]byte(in.SubmissionID)); len(v) == 8 {
				r, err := getBySeq(tx, binary.BigEndian.Uint64(v))
				if err != nil {
					return err
				}
				existing = r
				return nil
			}
		}
		seq, err := tx.Bucket(bktItems).NextSequence()
		if err != nil {
			return err
		}
		rec.Seq = seq
		if err := putRecord(tx, nil, rec); err != nil {
			return err
		}
		if err := tx.Bucket(bktIDs).Put([]byte(id), seqKey(seq)); err != nil {
			return err
		}
		if in.SubmissionID != "" {
			return rated.Put([]byte(in.SubmissionID), seqKey(seq))
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrCorrupt) {
			return nil, err
		}
		return nil, diskErr("commit rating", err)
	}
	if existing != nil {
		p, err := q.openPersonal(existing)
		if err != nil {
			return nil, err
		}
		return existing.toItem(p).Rating, nil
	}
	q.log.Info("queue: rating queued", "id", id, "seq", rec.Seq, "stars", in.Stars)
	q.changed()
	return rec.toItem(&personal{Comment: in.Comment}).Rating, nil
}

// getSubmission reads and opens a stored submission by id.
func (q *Queue) getSubmission(id string) (*Submission, error) {
	it, err := q.get(id)
	if err != nil {
		return nil, err
	}
	if it.Submission == nil {
		return nil, fmt.Errorf("%w: %s is a rating, not a submission", ErrInvalid, id)
	}
	return it.Submission, nil
}
