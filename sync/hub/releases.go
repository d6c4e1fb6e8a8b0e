package hub

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/govkiosk/govkiosk/internal/update"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

// Software updates: an operator publishes a signed release (the .deb and its manifest,
// signed by the release manager's key) on a channel, pilot or all. The hub checks the
// package against the manifest (and the signature, when it knows the release public key),
// keeps the package under Dir/releases named by its SHA-256, records the release per
// channel through the storage interface and tells every terminal with an "update"
// command carrying the signed manifest. Terminals download GET /releases/SHA256.deb
// (Range requests resume a cut download) and verify it themselves before installing.

// CommandUpdate is the command that announces a release to a terminal. Its args are the
// signed manifest's fields (package, version, arch, channel, size, sha256, signature in
// base64) and path, the download path on this hub.
const CommandUpdate = "update"

// MaxRelease bounds an uploaded package.
const MaxRelease = 512 << 20

// releaseKind is the published kind a channel's current release is stored under.
func releaseKind(channel string) string { return "release." + channel }

// ReleaseRecord is a channel's current release.
type ReleaseRecord struct {
	Manifest string `json:"manifest"` // the signed manifest file
	By       string `json:"by"`
	Path     string `json:"path"` // download path on the hub
}

// Release returns the channel's current release, if any.
func (h *Hub) Release(channel string) (update.Release, *ReleaseRecord, error) {
	rec, err := h.st.published(releaseKind(channel))
	if err != nil || rec == nil {
		return update.Release{}, nil, err
	}
	var rr ReleaseRecord
	if err := json.Unmarshal(rec.Payload, &rr); err != nil {
		return update.Release{}, nil, err
	}
	r, err := update.Parse([]byte(rr.Manifest))
	return r, &rr, err
}

func (h *Hub) releaseDir() string { return filepath.Join(h.opt.Dir, "releases") }

func releasePath(sum string) string { return "/releases/" + sum + ".deb" }

// PublishRelease checks a package read from pkg against its signed manifest, stores it
// and announces it on the manifest's channel. by is the operator.
func (h *Hub) PublishRelease(manifest []byte, pkg io.Reader, by string) (update.Release, error) {
	r, err := update.Parse(manifest)
	if err != nil {
		return update.Release{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if h.opt.ReleaseKey != nil {
		if err := r.VerifySignature(h.opt.ReleaseKey); err != nil {
			return update.Release{}, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
	}
	if err := os.MkdirAll(h.releaseDir(), 0o755); err != nil {
		return update.Release{}, err
	}
	tmp, err := os.CreateTemp(h.releaseDir(), ".upload-*")
	if err != nil {
		return update.Release{}, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	sum := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, sum), io.LimitReader(pkg, MaxRelease+1))
	if err != nil {
		return update.Release{}, fmt.Errorf("hub: receive release: %w", err)
	}
	if n != r.Size || hex.EncodeToString(sum.Sum(nil)) != r.SHA256 {
		return update.Release{}, fmt.Errorf("%w: %v: the package is not the one the manifest signs", ErrInvalid, update.ErrTampered)
	}
	if err := tmp.Sync(); err != nil {
		return update.Release{}, err
	}
	if err := tmp.Close(); err != nil {
		return update.Release{}, err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return update.Release{}, err
	}
	// The publication is recorded before the package is stored, so a prune running
	// meanwhile (on any replica) sees it as the channel's newest and keeps it.
	now := h.opt.Now()
	if err := h.st.recordRelease(releaseEntry{Channel: r.Channel, SHA256: r.SHA256, Version: r.Version, At: now}); err != nil {
		return update.Release{}, fmt.Errorf("hub: record release: %w", err)
	}
	// Into the store first, so every replica can serve it; the file stays as this
	// replica's cached copy.
	f, err := os.Open(tmp.Name())
	if err != nil {
		return update.Release{}, err
	}
	err = h.st.putReleaseBlob(r.SHA256, r.Size, f)
	f.Close()
	if err != nil {
		return update.Release{}, fmt.Errorf("hub: store release: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(h.releaseDir(), r.SHA256+".deb")); err != nil {
		return update.Release{}, err
	}
	payload, err := json.Marshal(ReleaseRecord{Manifest: string(r.Marshal()), By: by, Path: releasePath(r.SHA256)})
	if err != nil {
		return update.Release{}, err
	}
	if err := h.st.putPublished(releaseKind(r.Channel), publishedRecord{Version: r.Version, Payload: payload, At: now}); err != nil {
		return update.Release{}, err
	}
	sent := 0
	for _, t := range h.Terminals() {
		if _, err := h.SendCommand(t.ID, CommandUpdate, UpdateArgs(r)); err == nil {
			sent++
		}
	}
	h.log.Info("release published", "package", r.Package, "version", r.Version, "arch", r.Arch, "channel", r.Channel, "bytes", r.Size, "terminals", sent, "by", by)
	return r, nil
}

// UpdateArgs are the update command's args for a release: its signed fields and the
// download path.
func UpdateArgs(r update.Release) map[string]string {
	args := r.Args()
	args["path"] = releasePath(r.SHA256)
	return args
}

func (h *Hub) servePublishRelease(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxRelease+update.MaxManifest+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "want multipart/form-data: manifest (the .release file), then package (the .deb)"))
		return
	}
	var manifest []byte
	for {
		part, err := mr.NextPart()
		if err != nil {
			writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "want the parts manifest, then package"))
			return
		}
		switch part.FormName() {
		case "manifest":
			manifest, err = io.ReadAll(io.LimitReader(part, update.MaxManifest+1))
			if err != nil {
				writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "manifest: %v", err))
				return
			}
			continue
		case "package":
			if manifest == nil {
				writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "the manifest part must come before the package"))
				return
			}
		default:
			continue
		}
		rel, err := h.PublishRelease(manifest, part, actorOf(r).name)
		switch {
		case errors.Is(err, ErrInvalid):
			writeJSONError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadMessage, "", "%v", err))
		case err != nil:
			h.log.Error("publish release", "err", err)
			writeJSONError(w, http.StatusInternalServerError, protocol.Errorf(protocol.CodeInternal, "", "publishing the release failed"))
		default:
			if n := noteOf(r); n != nil {
				n.purpose = rel.Channel + " " + rel.Version
			}
			writeJSON(w, http.StatusOK, map[string]any{"manifest": rel.Manifest, "path": releasePath(rel.SHA256)})
		}
		return
	}
}

func (h *Hub) serveReleases(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{}
	for _, ch := range []string{update.ChannelPilot, update.ChannelAll} {
		rel, rec, err := h.Release(ch)
		if err != nil {
			writeJSONError(w, http.StatusInternalServerError, protocol.Errorf(protocol.CodeInternal, "", "reading releases failed"))
			return
		}
		if rec != nil {
			out[ch] = map[string]any{"manifest": rel.Manifest, "path": rec.Path, "by": rec.By}
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// serveReleaseFile serves a stored package. Packages are signed and carry no personal
// data, so the route is open; Range requests let a terminal resume a cut download.
func (h *Hub) serveReleaseFile(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	sum, ok := strings.CutSuffix(name, ".deb")
	if !ok || len(sum) != 64 || func() bool { _, err := hex.DecodeString(sum); return err != nil }() {
		http.NotFound(w, r)
		return
	}
	f, err := h.openRelease(sum)
	if errors.Is(err, ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		h.log.Error("open release", "sha256", sum, "err", err)
		http.Error(w, "reading the release failed", http.StatusInternalServerError)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		http.Error(w, "stat", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.debian.binary-package")
	http.ServeContent(w, r, name, st.ModTime(), f)
}

// openRelease opens this replica's copy of a stored package, first copying it from the
// store when this replica has none (another replica received it, or the disk was
// replaced). The copy is checked against its SHA-256 before it is used.
func (h *Hub) openRelease(sum string) (*os.File, error) {
	path := filepath.Join(h.releaseDir(), sum+".deb")
	if f, err := os.Open(path); err == nil {
		return f, nil
	}
	h.releaseMu.Lock()
	defer h.releaseMu.Unlock()
	if f, err := os.Open(path); err == nil {
		return f, nil // another download copied it meanwhile
	}
	if err := os.MkdirAll(h.releaseDir(), 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(h.releaseDir(), ".fetch-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	hash := sha256.New()
	if err := h.st.releaseBlob(sum, io.MultiWriter(tmp, hash)); err != nil {
		return nil, err
	}
	if hex.EncodeToString(hash.Sum(nil)) != sum {
		return nil, fmt.Errorf("hub: stored release %s does not match its SHA-256", sum)
	}
	if err := tmp.Sync(); err != nil {
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, err
	}
	return os.Open(path)
}

// newUpdateSteps returns the steps in cur that prev (the last heartbeat's) did not
// have, so each step a terminal reports is logged once.
func newUpdateSteps(prev, cur []protocol.UpdateStep) []protocol.UpdateStep {
	var out []protocol.UpdateStep
	for _, u := range cur {
		if !slices.Contains(prev, u) {
			out = append(out, u)
		}
	}
	return out
}

// announceReleases tells a terminal that just connected about each channel's release
// newer than the version it runs, unless it was told about that release in the last
// day (the update command is still held, answered or not). A terminal that was offline
// when the release was published, or longer than the hub holds commands, or across a
// hub restart, so still gets it. Which channel applies is the terminal's to decide.
func (h *Hub) announceReleases(terminalID, app string) {
	for _, ch := range []string{update.ChannelAll, update.ChannelPilot} {
		r, rec, err := h.Release(ch)
		if err != nil {
			h.log.Warn("read release for a connecting terminal", "channel", ch, "err", err)
			continue
		}
		if rec == nil || (update.ValidVersion(app) && update.CompareVersions(r.Version, app) <= 0) {
			continue
		}
		if h.announced(terminalID, r) {
			continue
		}
		if _, err := h.SendCommand(terminalID, CommandUpdate, UpdateArgs(r)); err != nil {
			h.log.Warn("announce release", "terminal", terminalID, "version", r.Version, "err", err)
		}
	}
}

// announced reports whether the hub holds an update command for this release and
// terminal (sent within the day it keeps commands).
func (h *Hub) announced(terminalID string, r update.Release) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, cs := range h.commands {
		if cs.terminalID == terminalID && cs.cmd.Name == CommandUpdate && cs.cmd.Args["sha256"] == r.SHA256 {
			return true
		}
	}
	return false
}
