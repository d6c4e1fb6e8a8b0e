package hub

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	bolt "go.etcd.io/bbolt"
)

// Console sessions live in the store, so an operator signed in at one replica is signed
// in at all of them, and stays signed in through a hub restart; signing out at any
// replica ends the session everywhere. The store keeps the SHA-256 of the session's
// cookie, never the cookie itself: reading the database does not give a session.

// sessionStorage is the console sessions' part of storage.
type sessionStorage interface {
	// putConsoleSession stores a session under the hash of its cookie.
	putConsoleSession(key string, rec consoleSessionRecord) error
	// consoleSession returns a session, nil when there is none.
	consoleSession(key string) (*consoleSessionRecord, error)
	// deleteConsoleSession ends a session (unknown: nothing happens).
	deleteConsoleSession(key string) error
	// pruneConsoleSessions deletes the sessions that expired before now and returns how many.
	pruneConsoleSessions(now time.Time) (int, error)
}

// consoleSessionRecord is a signed-in operator's session.
type consoleSessionRecord struct {
	Name    string    `json:"name"`
	Role    Role      `json:"role"`
	CSRF    string    `json:"csrf"`
	Expires time.Time `json:"expires"`
}

// sessionKey is how the store names the session of a cookie value.
func sessionKey(cookie string) string {
	s := sha256.Sum256([]byte("console-session:" + cookie))
	return hex.EncodeToString(s[:])
}

var bucketConsoleSessions = []byte("console_sessions") // sessionKey → consoleSessionRecord

func (s *store) putConsoleSession(key string, rec consoleSessionRecord) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := consoleBucket(tx, bucketConsoleSessions)
		if err != nil {
			return err
		}
		return putJSON(b, []byte(key), rec)
	})
}

func (s *store) consoleSession(key string) (*consoleSessionRecord, error) {
	var out *consoleSessionRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		b, _ := consoleBucket(tx, bucketConsoleSessions)
		if b == nil {
			return nil
		}
		var rec consoleSessionRecord
		ok, err := getJSON(b, []byte(key), &rec)
		if ok {
			out = &rec
		}
		return err
	})
	return out, err
}

func (s *store) deleteConsoleSession(key string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := consoleBucket(tx, bucketConsoleSessions)
		if err != nil {
			return err
		}
		return b.Delete([]byte(key))
	})
}

func (s *store) pruneConsoleSessions(now time.Time) (int, error) {
	return s.pruneBucket(bucketConsoleSessions, func(_, v []byte) (bool, error) {
		var rec consoleSessionRecord
		err := json.Unmarshal(v, &rec)
		return err != nil || rec.Expires.Before(now), nil // a corrupt session is no session
	})
}

// PostgreSQL: migrations/0013_console_sessions.sql.

func (s *pgStore) putConsoleSession(key string, rec consoleSessionRecord) error {
	ctx, cancel := s.ctx()
	defer cancel()
	raw, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO console_sessions (key, expires, rec) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET expires = EXCLUDED.expires, rec = EXCLUDED.rec`, key, rec.Expires, raw)
	return err
}

func (s *pgStore) consoleSession(key string) (*consoleSessionRecord, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	var raw []byte
	err := s.pool.QueryRow(ctx, "SELECT rec FROM console_sessions WHERE key = $1", key).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var rec consoleSessionRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, fmt.Errorf("hub: corrupt console session: %w", err)
	}
	return &rec, nil
}

func (s *pgStore) deleteConsoleSession(key string) error {
	ctx, cancel := s.ctx()
	defer cancel()
	_, err := s.pool.Exec(ctx, "DELETE FROM console_sessions WHERE key = $1", key)
	return err
}

func (s *pgStore) pruneConsoleSessions(now time.Time) (int, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	tag, err := s.pool.Exec(ctx, "DELETE FROM console_sessions WHERE expires < $1", now)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}
