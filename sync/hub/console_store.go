package hub

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// What the operations console keeps (console.go): where each terminal stands, its
// device health history, the alerts raised from it, and the follow-up cases of poor
// ratings. Both stores implement consoleStorage; the storage contract tests run each
// method against both.

// consoleStorage is the console's part of storage.
type consoleStorage interface {
	// setPlacement records where a terminal stands (site and township).
	setPlacement(terminalID string, p placementRecord) error
	// placements returns every recorded placement by terminal id.
	placements() (map[string]placementRecord, error)

	// addHealthEvents appends device and connection changes, in one write.
	addHealthEvents(evs []healthEventRecord) error
	// healthEvents returns up to limit of a terminal's events, newest first.
	healthEvents(terminalID string, limit int) ([]healthEventRecord, error)

	// putAlert stores an alert, replacing the one with its id.
	putAlert(a *alertRecord) error
	// alerts returns every stored alert, newest raised first.
	alerts() ([]*alertRecord, error)
	// pruneAlerts deletes the alerts that were both cleared and acknowledged before
	// cutoff and returns how many. Active or unacknowledged alerts are kept, however old.
	pruneAlerts(cutoff time.Time) (int, error)
	// pruneHealthEvents deletes the health events from before cutoff and returns how many.
	pruneHealthEvents(cutoff time.Time) (int, error)

	// ratingsBetween returns the ratings created in [from, to), oldest first, through an
	// index by creation time. Only the fields a summary reads are set: ID, TerminalID,
	// Item, Stars and CreatedAt.
	ratingsBetween(from, to time.Time) ([]*ratingRecord, error)

	// openCase stores a follow-up case unless one with its id exists; it says whether it
	// stored it.
	openCase(c *caseRecord) (bool, error)
	// putCase replaces a stored case (ErrNotFound when there is none).
	putCase(c *caseRecord) error
	// getCase returns a case by id, nil when there is none.
	getCase(id string) (*caseRecord, error)
	// cases returns every case, newest opened first.
	cases() ([]*caseRecord, error)
}

// placementRecord is where a terminal stands, as an operator recorded it.
type placementRecord struct {
	Site     string    `json:"site"`
	Township string    `json:"township,omitempty"`
	At       time.Time `json:"at"`
	By       string    `json:"by,omitempty"`
}

// healthEventRecord is one change of a terminal's device or connection: Device is
// "terminal" for the connection (State "online" or "offline").
type healthEventRecord struct {
	TerminalID string    `json:"terminal_id"`
	At         time.Time `json:"at"`
	Device     string    `json:"device"`
	Kind       string    `json:"kind,omitempty"`
	State      string    `json:"state"`
	Reason     string    `json:"reason,omitempty"`
	// Action is the alert action the state calls for ("" when none).
	Action string `json:"action,omitempty"`
}

// alertRecord is a device fault raised from a terminal's health reports: active until
// the device reports itself usable again (Cleared), acknowledged by a person.
type alertRecord struct {
	ID         string    `json:"id"`
	TerminalID string    `json:"terminal_id"`
	Device     string    `json:"device"`
	Kind       string    `json:"kind,omitempty"`
	Action     string    `json:"action"`
	State      string    `json:"state"`
	Reason     string    `json:"reason,omitempty"`
	Raised     time.Time `json:"raised"`
	Cleared    time.Time `json:"cleared,omitzero"`
	AckedBy    string    `json:"acked_by,omitempty"`
	AckedAt    time.Time `json:"acked_at,omitzero"`
}

// caseRecord is the follow-up of a 1–2 star rating (差评): opened by the hub when the
// rating arrives, assigned to a person, answered and closed, with a deadline.
type caseRecord struct {
	// ID is the rating's id: one case per rating.
	ID         string   `json:"id"`
	RatingRef  string   `json:"rating_ref"`
	TerminalID string   `json:"terminal_id"`
	Item       string   `json:"item,omitempty"`
	Stars      int      `json:"stars"`
	Reasons    []string `json:"reasons,omitempty"`
	// Comment is the rating's sealed comment, as the rating stores it.
	Comment  []byte    `json:"comment,omitempty"`
	RatedAt  time.Time `json:"rated_at"`
	Opened   time.Time `json:"opened"`
	Deadline time.Time `json:"deadline"`
	Assignee string    `json:"assignee,omitempty"`
	// Answer is the sealed reply to the resident (it may carry personal data).
	Answer     []byte    `json:"answer,omitempty"`
	AnsweredAt time.Time `json:"answered_at,omitzero"`
	AnsweredBy string    `json:"answered_by,omitempty"`
	ClosedAt   time.Time `json:"closed_at,omitzero"`
	ClosedBy   string    `json:"closed_by,omitempty"`
}

var (
	bucketPlacements   = []byte("placements")    // terminal id → placementRecord
	bucketHealthEvents = []byte("health_events") // terminal id "/" big-endian sequence → healthEventRecord
	bucketAlerts       = []byte("alerts")        // alert id → alertRecord
	bucketCases        = []byte("cases")         // rating id → caseRecord
)

// consoleBucket returns a console bucket, creating it in a writable transaction; in a
// read-only one it is nil until first written.
func consoleBucket(tx *bolt.Tx, name []byte) (*bolt.Bucket, error) {
	if tx.Writable() {
		return tx.CreateBucketIfNotExists(name)
	}
	return tx.Bucket(name), nil
}

func (s *store) setPlacement(terminalID string, p placementRecord) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := consoleBucket(tx, bucketPlacements)
		if err != nil {
			return err
		}
		return putJSON(b, []byte(terminalID), p)
	})
}

// eachRecord decodes every record of a console bucket, in key order, and hands each to
// add; what names the record in the error for one that does not decode. A bucket not yet
// written holds none.
func eachRecord[T any](s *store, name []byte, what string, add func(k []byte, r *T)) error {
	return s.db.View(func(tx *bolt.Tx) error {
		b, _ := consoleBucket(tx, name)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			r := new(T)
			if err := json.Unmarshal(v, r); err != nil {
				return fmt.Errorf("hub: corrupt %s %q: %w", what, k, err)
			}
			add(k, r)
			return nil
		})
	})
}

func (s *store) placements() (map[string]placementRecord, error) {
	out := map[string]placementRecord{}
	err := eachRecord(s, bucketPlacements, "placement", func(k []byte, p *placementRecord) { out[string(k)] = *p })
	return out, err
}

func (s *store) addHealthEvents(evs []healthEventRecord) error {
	if len(evs) == 0 {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := consoleBucket(tx, bucketHealthEvents)
		if err != nil {
			return err
		}
		for _, e := range evs {
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			k := binary.BigEndian.AppendUint64([]byte(e.TerminalID+"/"), seq)
			if err := putJSON(b, k, e); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *store) healthEvents(terminalID string, limit int) ([]healthEventRecord, error) {
	out := []healthEventRecord{}
	err := s.db.View(func(tx *bolt.Tx) error {
		b, _ := consoleBucket(tx, bucketHealthEvents)
		if b == nil {
			return nil
		}
		prefix := []byte(terminalID + "/")
		// The keys after the prefix are 8 bytes: seek past the last one and walk back.
		end := append(slices.Clone(prefix), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
		c := b.Cursor()
		var k, v []byte
		if sk, _ := c.Seek(end); sk == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && len(out) < limit && strings.HasPrefix(string(k), string(prefix)) && len(k) == len(prefix)+8; k, v = c.Prev() {
			var e healthEventRecord
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("hub: corrupt health event: %w", err)
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

func (s *store) putAlert(a *alertRecord) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := consoleBucket(tx, bucketAlerts)
		if err != nil {
			return err
		}
		return putJSON(b, []byte(a.ID), a)
	})
}

func (s *store) alerts() ([]*alertRecord, error) {
	out := []*alertRecord{}
	err := eachRecord(s, bucketAlerts, "alert", func(_ []byte, a *alertRecord) { out = append(out, a) })
	sortAlerts(out)
	return out, err
}

// prunable reports whether an alert is over: cleared and acknowledged, both before cutoff.
func (a *alertRecord) prunable(cutoff time.Time) bool {
	return !a.Cleared.IsZero() && a.AckedBy != "" && a.Cleared.Before(cutoff) && a.AckedAt.Before(cutoff)
}

func (s *store) pruneAlerts(cutoff time.Time) (int, error) {
	return s.pruneBucket(bucketAlerts, func(k, v []byte) (bool, error) {
		var a alertRecord
		if err := json.Unmarshal(v, &a); err != nil {
			return false, fmt.Errorf("hub: corrupt alert %q: %w", k, err)
		}
		return a.prunable(cutoff), nil
	})
}

func (s *store) pruneHealthEvents(cutoff time.Time) (int, error) {
	return s.pruneBucket(bucketHealthEvents, func(_, v []byte) (bool, error) {
		var e struct {
			At time.Time `json:"at"`
		}
		if err := json.Unmarshal(v, &e); err != nil {
			return false, fmt.Errorf("hub: corrupt health event: %w", err)
		}
		return e.At.Before(cutoff), nil
	})
}

// pruneBucket deletes, in one transaction, the records of a console bucket that drop
// picks, and returns how many went. An error from drop leaves the bucket as it was.
func (s *store) pruneBucket(name []byte, drop func(k, v []byte) (bool, error)) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := consoleBucket(tx, name)
		if err != nil {
			return err
		}
		var gone [][]byte
		err = b.ForEach(func(k, v []byte) error {
			d, err := drop(k, v)
			if d {
				gone = append(gone, slices.Clone(k))
			}
			return err
		})
		if err != nil {
			return err
		}
		for _, k := range gone {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(gone)
		return nil
	})
	return n, err
}

func sortAlerts(as []*alertRecord) {
	slices.SortStableFunc(as, func(a, b *alertRecord) int {
		if c := b.Raised.Compare(a.Raised); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
}

func (s *store) ratingsBetween(from, to time.Time) ([]*ratingRecord, error) {
	var out []*ratingRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketRatingsByTime).Cursor()
		end := ratingTimeKey(to, "")
		for k, v := c.Seek(ratingTimeKey(from, "")); k != nil && bytes.Compare(k, end) < 0; k, v = c.Next() {
			var r ratingRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("hub: corrupt rating index entry %q: %w", k, err)
			}
			out = append(out, &r)
		}
		return nil
	})
	sortRatings(out)
	return out, err
}

// bucketRatingsByTime indexes ratings by creation time for the summaries: the key is
// ratingTimeKey, the value the fields a summary reads (ratingIndexEntry), so a window's
// summary reads the window's ratings only, and small records of them.
var bucketRatingsByTime = []byte("ratings_by_time")

// ratingTimeKey orders by time, then id: the nanoseconds since 1970 as a big-endian
// number with the sign bit flipped (so earlier times sort first), then the id.
func ratingTimeKey(at time.Time, id string) []byte {
	return append(binary.BigEndian.AppendUint64(nil, uint64(at.UnixNano())^(1<<63)), id...)
}

// ratingIndexEntry is a rating as the time index keeps it.
func ratingIndexEntry(r *ratingRecord) *ratingRecord {
	return &ratingRecord{ID: r.ID, TerminalID: r.TerminalID, Item: r.Item, Stars: r.Stars, CreatedAt: r.CreatedAt}
}

// indexRatingsByTime builds the time index of a database written before it existed.
func indexRatingsByTime(tx *bolt.Tx) error {
	if tx.Bucket(bucketRatingsByTime) != nil {
		return nil
	}
	idx, err := tx.CreateBucket(bucketRatingsByTime)
	if err != nil {
		return err
	}
	ratings := tx.Bucket(bucketRatings)
	if ratings == nil {
		return nil
	}
	return ratings.ForEach(func(k, v []byte) error {
		var r ratingRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("hub: corrupt rating %q: %w", k, err)
		}
		return putJSON(idx, ratingTimeKey(r.CreatedAt, r.ID), ratingIndexEntry(&r))
	})
}

func sortRatings(rs []*ratingRecord) {
	slices.SortStableFunc(rs, func(a, b *ratingRecord) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

func (s *store) openCase(c *caseRecord) (bool, error) {
	created := false
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := consoleBucket(tx, bucketCases)
		if err != nil {
			return err
		}
		if b.Get([]byte(c.ID)) != nil {
			return nil
		}
		created = true
		return putJSON(b, []byte(c.ID), c)
	})
	return created, err
}

func (s *store) putCase(c *caseRecord) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := consoleBucket(tx, bucketCases)
		if err != nil {
			return err
		}
		if b.Get([]byte(c.ID)) == nil {
			return ErrNotFound
		}
		return putJSON(b, []byte(c.ID), c)
	})
}

func (s *store) getCase(id string) (*caseRecord, error) {
	var out *caseRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		b, _ := consoleBucket(tx, bucketCases)
		if b == nil {
			return nil
		}
		var c caseRecord
		ok, err := getJSON(b, []byte(id), &c)
		if ok {
			out = &c
		}
		return err
	})
	return out, err
}

func (s *store) cases() ([]*caseRecord, error) {
	out := []*caseRecord{}
	err := eachRecord(s, bucketCases, "case", func(_ []byte, c *caseRecord) { out = append(out, c) })
	sortCases(out)
	return out, err
}

func sortCases(cs []*caseRecord) {
	slices.SortStableFunc(cs, func(a, b *caseRecord) int {
		if c := b.Opened.Compare(a.Opened); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
}
