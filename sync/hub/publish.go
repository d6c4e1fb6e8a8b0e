package hub

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/govkiosk/govkiosk/sync/protocol"
)

// What the hub publishes to every terminal.
const (
	kindCatalog       = "catalog"
	kindConfig        = "config"
	kindAnnouncements = "announcements"
)

var publishKinds = []string{kindCatalog, kindConfig, kindAnnouncements}

// ErrInvalid is input the hub refuses (a payload that is not JSON, a bad status word).
var ErrInvalid = errors.New("hub: invalid input")

// published is one kind's current version with its push frame, encoded once and shared
// by every connection.
type published struct {
	version string
	payload []byte
	frame   []byte
}

func newPublished(kind, version string, payload []byte) (*published, error) {
	var m protocol.Message
	switch kind {
	case kindCatalog:
		m = &protocol.Catalog{Version: version, Payload: payload}
	case kindConfig:
		m = &protocol.Config{Version: version, Payload: payload}
	case kindAnnouncements:
		var items []protocol.Announcement
		if err := json.Unmarshal(payload, &items); err != nil {
			return nil, fmt.Errorf("%w: announcements: %v", ErrInvalid, err)
		}
		if items == nil {
			items = []protocol.Announcement{}
		}
		m = &protocol.Announcements{Version: version, Items: items}
	default:
		return nil, fmt.Errorf("%w: kind %q", ErrInvalid, kind)
	}
	frame, err := protocol.Encode(m)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if len(frame) > protocol.MaxHubText {
		return nil, fmt.Errorf("%w: %s of %d bytes is over the %d-byte frame limit", ErrInvalid, kind, len(frame), protocol.MaxHubText)
	}
	return &published{version: version, payload: payload, frame: frame}, nil
}

// contentVersion names a payload by its content, so publishing the same file twice is
// not a new version.
func contentVersion(payload []byte) string {
	sum := sha256.Sum256(payload)
	return "sha256-" + hex.EncodeToString(sum[:8])
}

// SetCatalog publishes a new service catalog (opaque JSON the kiosk's catalog package
// parses) and pushes it to connected terminals. An empty version is derived from the
// content. It returns the version published.
func (h *Hub) SetCatalog(version string, payload []byte) (string, error) {
	return h.publish(kindCatalog, version, payload)
}

// SetConfig publishes a new terminal configuration (opaque JSON), like SetCatalog.
func (h *Hub) SetConfig(version string, payload []byte) (string, error) {
	return h.publish(kindConfig, version, payload)
}

// SetAnnouncements replaces the announcements shown on every terminal.
func (h *Hub) SetAnnouncements(version string, items []protocol.Announcement) (string, error) {
	if items == nil {
		items = []protocol.Announcement{}
	}
	payload, err := json.Marshal(items)
	if err != nil {
		return "", err
	}
	return h.publish(kindAnnouncements, version, payload)
}

// Published returns the current version and payload of "catalog", "config" or
// "announcements".
func (h *Hub) Published(kind string) (version string, payload []byte, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.pub[kind]
	if p == nil {
		return "", nil, false
	}
	return p.version, p.payload, true
}

func (h *Hub) publish(kind, version string, payload []byte) (string, error) {
	if !json.Valid(payload) {
		return "", fmt.Errorf("%w: %s payload is not JSON", ErrInvalid, kind)
	}
	if version == "" {
		version = contentVersion(payload)
	}
	if !protocol.ValidVersion(version) {
		return "", fmt.Errorf("%w: version must be 1-64 printable ASCII characters", ErrInvalid)
	}
	p, err := newPublished(kind, version, payload)
	if err != nil {
		return "", err
	}
	if err := h.st.putPublished(kind, publishedRecord{Version: version, Payload: payload, At: h.opt.Now()}); err != nil {
		return "", err
	}
	h.mu.Lock()
	h.pub[kind] = p
	h.mu.Unlock()
	h.pushAll(kind, p)
	return version, nil
}

// pushAll pushes p to every terminal connected to this hub (replica).
func (h *Hub) pushAll(kind string, p *published) {
	h.mu.Lock()
	var targets []*conn
	for _, t := range h.terms {
		if t.conn != nil {
			targets = append(targets, t.conn)
		}
	}
	h.mu.Unlock()
	pushed := 0
	for _, c := range targets {
		if c.push(kind, p) {
			pushed++
		}
	}
	h.log.Info("published", "kind", kind, "version", p.version, "bytes", len(p.payload), "pushed", pushed, "online", len(targets))
}

// pubVersion returns the current version of kind; h.mu must be held.
func (h *Hub) pubVersion(kind string) string {
	if p := h.pub[kind]; p != nil {
		return p.version
	}
	return ""
}

// push queues p for the terminal unless this connection already got that version. It
// never waits: a terminal whose queue is full gets it after its next heartbeat.
func (c *conn) push(kind string, p *published) bool {
	c.pmu.Lock()
	defer c.pmu.Unlock()
	if c.pushed[kind] == p.version {
		return false
	}
	if !c.trySend(outFrame{kind: websocket.TextMessage, data: p.frame}) {
		return false
	}
	if c.pushed == nil {
		c.pushed = map[string]string{}
	}
	c.pushed[kind] = p.version
	return true
}

// reconcile pushes whatever the terminal reports it lacks.
func (c *conn) reconcile(catalog, config, announcements string) {
	h := c.h
	have := map[string]string{kindCatalog: catalog, kindConfig: config, kindAnnouncements: announcements}
	h.mu.Lock()
	var todo []*published
	var kinds []string
	for _, kind := range publishKinds {
		if p := h.pub[kind]; p != nil && p.version != have[kind] {
			todo = append(todo, p)
			kinds = append(kinds, kind)
		}
	}
	h.mu.Unlock()
	for i, p := range todo {
		c.push(kinds[i], p)
	}
}

// sendPending sends a newly connected terminal its unacknowledged status updates and
// commands.
func (c *conn) sendPending() {
	h := c.h
	updates, err := h.st.pendingStatus(c.term.rec.ID)
	if err != nil {
		c.log.Warn("pending status updates", "err", err)
	}
	for _, u := range updates {
		c.sendMsg(u)
	}
	h.mu.Lock()
	var cmds []*protocol.Command
	for _, cs := range h.commands {
		if cs.terminalID == c.term.rec.ID && cs.result == nil {
			cmd := cs.cmd
			cmds = append(cmds, &cmd)
		}
	}
	h.mu.Unlock()
	cmds = append(cmds, h.storedPendingCommands(c.term.rec.ID, c.hello.App, cmds)...)
	for _, cmd := range cmds {
		c.sendMsg(cmd)
	}
	c.h.announceReleases(c.term.rec.ID, c.hello.App)
}

func randomID(prefix string) string {
	b := make([]byte, 8)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// PostStatus records a new status for the committed submission with this tracking code
// and tells its terminal, now if it is connected or when it next connects, until the
// terminal acknowledges it. Status is a word like "processing" or "completed".
func (h *Hub) PostStatus(trackingCode, status, note string) (*protocol.Status, error) {
	return h.postStatus(randomID("u-"), trackingCode, status, note)
}

// postStatus is PostStatus with the update's id: the same id again replaces the queued
// update instead of adding one, so a repeated report is harmless.
func (h *Hub) postStatus(updateID, trackingCode, status, note string) (*protocol.Status, error) {
	rec, err := h.st.byTracking(trackingCode)
	if err != nil {
		return nil, err
	}
	if rec == nil || rec.State != stateCommitted {
		return nil, ErrNotFound
	}
	st := &protocol.Status{UpdateID: updateID, SubmissionID: rec.ID, TrackingCode: rec.TrackingCode,
		Status: status, At: h.opt.Now().UTC(), Note: note}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := h.st.queueStatus(st, rec.TerminalID); err != nil {
		return nil, err
	}
	h.sendTo(rec.TerminalID, st)
	return st, nil
}

// sendTo queues a message for a terminal if it is connected, waiting at most a second
// for room; otherwise it goes out on the next connect.
func (h *Hub) sendTo(terminalID string, m protocol.Message) bool {
	frame, err := protocol.Encode(m)
	if err != nil {
		return false
	}
	h.mu.Lock()
	var c *conn
	if t := h.terms[terminalID]; t != nil {
		c = t.conn
	}
	h.mu.Unlock()
	if c == nil {
		return false
	}
	select {
	case c.out <- outFrame{kind: websocket.TextMessage, data: frame}:
		return true
	case <-c.done:
	case <-time.After(time.Second):
	}
	return false
}

// commandState is an operator's command and, once it came back, its result, as this
// replica holds it; the store keeps both too (command_store.go).
type commandState struct {
	cmd        protocol.Command
	terminalID string
	created    time.Time
	result     *protocol.CommandResult
	answered   time.Time
	// parts joins a result that comes in parts; next is the part expected.
	parts strings.Builder
	next  int
}

// maxCommandResult bounds a whole result joined from its parts.
const maxCommandResult = protocol.MaxCommandParts * protocol.MaxCommandOutput

// SendCommand asks a terminal to run a command (protocol.CommandCollectLogs,
// protocol.CommandReload) and returns the command id; the result arrives later, see
// CommandResult. A terminal that is offline gets it when it next connects.
func (h *Hub) SendCommand(terminalID, name string, args map[string]string) (string, error) {
	cmd := protocol.Command{ID: randomID("c-"), Name: name, Args: args}
	if err := cmd.Validate(); err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	now := h.opt.Now()
	if h.learnTerminal(terminalID) == nil {
		return "", ErrNotFound
	}
	if _, revoked := h.isRevoked(terminalID); revoked {
		return "", ErrRevoked
	}
	if err := h.st.putCommand(&commandRecord{Cmd: cmd, TerminalID: terminalID, Created: now}); err != nil {
		return "", fmt.Errorf("hub: store command: %w", err)
	}
	h.mu.Lock()
	for id, cs := range h.commands { // keep memory bounded
		if now.Sub(cs.created) > commandTTL {
			delete(h.commands, id)
		}
	}
	h.commands[cmd.ID] = &commandState{cmd: cmd, terminalID: terminalID, created: now}
	h.mu.Unlock()
	h.tellReplicas(eventCommand, terminalID, &cmd)
	h.sendTo(terminalID, &cmd)
	return cmd.ID, nil
}

// CommandResult returns a command's result once the terminal has answered.
func (h *Hub) CommandResult(id string) (*protocol.CommandResult, bool) {
	h.mu.Lock()
	cs := h.commands[id]
	if cs != nil && cs.result != nil {
		r := *cs.result
		h.mu.Unlock()
		return &r, true
	}
	h.mu.Unlock()
	// Answered at another replica, or before this hub restarted.
	rec, err := h.storedCommand(id)
	if err != nil || rec == nil || rec.Result == nil {
		return nil, false
	}
	return rec.Result, true
}

// commandDone records a result; a terminal can only answer its own commands.
func (h *Hub) commandDone(terminalID string, r *protocol.CommandResult) {
	h.recallCommand(r.ID)
	if h.recordResult(terminalID, r) {
		h.mu.Lock()
		cs := h.commands[r.ID]
		var rec *commandRecord
		var full protocol.CommandResult
		if cs != nil && cs.result != nil {
			full = *cs.result
			rec = &commandRecord{Cmd: cs.cmd, TerminalID: cs.terminalID, Created: cs.created, Answered: cs.answered}
		}
		h.mu.Unlock()
		if rec == nil {
			return
		}
		if err := h.st.putCommand(h.sealResult(rec, full)); err != nil {
			h.log.Warn("store command result", "command", r.ID, "err", err)
		}
		// The operator may ask the replica that sent the command.
		h.tellReplicas(eventResult, terminalID, &full)
	}
}

// recordResult keeps a command's first result and says whether it did.
func (h *Hub) recordResult(terminalID string, r *protocol.CommandResult) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	cs := h.commands[r.ID]
	if cs == nil || cs.terminalID != terminalID || cs.result != nil {
		return false
	}
	if r.Part != cs.next {
		// A part out of order: only a fresh start (the terminal answering a resent
		// command) is taken, from the beginning.
		if r.Part != 0 {
			return false
		}
		cs.parts.Reset()
		cs.next = 0
	}
	if cs.parts.Len()+len(r.Output) > maxCommandResult {
		cs.parts.Reset()
		cs.result = &protocol.CommandResult{ID: r.ID, Error: "the result is over the hub's limit"}
		cs.answered = h.opt.Now()
		return true
	}
	if r.More {
		cs.parts.WriteString(r.Output)
		cs.next++
		return false
	}
	full := *r
	if cs.next > 0 {
		cs.parts.WriteString(r.Output)
		full.Output = cs.parts.String()
		cs.parts.Reset()
	}
	full.Part, full.More = 0, false
	cs.result = &full
	cs.answered = h.opt.Now()
	h.log.Info("command answered", "command", r.ID, "name", cs.cmd.Name, "terminal", terminalID, "ok", r.OK, "output_bytes", len(full.Output))
	return true
}
