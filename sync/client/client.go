// Package client is the kiosk's sync client: it keeps one websocket connection to the hub,
// proves the terminal's identity on every connect, delivers the outbox (submissions with
// their attachments, and ratings) in enqueue order and exactly once in effect, sends
// heartbeats, and hands what the hub pushes (catalog, configuration, announcements,
// status updates, commands) to the kiosk's callbacks. docs/PROTOCOL.md is the protocol.
//
// It must never drop an item without the hub's acknowledgement or a permanent refusal,
// never let one refused item hold up the others, never log personal data (only ids,
// codes and error codes), and never write to the connection from more than one goroutine.
package client

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/kiosk/clock"
	"github.com/govkiosk/govkiosk/sync/protocol"
	"github.com/govkiosk/govkiosk/sync/queue"
)

// Outbox is what the client needs of the kiosk's outbox; *queue.Queue satisfies it.
type Outbox interface {
	// Pending returns up to limit items waiting for the hub, in enqueue order.
	Pending(limit int) ([]queue.Item, error)
	// ReadAttachment returns an attachment's bytes, checked against its SHA-256.
	ReadAttachment(id string, index int) ([]byte, error)
	MarkSending(id string) error
	NoteAttempt(id string, err error) error
	MarkDelivered(id string, hubRef string) error
	MarkFailed(id string, reason string) error
	// MarkHeld keeps a submission the hub refused with a conflict this terminal did not
	// cause: out of the outbox, never failed, until an operator resolves it.
	MarkHeld(id string, reason string) error
	// Held lists the held submissions, oldest first.
	Held() ([]queue.Entry, error)
	// Release puts a held submission back as it is; Reissue gives it a new tracking
	// code first and returns the code.
	Release(id string) error
	Reissue(id string) (string, error)
	SetStatus(trackingCode, status string, at time.Time) error
	Stats() (queue.Stats, error)
	Changes() (<-chan queue.Stats, func())
}

// Versions are the versions of what the hub publishes that the kiosk holds now.
type Versions struct {
	Catalog, Config, Announcements string
}

// Options configure a Client. Zero durations take the defaults in their comments.
type Options struct {
	// Credentials from enrollment. Required.
	Credentials Credentials
	// HubURL overrides Credentials.Hub (a new address for the same hub).
	HubURL string
	// Outbox is the queue to deliver. Required.
	Outbox Outbox
	// Logger receives structured logs without personal data. Default: discard.
	Logger *slog.Logger
	// App is the kiosk software version. Default "unknown".
	App string

	// Versions reports what the kiosk holds, for hello and heartbeats. Default: the
	// versions last accepted by the callbacks below in this process.
	Versions func() Versions
	// Health reports the devices for heartbeats.
	Health func() []health.Status
	// Update reports the latest software-update steps for heartbeats (at most
	// protocol.MaxUpdateSteps, oldest first). ReportNow sends them at once.
	Update func() []protocol.UpdateStep
	// OnCatalog, OnConfig and OnAnnouncements receive pushes. An error means the kiosk
	// keeps what it had; the hub pushes again on a later connection.
	OnCatalog       func(version string, payload json.RawMessage) error
	OnConfig        func(version string, payload json.RawMessage) error
	OnAnnouncements func(version string, items []protocol.Announcement) error
	// OnStatus is told about a status update after the outbox recorded it.
	OnStatus func(protocol.Status)
	// OnCommand runs an operator's command (collect_logs, reload) and returns its output.
	// Nil answers every command with "not supported".
	OnCommand func(ctx context.Context, cmd protocol.Command) (string, error)

	// TLSConfig is used for wss:// (a private CA, a pinned key: LinkOptions.TLSConfig).
	// Set, it also forbids ws:// (see CheckLink).
	TLSConfig *tls.Config
	// InsecureUnencrypted allows ws:// to a hub not on loopback, and to a hub enrolled
	// over wss://. Every resident's form then crosses the network in clear.
	InsecureUnencrypted bool
	// Proxy chooses an HTTP proxy for the websocket, e.g. http.ProxyFromEnvironment.
	Proxy func(*http.Request) (*url.URL, error)
	// DialContext dials the TCP connection. Default net.Dialer.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)

	// PingInterval is how often the client pings. Default 20s.
	PingInterval time.Duration
	// PongWait is how long the link may be silent before the client gives it up: a
	// link that died without closing is noticed within this time. Default 60s.
	PongWait time.Duration
	// WriteWait bounds one write. Default 10s.
	WriteWait time.Duration
	// RequestTimeout bounds the wait for the hub's answer to one request. Default 30s.
	RequestTimeout time.Duration
	// HeartbeatInterval overrides the interval the hub asks for.
	HeartbeatInterval time.Duration
	// BackoffMin and BackoffMax bound reconnect delays: full jitter, doubling from
	// BackoffMin up to BackoffMax. Defaults 1s and 5m.
	BackoffMin, BackoffMax time.Duration
	// ChunkSize is the attachment chunk size, clamped to what the hub allows and to
	// 128-256 KiB. Default: the hub's maximum.
	ChunkSize int
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Clock is the kiosk's trusted time: the client gives it the hub's time after every
	// handshake, and stamps with it an item whose own time the hub would refuse (a kiosk
	// clock at 1970). Default: a clock on Now.
	Clock *clock.Clock
}

// State is what the UI shows about synchronisation.
type State struct {
	// Online is true while an authenticated connection is up.
	Online bool
	// Queued counts outbox items waiting (queued or being sent).
	Queued int
	// LastError is the last problem, in words without personal data; empty after a
	// clean sync.
	LastError string
	// LastSync is when the outbox was last seen fully delivered (or an item was).
	LastSync time.Time
	// Revoked is true once the hub refused this terminal as revoked by an operator:
	// nothing is delivered until a technician enrolls it again.
	Revoked bool
}

// Stats count what a client did since it started, for tests and load tools.
type Stats struct {
	Connects     int64 // handshakes completed
	Dials        int64 // connection attempts
	ChunksSent   int64
	BytesSent    int64 // attachment bytes in chunks
	Delivered    int64 // items acknowledged by the hub
	Failed       int64 // items refused permanently
	Held         int64 // submissions held for an operator after a conflict
	Heartbeats   int64
	ProtocolErrs int64 // frames from the hub that were refused
	HubUnproven  int64 // handshakes refused: the hub did not prove its pinned key
}

// Client synchronises one outbox with one hub. Create it with New and call Run. Several
// clients (each with its own outbox) can run in one process.
type Client struct {
	opt     Options
	log     *slog.Logger
	connect string // websocket URL

	wake chan struct{}
	now  chan struct{}
	// report asks the connected session for a heartbeat now.
	report chan struct{}

	mu      sync.Mutex
	state   State
	subs    map[int]chan State
	nextSub int
	applied Versions
	running bool
	// cur is the connection while it is authenticated, for QueryProgress.
	cur     *session
	cmdSeen map[string]bool
	// configRefused is the configuration push the kiosk last refused; nil once one
	// applied.
	configRefused *protocol.ConfigRefusal
	// cmdResults keeps answered commands, to answer a repeat without running it again.
	cmdResults map[string][]*protocol.CommandResult

	// held keeps the attachment being uploaded across reconnects, so a link that
	// flaps does not cost a decryption of the whole file per connection. Only the Run
	// goroutine touches it.
	held struct {
		id    string
		index int
		data  []byte
	}

	// stamps are the times given to items whose own time the hub would refuse, for an
	// outbox that cannot store them (see restamper). Only the Run goroutine touches it.
	stamps map[string]time.Time
	// holdUntil is when the hub's last request to wait ends: no delivery pass before it,
	// on this connection or the next. Only the Run goroutine touches it.
	holdUntil time.Time

	stats struct {
		connects, dials, chunks, bytes, delivered, failed, held, heartbeats, protoErrs, unproven atomic.Int64
	}
}

// New checks the options and returns a client ready to Run.
func New(opt Options) (*Client, error) {
	if opt.Outbox == nil {
		return nil, errors.New("client: Options.Outbox is required")
	}
	if err := opt.Credentials.validate(); err != nil {
		return nil, err
	}
	hub := opt.Credentials.Hub
	if opt.HubURL != "" {
		hub = opt.HubURL
	}
	_, connect, err := endpoints(hub)
	if err != nil {
		return nil, err
	}
	if err := CheckLink(connect, opt.Credentials.Hub, opt.TLSConfig != nil, opt.InsecureUnencrypted); err != nil {
		return nil, err
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.App == "" {
		opt.App = "unknown"
	}
	if !protocol.ValidVersion(opt.App) {
		return nil, fmt.Errorf("client: App %q: want 1-64 printable ASCII characters", opt.App)
	}
	setDefault(&opt.PingInterval, 20*time.Second)
	setDefault(&opt.PongWait, 60*time.Second)
	setDefault(&opt.WriteWait, 10*time.Second)
	setDefault(&opt.RequestTimeout, 30*time.Second)
	setDefault(&opt.BackoffMin, time.Second)
	setDefault(&opt.BackoffMax, 5*time.Minute)
	if opt.PingInterval >= opt.PongWait {
		return nil, errors.New("client: PingInterval must be shorter than PongWait")
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Clock == nil {
		opt.Clock = clock.New(clock.Options{Wall: opt.Now})
	}
	return &Client{
		opt: opt, log: opt.Logger.With("terminal", opt.Credentials.TerminalID), connect: connect,
		wake: make(chan struct{}, 1), now: make(chan struct{}, 1), report: make(chan struct{}, 1),
		subs: map[int]chan State{}, cmdSeen: map[string]bool{}, cmdResults: map[string][]*protocol.CommandResult{},
		stamps: map[string]time.Time{},
	}, nil
}

func setDefault(v *time.Duration, d time.Duration) {
	if *v <= 0 {
		*v = d
	}
}

// State returns the current state.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Subscribe returns a channel that receives the state whenever it changes (a slow
// reader gets the newest state, never a stale one) and a function that ends the
// subscription.
func (c *Client) Subscribe() (<-chan State, func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan State, 1)
	id := c.nextSub
	c.nextSub++
	c.subs[id] = ch
	ch <- c.state
	return ch, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if _, ok := c.subs[id]; ok {
			delete(c.subs, id)
			close(ch)
		}
	}
}

// update changes the state under the lock and tells subscribers if it changed.
func (c *Client) update(f func(*State)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.state
	f(&c.state)
	if c.state == old {
		return
	}
	for _, ch := range c.subs {
		select {
		case <-ch:
		default:
		}
		ch <- c.state
	}
}

// SyncNow asks for a delivery pass now; when offline it skips the backoff wait and
// reconnects at once.
func (c *Client) SyncNow() {
	select {
	case c.now <- struct{}{}:
	default:
	}
	c.poke()
}

// ReportNow sends a heartbeat at once when connected (a software-update step the hub
// should see without waiting for the next interval); offline, the next connection's
// first heartbeat carries it.
func (c *Client) ReportNow() {
	select {
	case c.report <- struct{}{}:
	default:
	}
}

func (c *Client) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Stats returns the client's counters.
func (c *Client) Stats() Stats {
	s := &c.stats
	return Stats{Connects: s.connects.Load(), Dials: s.dials.Load(), ChunksSent: s.chunks.Load(),
		BytesSent: s.bytes.Load(), Delivered: s.delivered.Load(), Failed: s.failed.Load(), Held: s.held.Load(),
		Heartbeats: s.heartbeats.Load(), ProtocolErrs: s.protoErrs.Load(), HubUnproven: s.unproven.Load()}
}

func (c *Client) refusedConfig() *protocol.ConfigRefusal {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.configRefused
}

func (c *Client) versions() Versions {
	if c.opt.Versions != nil {
		return c.opt.Versions()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.applied
}

func (c *Client) refreshQueued(st queue.Stats) {
	c.update(func(s *State) { s.Queued = st.Queued + st.Sending })
}

// Run connects, delivers and listens until ctx ends, reconnecting after every failure.
// It returns nil when ctx is cancelled; it may run only once at a time.
func (c *Client) Run(ctx context.Context) error {
	c.mu.Lock()
	if c.running {
		c.mu.Unlock()
		return errors.New("client: already running")
	}
	c.running = true
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.running = false
		c.mu.Unlock()
		c.update(func(s *State) { s.Online = false })
	}()

	changes, stop := c.opt.Outbox.Changes()
	defer stop()
	if st, err := c.opt.Outbox.Stats(); err == nil {
		c.refreshQueued(st)
	}
	watchDone := make(chan struct{})
	go func() { // the outbox's change feed wakes the delivery loop
		defer close(watchDone)
		for {
			select {
			case st, ok := <-changes:
				if !ok {
					return
				}
				c.refreshQueued(st)
				c.poke()
			case <-ctx.Done():
				return
			}
		}
	}()
	defer func() { <-watchDone }()

	failures := 0
	for {
		welcomed, err := c.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if welcomed {
			failures = 0
		}
		delay := c.backoff(failures)
		failures++
		if d := hubAsksToWait(err); d > 0 {
			// The hub said when; spread the herd over up to twice that.
			delay = c.holdFor(d)
		}
		revoked := errors.Is(err, ErrRevoked)
		if revoked {
			// Asking again soon changes nothing; an operator may still undo a mistake
			// by enrolling the terminal again, so it keeps asking, rarely.
			delay = c.opt.BackoffMax
			c.log.Error("terminal revoked at the hub; a technician must enroll it again")
		}
		c.log.Info("sync connection down", "err", err, "retry_in", delay.Round(time.Millisecond))
		c.update(func(s *State) {
			s.Online = false
			s.Revoked = s.Revoked || revoked
			if err != nil {
				s.LastError = err.Error()
			}
		})
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-c.now:
			t.Stop()
		case <-t.C:
		}
	}
}

// backoff is "full jitter": a uniform delay between zero and an exponentially growing
// ceiling, so terminals that lost the hub together do not return together.
func (c *Client) backoff(failures int) time.Duration {
	ceil := c.opt.BackoffMin
	for i := 0; i < failures && ceil < c.opt.BackoffMax; i++ {
		ceil *= 2
	}
	ceil = min(ceil, c.opt.BackoffMax)
	return time.Duration(rand.Int64N(int64(ceil) + 1))
}
