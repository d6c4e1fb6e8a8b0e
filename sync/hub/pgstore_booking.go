package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Bookings in PostgreSQL (migrations/0007_bookings.sql).

func (s *pgStore) book(rec *bookingRecord, capacity int, now time.Time) (*bookingRecord, bool, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	raw, err := json.Marshal(rec)
	if err != nil {
		return nil, false, err
	}
	var out *bookingRecord
	existed := false
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		out, existed = nil, false
		// The slot's row is the lock every booking of the slot waits on.
		if _, err := tx.Exec(ctx, `INSERT INTO slot_counts (hall, item, slot, taken) VALUES ($1, $2, $3, 0)
			ON CONFLICT DO NOTHING`, rec.Hall, rec.Item, rec.Slot); err != nil {
			return err
		}
		var taken int
		if err := tx.QueryRow(ctx, `SELECT taken FROM slot_counts WHERE hall = $1 AND item = $2 AND slot = $3 FOR UPDATE`,
			rec.Hall, rec.Item, rec.Slot).Scan(&taken); err != nil {
			return err
		}
		// Holds that ran out give their places back before anyone counts them; the slot's
		// row lock keeps every booker of the slot waiting meanwhile.
		tag, err := tx.Exec(ctx, `DELETE FROM bookings WHERE `+heldInSlot+` AND `+heldOut+`($4)`,
			rec.Hall, rec.Item, rec.Slot, now)
		if err != nil {
			return err
		}
		if n := int(tag.RowsAffected()); n > 0 {
			taken = max(taken-n, 0)
			if _, err := tx.Exec(ctx, `UPDATE slot_counts SET taken = $4 WHERE hall = $1 AND item = $2 AND slot = $3`,
				rec.Hall, rec.Item, rec.Slot, taken); err != nil {
				return err
			}
		}
		var prev []byte
		err = tx.QueryRow(ctx, "SELECT rec FROM bookings WHERE id = $1", rec.ID).Scan(&prev)
		if err == nil {
			var p bookingRecord
			if err := json.Unmarshal(prev, &p); err != nil {
				return fmt.Errorf("hub: corrupt booking %q: %w", rec.ID, err)
			}
			out, existed = &p, true
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		// What an operator set for the slot, read after taking the slot's row and the
		// hall's day, which a change takes too.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))`, rec.Hall, slotDay(rec.Slot)); err != nil {
			return err
		}
		var closed bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM holidays WHERE hall = $1 AND day = $2)`,
			rec.Hall, slotDay(rec.Slot)).Scan(&closed); err != nil {
			return err
		}
		if closed {
			return ErrSlotClosed
		}
		var set int
		err = tx.QueryRow(ctx, `SELECT capacity FROM slot_capacity WHERE hall = $1 AND item = $2 AND slot = $3`,
			rec.Hall, rec.Item, rec.Slot).Scan(&set)
		switch {
		case err == nil:
			capacity = set
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		if taken >= capacity {
			return ErrSlotFull
		}
		tag, err = tx.Exec(ctx, "INSERT INTO bookings (id, rec) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING", rec.ID, raw)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			// The same id booked another slot at this very moment: report that one.
			var p bookingRecord
			if err := tx.QueryRow(ctx, "SELECT rec FROM bookings WHERE id = $1", rec.ID).Scan(&prev); err != nil {
				return err
			}
			if err := json.Unmarshal(prev, &p); err != nil {
				return err
			}
			out, existed = &p, true
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE slot_counts SET taken = taken + 1 WHERE hall = $1 AND item = $2 AND slot = $3`,
			rec.Hall, rec.Item, rec.Slot); err != nil {
			return err
		}
		out = rec
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return out, existed, nil
}

// The held bookings of one slot ($1 hall, $2 item, $3 slot), and whether a hold ran
// out by a time: a booking's held_until is in its record, absent once confirmed.
const (
	heldInSlot = `rec->>'hall' = $1 AND rec->>'item' = $2 AND rec->>'slot' = $3 AND rec ? 'held_until'`
	heldOut    = `(rec->>'held_until')::timestamptz <= `
)

func (s *pgStore) slotCounts(hall, item string, dates []string, now time.Time) (map[string]int, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	keys := make([]string, 0, 2*len(dates))
	for _, d := range dates {
		keys = append(keys, d+"/am", d+"/pm")
	}
	// Places taken, less the holds that ran out and are not yet swept.
	rows, err := s.pool.Query(ctx, `SELECT c.slot, c.taken - (SELECT count(*) FROM bookings
			WHERE rec->>'hall' = c.hall AND rec->>'item' = c.item AND rec->>'slot' = c.slot AND rec ? 'held_until'
			AND (rec->>'held_until')::timestamptz <= $4)
		FROM slot_counts c WHERE c.hall = $1 AND c.item = $2 AND c.slot = ANY($3)`,
		hall, item, keys, now)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var slot string
		var n int
		if err := rows.Scan(&slot, &n); err != nil {
			return nil, err
		}
		if n > 0 {
			out[slot] = n
		}
	}
	return out, rows.Err()
}

func (s *pgStore) bookingByID(id string) (*bookingRecord, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	var raw []byte
	err := s.pool.QueryRow(ctx, "SELECT rec FROM bookings WHERE id = $1", id).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var r bookingRecord
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("hub: corrupt booking %q: %w", id, err)
	}
	return &r, nil
}

func (s *pgStore) cancelBooking(id string) (*bookingRecord, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	var out *bookingRecord
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var raw []byte
		err := tx.QueryRow(ctx, "DELETE FROM bookings WHERE id = $1 RETURNING rec", id).Scan(&raw)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		var r bookingRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			return fmt.Errorf("hub: corrupt booking %q: %w", id, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE slot_counts SET taken = greatest(taken - 1, 0) WHERE hall = $1 AND item = $2 AND slot = $3`,
			r.Hall, r.Item, r.Slot); err != nil {
			return err
		}
		out = &r
		return nil
	})
	return out, err
}

func (s *pgStore) confirmBooking(id string) (*bookingRecord, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	// One statement: the hold is dropped from the record if it is still there; a freed
	// hold's row is gone, so nothing is confirmed.
	var raw []byte
	err := s.pool.QueryRow(ctx, `UPDATE bookings SET rec = rec - 'held_until' WHERE id = $1 RETURNING rec`, id).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	var r bookingRecord
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("hub: corrupt booking %q: %w", id, err)
	}
	return &r, nil
}

// slotDay is a slot's date ("2006-01-02/am" → "2006-01-02").
func slotDay(slot string) string {
	if len(slot) < 10 {
		return slot
	}
	return slot[:10]
}

// pgLiveTaken is a slot's places taken less its holds that ran out by now, with the
// slot's row locked.
func pgLiveTaken(ctx context.Context, tx pgx.Tx, hall, item, slot string, now time.Time) (int, error) {
	if _, err := tx.Exec(ctx, `INSERT INTO slot_counts (hall, item, slot, taken) VALUES ($1, $2, $3, 0)
		ON CONFLICT DO NOTHING`, hall, item, slot); err != nil {
		return 0, err
	}
	var taken, gone int
	if err := tx.QueryRow(ctx, `SELECT taken FROM slot_counts WHERE hall = $1 AND item = $2 AND slot = $3 FOR UPDATE`,
		hall, item, slot).Scan(&taken); err != nil {
		return 0, err
	}
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM bookings WHERE `+heldInSlot+` AND `+heldOut+`($4)`,
		hall, item, slot, now).Scan(&gone); err != nil {
		return 0, err
	}
	return max(taken-gone, 0), nil
}

func (s *pgStore) setSlotCapacity(hall, item, slot string, capacity int, now time.Time) error {
	ctx, cancel := s.ctx()
	defer cancel()
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if capacity < 0 {
			_, err := tx.Exec(ctx, `DELETE FROM slot_capacity WHERE hall = $1 AND item = $2 AND slot = $3`, hall, item, slot)
			return err
		}
		n, err := pgLiveTaken(ctx, tx, hall, item, slot, now)
		if err != nil {
			return err
		}
		if n > capacity {
			return &BookedError{Booked: n, What: slot}
		}
		_, err = tx.Exec(ctx, `INSERT INTO slot_capacity (hall, item, slot, capacity) VALUES ($1, $2, $3, $4)
			ON CONFLICT (hall, item, slot) DO UPDATE SET capacity = excluded.capacity`, hall, item, slot, capacity)
		return err
	})
}

func (s *pgStore) setHoliday(hall, date string, closed bool, now time.Time) error {
	ctx, cancel := s.ctx()
	defer cancel()
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if !closed {
			_, err := tx.Exec(ctx, `DELETE FROM holidays WHERE hall = $1 AND day = $2`, hall, date)
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))`, hall, date); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM bookings WHERE rec->>'hall' = $1 AND left(rec->>'slot', 10) = $2
			AND NOT (rec ? 'held_until' AND (rec->>'held_until')::timestamptz <= $3)`, hall, date, now).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return &BookedError{Booked: n, What: date}
		}
		_, err := tx.Exec(ctx, `INSERT INTO holidays (hall, day) VALUES ($1, $2) ON CONFLICT DO NOTHING`, hall, date)
		return err
	})
}

func (s *pgStore) slotRules() (map[string]int, map[string]bool, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	caps, holidays := map[string]int{}, map[string]bool{}
	rows, err := s.pool.Query(ctx, `SELECT hall, item, slot, capacity FROM slot_capacity`)
	if err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		var hall, item, slot string
		var n int
		if err := rows.Scan(&hall, &item, &slot, &n); err != nil {
			rows.Close()
			return nil, nil, err
		}
		caps[string(slotKey(hall, item, slot))] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	rows, err = s.pool.Query(ctx, `SELECT hall, day FROM holidays`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var hall, day string
		if err := rows.Scan(&hall, &day); err != nil {
			return nil, nil, err
		}
		holidays[string(holidayKey(hall, day))] = true
	}
	return caps, holidays, rows.Err()
}
