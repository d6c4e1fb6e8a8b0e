package hub

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/govkiosk/govkiosk/sync/protocol"
)

// The audit log: one JSON line per operator action (who, what, on what, why, from where,
// when, and the answer's status), appended and fsynced before the answer leaves the hub.
// Each entry carries the hash of the one before it, so removing, reordering or editing
// an entry breaks the chain, which VerifyAuditLog and GET /api/audit report. It holds no
// personal data: tracking codes and terminal ids as targets, never form values or the
// resident an identity code was issued for.

// ErrAuditLog means the audit log is damaged (the hash chain breaks) or cannot be written.
var ErrAuditLog = errors.New("hub: audit log")

// AuditEntry is one operator action.
type AuditEntry struct {
	Seq    int64     `json:"seq"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Role   Role      `json:"role"`
	Action string    `json:"action"`
	// Target is what the action was on: a tracking code, terminal id, command id or the
	// kind published; empty when the action names nothing.
	Target string `json:"target,omitempty"`
	// Purpose is the operator's stated reason (required for identity codes).
	Purpose string `json:"purpose,omitempty"`
	Remote  string `json:"remote"`
	// Status is the HTTP status the hub answered with.
	Status int `json:"status"`
	// Prev is the hash of the entry before (64 zeros for the first); Hash is the SHA-256
	// of Prev and this entry's JSON with Hash empty, in hex.
	Prev string `json:"prev"`
	Hash string `json:"hash"`
}

const genesis = "0000000000000000000000000000000000000000000000000000000000000000"

func (e AuditEntry) digest() string {
	e.Hash = ""
	b, _ := json.Marshal(e)
	sum := sha256.Sum256(append([]byte(e.Prev+"\n"), b...))
	return hex.EncodeToString(sum[:])
}

type auditLog struct {
	mu   sync.Mutex
	f    *os.File
	path string
	seq  int64
	head string
}

// openAuditLog opens (or creates) the log, checks its whole chain and cuts off a torn
// last line (a power cut mid-append). A chain that breaks anywhere else refuses to open.
func openAuditLog(path string) (*auditLog, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAuditLog, err)
	}
	n, head, good, err := scanAudit(f, nil)
	if err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %w", ErrAuditLog, err)
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %w", ErrAuditLog, err)
	}
	return &auditLog{f: f, path: path, seq: n, head: head}, nil
}

// scanAudit reads a log from the start, checking the chain, and calls each (if set) for
// every entry. It returns the number of entries, the last hash and the length of the
// complete lines.
func scanAudit(r io.Reader, each func(AuditEntry)) (n int64, head string, good int64, err error) {
	head = genesis
	br := bufio.NewReader(r)
	for {
		line, rerr := br.ReadBytes('\n')
		if rerr == io.EOF {
			return n, head, good, nil // a torn last line (no newline) is not part of the log
		}
		if rerr != nil {
			return 0, "", 0, fmt.Errorf("%w: %w", ErrAuditLog, rerr)
		}
		var e AuditEntry
		if err := json.Unmarshal(bytes.TrimSpace(line), &e); err != nil {
			return 0, "", 0, fmt.Errorf("%w: entry %d is not JSON", ErrAuditLog, n+1)
		}
		if e.Seq != n+1 || e.Prev != head || e.digest() != e.Hash {
			return 0, "", 0, fmt.Errorf("%w: the hash chain breaks at entry %d", ErrAuditLog, n+1)
		}
		n, head, good = e.Seq, e.Hash, good+int64(len(line))
		if each != nil {
			each(e)
		}
	}
}

// VerifyAuditLog checks a whole audit log file and returns how many entries it holds.
func VerifyAuditLog(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrAuditLog, err)
	}
	defer f.Close()
	n, _, _, err := scanAudit(f, nil)
	return n, err
}

// append writes e (numbered and chained here) and fsyncs it.
func (l *auditLog) append(e AuditEntry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	e.Seq, e.Prev = l.seq+1, l.head
	e.Hash = e.digest()
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if _, err := l.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("%w: %w", ErrAuditLog, err)
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("%w: %w", ErrAuditLog, err)
	}
	l.seq, l.head = e.Seq, e.Hash
	return nil
}

func (l *auditLog) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Close()
}

// AuditLog returns the entries after seq (at most limit, oldest first), having checked
// the whole chain.
func (h *Hub) AuditLog(after int64, limit int) ([]AuditEntry, error) {
	f, err := os.Open(h.audit.path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAuditLog, err)
	}
	defer f.Close()
	out := []AuditEntry{}
	_, _, _, err = scanAudit(f, func(e AuditEntry) {
		if e.Seq > after && len(out) < limit {
			out = append(out, e)
		}
	})
	return out, err
}

func (h *Hub) serveAudit(w http.ResponseWriter, r *http.Request) {
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	entries, err := h.AuditLog(after, limit)
	if err != nil {
		h.log.Error("read the audit log", "err", err)
		writeJSONError(w, http.StatusInternalServerError, protocol.Errorf(protocol.CodeInternal, "", "%v", err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": len(entries), "entries": entries, "verified": true})
}

// auditNote lets a handler add what only it knows (the purpose) to its audit entry.
type auditNote struct{ purpose string }

type auditNoteKey struct{}

func noteOf(r *http.Request) *auditNote {
	n, _ := r.Context().Value(auditNoteKey{}).(*auditNote)
	return n
}

// bufferedResponse holds a handler's answer until its audit entry is on disk.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }
func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}
func (b *bufferedResponse) WriteHeader(s int) {
	if b.status == 0 {
		b.status = s
	}
}
