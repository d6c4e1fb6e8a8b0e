package hub

import (
	"fmt"
	"syscall"
	"time"

	"github.com/govkiosk/govkiosk/sync/protocol"
)

// quotas keeps each terminal's open submissions and the attachment bytes they declare,
// so one terminal cannot fill the disk with uploads it never finishes. It is loaded
// from storage at start and kept in step with opens, commits and the sweep. With
// replicas on one database each replica counts what it saw; the sweep works on what
// the database holds.
type quotas struct {
	open     map[string]map[string]int64 // terminal id → submission id → declared bytes
	sweeping map[string]bool             // submission ids being swept now
}

func declaredBytes(atts []protocol.Attachment) int64 {
	var n int64
	for _, a := range atts {
		n += a.Size
	}
	return n
}

func (h *Hub) loadQuotas() error {
	recs, err := h.st.openSubmissions()
	if err != nil {
		return fmt.Errorf("hub: open submissions: %w", err)
	}
	h.quota = quotas{open: map[string]map[string]int64{}, sweeping: map[string]bool{}}
	for _, r := range recs {
		h.noteOpenLocked(r.TerminalID, r.ID, declaredBytes(r.Attachments))
	}
	return nil
}

func (h *Hub) noteOpenLocked(tid, id string, n int64) {
	m := h.quota.open[tid]
	if m == nil {
		m = map[string]int64{}
		h.quota.open[tid] = m
	}
	m[id] = n
}

func (h *Hub) noteClosed(tid, id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if m := h.quota.open[tid]; m != nil {
		delete(m, id)
		if len(m) == 0 {
			delete(h.quota.open, tid)
		}
	}
}

// reserveOpen admits a new open submission of n declared bytes for terminal tid, or
// says why not. A terminal with no other open submission is always admitted (a single
// submission within the protocol's limits must be able to go through). The reservation
// is undone with noteClosed if the submission is not stored after all.
func (h *Hub) reserveOpen(tid, id string, n int64) *protocol.Error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.quota.sweeping[id] {
		return h.tryLater(id, "submission is being cleaned up; send it again")
	}
	m := h.quota.open[tid]
	if _, ok := m[id]; !ok && len(m) > 0 {
		var sum int64
		for _, b := range m {
			sum += b
		}
		if len(m) >= h.opt.MaxOpenPerTerminal || sum+n > h.opt.MaxBytesPerTerminal {
			h.m.quotaRefused.Add(1)
			return h.tryLater(id, "this terminal has too many unfinished uploads; finish or wait")
		}
	}
	h.noteOpenLocked(tid, id, n)
	return nil
}

func (h *Hub) tryLater(ref, why string) *protocol.Error {
	e := protocol.Errorf(protocol.CodeTryLater, ref, "%s", why)
	e.RetryAfterMS = h.opt.RetryAfter.Milliseconds()
	return e
}

// roomFor reports whether n more bytes leave the free space the hub keeps; if not, the
// try_later answer. An error reading the free space does not stop uploads (the write
// itself fails cleanly if the disk is full).
func (h *Hub) roomFor(ref string, n int64) *protocol.Error {
	free, err := h.opt.FreeSpace()
	if err != nil {
		h.log.Warn("free space unknown", "err", err)
		return nil
	}
	if free-n < h.opt.MinFreeBytes {
		h.m.diskRefused.Add(1)
		e := h.tryLater(ref, "hub storage is nearly full; try again later")
		e.RetryAfterMS = max(e.RetryAfterMS, time.Minute.Milliseconds())
		return e
	}
	return nil
}

// freeSpace is the space an unprivileged writer may still use on dir's volume.
func freeSpace(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("hub: free space of %s: %w", dir, err)
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}

// sweepLoop removes abandoned uploads when the hub starts serving and then every quarter
// of the TTL (at most every 10 minutes).
func (h *Hub) sweepLoop() {
	defer h.wg.Done()
	h.Sweep()
	h.PruneAlerts()
	h.PruneCommands()
	h.PruneReleases()
	close(h.swept)
	t := time.NewTicker(min(h.opt.UploadTTL/4, 10*time.Minute))
	defer t.Stop()
	for {
		select {
		case <-t.C:
			h.Sweep()
			h.PruneAlerts()
			h.PruneCommands()
			h.PruneReleases()
		case <-h.stopLoop:
			return
		}
	}
}

// Sweep deletes open submissions older than Options.UploadTTL that no connection is
// receiving, with whatever arrived of their attachments, and frees their tracking
// codes. Committed submissions are never touched. It returns how many it removed.
func (h *Hub) Sweep() int {
	recs, err := h.st.openSubmissions()
	if err != nil {
		h.log.Warn("sweep: list open submissions", "err", err)
		return 0
	}
	cutoff := h.opt.Now().Add(-h.opt.UploadTTL)
	n := 0
	for _, r := range recs {
		if !r.OpenedAt.Before(cutoff) {
			continue
		}
		h.mu.Lock()
		busy := h.uploads[r.ID] != nil || h.quota.sweeping[r.ID]
		if !busy {
			h.quota.sweeping[r.ID] = true
		}
		h.mu.Unlock()
		if busy {
			continue
		}
		// Bytes first, record second: a crash in between leaves a record whose upload
		// restarts from 0 when the terminal returns, or that the next sweep removes.
		freed, err := h.att.drop(r.TerminalID, r.ID)
		if err == nil {
			var gone *submissionRecord
			if gone, err = h.st.dropOpenSubmission(r.ID); err == nil && gone != nil {
				n++
				h.m.sweptUploads.Add(1)
				h.m.sweptBytes.Add(freed)
				h.noteClosed(r.TerminalID, r.ID)
				h.log.Info("abandoned upload removed", "terminal", r.TerminalID, "id", r.ID, "opened_at", r.OpenedAt, "bytes", freed)
			}
		}
		if err != nil {
			h.log.Warn("sweep", "id", r.ID, "err", err)
		}
		h.mu.Lock()
		delete(h.quota.sweeping, r.ID)
		h.mu.Unlock()
	}
	return n
}
