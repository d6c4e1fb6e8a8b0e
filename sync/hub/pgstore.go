package hub

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/govkiosk/govkiosk/kiosk/tracking"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrSchemaNewer means the database was migrated by a newer hub: this one refuses to
// start rather than write records the newer schema does not expect.
var ErrSchemaNewer = errors.New("hub: database schema is newer than this hub knows")

// pgStore keeps the hub's records in PostgreSQL, shared by any number of hub replicas.
// Exactly-once holds across replicas through constraints and transactions in the
// database (unique tracking codes, row locks on commit), never through a replica's
// memory. Every method runs under a timeout, so a database that is down or failing over
// makes the hub answer "try again later" instead of hanging.
type pgStore struct {
	pool    *pgxpool.Pool
	seal    *sealer
	timeout time.Duration
	// origin names this replica in the events it writes, so it skips its own.
	origin string
	outbox bool // queue committed submissions for forwarding
}

// openPGStore connects and brings the schema up to date.
func openPGStore(ctx context.Context, url string, seal *sealer) (*pgStore, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("hub: database URL: %w", err)
	}
	if cfg.MaxConns < 8 {
		cfg.MaxConns = 8
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("hub: connect to database: %w", err)
	}
	s := &pgStore{pool: pool, seal: seal, timeout: 10 * time.Second, origin: randomID("r-")}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) { return readMigrations(migrationFiles) }

// readMigrations reads migrations/NNNN_name.sql from fsys in version order. The versions
// must run 1, 2, 3… with none twice: the database records the highest version applied,
// so a second file with a version already taken (two branches landing the same number)
// or a gap would be skipped silently on databases migrated before it.
func readMigrations(fsys fs.FS) ([]migration, error) {
	files, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, f := range files {
		base := strings.TrimPrefix(f, "migrations/")
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("hub: migration %s: name must start with its version", f)
		}
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			if i > 0 && m.version == out[i-1].version {
				return nil, fmt.Errorf("hub: migrations %s and %s have the same version", out[i-1].name, m.name)
			}
			return nil, fmt.Errorf("hub: migration %s: version %d expected (versions run 1, 2, 3… without gaps)", m.name, i+1)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("hub: no migrations")
	}
	return out, nil
}

// schemaVersion is the newest migration this hub knows.
func schemaVersion() int {
	m, _ := migrations()
	return m[len(m)-1].version
}

// migrate applies the migrations the database lacks, each in its own transaction,
// holding an advisory lock so replicas starting together migrate once.
func (s *pgStore) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("hub: connect to database: %w", err)
	}
	defer conn.Release()
	const lockKey = 0x676f766b696f736b // "govkiosk"
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(lockKey)); err != nil {
		return fmt.Errorf("hub: migration lock: %w", err)
	}
	defer conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", int64(lockKey))
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("hub: migrations table: %w", err)
	}
	var have int
	if err := conn.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&have); err != nil {
		return fmt.Errorf("hub: schema version: %w", err)
	}
	if known := ms[len(ms)-1].version; have > known {
		return fmt.Errorf("%w: database at version %d, this hub knows up to %d", ErrSchemaNewer, have, known)
	}
	for _, m := range ms {
		if m.version <= have {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name)
			return err
		})
		if err != nil {
			return fmt.Errorf("hub: migration %s: %w", m.name, err)
		}
	}
	return nil
}

func (s *pgStore) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.timeout)
}

func (s *pgStore) close() error {
	s.pool.Close()
	return nil
}

func scanJSON[T any](row pgx.Row) (*T, error) {
	var raw []byte
	if err := row.Scan(&raw); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, nil
		}
		return nil, err
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("hub: corrupt record: %w", err)
	}
	return &v, nil
}

func (s *pgStore) hubID() (string, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	r := make([]byte, 6)
	if _, err := rand.Read(r); err != nil {
		return "", err
	}
	if _, err := s.pool.Exec(ctx, "INSERT INTO meta (key, value) VALUES ('hub_id', $1) ON CONFLICT DO NOTHING",
		"hub-"+hex.EncodeToString(r)); err != nil {
		return "", fmt.Errorf("hub: hub id: %w", err)
	}
	var id string
	err := s.pool.QueryRow(ctx, "SELECT value FROM meta WHERE key = 'hub_id'").Scan(&id)
	return id, err
}

func (s *pgStore) addEnrollCode(code string, created, expires time.Time) error {
	ctx, cancel := s.ctx()
	defer cancel()
	_, err := s.pool.Exec(ctx, `INSERT INTO enroll_codes (code_hash, created, expires) VALUES ($1, $2, $3)
		ON CONFLICT (code_hash) DO UPDATE SET created = EXCLUDED.created, expires = EXCLUDED.expires`,
		codeKey(code), created, expires)
	return err
}

func (s *pgStore) enroll(code string, now time.Time, pub []byte, name, app string) (terminalRecord, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	var rec terminalRecord
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var expires time.Time
		err := tx.QueryRow(ctx, "DELETE FROM enroll_codes WHERE code_hash = $1 RETURNING expires", codeKey(code)).Scan(&expires)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && now.After(expires)) {
			return ErrEnrollCode
		}
		if err != nil {
			return err
		}
		idb := make([]byte, 8)
		if _, err := rand.Read(idb); err != nil {
			return err
		}
		rec = terminalRecord{ID: "t-" + hex.EncodeToString(idb), PublicKey: pub, Name: name, App: app, EnrolledAt: now}
		for range 1000 {
			c, err := randomString(terminalAlphabet, 4)
			if err != nil {
				return err
			}
			rec.Code = c
			raw, err := json.Marshal(rec)
			if err != nil {
				return err
			}
			tag, err := tx.Exec(ctx, "INSERT INTO terminals (id, code, rec) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING",
				rec.ID, rec.Code, raw)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 1 {
				return s.event(ctx, tx, eventTerminal, rec.ID, nil)
			}
		}
		return errors.New("hub: no free terminal code")
	})
	return rec, err
}

func (s *pgStore) terminals() ([]terminalRecord, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	rows, err := s.pool.Query(ctx, "SELECT rec FROM terminals ORDER BY id")
	if err != nil {
		return nil, err
	}
	var out []terminalRecord
	for rows.Next() {
		r, err := scanJSON[terminalRecord](rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, *r)
	}
	return out, rows.Err()
}

func (s *pgStore) terminal(id string) (*terminalRecord, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	return scanJSON[terminalRecord](s.pool.QueryRow(ctx, "SELECT rec FROM terminals WHERE id = $1", id))
}

func (s *pgStore) revokeTerminal(id string, at time.Time, by, reason string) (*terminalRecord, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	var out *terminalRecord
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		r, err := scanJSON[terminalRecord](tx.QueryRow(ctx, "SELECT rec FROM terminals WHERE id = $1 FOR UPDATE", id))
		if err != nil {
			return err
		}
		if r == nil {
			return ErrNotFound
		}
		out = r
		if r.revoked() {
			return nil
		}
		r.RevokedAt, r.RevokedBy, r.RevokeReason = at.UTC(), by, reason
		raw, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE terminals SET rec = $2 WHERE id = $1", id, raw); err != nil {
			return err
		}
		// Every replica drops the terminal's connection and refuses its key.
		return s.event(ctx, tx, eventRevoked, id, nil)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *pgStore) submission(id string) (*submissionRecord, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	return scanJSON[submissionRecord](s.pool.QueryRow(ctx, "SELECT rec FROM submissions WHERE id = $1", id))
}

func (s *pgStore) openSubmission(rec *submissionRecord) (*submissionRecord, openOutcome, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	raw, err := json.Marshal(rec)
	if err != nil {
		return nil, 0, err
	}
	var idHash *string
	if rec.IDHash != "" {
		idHash = &rec.IDHash
	}
	// The attachments' offset rows come with the submission, in the same statement:
	// one round trip and one commit for both.
	var n int
	err = s.pool.QueryRow(ctx, `WITH s AS (INSERT INTO submissions (id, terminal_id, tracking_code, state, rec, id_hash)
			VALUES ($1, $2, $3, 'open', $4, $5) ON CONFLICT DO NOTHING RETURNING id),
		p AS (INSERT INTO attachment_parts (submission_id, idx) SELECT s.id, g FROM s, generate_series(0, $6::int - 1) g
			ON CONFLICT DO NOTHING)
		SELECT count(*) FROM s`, rec.ID, rec.TerminalID, rec.TrackingCode, raw, idHash, len(rec.Attachments)).Scan(&n)
	if err != nil {
		return nil, 0, err
	}
	created := n == 1
	if created {
		return rec, openCreated, nil
	}
	cur, err := scanJSON[submissionRecord](s.pool.QueryRow(ctx, "SELECT rec FROM submissions WHERE id = $1", rec.ID))
	if err != nil {
		return nil, 0, err
	}
	if cur != nil {
		return cur, openExisting, nil
	}
	return nil, openTrackingTaken, nil
}

func (s *pgStore) openSubmissions() ([]*submissionRecord, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	rows, err := s.pool.Query(ctx, "SELECT rec FROM submissions WHERE state = 'open'")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*submissionRecord
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		var r submissionRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, fmt.Errorf("hub: corrupt submission: %w", err)
		}
		out = append(out, &r)
	}
	return out, rows.Err()
}

func (s *pgStore) dropOpenSubmission(id string) (*submissionRecord, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	return scanJSON[submissionRecord](s.pool.QueryRow(ctx,
		"DELETE FROM submissions WHERE id = $1 AND state = 'open' RETURNING rec", id))
}

// commitSubmission commits in one statement (one round trip, one implicit
// transaction): the row update, its hub reference from the sequence and, when
// forwarding, the outbox row. A repeat finds no open row and reads the stored one.
func (s *pgStore) commitSubmission(id string, now time.Time) (*submissionRecord, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	r, err := scanJSON[submissionRecord](s.pool.QueryRow(ctx, `WITH c AS (
			UPDATE submissions SET state = 'committed', seq = n.v,
				rec = rec || jsonb_build_object('state', 'committed', 'seq', n.v,
					'hub_ref', 'H' || CASE WHEN n.v < 1000000000 THEN lpad(n.v::text, 9, '0') ELSE n.v::text END,
					'received_at', $2::text)
			FROM (SELECT nextval('submission_seq') AS v) n
			WHERE id = $1 AND state = 'open'
			RETURNING id, rec),
		o AS (INSERT INTO forward_queue (submission_id, next_at) SELECT id, $3 FROM c WHERE $4 ON CONFLICT DO NOTHING)
		SELECT rec FROM c`, id, now.Format(time.RFC3339Nano), now, s.outbox))
	if err != nil || r != nil {
		return r, err
	}
	r, err = s.submission(id)
	if err == nil && r == nil {
		err = ErrNotFound
	}
	return r, err
}

func (s *pgStore) putRating(rec *ratingRecord) (*ratingRecord, bool, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	var out *ratingRecord
	existed := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var seq int64
		if err := tx.QueryRow(ctx, "SELECT nextval('rating_seq')").Scan(&seq); err != nil {
			return err
		}
		r := *rec
		r.HubRef = fmt.Sprintf("R%09d", seq)
		raw, err := json.Marshal(&r)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, "INSERT INTO ratings (id, rec, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", r.ID, raw, r.CreatedAt)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			out = &r
			if !s.outbox || !r.handedOff() {
				return nil
			}
			_, err := tx.Exec(ctx, "INSERT INTO forward_queue (submission_id, next_at) VALUES ($1, $2) ON CONFLICT DO NOTHING", ratingJobPrefix+r.ID, r.ReceivedAt)
			return err
		}
		existed = true
		out, err = scanJSON[ratingRecord](tx.QueryRow(ctx, "SELECT rec FROM ratings WHERE id = $1", r.ID))
		if err == nil && out == nil {
			err = errors.New("hub: rating vanished")
		}
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return out, existed, nil
}

func (s *pgStore) recentSubmissions(limit int, keep func(*submissionRecord) bool) ([]*submissionRecord, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	rows, err := s.pool.Query(ctx, "SELECT rec FROM submissions WHERE seq IS NOT NULL ORDER BY seq DESC")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*submissionRecord
	for rows.Next() && len(out) < limit {
		r, err := scanJSON[submissionRecord](rows)
		if err != nil {
			return nil, err
		}
		if keep(r) {
			out = append(out, r)
		}
	}
	return out, rows.Err()
}

func (s *pgStore) countCommitted() (int, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	var n int
	err := s.pool.QueryRow(ctx, "SELECT count(*) FROM submissions WHERE seq IS NOT NULL").Scan(&n)
	return n, err
}

func (s *pgStore) byTracking(code string) (*submissionRecord, error) {
	if c, err := tracking.Normalize(code); err == nil {
		code = c
	}
	ctx, cancel := s.ctx()
	defer cancel()
	return scanJSON[submissionRecord](s.pool.QueryRow(ctx, "SELECT rec FROM submissions WHERE tracking_code = $1", code))
}

func (s *pgStore) queueStatus(st *protocol.Status, terminalID string) error {
	ctx, cancel := s.ctx()
	defer cancel()
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		r, err := scanJSON[submissionRecord](tx.QueryRow(ctx, "SELECT rec FROM submissions WHERE id = $1 FOR UPDATE", st.SubmissionID))
		if err != nil {
			return err
		}
		if r == nil {
			return ErrNotFound
		}
		r.Status, r.StatusAt, r.StatusNote = st.Status, st.At, st.Note
		raw, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE submissions SET rec = $2 WHERE id = $1", r.ID, raw); err != nil {
			return err
		}
		sraw, err := json.Marshal(st)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO status_queue (terminal_id, update_id, status) VALUES ($1, $2, $3)
			ON CONFLICT (terminal_id, update_id) DO UPDATE SET status = EXCLUDED.status`, terminalID, st.UpdateID, sraw); err != nil {
			return err
		}
		return s.event(ctx, tx, eventStatus, terminalID, sraw)
	})
}

func (s *pgStore) pendingStatus(terminalID string) ([]*protocol.Status, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	rows, err := s.pool.Query(ctx, "SELECT status FROM status_queue WHERE terminal_id = $1 ORDER BY update_id", terminalID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*protocol.Status
	for rows.Next() {
		st, err := scanJSON[protocol.Status](rows)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

func (s *pgStore) ackStatus(terminalID, updateID string) (bool, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	tag, err := s.pool.Exec(ctx, "DELETE FROM status_queue WHERE terminal_id = $1 AND update_id = $2", terminalID, updateID)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

func (s *pgStore) putPublished(kind string, rec publishedRecord) error {
	ctx, cancel := s.ctx()
	defer cancel()
	raw, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO published (kind, rec) VALUES ($1, $2)
			ON CONFLICT (kind) DO UPDATE SET rec = EXCLUDED.rec`, kind, raw); err != nil {
			return err
		}
		return s.event(ctx, tx, eventPublished, "", []byte(strconv.Quote(kind)))
	})
}

func (s *pgStore) published(kind string) (*publishedRecord, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	return scanJSON[publishedRecord](s.pool.QueryRow(ctx, "SELECT rec FROM published WHERE kind = $1", kind))
}

func (s *pgStore) saveHeartbeats(hb map[string]heartbeatRecord) error {
	if len(hb) == 0 {
		return nil
	}
	ctx, cancel := s.ctx()
	defer cancel()
	b := &pgx.Batch{}
	for id, r := range hb {
		raw, err := json.Marshal(r)
		if err != nil {
			return err
		}
		b.Queue(`INSERT INTO heartbeats (terminal_id, rec) VALUES ($1, $2)
			ON CONFLICT (terminal_id) DO UPDATE SET rec = EXCLUDED.rec`, id, raw)
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return tx.SendBatch(ctx, b).Close()
	})
}

func (s *pgStore) heartbeats() (map[string]heartbeatRecord, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	rows, err := s.pool.Query(ctx, "SELECT terminal_id, rec FROM heartbeats")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]heartbeatRecord{}
	for rows.Next() {
		var id string
		var raw []byte
		if err := rows.Scan(&id, &raw); err != nil {
			return nil, err
		}
		var r heartbeatRecord
		if json.Unmarshal(raw, &r) == nil {
			out[id] = r
		}
	}
	return out, rows.Err()
}

// Events other replicas act on.
const (
	eventTerminal  = "terminal"  // a terminal enrolled
	eventPublished = "published" // payload: the kind, as a JSON string
	eventStatus    = "status"    // payload: the protocol.Status for terminal_id
	eventCommand   = "command"   // payload: the protocol.Command for terminal_id
	eventResult    = "result"    // payload: the protocol.CommandResult from terminal_id
	eventRevoked   = "revoked"   // an operator revoked terminal_id
)

// eventChannel is the NOTIFY channel that wakes replicas when an event is written.
const eventChannel = "govkiosk_events"

// event records an event in tx and notifies listening replicas when tx commits.
func (s *pgStore) event(ctx context.Context, tx pgx.Tx, kind, terminalID string, payload []byte) error {
	if payload == nil {
		payload = []byte("{}")
	}
	if _, err := tx.Exec(ctx, "INSERT INTO events (origin, kind, terminal_id, payload) VALUES ($1, $2, $3, $4)",
		s.origin, kind, terminalID, payload); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, "SELECT pg_notify($1, '')", eventChannel)
	return err
}

// pgAttachments keeps attachment bytes in PostgreSQL as sealed chunk rows, so every
// replica sees the same bytes and offsets and a lost replica machine loses nothing.
// Why not files: replicas share no disk, and a shared file system would add a second
// thing to keep consistent with the database; rows commit together with the offset.
type pgAttachments struct {
	s *pgStore
}

func chunkAAD(id string, index int, offset int64) []byte {
	b := make([]byte, 0, len(id)+11)
	b = append(b, id...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(index))
	return binary.BigEndian.AppendUint64(b, uint64(offset))
}

func (a *pgAttachments) complete(terminalID, id string, index int, size int64) bool {
	if size == 0 {
		return true
	}
	ctx, cancel := a.s.ctx()
	defer cancel()
	var done bool
	err := a.s.pool.QueryRow(ctx, "SELECT done FROM attachment_parts WHERE submission_id = $1 AND idx = $2", id, index).Scan(&done)
	return err == nil && done
}

func (a *pgAttachments) prepare(terminalID, id string) error { return nil }

func (a *pgAttachments) drop(terminalID, id string) (int64, error) {
	ctx, cancel := a.s.ctx()
	defer cancel()
	var n int64
	err := pgx.BeginFunc(ctx, a.s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "SELECT coalesce(sum(n), 0) FROM attachment_chunks WHERE submission_id = $1", id).Scan(&n); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "DELETE FROM attachment_parts WHERE submission_id = $1", id)
		return err
	})
	return n, err
}

// errOffsetMoved means another connection (on this or another replica) stored a chunk
// of the same attachment first: the terminal resubmits and learns the true offset.
var errOffsetMoved = errors.New("hub: attachment offset moved under this upload")

func (a *pgAttachments) openPart(terminalID, id string, index int, meta protocol.Attachment) (attachmentPart, error) {
	ctx, cancel := a.s.ctx()
	defer cancel()
	p := &pgPart{a: a, id: id, index: index, size: meta.Size, sum: meta.SHA256, h: sha256.New()}
	// One statement, one snapshot: the offset row and its chunks agree.
	rows, err := a.s.pool.Query(ctx, `SELECT p.next, c.off, c.sealed FROM attachment_parts p
		LEFT JOIN attachment_chunks c ON c.submission_id = p.submission_id AND c.idx = p.idx
		WHERE p.submission_id = $1 AND p.idx = $2 ORDER BY c.off`, id, index)
	if err != nil {
		return nil, fmt.Errorf("hub: open attachment: %w", err)
	}
	found, next := false, int64(0)
	for rows.Next() {
		var off *int64
		var sealed []byte
		if err := rows.Scan(&next, &off, &sealed); err != nil {
			rows.Close()
			return nil, fmt.Errorf("hub: open attachment: %w", err)
		}
		found = true
		if off == nil {
			continue // no chunk yet
		}
		plain, err := a.s.seal.open(sealed, chunkAAD(id, index, *off))
		if err != nil || *off != p.next {
			rows.Close()
			return nil, fmt.Errorf("hub: attachment %s/%d: chunk at %d does not verify", id, index, *off)
		}
		p.h.Write(plain)
		p.next += int64(len(plain))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("hub: open attachment: %w", err)
	}
	if !found {
		// Made by openSubmission normally; a record from before that still works.
		if _, err := a.s.pool.Exec(ctx, "INSERT INTO attachment_parts (submission_id, idx) VALUES ($1, $2) ON CONFLICT DO NOTHING", id, index); err != nil {
			return nil, fmt.Errorf("hub: open attachment: %w", err)
		}
		return p, nil
	}
	if p.next != next {
		return nil, fmt.Errorf("hub: attachment %s/%d: chunks end at %d, offset says %d", id, index, p.next, next)
	}
	return p, nil
}

func (a *pgAttachments) read(terminalID, id string, index int, meta protocol.Attachment) ([]byte, error) {
	if meta.Size == 0 {
		return []byte{}, nil
	}
	ctx, cancel := a.s.ctx()
	defer cancel()
	var done bool
	err := a.s.pool.QueryRow(ctx, "SELECT done FROM attachment_parts WHERE submission_id = $1 AND idx = $2", id, index).Scan(&done)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !done) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("hub: read attachment: %w", err)
	}
	rows, err := a.s.pool.Query(ctx, "SELECT off, sealed FROM attachment_chunks WHERE submission_id = $1 AND idx = $2 ORDER BY off", id, index)
	if err != nil {
		return nil, fmt.Errorf("hub: read attachment: %w", err)
	}
	defer rows.Close()
	out := make([]byte, 0, meta.Size)
	for rows.Next() {
		var off int64
		var sealed []byte
		if err := rows.Scan(&off, &sealed); err != nil {
			return nil, fmt.Errorf("hub: read attachment: %w", err)
		}
		plain, err := a.s.seal.open(sealed, chunkAAD(id, index, off))
		if err != nil || off != int64(len(out)) {
			return nil, fmt.Errorf("hub: attachment %s/%d: chunk at %d does not verify", id, index, off)
		}
		out = append(out, plain...)
	}
	return out, rows.Err()
}

// pgPart is one attachment being received into chunk rows.
type pgPart struct {
	a     *pgAttachments
	id    string
	index int
	size  int64
	sum   string
	next  int64
	h     hash.Hash
	done  bool // the last append marked it done
}

func (p *pgPart) offset() int64 { return p.next }
func (p *pgPart) length() int64 { return p.size }
func (p *pgPart) close()        {}

// append stores a chunk and moves the offset in one transaction; the offset moves only
// from where this part believes it is, so two connections racing on one attachment
// cannot both store a chunk at the same place.
func (p *pgPart) append(data []byte) error {
	ctx, cancel := p.a.s.ctx()
	defer cancel()
	// The last chunk of bytes that match their checksum also marks the attachment done,
	// in the same transaction: finish then has nothing left to write.
	done := false
	var h hash.Hash
	if p.next+int64(len(data)) == p.size {
		h = clone(p.h)
		h.Write(data)
		done = hex.EncodeToString(h.Sum(nil)) == p.sum
	}
	// One statement, so one round trip and one implicit transaction: the offset moves
	// only from where this part believes it is, and the chunk is stored only if it did.
	tag, err := p.a.s.pool.Exec(ctx, `WITH u AS (UPDATE attachment_parts SET next = next + $4, done = $5
			WHERE submission_id = $1 AND idx = $2 AND next = $3 AND NOT done RETURNING 1)
		INSERT INTO attachment_chunks (submission_id, idx, off, n, sealed) SELECT $1, $2, $3, $4, $6 FROM u`,
		p.id, p.index, p.next, len(data), done, p.a.s.seal.seal(data, chunkAAD(p.id, p.index, p.next)))
	if err == nil && tag.RowsAffected() != 1 {
		err = errOffsetMoved
	}
	if err != nil {
		return fmt.Errorf("hub: write attachment: %w", err)
	}
	p.next += int64(len(data))
	p.h.Write(data)
	p.done = done
	return nil
}

// clone copies a SHA-256 state.
func clone(h hash.Hash) hash.Hash {
	c := sha256.New()
	st, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err == nil {
		err = c.(encoding.BinaryUnmarshaler).UnmarshalBinary(st)
	}
	if err != nil {
		panic("hub: sha256 state does not copy: " + err.Error())
	}
	return c
}

func (p *pgPart) finish() error {
	if p.done {
		return nil
	}
	ctx, cancel := p.a.s.ctx()
	defer cancel()
	if hex.EncodeToString(p.h.Sum(nil)) != p.sum {
		err := pgx.BeginFunc(ctx, p.a.s.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "DELETE FROM attachment_chunks WHERE submission_id = $1 AND idx = $2", p.id, p.index); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "UPDATE attachment_parts SET next = 0 WHERE submission_id = $1 AND idx = $2 AND NOT done", p.id, p.index)
			return err
		})
		if err != nil {
			return fmt.Errorf("hub: reset attachment: %w", err)
		}
		p.next = 0
		p.h.Reset()
		return errChecksum
	}
	tag, err := p.a.s.pool.Exec(ctx, "UPDATE attachment_parts SET done = true WHERE submission_id = $1 AND idx = $2 AND next = $3",
		p.id, p.index, p.size)
	if err != nil {
		return fmt.Errorf("hub: keep attachment: %w", err)
	}
	if tag.RowsAffected() != 1 {
		return errOffsetMoved
	}
	return nil
}

var (
	_ storage           = (*pgStore)(nil)
	_ attachmentStorage = (*pgAttachments)(nil)
)

// isPostgresURL says whether a -store value names PostgreSQL.
func isPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

func (s *pgStore) enableOutbox() { s.outbox = true }

func (s *pgStore) claimForward(now time.Time, lease time.Duration, limit int) ([]*forwardJob, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	rows, err := s.pool.Query(ctx, `UPDATE forward_queue SET lease_until = $2
		WHERE submission_id IN (SELECT submission_id FROM forward_queue
			WHERE NOT dead AND next_at <= $1 AND lease_until <= $1
			ORDER BY next_at LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING submission_id, attempts, next_at, lease_until, last_error`, now, now.Add(lease), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*forwardJob
	for rows.Next() {
		var j forwardJob
		if err := rows.Scan(&j.Key, &j.Attempts, &j.NextAt, &j.LeaseUntil, &j.LastError); err != nil {
			return nil, err
		}
		out = append(out, &j)
	}
	return out, rows.Err()
}

func (s *pgStore) rating(id string) (*ratingRecord, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	return scanJSON[ratingRecord](s.pool.QueryRow(ctx, "SELECT rec FROM ratings WHERE id = $1", id))
}

func (s *pgStore) forwardQueued(key string) (bool, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	var found bool
	err := s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM forward_queue WHERE submission_id = $1)", key).Scan(&found)
	return found, err
}

func (s *pgStore) forwardDone(id string) error {
	ctx, cancel := s.ctx()
	defer cancel()
	_, err := s.pool.Exec(ctx, "DELETE FROM forward_queue WHERE submission_id = $1", id)
	return err
}

func (s *pgStore) forwardFailed(id string, attempts int, next time.Time, dead bool, lastErr string) error {
	ctx, cancel := s.ctx()
	defer cancel()
	tag, err := s.pool.Exec(ctx, `UPDATE forward_queue SET attempts = $2, next_at = $3, dead = $4, last_error = $5,
		lease_until = '-infinity' WHERE submission_id = $1`, id, attempts, next, dead, lastErr)
	if err == nil && tag.RowsAffected() == 0 {
		err = ErrNotFound
	}
	return err
}

func (s *pgStore) deadLetters() ([]*forwardJob, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT submission_id, attempts, next_at, last_error FROM forward_queue
		WHERE dead ORDER BY submission_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*forwardJob
	for rows.Next() {
		j := forwardJob{Dead: true}
		if err := rows.Scan(&j.Key, &j.Attempts, &j.NextAt, &j.LastError); err != nil {
			return nil, err
		}
		out = append(out, &j)
	}
	return out, rows.Err()
}

func (s *pgStore) retryDead(id string, now time.Time) (bool, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	tag, err := s.pool.Exec(ctx, `UPDATE forward_queue SET dead = false, attempts = 0, next_at = $2,
		lease_until = '-infinity' WHERE submission_id = $1 AND dead`, id, now)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

func (s *pgStore) bySubject(idHash string, limit int) ([]*submissionRecord, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT rec FROM submissions WHERE id_hash = $1 AND seq IS NOT NULL
		ORDER BY seq DESC LIMIT $2`, idHash, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*submissionRecord
	for rows.Next() {
		r, err := scanJSON[submissionRecord](rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
