package hub

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Operators' changes to the appointment calendar (the console's appointments page): a
// half-day's capacity set for one hall and item, and holidays a hall is closed on. Both
// are checked against the bookings in the same transaction that changes them, and a
// booking reads them in its own transaction, so no booking ever lands beyond a lowered
// capacity or on a holiday.

// ErrSlotClosed is a booking for a half-day on one of the hall's holidays.
var ErrSlotClosed = errors.New("hub: the hall is closed that day")

// BookedError refuses a change that would leave bookings beyond a slot's capacity or on
// a holiday: the bookings are kept, and Booked says how many there are.
type BookedError struct {
	// Booked is how many places are booked (held or confirmed).
	Booked int
	// What is the half-day or the day.
	What string
}

func (e *BookedError) Error() string {
	return fmt.Sprintf("hub: %d place(s) of %s are booked already; they are kept", e.Booked, e.What)
}

// slotRulesStorage is the operators' calendar changes' part of storage.
type slotRulesStorage interface {
	// setSlotCapacity sets how many places one half-day of an item has at a hall;
	// capacity < 0 removes the setting (the configured capacity applies again). A
	// capacity below the places booked (held or confirmed, not run out at now) is
	// refused with *BookedError and nothing changes.
	setSlotCapacity(hall, item, slot string, capacity int, now time.Time) error
	// setHoliday closes (or opens again) a hall on a date ("2006-01-02"). Closing a day
	// with bookings of any item is refused with *BookedError.
	setHoliday(hall, date string, closed bool, now time.Time) error
	// slotRules returns every capacity setting (hall \x00 item \x00 slot → places) and
	// every holiday (hall \x00 date).
	slotRules() (caps map[string]int, holidays map[string]bool, err error)
}

var (
	bucketSlotCaps = []byte("slot_capacity") // hall \x00 item \x00 slot → big-endian uint32 places
	bucketHolidays = []byte("holidays")      // hall \x00 date → "1"
)

func holidayKey(hall, date string) []byte { return []byte(hall + "\x00" + date) }

// liveTaken is a slot's places taken less its holds that ran out by now.
func liveTaken(tx *bolt.Tx, k []byte, now time.Time) int {
	cb := tx.Bucket(bucketSlotCounts)
	if cb == nil {
		return 0
	}
	v := cb.Get(k)
	if len(v) != 4 {
		return 0
	}
	return int(binary.BigEndian.Uint32(v)) - len(expiredHolds(tx.Bucket(bucketBookingHolds), k, now))
}

// ruleCapacity returns the capacity an operator set for a slot, if any, and whether the
// hall is closed on its date; inside a booking's transaction.
func ruleCapacity(tx *bolt.Tx, hall, item, slot string) (capacity int, set, closed bool) {
	if hb := tx.Bucket(bucketHolidays); hb != nil && len(slot) >= 10 && hb.Get(holidayKey(hall, slot[:10])) != nil {
		closed = true
	}
	if b := tx.Bucket(bucketSlotCaps); b != nil {
		if v := b.Get(slotKey(hall, item, slot)); len(v) == 4 {
			return int(binary.BigEndian.Uint32(v)), true, closed
		}
	}
	return 0, false, closed
}

func (s *store) setSlotCapacity(hall, item, slot string, capacity int, now time.Time) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketSlotCaps)
		if err != nil {
			return err
		}
		k := slotKey(hall, item, slot)
		if capacity < 0 {
			return b.Delete(k)
		}
		if n := liveTaken(tx, k, now); n > capacity {
			return &BookedError{Booked: n, What: slot}
		}
		return b.Put(k, binary.BigEndian.AppendUint32(nil, uint32(capacity)))
	})
}

func (s *store) setHoliday(hall, date string, closed bool, now time.Time) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketHolidays)
		if err != nil {
			return err
		}
		if !closed {
			return b.Delete(holidayKey(hall, date))
		}
		if cb := tx.Bucket(bucketSlotCounts); cb != nil {
			n := 0
			prefix := []byte(hall + "\x00")
			c := cb.Cursor()
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				if parts := strings.Split(string(k), "\x00"); len(parts) == 3 && strings.HasPrefix(parts[2], date+"/") {
					n += liveTaken(tx, k, now)
				}
			}
			if n > 0 {
				return &BookedError{Booked: n, What: date}
			}
		}
		return b.Put(holidayKey(hall, date), []byte("1"))
	})
}

func (s *store) slotRules() (map[string]int, map[string]bool, error) {
	caps, holidays := map[string]int{}, map[string]bool{}
	err := s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketSlotCaps); b != nil {
			if err := b.ForEach(func(k, v []byte) error {
				if len(v) == 4 {
					caps[string(k)] = int(binary.BigEndian.Uint32(v))
				}
				return nil
			}); err != nil {
				return err
			}
		}
		if b := tx.Bucket(bucketHolidays); b != nil {
			return b.ForEach(func(k, _ []byte) error {
				holidays[string(k)] = true
				return nil
			})
		}
		return nil
	})
	return caps, holidays, err
}
