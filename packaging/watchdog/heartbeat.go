package watchdog

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Heartbeat is what the heartbeat file says: which process wrote it, in which state, and
// when it last proved it was alive (the file's modification time).
type Heartbeat struct {
	PID    int
	State  string // "starting", "ready" or "stopping"
	Status string // the last status line
	// Last is the time of the last beat. ReadHeartbeat fills it; writers leave it zero.
	Last time.Time
}

// Age is how long ago the last beat was, as of now.
func (h Heartbeat) Age(now time.Time) time.Duration { return now.Sub(h.Last) }

// encode writes the file's "key=value" lines.
func (h Heartbeat) encode() string {
	return fmt.Sprintf("pid=%d\nstate=%s\nstatus=%s\n", h.PID, h.State, h.Status)
}

// ReadHeartbeat reads a heartbeat file, for a supervisor or a support bundle deciding
// whether the kiosk still beats: compare Age with a few Intervals.
func ReadHeartbeat(path string) (Heartbeat, error) {
	f, err := os.Open(path)
	if err != nil {
		return Heartbeat{}, fmt.Errorf("watchdog: heartbeat: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Heartbeat{}, fmt.Errorf("watchdog: heartbeat: %w", err)
	}
	h := Heartbeat{Last: st.ModTime()}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		switch k {
		case "pid":
			h.PID, _ = strconv.Atoi(v)
		case "state":
			h.State = v
		case "status":
			h.Status = v
		}
	}
	if err := sc.Err(); err != nil {
		return Heartbeat{}, fmt.Errorf("watchdog: heartbeat %s: %w", path, err)
	}
	return h, nil
}
