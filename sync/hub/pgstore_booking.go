package hub

import (
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
