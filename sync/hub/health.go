package hub

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// storageLogEvery is how often a run of storage failures is logged at ERROR: once, then
// a summary line per interval with how many were not logged, so a full disk does not
// flood the journal with one line per terminal per attempt.
const storageLogEvery = 10 * time.Second

// storageStale is how long after the last storage failure, with no success since, the
// hub still reports itself not ready: with no traffic nothing would clear the failure,
// so after this it is ready again and the next write tells.
const storageStale = 5 * time.Minute

// storageHealth remembers whether the hub's storage is failing, for /readyz, /healthz
// and the rate-limited log line.
type storageHealth struct {
	mu         sync.Mutex
	lastFail   time.Time // monotonic
	lastOK     time.Time
	lastErr    string
	lastLog    time.Time
	suppressed int
}

// failed records a storage failure and logs it, rate-limited.
func (s *storageHealth) failed(log *slog.Logger, ref string, err error) {
	now := time.Now()
	s.mu.Lock()
	s.lastFail, s.lastErr = now, err.Error()
	logIt := now.Sub(s.lastLog) >= storageLogEvery
	suppressed := s.suppressed
	if logIt {
		s.lastLog, s.suppressed = now, 0
	} else {
		s.suppressed++
	}
	s.mu.Unlock()
	if logIt {
		log.Error("storage failure; terminals are told to retry later", "ref", ref, "err", err,
			"not_logged_since_last", suppressed)
	} else {
		log.Debug("storage failure", "ref", ref, "err", err)
	}
}

// ok records a durable write.
func (s *storageHealth) ok() {
	s.mu.Lock()
	s.lastOK = time.Now()
	s.mu.Unlock()
}

// trouble says why storage is failing now, or "" when it is not.
func (s *storageHealth) trouble() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastFail.IsZero() || !s.lastFail.After(s.lastOK) || time.Since(s.lastFail) > storageStale {
		return ""
	}
	return fmt.Sprintf("storage failing since %s ago: %s", time.Since(s.lastFail).Round(time.Second), s.lastErr)
}

// serveLive answers /livez: the process serves HTTP. A restart does not cure a full
// disk, so storage trouble does not make the hub "not live".
func (h *Hub) serveLive(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ok\n")
}

// serveReady answers /readyz (and /healthz): 503 with the reason while the database
// cannot be read or writes are failing, so a load balancer or an operator sees the
// trouble terminals meet.
func (h *Hub) serveReady(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if _, err := h.st.countCommitted(); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "database unavailable\n")
		return
	}
	if why := h.health.trouble(); why != "" {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, why+"\n")
		return
	}
	io.WriteString(w, "ok\n")
}
