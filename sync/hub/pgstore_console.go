package hub

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The console's records in PostgreSQL (migrations/0005_console.sql).

func (s *pgStore) setPlacement(terminalID string, p placementRecord) error {
	ctx, cancel := s.ctx()
	defer cancel()
	raw, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO placements (terminal_id, rec) VALUES ($1, $2)
		ON CONFLICT (terminal_id) DO UPDATE SET rec = EXCLUDED.rec`, terminalID, raw)
	return err
}

func (s *pgStore) placements() (map[string]placementRecord, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	rows, err := s.pool.Query(ctx, "SELECT terminal_id, rec FROM placements")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]placementRecord{}
	for rows.Next() {
		var id string
		var raw []byte
		if err := rows.Scan(&id, &raw); err != nil {
			return nil, err
		}
		var p placementRecord
		if err := json.Unmarshal(raw, &p); err != nil {
			return nil, fmt.Errorf("hub: corrupt placement %q: %w", id, err)
		}
		out[id] = p
	}
	return out, rows.Err()
}

func (s *pgStore) addHealthEvents(evs []healthEventRecord) error {
	if len(evs) == 0 {
		return nil
	}
	ctx, cancel := s.ctx()
	defer cancel()
	b := &pgx.Batch{}
	for _, e := range evs {
		raw, err := json.Marshal(e)
		if err != nil {
			return err
		}
		b.Queue("INSERT INTO health_events (terminal_id, rec) VALUES ($1, $2)", e.TerminalID, raw)
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return tx.SendBatch(ctx, b).Close()
	})
}

func (s *pgStore) healthEvents(terminalID string, limit int) ([]healthEventRecord, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	rows, err := s.pool.Query(ctx, "SELECT rec FROM health_events WHERE terminal_id = $1 ORDER BY seq DESC LIMIT $2", terminalID, limit)
	if err != nil {
		return nil, err
	}
	return collectJSON[healthEventRecord](rows)
}

// collectJSON reads one JSON column from each row.
func collectJSON[T any](rows pgx.Rows) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("hub: corrupt record: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func ptrs[T any](vs []T) []*T {
	out := make([]*T, len(vs))
	for i := range vs {
		out[i] = &vs[i]
	}
	return out
}

func (s *pgStore) putAlert(a *alertRecord) error {
	ctx, cancel := s.ctx()
	defer cancel()
	raw, err := json.Marshal(a)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO alerts (id, rec) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET rec = EXCLUDED.rec`, a.ID, raw)
	return err
}

func (s *pgStore) alerts() ([]*alertRecord, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	rows, err := s.pool.Query(ctx, "SELECT rec FROM alerts")
	if err != nil {
		return nil, err
	}
	as, err := collectJSON[alertRecord](rows)
	if err != nil {
		return nil, err
	}
	out := ptrs(as)
	sortAlerts(out)
	return out, nil
}

func (s *pgStore) pruneAlerts(cutoff time.Time) (int, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	// The same rule as alertRecord.prunable, in SQL: cleared and acknowledged, both
	// before cutoff.
	tag, err := s.pool.Exec(ctx, `DELETE FROM alerts
		WHERE coalesce(rec->>'acked_by', '') <> ''
		AND rec ? 'cleared' AND (rec->>'cleared')::timestamptz < $1
		AND rec ? 'acked_at' AND (rec->>'acked_at')::timestamptz < $1`, cutoff)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

func (s *pgStore) pruneHealthEvents(cutoff time.Time) (int, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	tag, err := s.pool.Exec(ctx, "DELETE FROM health_events WHERE (rec->>'at')::timestamptz < $1", cutoff)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

func (s *pgStore) ratingsBetween(from, to time.Time) ([]*ratingRecord, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	// The created_at column is indexed (migrations/0011_ratings_created.sql). It holds
	// microseconds: it picks the rows with a microsecond to spare each side, and the
	// record's own time decides.
	rows, err := s.pool.Query(ctx, `SELECT id, rec->>'terminal_id', coalesce(rec->>'item', ''), (rec->>'stars')::int, rec->>'created_at'
		FROM ratings WHERE created_at >= $1 AND created_at <= $2`, from.Add(-time.Microsecond), to.Add(time.Microsecond))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*ratingRecord
	for rows.Next() {
		var r ratingRecord
		var created string
		if err := rows.Scan(&r.ID, &r.TerminalID, &r.Item, &r.Stars, &created); err != nil {
			return nil, err
		}
		if r.CreatedAt, err = time.Parse(time.RFC3339Nano, created); err != nil {
			return nil, fmt.Errorf("hub: corrupt rating %q: %w", r.ID, err)
		}
		if !r.CreatedAt.Before(from) && r.CreatedAt.Before(to) {
			out = append(out, &r)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sortRatings(out)
	return out, nil
}

func (s *pgStore) openCase(c *caseRecord) (bool, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	raw, err := json.Marshal(c)
	if err != nil {
		return false, err
	}
	tag, err := s.pool.Exec(ctx, "INSERT INTO cases (id, rec) VALUES ($1, $2) ON CONFLICT DO NOTHING", c.ID, raw)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

func (s *pgStore) putCase(c *caseRecord) error {
	ctx, cancel := s.ctx()
	defer cancel()
	raw, err := json.Marshal(c)
	if err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, "UPDATE cases SET rec = $2 WHERE id = $1", c.ID, raw)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

func (s *pgStore) getCase(id string) (*caseRecord, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	return scanJSON[caseRecord](s.pool.QueryRow(ctx, "SELECT rec FROM cases WHERE id = $1", id))
}

func (s *pgStore) cases() ([]*caseRecord, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	rows, err := s.pool.Query(ctx, "SELECT rec FROM cases")
	if err != nil {
		return nil, err
	}
	cs, err := collectJSON[caseRecord](rows)
	if err != nil {
		return nil, err
	}
	out := ptrs(cs)
	sortCases(out)
	return out, nil
}
