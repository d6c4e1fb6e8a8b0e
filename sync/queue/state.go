package queue

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/govkiosk/govkiosk/kiosk/tracking"
)

// Get returns the item with the given id, with its personal data opened (nil fields once
// delivered). It returns ErrNotFound, or ErrCorrupt when its sealed data fails to open.
func (q *Queue) Get(id string) (Item, error) {
	if err := q.enter(false); err != nil {
		return Item{}, err
	}
	defer q.leave()
	return q.get(id)
}

func (q *Queue) get(id string) (Item, error) {
	var rec *record
	err := q.view(func(tx *bolt.Tx) error {
		if tx.Bucket(bktIDs) == nil {
			return fmt.Errorf("%w: item %s", ErrNotFound, id)
		}
		var err error
		rec, err = getByID(tx, id)
		return err
	})
	if err != nil {
		return Item{}, err
	}
	p, err := q.openPersonal(rec)
	if err != nil {
		return Item{}, err
	}
	return rec.toItem(p), nil
}

// Pending returns up to limit items (all when limit <= 0) waiting for the hub — queued
// and sending — in enqueue order, with their personal data opened. An item whose sealed
// data cannot be opened is never sent: it is marked failed with the reason (logged, for a
// technician) and left out.
func (q *Queue) Pending(limit int) ([]Item, error) {
	if err := q.enter(false); err != nil {
		return nil, err
	}
	defer q.leave()
	var recs []*record
	// Only copying inside the transaction: decrypting and marking happen after it.
	err := q.view(func(tx *bolt.Tx) error {
		pend := tx.Bucket(bktPending)
		if pend == nil {
			return nil
		}
		c := pend.Cursor()
		for k, _ := c.First(); k != nil && (limit <= 0 || len(recs) < limit); k, _ = c.Next() {
			b := tx.Bucket(bktItems).Get(k)
			if b == nil {
				return fmt.Errorf("%w: pending index points at a missing record", ErrCorrupt)
			}
			r, err := decodeRecord(b)
			if err != nil {
				return err
			}
			recs = append(recs, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	items := make([]Item, 0, len(recs))
	for _, r := range recs {
		p, err := q.openPersonal(r)
		if errors.Is(err, ErrCorrupt) && !q.opt.ReadOnly {
			q.failUnreadable(r.ID, err)
			continue
		}
		if err != nil {
			return nil, err
		}
		items = append(items, r.toItem(p))
	}
	return items, nil
}

// failUnreadable marks an item whose data is damaged as failed.
func (q *Queue) failUnreadable(id string, cause error) {
	reason := "stored data cannot be read: " + cause.Error()
	q.log.Error("queue: item data damaged, marked failed", "id", id, "err", cause)
	if _, err := q.transition(id, Failed, func(r *record) error {
		r.Reason = truncReason(reason)
		return nil
	}); err != nil {
		q.log.Error("queue: marking damaged item failed", "id", id, "err", err)
	}
}

// ReadAttachment returns attachment index of the submission id, decrypted and checked
// against its SHA-256. ErrNotFound once delivered; ErrCorrupt for a damaged, truncated or
// swapped file.
func (q *Queue) ReadAttachment(id string, index int) ([]byte, error) {
	if err := q.enter(false); err != nil {
		return nil, err
	}
	defer q.leave()
	it, err := q.get(id)
	if err != nil {
		return nil, err
	}
	s := it.Submission
	if s == nil || index < 0 || index >= len(s.Attachments) {
		return nil, fmt.Errorf("%w: attachment %d of %s", ErrNotFound, index, id)
	}
	var ref fileRef
	if err := q.view(func(tx *bolt.Tx) error {
		r, err := getByID(tx, id)
		if err != nil {
			return err
		}
		if index >= len(r.Files) {
			return fmt.Errorf("%w: attachment %d of %s", ErrNotFound, index, id)
		}
		ref = r.Files[index]
		return nil
	}); err != nil {
		return nil, err
	}
	sealed, err := os.ReadFile(filepath.Join(q.filesDir, ref.Name))
	if errors.Is(err, os.ErrNotExist) {
		// Delivered (or pruned) since the record was read: that is not damage.
		if it, gerr := q.get(id); gerr != nil || it.Submission == nil || index >= len(it.Submission.Attachments) {
			return nil, fmt.Errorf("%w: attachment %d of %s (delivered meanwhile)", ErrNotFound, index, id)
		}
		return nil, fmt.Errorf("%w: attachment %d of %s: file missing", ErrCorrupt, index, id)
	}
	if err != nil {
		return nil, fmt.Errorf("queue: read attachment: %w", err)
	}
	plain, err := q.seal.open(sealed, fileAAD(id, index))
	if err != nil {
		return nil, fmt.Errorf("attachment %d of %s: %w", index, id, err)
	}
	sum := sha256.Sum256(plain)
	if hex.EncodeToString(sum[:]) != s.Attachments[index].SHA256 {
		return nil, fmt.Errorf("%w: attachment %d of %s: SHA-256 mismatch", ErrCorrupt, index, id)
	}
	return plain, nil
}

// transition changes the state of item id to `to` after checking the move is allowed,
// applying edit to the record in the same transaction. Files the edit dropped from the
// record are deleted after the commit. noop reports a repeated acknowledgement of a
// delivered item, which changes nothing.
func (q *Queue) transition(id string, to State, edit func(r *record) error) (noop bool, err error) {
	var dropped []fileRef
	err = q.update(func(tx *bolt.Tx) error {
		r, err := getByID(tx, id)
		if err != nil {
			return err
		}
		if !allowed(r.State, to) {
			return &TransitionError{ID: id, From: r.State, To: to}
		}
		if r.State == to && (to == Delivered) {
			noop = true // a repeated acknowledgement
			return nil
		}
		prev := *r
		prev.Files = append([]fileRef(nil), r.Files...)
		if err := edit(r); err != nil {
			return err
		}
		r.State = to
		r.UpdatedAt = q.now()
		dropped = droppedFiles(prev.Files, r.Files)
		return putRecord(tx, &prev, r)
	})
	if err != nil {
		var te *TransitionError
		if errors.As(err, &te) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrCorrupt) {
			return false, err
		}
		return false, fmt.Errorf("queue: %s %s: %w", to, id, err)
	}
	for _, f := range dropped {
		// Not fsynced: a deleted file that comes back after a crash has no record and
		// the next Open deletes it again.
		if err := os.Remove(filepath.Join(q.filesDir, f.Name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			q.log.Warn("queue: deleting attachment file", "id", id, "err", err)
		}
	}
	if !noop {
		q.changed()
	}
	return noop, nil
}

func droppedFiles(before, after []fileRef) []fileRef {
	var out []fileRef
	for _, b := range before {
		kept := false
		for _, a := range after {
			if a.Name == b.Name {
				kept = true
				break
			}
		}
		if !kept {
			out = append(out, b)
		}
	}
	return out
}

// allowed is the state machine:
//
//	queued  → sending, queued (NoteAttempt), delivered, failed
//	sending → sending, queued (NoteAttempt), delivered, failed
//	failed  → failed (a repeated refusal), delivered (the hub had it after all), queued (Requeue)
//	held    → held (a repeated conflict), delivered (the hub had it after all), queued (Release, Reissue)
//	delivered → delivered (a repeated acknowledgement: nothing changes)
func allowed(from, to State) bool {
	switch from {
	case Queued, Sending:
		return to == Sending || to == Queued || to == Delivered || to == Failed || to == Held
	case Failed:
		return to == Failed || to == Delivered || to == Queued
	case Held:
		return to == Held || to == Delivered || to == Queued
	case Delivered:
		return to == Delivered
	}
	return false
}

// MarkSending records that the sync client has started sending item id.
func (q *Queue) MarkSending(id string) error {
	if err := q.enter(true); err != nil {
		return err
	}
	defer q.leave()
	_, err := q.transition(id, Sending, func(r *record) error {
		if r.State == Failed {
			return &TransitionError{ID: id, From: r.State, To: Sending}
		}
		return nil
	})
	return err
}

// NoteAttempt records a transient failure to send item id: the attempt count goes up,
// err's message becomes the reason (it must not carry personal data) and the item is
// queued again.
func (q *Queue) NoteAttempt(id string, err error) error {
	if e := q.enter(true); e != nil {
		return e
	}
	defer q.leave()
	reason := "attempt failed"
	if err != nil {
		reason = err.Error()
	}
	_, terr := q.transition(id, Queued, func(r *record) error {
		if r.State == Failed || r.State == Held {
			return &TransitionError{ID: id, From: r.State, To: Queued}
		}
		r.Attempts++
		r.Reason = truncReason(reason)
		return nil
	})
	return terr
}

// MarkDelivered records the hub's confirmation of item id: the personal data and the
// attachment files are deleted, the receipt record (tracking code, item, times, hubRef)
// stays for Options.Retention. Acknowledging a delivered item again changes nothing and
// is not an error, since acknowledgements arrive at least once.
func (q *Queue) MarkDelivered(id string, hubRef string) error {
	if err := q.enter(true); err != nil {
		return err
	}
	defer q.leave()
	noop, err := q.transition(id, Delivered, func(r *record) error {
		r.DeliveredAt = q.now()
		r.HubRef = hubRef
		r.Reason = ""
		r.Sealed = nil
		r.Files = nil
		return nil
	})
	if err == nil && !noop {
		q.log.Info("queue: delivered", "id", id, "hub_ref", hubRef)
		q.maybePrune()
	}
	return err
}

// MarkFailed records that item id was refused permanently, with a reason for the
// technician (no personal data in it). The item stops being sent. Its sealed personal
// data and files are kept until a technician requeues it (Requeue): a failed item is
// never pruned. A failed item can still be
// marked delivered if the hub turns out to have it.
func (q *Queue) MarkFailed(id string, reason string) error {
	if err := q.enter(true); err != nil {
		return err
	}
	defer q.leave()
	_, err := q.transition(id, Failed, func(r *record) error {
		r.Reason = truncReason(reason)
		return nil
	})
	if err == nil {
		q.log.Warn("queue: failed permanently", "id", id, "reason", truncReason(reason))
	}
	return err
}

// Restamp records t as the time to send item id with in place of its implausible
// CreatedAt. The first stamp stays: the hub identifies a submission by its content, so
// every attempt must carry the same time. It changes neither the state nor CreatedAt.
func (q *Queue) Restamp(id string, t time.Time) (time.Time, error) {
	if err := q.enter(true); err != nil {
		return time.Time{}, err
	}
	defer q.leave()
	var stamped time.Time
	err := q.update(func(tx *bolt.Tx) error {
		r, err := getByID(tx, id)
		if err != nil {
			return err
		}
		if !r.Stamped.IsZero() {
			stamped = r.Stamped
			return nil
		}
		if r.State == Delivered {
			return &TransitionError{ID: id, From: r.State, To: r.State}
		}
		prev := *r
		r.Stamped = t.UTC()
		stamped = r.Stamped
		return putRecord(tx, &prev, r)
	})
	if err != nil {
		return time.Time{}, err
	}
	q.log.Warn("queue: item created under an implausible clock; stamped with the trusted time",
		"id", id, "stamped_at", stamped)
	return stamped, nil
}

// MarkHeld records that the hub refused submission id for a conflict this terminal did
// not cause (its tracking code is taken at the hub). The item keeps its data, stops being
// sent and is never pruned; it counts in Stats.Held, the heartbeat reports it, and an
// operator resolves it with Reissue or Release.
func (q *Queue) MarkHeld(id string, reason string) error {
	if err := q.enter(true); err != nil {
		return err
	}
	defer q.leave()
	_, err := q.transition(id, Held, func(r *record) error {
		if r.Kind != kindSubmission {
			return fmt.Errorf("%w: only submissions are held, %s is a %s", ErrInvalid, id, r.Kind)
		}
		r.Reason = truncReason(reason)
		return nil
	})
	if err == nil {
		q.log.Warn("queue: held for an operator", "id", id, "reason", truncReason(reason))
	}
	return err
}

// Held returns the held submissions, oldest first, without personal data.
func (q *Queue) Held() ([]Entry, error) {
	all, err := q.List(0)
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, e := range all {
		if e.State == Held {
			out = append(out, e)
		}
	}
	return out, nil
}

// Release puts a held submission back in the outbox as it is: the operator removed the
// cause at the hub.
func (q *Queue) Release(id string) error {
	if err := q.enter(true); err != nil {
		return err
	}
	defer q.leave()
	_, err := q.transition(id, Queued, func(r *record) error {
		if r.State != Held {
			return &TransitionError{ID: id, From: r.State, To: Queued}
		}
		r.Reason, r.Attempts = "", 0
		return nil
	})
	return err
}

// Reissue gives a held submission a new tracking code, from a sequence number never
// used before, and puts it back in the outbox. It returns the new code, which the
// operator passes on to the resident (the printed receipt shows the old one).
func (q *Queue) Reissue(id string) (string, error) {
	if err := q.enter(true); err != nil {
		return "", err
	}
	defer q.leave()
	var code string
	// The record keeps its place in the outbox (its key is its first sequence number);
	// only the code changes, to one made from a fresh number, in the same transaction
	// as the move back to queued.
	err := q.db.Update(func(tx *bolt.Tx) error {
		r, err := getByID(tx, id)
		if err != nil {
			return err
		}
		if r.State != Held {
			return &TransitionError{ID: id, From: r.State, To: Queued}
		}
		seq, err := tx.Bucket(bktItems).NextSequence()
		if err != nil {
			return err
		}
		v := seq
		if q.perm != nil {
			v = q.perm.Permute(seq)
		}
		if code, err = tracking.New(q.opt.TerminalCode, v); err != nil {
			return err
		}
		codes := tx.Bucket(bktCodes)
		if codes.Get([]byte(code)) != nil {
			return fmt.Errorf("%w: tracking code %s already issued", ErrCorrupt, code)
		}
		if err := codes.Delete([]byte(r.TrackingCode)); err != nil {
			return err
		}
		if err := codes.Put([]byte(code), seqKey(r.Seq)); err != nil {
			return err
		}
		prev := *r
		r.TrackingCode, r.Reason, r.Attempts = code, "", 0
		r.State, r.UpdatedAt = Queued, q.now()
		return putRecord(tx, &prev, r)
	})
	var te *TransitionError
	if errors.As(err, &te) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrCorrupt) {
		return "", err
	}
	if err != nil {
		return "", fmt.Errorf("queue: reissue %s: %w", id, err)
	}
	q.log.Info("queue: tracking code re-issued", "id", id)
	q.changed()
	return code, nil
}

// Requeue puts a failed item back in the outbox (a technician's decision after fixing
// the cause). Items whose data is gone cannot be requeued.
func (q *Queue) Requeue(id string) error {
	if err := q.enter(true); err != nil {
		return err
	}
	defer q.leave()
	_, err := q.transition(id, Queued, func(r *record) error {
		if r.State != Failed {
			return &TransitionError{ID: id, From: r.State, To: Queued}
		}
		if r.Sealed == nil && r.Kind == kindSubmission {
			return fmt.Errorf("%w: %s has no stored data left to send", ErrInvalid, id)
		}
		r.Reason = ""
		r.Attempts = 0
		return nil
	})
	return err
}

// SetStatus records a processing status the hub pushed for a delivered submission. An
// update older than the one stored is ignored, since pushes may arrive out of order.
func (q *Queue) SetStatus(trackingCode, status string, at time.Time) error {
	if err := q.enter(true); err != nil {
		return err
	}
	defer q.leave()
	code, err := tracking.Normalize(trackingCode)
	if err != nil {
		return fmt.Errorf("queue: set status: %w", err)
	}
	changed := false
	err = q.update(func(tx *bolt.Tx) error {
		r, err := getByCode(tx, code)
		if err != nil {
			return err
		}
		if !r.StatusAt.IsZero() && !at.After(r.StatusAt) {
			return nil
		}
		prev := *r
		r.Status, r.StatusAt = status, at.UTC()
		changed = true
		return putRecord(tx, &prev, r)
	})
	if err != nil {
		return err
	}
	if changed {
		q.changed()
	}
	return nil
}

func getByCode(tx *bolt.Tx, code string) (*record, error) {
	b := tx.Bucket(bktCodes)
	if b == nil {
		return nil, fmt.Errorf("%w: tracking code %s", ErrNotFound, code)
	}
	v := b.Get([]byte(code))
	if v == nil {
		return nil, fmt.Errorf("%w: tracking code %s", ErrNotFound, code)
	}
	if len(v) != 8 {
		return nil, fmt.Errorf("%w: tracking code index entry for %s", ErrCorrupt, code)
	}
	return getBySeq(tx, binary.BigEndian.Uint64(v))
}

// Lookup returns the receipt for a tracking code, read as forgivingly as the tracking
// package reads codes. A mistyped code is a tracking.ErrFormat or tracking.ErrCheck
// error (say "check the code"); an unknown or pruned one is ErrNotFound.
func (q *Queue) Lookup(trackingCode string) (*Receipt, error) {
	if err := q.enter(false); err != nil {
		return nil, err
	}
	defer q.leave()
	code, err := tracking.Normalize(trackingCode)
	if err != nil {
		return nil, fmt.Errorf("queue: lookup: %w", err)
	}
	var r *record
	if err := q.view(func(tx *bolt.Tx) error {
		var err error
		r, err = getByCode(tx, code)
		return err
	}); err != nil {
		return nil, err
	}
	return r.toReceipt(), nil
}

// Stats returns the outbox counts. It reads counters kept in the same transactions as the
// changes, so it is cheap enough to call after every change.
func (q *Queue) Stats() (Stats, error) {
	if err := q.enter(false); err != nil {
		return Stats{}, err
	}
	defer q.leave()
	return q.stats()
}

func (q *Queue) stats() (Stats, error) {
	var st Stats
	err := q.view(func(tx *bolt.Tx) error {
		m := tx.Bucket(bktMeta)
		if m == nil {
			return nil
		}
		st.Queued = int(readCount(m, countKey(Queued)))
		st.Sending = int(readCount(m, countKey(Sending)))
		st.Delivered = int(readCount(m, countKey(Delivered)))
		st.Failed = int(readCount(m, countKey(Failed)))
		st.Held = int(readCount(m, countKey(Held)))
		st.Bytes = readCount(m, metaBytes)
		k, _ := tx.Bucket(bktPending).Cursor().First()
		if k == nil {
			return nil
		}
		b := tx.Bucket(bktItems).Get(k)
		if b == nil {
			return fmt.Errorf("%w: pending index points at a missing record", ErrCorrupt)
		}
		r, err := decodeRecord(b)
		if err != nil {
			return err
		}
		st.OldestQueued = r.CreatedAt
		return nil
	})
	return st, err
}

// List returns the newest limit items (all when limit <= 0), oldest first, without any
// personal data: what a technician may see.
func (q *Queue) List(limit int) ([]Entry, error) {
	if err := q.enter(false); err != nil {
		return nil, err
	}
	defer q.leave()
	var out []Entry
	err := q.view(func(tx *bolt.Tx) error {
		items := tx.Bucket(bktItems)
		if items == nil {
			return nil
		}
		c := items.Cursor()
		for k, v := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
			r, err := decodeRecord(v)
			if err != nil {
				// One unreadable record must not hide the others from a technician;
				// Check reports it, and a writable Open sets it aside.
				q.log.Warn("queue: list: record cannot be read", "seq", seqOf(k), "err", err)
				continue
			}
			out = append(out, r.toEntry())
		}
		return nil
	})
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, err
}
