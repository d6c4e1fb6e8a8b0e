package main

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/govkiosk/govkiosk/internal/atomicfile"
	"github.com/govkiosk/govkiosk/sync/client"
)

// revokedFile marks, in the data directory, that the hub revoked this terminal. The sync
// client learns it afresh only when the hub refuses it again; without the mark a kiosk
// restarted while the hub cannot be reached would take applications that can never be
// delivered until then.
const revokedFile = "revoked"

// revokedMark remembers a revocation across restarts until the hub welcomes the
// terminal again (reinstated, or enrolled anew). One goroutine uses it.
type revokedMark struct {
	path string
	on   bool
	log  *slog.Logger
}

func newRevokedMark(dataDir string, log *slog.Logger) *revokedMark {
	m := &revokedMark{path: filepath.Join(dataDir, revokedFile), log: log}
	_, err := os.Stat(m.path)
	m.on = err == nil
	return m
}

// revoked takes the client's state and reports whether the screens treat the terminal
// as revoked: refused now, or refused before and not welcomed since.
func (m *revokedMark) revoked(st client.State) bool {
	switch {
	case st.Revoked && !m.on:
		m.on = true
		if err := atomicfile.WriteFile(m.path, []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o600); err != nil {
			m.log.Error("revocation not remembered for the next start", "err", err)
		}
	case st.Online && m.on:
		m.on = false
		if err := os.Remove(m.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			m.log.Error("revocation mark not removed", "err", err)
		}
	}
	return m.on || st.Revoked
}
