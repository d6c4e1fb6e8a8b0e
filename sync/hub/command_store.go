package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	bolt "go.etcd.io/bbolt"

	"github.com/govkiosk/govkiosk/internal/update"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

// Operators' commands and their results go through the store, so a hub restart keeps
// them and every replica sees them: a command sent while the terminal was away reaches
// it whichever replica it connects to, and the console shows a screenshot another
// replica received. The store is bounded: commands are kept for commandTTL, except each
// terminal's newest screenshot, which stays until a newer one replaces it.

// commandTTL is how long a command and its result are kept, and how long an unanswered
// command waits for its terminal.
const commandTTL = 24 * time.Hour

// commandRecord is a command sent to a terminal and, once it came back, its joined
// result. The result's output (a screenshot, a support bundle) is kept apart, sealed.
type commandRecord struct {
	Cmd        protocol.Command `json:"cmd"`
	TerminalID string           `json:"terminal_id"`
	Created    time.Time        `json:"created"`
	// Result is the terminal's answer without its output; nil while it waits.
	Result   *protocol.CommandResult `json:"result,omitempty"`
	Answered time.Time               `json:"answered,omitzero"`
	// Output is the result's output, sealed (commandAAD); only command() returns it.
	Output []byte `json:"-"`
}

func commandAAD(id string) []byte { return []byte("command:" + id) }

// commandStorage is the commands' part of storage.
type commandStorage interface {
	// putCommand stores a command, replacing the one with its id (with its output).
	putCommand(rec *commandRecord) error
	// command returns a command with its output; nil when there is none.
	command(id string) (*commandRecord, error)
	// terminalCommands returns a terminal's commands without their output, oldest first.
	terminalCommands(terminalID string) ([]*commandRecord, error)
	// commandsNamed returns every stored command with that name, without its output.
	commandsNamed(name string) ([]*commandRecord, error)
	// pruneCommands deletes the commands created before cutoff, except each terminal's
	// newest answered screenshot, and returns how many.
	pruneCommands(cutoff time.Time) (int, error)
}

var (
	bucketCommands       = []byte("commands")        // command id → commandRecord
	bucketCommandOutputs = []byte("command_outputs") // command id → sealed output
)

func sortCommands(cs []*commandRecord) {
	slices.SortStableFunc(cs, func(a, b *commandRecord) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.Cmd.ID, b.Cmd.ID)
	})
}

// commandsToPrune picks, from every stored command, the ones pruneCommands deletes.
func commandsToPrune(all []*commandRecord, cutoff time.Time) []string {
	newestShot := map[string]*commandRecord{}
	for _, c := range all {
		if c.Cmd.Name == protocol.CommandScreenshot && c.Result != nil && c.Result.OK {
			if b := newestShot[c.TerminalID]; b == nil || c.Answered.After(b.Answered) {
				newestShot[c.TerminalID] = c
			}
		}
	}
	var out []string
	for _, c := range all {
		if c.Created.Before(cutoff) && newestShot[c.TerminalID] != c {
			out = append(out, c.Cmd.ID)
		}
	}
	return out
}

func (s *store) putCommand(rec *commandRecord) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := consoleBucket(tx, bucketCommands)
		if err != nil {
			return err
		}
		o, err := consoleBucket(tx, bucketCommandOutputs)
		if err != nil {
			return err
		}
		if err := putJSON(b, []byte(rec.Cmd.ID), rec); err != nil {
			return err
		}
		if rec.Output == nil {
			return o.Delete([]byte(rec.Cmd.ID))
		}
		return o.Put([]byte(rec.Cmd.ID), rec.Output)
	})
}

func (s *store) command(id string) (*commandRecord, error) {
	var out *commandRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		b, _ := consoleBucket(tx, bucketCommands)
		if b == nil {
			return nil
		}
		var c commandRecord
		ok, err := getJSON(b, []byte(id), &c)
		if !ok || err != nil {
			return err
		}
		if o := tx.Bucket(bucketCommandOutputs); o != nil {
			if v := o.Get([]byte(id)); v != nil {
				c.Output = slices.Clone(v)
			}
		}
		out = &c
		return nil
	})
	return out, err
}

func (s *store) allCommands(tx *bolt.Tx, keep func(*commandRecord) bool) ([]*commandRecord, error) {
	b, _ := consoleBucket(tx, bucketCommands)
	if b == nil {
		return nil, nil
	}
	var out []*commandRecord
	err := b.ForEach(func(k, v []byte) error {
		var c commandRecord
		if err := json.Unmarshal(v, &c); err != nil {
			return fmt.Errorf("hub: corrupt command %q: %w", k, err)
		}
		if keep(&c) {
			out = append(out, &c)
		}
		return nil
	})
	return out, err
}

func (s *store) terminalCommands(terminalID string) ([]*commandRecord, error) {
	var out []*commandRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = s.allCommands(tx, func(c *commandRecord) bool { return c.TerminalID == terminalID })
		return err
	})
	sortCommands(out)
	return out, err
}

func (s *store) commandsNamed(name string) ([]*commandRecord, error) {
	var out []*commandRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = s.allCommands(tx, func(c *commandRecord) bool { return c.Cmd.Name == name })
		return err
	})
	sortCommands(out)
	return out, err
}

func (s *store) pruneCommands(cutoff time.Time) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		all, err := s.allCommands(tx, func(*commandRecord) bool { return true })
		if err != nil {
			return err
		}
		drop := commandsToPrune(all, cutoff)
		b, _ := consoleBucket(tx, bucketCommands)
		o, _ := consoleBucket(tx, bucketCommandOutputs)
		for _, id := range drop {
			if err := b.Delete([]byte(id)); err != nil {
				return err
			}
			if err := o.Delete([]byte(id)); err != nil {
				return err
			}
		}
		n = len(drop)
		return nil
	})
	return n, err
}

// PostgreSQL: migrations/0010_commands.sql.

func (s *pgStore) putCommand(rec *commandRecord) error {
	ctx, cancel := s.ctx()
	defer cancel()
	raw, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO commands (id, terminal_id, created, rec, output) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO UPDATE SET rec = EXCLUDED.rec, output = EXCLUDED.output`,
		rec.Cmd.ID, rec.TerminalID, rec.Created, raw, rec.Output)
	return err
}

func (s *pgStore) command(id string) (*commandRecord, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	var raw, output []byte
	err := s.pool.QueryRow(ctx, "SELECT rec, output FROM commands WHERE id = $1", id).Scan(&raw, &output)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var c commandRecord
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("hub: corrupt command %q: %w", id, err)
	}
	c.Output = output
	return &c, nil
}

func (s *pgStore) terminalCommands(terminalID string) ([]*commandRecord, error) {
	return s.queryCommands("SELECT rec FROM commands WHERE terminal_id = $1", terminalID)
}

func (s *pgStore) commandsNamed(name string) ([]*commandRecord, error) {
	return s.queryCommands("SELECT rec FROM commands WHERE rec->'cmd'->>'name' = $1", name)
}

// queryCommands reads the command records query selects (one column, rec), in the order
// sortCommands gives.
func (s *pgStore) queryCommands(query string, arg string) ([]*commandRecord, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	rows, err := s.pool.Query(ctx, query, arg)
	if err != nil {
		return nil, err
	}
	cs, err := collectJSON[commandRecord](rows)
	if err != nil {
		return nil, err
	}
	out := ptrs(cs)
	sortCommands(out)
	return out, nil
}

func (s *pgStore) pruneCommands(cutoff time.Time) (int, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	rows, err := s.pool.Query(ctx, "SELECT rec FROM commands")
	if err != nil {
		return 0, err
	}
	cs, err := collectJSON[commandRecord](rows)
	if err != nil {
		return 0, err
	}
	drop := commandsToPrune(ptrs(cs), cutoff)
	if len(drop) == 0 {
		return 0, nil
	}
	tag, err := s.pool.Exec(ctx, "DELETE FROM commands WHERE id = ANY($1)", drop)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

// commandPreview is how much of a text result the stored record shows unsealed (the
// console shows as much); the whole output is sealed apart.
const commandPreview = 200

// sealResult returns rec carrying result: the output sealed apart, and in the record
// only a preview of a text answer (none of a file).
func (h *Hub) sealResult(rec *commandRecord, result protocol.CommandResult) *commandRecord {
	out := *rec
	r := result
	if r.Output != "" {
		out.Output = h.seal.seal([]byte(r.Output), commandAAD(rec.Cmd.ID))
	}
	if _, file := fileTypes[rec.Cmd.Name]; file || len(r.Output) > commandPreview {
		r.Output = ""
	}
	out.Result = &r
	return &out
}

// storedCommand returns a stored command with its result's output opened; nil when
// there is none.
func (h *Hub) storedCommand(id string) (*commandRecord, error) {
	rec, err := h.st.command(id)
	if err != nil || rec == nil {
		return rec, err
	}
	if rec.Result != nil && rec.Output != nil {
		plain, err := h.seal.open(rec.Output, commandAAD(id))
		if err != nil {
			return nil, fmt.Errorf("hub: command %s output: %w", id, err)
		}
		r := *rec.Result
		r.Output = string(plain)
		rec.Result = &r
	}
	return rec, nil
}

// recallCommand brings a stored, unanswered command into this replica's memory, so a
// result for a command sent before a restart or by another replica is taken.
func (h *Hub) recallCommand(id string) {
	h.mu.Lock()
	known := h.commands[id] != nil
	h.mu.Unlock()
	if known {
		return
	}
	rec, err := h.st.command(id)
	if err != nil || rec == nil || rec.Result != nil || h.opt.Now().Sub(rec.Created) > commandTTL {
		return
	}
	h.mu.Lock()
	if h.commands[id] == nil {
		h.commands[id] = &commandState{cmd: rec.Cmd, terminalID: rec.TerminalID, created: rec.Created}
	}
	h.mu.Unlock()
}

// storedPendingCommands returns a terminal's stored commands that wait for an answer
// and are not among have: sent before a restart, or by another replica while the
// terminal was away. An update to a version the terminal (running app) already has is
// left out.
func (h *Hub) storedPendingCommands(terminalID, app string, have []*protocol.Command) []*protocol.Command {
	recs, err := h.st.terminalCommands(terminalID)
	if err != nil {
		h.log.Warn("pending commands", "terminal", terminalID, "err", err)
		return nil
	}
	now := h.opt.Now()
	var out []*protocol.Command
	for _, rec := range recs {
		if rec.Result != nil || now.Sub(rec.Created) > commandTTL ||
			slices.ContainsFunc(have, func(c *protocol.Command) bool { return c.ID == rec.Cmd.ID }) {
			continue
		}
		if v := rec.Cmd.Args["version"]; rec.Cmd.Name == CommandUpdate && update.ValidVersion(app) && update.ValidVersion(v) &&
			update.CompareVersions(v, app) <= 0 {
			continue
		}
		h.recallCommand(rec.Cmd.ID)
		cmd := rec.Cmd
		out = append(out, &cmd)
	}
	return out
}

// PruneCommands deletes the commands older than a day, keeping each terminal's newest
// screenshot, and returns how many.
func (h *Hub) PruneCommands() int {
	n, err := h.st.pruneCommands(h.opt.Now().Add(-commandTTL))
	if err != nil {
		h.log.Warn("prune commands", "err", err)
	}
	return n
}
