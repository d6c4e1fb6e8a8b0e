package hub

import (
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
	// holds capacity bookings already (ErrSlotFull). A booking whose id is stored
	// already is returned as it is, with existed set, and takes no second place.
	book(b *bookingRecord, capacity int) (out *bookingRecord, existed bool, err error)
	// slotCounts returns the places taken in hall for item by slot key ("date/half"),
	// for the given dates.
	slotCounts(hall, item string, dates []string) (map[string]int, error)
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
}

var (
	bucketBookings   = []byte("bookings")    // booking id → bookingRecord
	bucketSlotCounts = []byte("slot_counts") // hall \x00 item \x00 slot → big-endian uint32 places taken
)

func slotKey(hall, item, slot string) []byte {
	return []byte(hall + "\x00" + item + "\x00" + slot)
}

func (s *store) book(rec *bookingRecord, capacity int) (*bookingRecord, bool, error) {
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
		var prev bookingRecord
		if ok, err := getJSON(bb, []byte(rec.ID), &prev); err != nil {
			return err
		} else if ok {
			out, existed = &prev, true
			return nil
		}
		k := slotKey(rec.Hall, rec.Item, rec.Slot)
		n := 0
		if v := cb.Get(k); len(v) == 4 {
			n = int(binary.BigEndian.Uint32(v))
		}
		if n >= capacity {
			return ErrSlotFull
		}
		if err := cb.Put(k, binary.BigEndian.AppendUint32(nil, uint32(n+1))); err != nil {
			return err
		}
		out = rec
		return putJSON(bb, []byte(rec.ID), rec)
	})
	if err != nil {
		return nil, false, err
	}
	return out, existed, nil
}

func (s *store) slotCounts(hall, item string, dates []string) (map[string]int, error) {
	out := map[string]int{}
	err := s.db.View(func(tx *bolt.Tx) error {
		cb := tx.Bucket(bucketSlotCounts)
		if cb == nil {
			return nil
		}
		for _, d := range dates {
			for _, h := range []string{"am", "pm"} {
				if v := cb.Get(slotKey(hall, item, d+"/"+h)); len(v) == 4 {
					out[d+"/"+h] = int(binary.BigEndian.Uint32(v))
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
		k := slotKey(r.Hall, r.Item, r.Slot)
		if v := cb.Get(k); len(v) == 4 {
			if n := binary.BigEndian.Uint32(v); n > 1 {
				err = cb.Put(k, binary.BigEndian.AppendUint32(nil, n-1))
			} else {
				err = cb.Delete(k)
			}
			if err != nil {
				return err
			}
		}
		out = &r
		return bb.Delete([]byte(id))
	})
	return out, err
}
