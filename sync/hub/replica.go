package hub

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/govkiosk/govkiosk/sync/protocol"
)

// Replicas on one PostgreSQL database learn from each other through the events table:
// a replica that enrolls a terminal, publishes, queues a status update, sends a command
// or receives a command's result writes an event in the same transaction (or right
// after) and NOTIFYs; every other replica reads the events in order and acts on those
// that concern it: it pushes what was published to its own terminals, hands a status
// update or command to the terminal if it is connected here, and remembers results.
// NOTIFY only wakes the reader: it also polls every eventPoll, so events written while
// its listening connection was down (a database restart) still arrive.

const (
	eventPoll = time.Second
	// eventGapWait is how long a reader waits at a gap in the sequence: a transaction
	// that took a lower number may still commit. After that the gap is a rollback.
	eventGapWait = 5 * time.Second
	// eventKeep is how long events stay in the table.
	eventKeep = time.Hour
)

// emit records an event in its own transaction.
func (s *pgStore) emit(kind, terminalID string, payload []byte) error {
	ctx, cancel := s.ctx()
	defer cancel()
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return s.event(ctx, tx, kind, terminalID, payload)
	})
}

type storedEvent struct {
	seq        int64
	origin     string
	kind       string
	terminalID string
	payload    []byte
	young      bool
}

// lastEvent returns the newest event's number: a replica starting up reads only what
// comes after, since it loads the current state itself.
func (s *pgStore) lastEvent(ctx context.Context) (int64, error) {
	var seq int64
	err := s.pool.QueryRow(ctx, "SELECT coalesce(max(seq), 0) FROM events").Scan(&seq)
	return seq, err
}

func (s *pgStore) eventsAfter(ctx context.Context, seq int64) ([]storedEvent, error) {
	rows, err := s.pool.Query(ctx, `SELECT seq, origin, kind, terminal_id, payload, clock_timestamp() - at < $2::interval
		FROM events WHERE seq > $1 ORDER BY seq LIMIT 1000`, seq, eventGapWait.String())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storedEvent
	for rows.Next() {
		var e storedEvent
		if err := rows.Scan(&e.seq, &e.origin, &e.kind, &e.terminalID, &e.payload, &e.young); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s *pgStore) pruneEvents(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, "DELETE FROM events WHERE at < clock_timestamp() - $1::interval", eventKeep.String())
	return err
}

// followEvents reads other replicas' events until ctx ends.
func (h *Hub) followEvents(ctx context.Context, last int64) {
	defer h.wg.Done()
	var listen *pgx.Conn
	defer func() {
		if listen != nil {
			listen.Close(context.Background())
		}
	}()
	lastPrune := time.Now()
	failing := false
	for ctx.Err() == nil {
		if listen == nil {
			c, err := h.pg.pool.Acquire(ctx)
			if err == nil {
				listen = c.Hijack()
				if _, err = listen.Exec(ctx, "LISTEN "+eventChannel); err != nil {
					listen.Close(context.Background())
					listen = nil
				}
			}
		}
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		evs, err := h.pg.eventsAfter(qctx, last)
		cancel()
		if err != nil {
			if !failing && ctx.Err() == nil {
				h.log.Warn("replica events: database unavailable, retrying", "err", err)
			}
			failing = true
			if listen != nil {
				listen.Close(context.Background())
				listen = nil
			}
			select {
			case <-ctx.Done():
			case <-time.After(eventPoll):
			}
			continue
		}
		if failing {
			h.log.Info("replica events: database back")
			failing = false
		}
		for _, e := range evs {
			if e.seq != last+1 && e.young {
				break // a lower number may still commit: wait for it
			}
			last = e.seq
			if e.origin != h.pg.origin {
				h.applyEvent(e)
			}
		}
		if time.Since(lastPrune) > time.Minute {
			lastPrune = time.Now()
			pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			h.pg.pruneEvents(pctx)
			cancel()
		}
		if listen == nil {
			select {
			case <-ctx.Done():
			case <-time.After(eventPoll):
			}
			continue
		}
		wctx, cancel := context.WithTimeout(ctx, eventPoll)
		_, err = listen.WaitForNotification(wctx)
		cancel()
		if err != nil && !errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			listen.Close(context.Background())
			listen = nil
		}
	}
}

// applyEvent acts on another replica's event.
func (h *Hub) applyEvent(e storedEvent) {
	switch e.kind {
	case eventTerminal:
		h.learnTerminal(e.terminalID)
	case eventPublished:
		var kind string
		if json.Unmarshal(e.payload, &kind) != nil || strings.HasPrefix(kind, "release.") {
			// A release is announced by its command, which replicas share already.
			return
		}
		rec, err := h.st.published(kind)
		if err != nil || rec == nil {
			h.log.Warn("replica events: published", "kind", kind, "err", err)
			return
		}
		p, err := newPublished(kind, rec.Version, rec.Payload)
		if err != nil {
			h.log.Warn("replica events: published", "kind", kind, "err", err)
			return
		}
		h.mu.Lock()
		h.pub[kind] = p
		h.mu.Unlock()
		h.pushAll(kind, p)
	case eventStatus:
		var st protocol.Status
		if json.Unmarshal(e.payload, &st) == nil {
			h.sendTo(e.terminalID, &st)
		}
	case eventCommand:
		var cmd protocol.Command
		if json.Unmarshal(e.payload, &cmd) != nil || h.learnTerminal(e.terminalID) == nil {
			return
		}
		h.mu.Lock()
		if h.commands[cmd.ID] == nil {
			h.commands[cmd.ID] = &commandState{cmd: cmd, terminalID: e.terminalID, created: h.opt.Now()}
		}
		h.mu.Unlock()
		h.sendTo(e.terminalID, &cmd)
	case eventRevoked:
		h.reloadRevoked(e.terminalID)
	case eventResult:
		var r protocol.CommandResult
		if json.Unmarshal(e.payload, &r) == nil {
			h.recordResult(e.terminalID, &r)
		}
	}
}

// learnTerminal returns the terminal, loading it from the database when another
// replica enrolled it after this one started. Nil if it is unknown.
func (h *Hub) learnTerminal(id string) *terminal {
	h.mu.Lock()
	t := h.terms[id]
	h.mu.Unlock()
	if t != nil || h.pg == nil {
		return t
	}
	rec, err := h.st.terminal(id)
	if err != nil || rec == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if t := h.terms[id]; t != nil {
		return t
	}
	t = &terminal{rec: *rec}
	h.terms[id] = t
	return t
}

// publicKey returns an enrolled terminal's key.
func (h *Hub) publicKey(terminalID string) (ed25519.PublicKey, bool) {
	t := h.learnTerminal(terminalID)
	if t == nil {
		return nil, false
	}
	return ed25519.PublicKey(t.rec.PublicKey), true
}

// tellReplicas records an event for the other replicas; on bbolt there are none.
func (h *Hub) tellReplicas(kind, terminalID string, v any) {
	if h.pg == nil {
		return
	}
	b, err := json.Marshal(v)
	if err == nil {
		err = h.pg.emit(kind, terminalID, b)
	}
	if err != nil {
		h.log.Warn("replica events: could not tell the other replicas", "kind", kind, "err", err)
	}
}

// Presence: which terminals are connected to some replica. Each replica writes a row per
// terminal connected to it (at once when one connects or leaves, and again every
// presenceEvery), and the console counts a terminal online when it is connected here or
// another replica's row for it is younger than presenceLease: a replica killed without
// clearing its rows stops counting after the lease, by which time its terminals have
// reconnected elsewhere. On bbolt there is one replica and its own connections are the
// whole truth, so none of this runs there.
const (
	presenceEvery = 10 * time.Second
	presenceLease = 3 * presenceEvery
)

// setPresence records that the terminals in ids are connected to this replica now, and
// that no other terminal is.
func (s *pgStore) setPresence(ctx context.Context, ids []string) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM presence WHERE origin = $1 AND NOT (terminal_id = ANY($2::text[]))", s.origin, ids); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO presence (terminal_id, origin, seen_at)
			SELECT id, $2, clock_timestamp() FROM unnest($1::text[]) AS id
			ON CONFLICT (terminal_id) DO UPDATE SET origin = EXCLUDED.origin, seen_at = EXCLUDED.seen_at`, ids, s.origin)
		return err
	})
}

// presentElsewhere returns the terminals other replicas hold a fresh row for.
func (s *pgStore) presentElsewhere(ctx context.Context) (map[string]bool, error) {
	rows, err := s.pool.Query(ctx, "SELECT terminal_id FROM presence WHERE origin <> $1 AND seen_at > clock_timestamp() - $2::interval",
		s.origin, presenceLease.String())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

// notePresence asks the presence loop to write this replica's rows now.
func (h *Hub) notePresence() {
	if h.presenceWake == nil {
		return
	}
	select {
	case h.presenceWake <- struct{}{}:
	default:
	}
}

// presenceLoop keeps this replica's presence rows until ctx ends, then removes them.
func (h *Hub) presenceLoop(ctx context.Context) {
	defer h.wg.Done()
	t := time.NewTicker(presenceEvery)
	defer t.Stop()
	write := func(ctx context.Context) {
		h.mu.Lock()
		ids := make([]string, 0, len(h.terms))
		for id, term := range h.terms {
			if term.conn != nil {
				ids = append(ids, id)
			}
		}
		h.mu.Unlock()
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := h.pg.setPresence(wctx, ids); err != nil && ctx.Err() == nil {
			h.log.Warn("presence: could not record connected terminals", "err", err)
		}
	}
	for {
		select {
		case <-ctx.Done():
			// Its connections are closed: nobody is online here any more.
			write(context.Background())
			return
		case <-h.presenceWake:
		case <-t.C:
		}
		write(ctx)
	}
}

// presentElsewhere returns the terminals connected to other replicas; nil on bbolt, or
// when the database cannot say (the console then shows this replica's own).
func (h *Hub) presentElsewhere() map[string]bool {
	if h.pg == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := h.pg.presentElsewhere(ctx)
	if err != nil {
		h.log.Warn("presence: could not read other replicas' terminals", "err", err)
		return nil
	}
	return m
}
