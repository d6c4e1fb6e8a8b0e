package hub

import (
	"bytes"
	"encoding/binary"
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Counter appointments as the hub keeps them (bookings.go): one record per booking, and
// per slot the number of places taken, both changed in one transaction so a slot is
// never booked beyond its capacity, whichever replica or connection asks.

// ErrSlotFull is a booking for a slot whose places are all taken.
var ErrSlotFull = errors.New("hub: slot full")

// bookingStorage is the bookings' part of storage.
type bookingStorage interface {
	// book stores the booking and takes a place in its slot, atomically, unless the slot
	// holds capacity bookings already (ErrSlotFull; a capacity an operator set for the
	// slot replaces capacity) or the hall has a holiday that day (ErrSlotClosed). Holds of the slot that ran out
	// before now are deleted and their places freed first, in the same transaction. A
	// booking whose id is stored already is returned as it is, with existed set, and
	// takes no second place.
	book(b *bookingRecord, capacity int, now time.Time) (out *bookingRecord, existed bool, err error)
	// slotCounts returns the places taken in hall for item by slot key ("date/half"),
	// for the given dates; a hold that ran out before now takes none.
	slotCounts(hall, item string, dates []string, now time.Time) (map[string]int, error)
	// confirmBooking makes a held booking permanent: it no longer runs out. A hold that
	// ran out but whose place nobody took yet is confirmed too (its place is still
	// there); one that was freed is gone (ErrNotFound), as is a cancelled one. A
	// confirmed booking is returned unchanged.
	confirmBooking(id string) (*bookingRecord, error)
	// bookingByID returns a booking, nil when there is none.
	bookingByID(id string) (*bookingRecord, error)
	// cancelBooking deletes a booking and frees its place, atomically, returning it
	// (ErrNotFound when there is none).
	cancelBooking(id string) (*bookingRecord, error)
}

// bookingRecord is one booking: a place in a slot, for one submission. It holds no
// personal data.
type bookingRecord struct {
	// ID is the submission's id.
	ID         string    `json:"id"`
	TerminalID string    `json:"terminal_id"`
	Hall       string    `json:"hall"`
	Item       string    `json:"item"`
	Slot       string    `json:"slot"` // "2006-01-02/am"
	CreatedAt  time.Time `json:"created_at"`
	// HeldUntil is when a booking whose submission has not been confirmed gives its
	// place back; zero for a confirmed booking, which keeps it until cancelled.
	HeldUntil time.Time `json:"held_until,omitzero"`
}

var (
	bucketBookings   = []byte("bookings")    // booking id → bookingRecord
	bucketSlotCounts = []byte("slot_counts") // hall \x00 item \x00 slot → big-endian uint32 places taken
	// slot key \x00 booking id → big-endian unix nanoseconds the hold runs out: the
	// held (unconfirmed) bookings of each slot, found by prefix.
	bucketBookingHolds = []byte("booking_holds")
)

func holdKey(hall, item, slot, id string) []byte {
	return []byte(hall + "\x00" + item + "\x00" + slot + "\x00" + id)
}

// addCount adds d to a slot's places taken.
func addCount(cb *bolt.Bucket, k []byte, d int) error {
	n := 0
	if v := cb.Get(k); len(v) == 4 {
		n = int(binary.BigEndian.Uint32(v))
	}
	if n += d; n <= 0 {
		return cb.Delete(k)
	}
	return cb.Put(k, binary.BigEndian.AppendUint32(nil, uint32(n)))
}

// expiredHolds lists the ids of a slot's holds that ran out before now.
func expiredHolds(hb *bolt.Bucket, slot []byte, now time.Time) []string {
	if hb == nil {
		return nil
	}
	var ids []string
	prefix := append(append([]byte{}, slot...), 0)
	c := hb.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if len(v) == 8 && !now.Before(time.Unix(0, int64(binary.BigEndian.Uint64(v)))) {
			ids = append(ids, string(k[len(prefix):]))
		}
	}
	return ids
}

func slotKey(hall, item, slot string) []byte {
	return []byte(hall + "\x00" + item + "\x00" + slot)
}

func (s *store) book(rec *bookingRecord, capacity int, now time.Time) (*bookingRecord, bool, error) {
	var out *bookingRecord
	existed := false
	err := s.db.Update(func(tx *bolt.Tx) error {
		bb, err := tx.CreateBucketIfNotExists(bucketBookings)
		if err != nil {
			return err
		}
		cb, err := tx.CreateBucketIfNotExists(bucketSlotCounts)
		if err != nil {
			return err
		}
		hb, err := tx.CreateBucketIfNotExists(bucketBookingHolds)
		if err != nil {
			return err
		}
		k := slotKey(rec.Hall, rec.Item, rec.Slot)
		// Holds that ran out give their places back before anyone counts them.
		for _, id := range expiredHolds(hb, k, now) {
			if err := hb.Delete(holdKey(rec.Hall, rec.Item, rec.Slot, id)); err != nil {
				return err
			}
			if err := bb.Delete([]byte(id)); err != nil {
				return err
			}
			if err := addCount(cb, k, -1); err != nil {
				return err
			}
		}
		var prev bookingRecord
		if ok, err := getJSON(bb, []byte(rec.ID), &prev); err != nil {
			return err
		} else if ok {
			out, existed = &prev, true
			return nil
		}
		// What an operator set for the slot reads in this same transaction.
		if c, set, closed := ruleCapacity(tx, rec.Hall, rec.Item, rec.Slot); closed {
			return ErrSlotClosed
		} else if set {
			capacity = c
		}
		n := 0
		if v := cb.Get(k); len(v) == 4 {
			n = int(binary.BigEndian.Uint32(v))
		}
		if n >= capacity {
			return ErrSlotFull
		}
		if err := addCount(cb, k, 1); err != nil {
			return err
		}
		if !rec.HeldUntil.IsZero() {
			until := binary.BigEndian.AppendUint64(nil, uint64(rec.HeldUntil.UnixNano()))
			if err := hb.Put(holdKey(rec.Hall, rec.Item, rec.Slot, rec.ID), until); err != nil {
				return err
			}
		}
		out = rec
		return putJSON(bb, []byte(rec.ID), rec)
	})
	if err != nil {
		return nil, false, err
	}
	return out, existed, nil
}

func (s *store) slotCounts(hall, item string, dates []string, now time.Time) (map[string]int, error) {
	out := map[string]int{}
	err := s.db.View(func(tx *bolt.Tx) error {
		cb := tx.Bucket(bucketSlotCounts)
		if cb == nil {
			return nil
		}
		hb := tx.Bucket(bucketBookingHolds)
		for _, d := range dates {
			for _, h := range []string{"am", "pm"} {
				k := slotKey(hall, item, d+"/"+h)
				if v := cb.Get(k); len(v) == 4 {
					if n := int(binary.BigEndian.Uint32(v)) - len(expiredHolds(hb, k, now)); n > 0 {
						out[d+"/"+h] = n
					}
				}
			}
		}
		return nil
	})
	return out, err
}

func (s *store) bookingByID(id string) (*bookingRecord, error) {
	var out *bookingRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		bb := tx.Bucket(bucketBookings)
		if bb == nil {
			return nil
		}
		var r bookingRecord
		ok, err := getJSON(bb, []byte(id), &r)
		if ok {
			out = &r
		}
		return err
	})
	return out, err
}

func (s *store) cancelBooking(id string) (*bookingRecord, error) {
	var out *bookingRecord
	err := s.db.Update(func(tx *bolt.Tx) error {
		bb, err := tx.CreateBucketIfNotExists(bucketBookings)
		if err != nil {
			return err
		}
		cb, err := tx.CreateBucketIfNotExists(bucketSlotCounts)
		if err != nil {
			return err
		}
		var r bookingRecord
		ok, err := getJSON(bb, []byte(id), &r)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNotFound
		}
		if err := addCount(cb, slotKey(r.Hall, r.Item, r.Slot), -1); err != nil {
			return err
		}
		if hb := tx.Bucket(bucketBookingHolds); hb != nil {
			if err := hb.Delete(holdKey(r.Hall, r.Item, r.Slot, r.ID)); err != nil {
				return err
			}
		}
		out = &r
		return bb.Delete([]byte(id))
	})
	return out, err
}

func (s *store) confirmBooking(id string) (*bookingRecord, error) {
	var out *bookingRecord
	err := s.db.Update(func(tx *bolt.Tx) error {
		bb := tx.Bucket(bucketBookings)
		if bb == nil {
			return ErrNotFound
		}
		var r bookingRecord
		ok, err := getJSON(bb, []byte(id), &r)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNotFound
		}
		out = &r
		if r.HeldUntil.IsZero() {
			return nil
		}
		r.HeldUntil = time.Time{}
		if hb := tx.Bucket(bucketBookingHolds); hb != nil {
			if err := hb.Delete(holdKey(r.Hall, r.Item, r.Slot, r.ID)); err != nil {
				return err
			}
		}
		return putJSON(bb, []byte(id), &r)
	})
	return out, err
}
