package hub

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Bookings in PostgreSQL (migrations/0007_bookings.sql).

func (s *pgStore) book(rec *bookingRecord, capacity int) (*bookingRecord, bool, error) {
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
		var prev []byte
		err := tx.QueryRow(ctx, "SELECT rec FROM bookings WHERE id = $1", rec.ID).Scan(&prev)
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
		tag, err := tx.Exec(ctx, "INSERT INTO bookings (id, rec) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING", rec.ID, raw)
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

func (s *pgStore) slotCounts(hall, item string, dates []string) (map[string]int, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	keys := make([]string, 0, 2*len(dates))
	for _, d := range dates {
		keys = append(keys, d+"/am", d+"/pm")
	}
	rows, err := s.pool.Query(ctx, `SELECT slot, taken FROM slot_counts WHERE hall = $1 AND item = $2 AND slot = ANY($3)`,
		hall, item, keys)
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
