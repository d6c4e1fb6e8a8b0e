package hub

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/govkiosk/govkiosk/internal/update"
)

// Release packages are pruned: every publication adds a package (up to MaxRelease) to
// the store and to each replica's Dir/releases, and an unattended fleet publishes for
// years. PruneReleases keeps what a terminal may still ask for:
//
//   - each channel's newest Options.ReleasesKept packages, by publication time, and
//     always the channel's current release (it is offered to every older terminal
//     that connects);
//   - every package an update command the hub still holds names (a day: the terminal
//     downloads in the background and tries again for hours after a failed attempt);
//   - every package whose version an enrolled, unrevoked terminal reports running, so
//     a terminal whose own rollback copy is lost can be given its version again.
//
// The helper's rollback itself uses the copy it keeps on the terminal, not the hub's.

// PruneReleases deletes the release packages nothing needs any more, from the store and
// from this replica's copies, and returns how many went from the store.
func (h *Hub) PruneReleases() int {
	// What exists is read before what is needed: a package published meanwhile has its
	// publication recorded before it is stored, so it is either not listed here or
	// seen below as its channel's newest.
	stored, err := h.st.storedReleases()
	if err != nil {
		h.log.Warn("prune releases: list packages", "err", err)
		return 0
	}
	local, _ := filepath.Glob(filepath.Join(h.releaseDir(), "*.deb"))
	keep, err := h.releasesNeeded()
	if err != nil {
		h.log.Warn("prune releases", "err", err)
		return 0
	}
	n := 0
	for _, sum := range stored {
		if keep[sum] {
			continue
		}
		if err := h.st.dropRelease(sum); err != nil {
			h.log.Warn("prune release", "sha256", sum, "err", err)
			continue
		}
		n++
	}
	// This replica's copies: of pruned packages, and of ones another replica pruned.
	h.releaseMu.Lock()
	for _, path := range local {
		if sum := strings.TrimSuffix(filepath.Base(path), ".deb"); !keep[sum] {
			if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
				h.log.Warn("prune release copy", "sha256", sum, "err", err)
			}
		}
	}
	h.releaseMu.Unlock()
	if n > 0 {
		h.log.Info("pruned old release packages", "packages", n, "kept", len(keep))
	}
	return n
}

// releasesNeeded returns the SHA-256 of every release package PruneReleases keeps.
func (h *Hub) releasesNeeded() (map[string]bool, error) {
	keep := map[string]bool{}
	entries, err := h.st.releaseEntries()
	if err != nil {
		return nil, err
	}
	// The channels' current releases: always kept, and recorded when they were
	// published before publications were (their time is the publication's).
	for _, ch := range []string{update.ChannelAll, update.ChannelPilot} {
		r, _, err := h.Release(ch)
		if err != nil {
			return nil, err
		}
		if r.SHA256 == "" {
			continue
		}
		keep[r.SHA256] = true
		if !slices.ContainsFunc(entries, func(e releaseEntry) bool { return e.Channel == ch && e.SHA256 == r.SHA256 }) {
			rec, err := h.st.published(releaseKind(ch))
			if err != nil || rec == nil {
				return nil, err
			}
			e := releaseEntry{Channel: ch, SHA256: r.SHA256, Version: r.Version, At: rec.At}
			if err := h.st.recordRelease(e); err != nil {
				return nil, err
			}
			entries = append(entries, e)
		}
	}
	// Each channel's newest.
	byChannel := map[string][]releaseEntry{}
	for _, e := range entries {
		byChannel[e.Channel] = append(byChannel[e.Channel], e)
	}
	for _, es := range byChannel {
		slices.SortFunc(es, func(a, b releaseEntry) int {
			if c := b.At.Compare(a.At); c != 0 {
				return c
			}
			return strings.Compare(b.SHA256, a.SHA256)
		})
		for _, e := range es[:min(len(es), h.opt.ReleasesKept)] {
			keep[e.SHA256] = true
		}
	}
	// Packages named by update commands the hub holds (every command is stored when
	// it is sent, whichever replica sent it).
	cmds, err := h.st.commandsNamed(CommandUpdate)
	if err != nil {
		return nil, err
	}
	now := h.opt.Now()
	for _, c := range cmds {
		if now.Sub(c.Created) <= commandTTL {
			keep[c.Cmd.Args["sha256"]] = true
		}
	}
	// The versions terminals run.
	terms, err := h.st.terminals()
	if err != nil {
		return nil, err
	}
	hbs, err := h.st.heartbeats()
	if err != nil {
		return nil, err
	}
	running := map[string]bool{}
	for _, t := range terms {
		if t.revoked() {
			continue
		}
		app := t.App
		if hb, ok := hbs[t.ID]; ok && hb.App != "" {
			app = hb.App
		}
		running[app] = true
	}
	h.mu.Lock()
	for _, t := range h.terms {
		if !t.rec.revoked() && t.hb.App != "" {
			running[t.hb.App] = true // newer than the stored heartbeat, written in batches
		}
	}
	h.mu.Unlock()
	for _, e := range entries {
		if running[e.Version] {
			keep[e.SHA256] = true
		}
	}
	return keep, nil
}
