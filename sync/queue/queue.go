package queue

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/govkiosk/govkiosk/kiosk/tracking"
)

const (
	defaultRetention    = 30 * 24 * time.Hour
	defaultMinFree      = 64 << 20
	defaultLockTimeout  = 2 * time.Second
	maxReasonLen        = 300
	maxAttachments      = 64
	maxCheckErrorsShown = 5
)

// Queue is the outbox. All methods are safe for concurrent use.
type Queue struct {
	dir      string
	filesDir string
	opt      Options
	log      *slog.Logger
	db       *bolt.DB
	seal     *sealer // nil only for a read-only queue opened without a key
	// idKey is the HMAC key of the identity index, derived from the queue key; nil
	// exactly when seal is.
	idKey []byte
	// perm shuffles sequence numbers into tracking codes (see kiosk/tracking.Permuter);
	// nil for a queue created before codes were shuffled, which keeps running numbers so
	// no new code can meet one it already issued.
	perm *tracking.Permuter

	// mu guards closed; every operation holds it for reading so Close waits for them.
	mu     sync.RWMutex
	closed bool

	pruneMu   sync.Mutex
	lastPrune time.Time

	changes changeHub

	// wrapWriter, when set by tests, wraps every attachment file writer (to inject
	// ENOSPC part-way through a write).
	wrapWriter func(io.Writer) io.Writer
}

// Open opens (creating if needed, unless Options.ReadOnly) the queue in dir. It runs
// bbolt's consistency check and, unless read-only, repairs what a crash can leave behind
// (see the package documentation). It returns ErrKey for a missing or wrong key,
// ErrCorrupt when the database fails its check, ErrLocked when another process holds it.
func Open(dir string, opt Options) (*Queue, error) {
	if opt.Retention <= 0 {
		opt.Retention = defaultRetention
	}
	if opt.MinFreeBytes == 0 {
		opt.MinFreeBytes = defaultMinFree
	}
	if opt.LockTimeout <= 0 {
		opt.LockTimeout = defaultLockTimeout
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	q := &Queue{dir: dir, filesDir: filepath.Join(dir, filesDir), opt: opt, log: opt.Logger}

	dbPath := filepath.Join(dir, dbName)
	if opt.ReadOnly {
		if _, err := os.Stat(dbPath); err != nil {
			return nil, fmt.Errorf("%w: no queue in %s: %w", ErrNotFound, dir, err)
		}
	} else {
		t, err := tracking.NormalizeTerminal(opt.TerminalCode)
		if err != nil {
			return nil, fmt.Errorf("queue: terminal not enrolled or bad terminal code: %w", err)
		}
		q.opt.TerminalCode = t
		if opt.KeyFile == "" {
			return nil, fmt.Errorf("%w: no key file configured", ErrKey)
		}
		if rel, err := filepath.Rel(dir, opt.KeyFile); err == nil && !strings.HasPrefix(rel, "..") {
			q.log.Warn("queue: the key file is inside the data directory; a copy of the directory would carry its key",
				"key_file", opt.KeyFile)
		}
		if err := mkdirDurable(dir); err != nil {
			return nil, fmt.Errorf("queue: %w", err)
		}
		if err := mkdirDurable(q.filesDir); err != nil {
			return nil, fmt.Errorf("queue: %w", err)
		}
	}

	_, statErr := os.Stat(dbPath)
	created := errors.Is(statErr, fs.ErrNotExist)
	db, err := bolt.Open(dbPath, 0o600, &bolt.Options{
		Timeout:  opt.LockTimeout,
		ReadOnly: opt.ReadOnly,
	})
	if err != nil {
		return nil, openErr(dbPath, err)
	}
	q.db = db
	if created {
		// bbolt does not fsync the directory after creating its file.
		if err := syncDir(dir); err != nil {
			db.Close()
			return nil, fmt.Errorf("queue: %w", err)
		}
	}
	if err := q.init(); err != nil {
		db.Close()
		return nil, err
	}
	return q, nil
}

func openErr(path string, err error) error {
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return fmt.Errorf("%w: %s (stop the kiosk, or use its technician screen)", ErrLocked, path)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum),
		errors.Is(err, berrors.ErrVersionMismatch):
		return fmt.Errorf("%w: %s: %w", ErrCorrupt, path, err)
	case noSpace(err):
		return diskErr("open "+path, err)
	}
	return fmt.Errorf("queue: open %s: %w", path, err)
}

// init checks the database, sets up the key and, for a writable queue, repairs.
func (q *Queue) init() error {
	if err := q.checkDB(); err != nil {
		return err
	}
	var keyCheck []byte
	var hasItems bool
	if err := q.view(func(tx *bolt.Tx) error {
		if m := tx.Bucket(bktMeta); m != nil {
			keyCheck = bytes.Clone(m.Get(metaKeyCheck))
		}
		if b := tx.Bucket(bktItems); b != nil {
			k, _ := b.Cursor().First()
			hasItems = k != nil
		}
		return nil
	}); err != nil {
		return fmt.Errorf("queue: %w", err)
	}

	key, err := loadKey(q.opt.KeyFile)
	switch {
	case err == nil:
	case q.opt.ReadOnly && q.opt.KeyFile == "":
		// A read-only look without a key: only what is not personal. A key file that
		// was named but is absent is an error, not a quiet downgrade.
	case errors.Is(err, errKeyAbsent) && q.opt.CreateKey && keyCheck == nil && !hasItems:
		if key, err = createKey(q.opt.KeyFile); err != nil {
			return err
		}
		q.log.Info("queue: created a new encryption key", "key_file", q.opt.KeyFile)
	case errors.Is(err, errKeyAbsent) && keyCheck != nil:
		return fmt.Errorf("%w: %s is missing but the queue was written with a key; restore it (a new key cannot read the queue)", ErrKey, q.opt.KeyFile)
	default:
		return err
	}
	if key != nil {
		if q.seal, err = newSealer(key); err != nil {
			return err
		}
		if q.idKey, err = deriveIdentityKey(key); err != nil {
			return err
		}
		if keyCheck != nil {
			if _, err := q.seal.open(keyCheck, aadKeyCheck); err != nil {
				return fmt.Errorf("%w: %s is not the key this queue was written with", ErrKey, q.opt.KeyFile)
			}
		}
	}
	if q.opt.ReadOnly {
		return nil
	}
	if err := q.update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		m := tx.Bucket(bktMeta)
		if v := m.Get(metaVersion); v != nil && string(v) != schemaVersion {
			return fmt.Errorf("%w: schema version %q, this program knows %q", ErrCorrupt, v, schemaVersion)
		}
		if err := m.Put(metaVersion, []byte(schemaVersion)); err != nil {
			return err
		}
		if keyCheck == nil {
			if err := m.Put(metaKeyCheck, q.seal.seal(keyCheckPlain, aadKeyCheck)); err != nil {
				return err
			}
		}
		items := tx.Bucket(bktItems)
		if m.Get(metaCodePerm) == nil && items.Sequence() == 0 && !hasItems {
			if err := m.Put(metaCodePerm, []byte(codePermV1)); err != nil {
				return err
			}
		}
		if string(m.Get(metaCodePerm)) == codePermV1 {
			if q.perm, err = deriveCodePermuter(key); err != nil {
				return err
			}
		}
		if items.Sequence() < q.opt.SeqFloor {
			return items.SetSequence(q.opt.SeqFloor)
		}
		return nil
	}); err != nil {
		if errors.Is(err, ErrCorrupt) {
			return err
		}
		return diskErr("initialise", err)
	}
	return q.recover()
}

// checkDB runs bbolt's consistency check over the whole file.
func (q *Queue) checkDB() error {
	var problems []error
	err := q.view(func(tx *bolt.Tx) error {
		if err := walkAll(tx); err != nil {
			return err
		}
		for err := range tx.Check() {
			problems = append(problems, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("queue: check: %w", err)
	}
	if len(problems) > 0 {
		shown := problems
		if len(shown) > maxCheckErrorsShown {
			shown = shown[:maxCheckErrorsShown]
		}
		return fmt.Errorf("%w: database check found %d problems: %w", ErrCorrupt, len(problems), errors.Join(shown...))
	}
	return nil
}

// Close waits for running operations, closes the Changes channels and the database.
// Calling it again returns ErrClosed.
func (q *Queue) Close() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return ErrClosed
	}
	q.closed = true
	q.changes.closeAll()
	if err := q.db.Close(); err != nil {
		return fmt.Errorf("queue: close: %w", err)
	}
	return nil
}

// enter starts an operation; leave ends it.
func (q *Queue) enter(write bool) error {
	q.mu.RLock()
	if q.closed {
		q.mu.RUnlock()
		return ErrClosed
	}
	if write && q.opt.ReadOnly {
		q.mu.RUnlock()
		return ErrReadOnly
	}
	return nil
}

func (q *Queue) leave() { q.mu.RUnlock() }

func (q *Queue) now() time.Time { return q.opt.Now().UTC() }

// openPersonal opens a record's sealed part; nil when wiped. Without a key (read-only)
// it returns ErrKey.
func (q *Queue) openPersonal(r *record) (*personal, error) {
	if r.Sealed == nil {
		return nil, nil
	}
	if q.seal == nil {
		return nil, fmt.Errorf("%w: opened without a key", ErrKey)
	}
	plain, err := q.seal.open(r.Sealed, recordAAD(r.ID))
	if err != nil {
		return nil, fmt.Errorf("item %s: %w", r.ID, err)
	}
	var p personal
	if err := json.Unmarshal(plain, &p); err != nil {
		return nil, fmt.Errorf("%w: item %s: personal data: %v", ErrCorrupt, r.ID, err)
	}
	return &p, nil
}

// truncReason keeps reasons short enough for a status line and a record.
func truncReason(s string) string {
	if len(s) <= maxReasonLen {
		return s
	}
	r := []rune(s[:maxReasonLen])
	return string(r[:len(r)-1]) + "…"
}
