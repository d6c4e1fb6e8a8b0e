package fleet

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/govkiosk/govkiosk/sync/client"
	"github.com/govkiosk/govkiosk/sync/protocol"
	"github.com/govkiosk/govkiosk/sync/queue"
)

// Errors callers branch on.
var (
	// ErrNoEnrollCode means a terminal needs enrolling and there is neither a code left
	// nor an operator token to create one.
	ErrNoEnrollCode = errors.New("fleet: no enrollment code left for a new terminal (give more codes or an operator token)")
	// ErrTimeout means not every submission was delivered within Options.Timeout.
	ErrTimeout = errors.New("fleet: timed out waiting for delivery")
)

// Options configure a Fleet.
type Options struct {
	// HubURL is the hub's base address: ws://HOST:PORT, wss://…, http://… Required.
	HubURL string
	// Kiosks is the number of simulated terminals. Required (at least 1).
	Kiosks int
	// EnrollCodes are one-time codes for terminals that have no credentials yet, used in
	// order. Terminals whose directory holds credentials from an earlier run reuse them.
	EnrollCodes []string
	// OperatorToken lets the fleet create the enrollment codes it lacks through the hub's
	// operator API (POST /api/enroll-codes).
	OperatorToken string
	// Dir holds one directory per terminal (kiosk-0001, …) with its credentials, queue
	// and queue key. Empty: a temporary directory removed by Close.
	Dir string
	// Concurrency bounds how many terminals enroll, open their queue or enqueue at the
	// same moment. Default 8.
	Concurrency int
	// App is the software version the terminals report. Default "fleet-sim".
	App string
	// Client adjusts each terminal's client options (timers, dialer) before it starts.
	Client func(index int, o *client.Options)
	// HTTPClient talks to the hub's HTTP side (enrollment, operator API, metrics).
	// Default: one with Link's TLS settings.
	HTTPClient *http.Client
	// Link is the CA file, certificate pin and insecure-link permission for every
	// terminal, as for a real kiosk (client.LinkOptions).
	Link client.LinkOptions
	// Logger receives the fleet's and the clients' logs (never personal data). Default:
	// discard.
	Logger *slog.Logger
}

// Fleet is a set of simulated terminals. Open it, Start the clients, Enqueue, Wait,
// and Close it.
type Fleet struct {
	opt    Options
	tls    *tls.Config
	base   string // the hub's http(s) base URL
	dir    string
	tmpDir bool
	runID  string
	log    *slog.Logger

	// Kiosks are the terminals, in index order.
	Kiosks []*Kiosk

	codesMu sync.Mutex
	codes   []string

	pending atomic.Int64 // enqueued in this process, neither delivered nor failed yet
	changed chan struct{}

	runMu  sync.Mutex
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Kiosk is one simulated terminal.
type Kiosk struct {
	// Index counts terminals from 1.
	Index int
	// Dir is the terminal's data directory.
	Dir         string
	Credentials client.Credentials
	Queue       *queue.Queue
	// Client is nil until Start.
	Client *client.Client

	f *Fleet

	mu         sync.Mutex
	next       int                  // index of the next submission this process enqueues
	enqueuedAt map[string]time.Time // this process's submissions not yet delivered
	sizes      map[string]int64
	sent       []Sent
	enqLat     []time.Duration
	delLat     []time.Duration
	delivered  int
	failed     int
	delBytes   int64
	lastDeliv  time.Time

	online   atomic.Bool
	onlineAt atomic.Int64 // unix nanoseconds of the last change to online
}

// Sent is a submission a terminal enqueued: durable from the moment Enqueue returned.
type Sent struct {
	ID           string
	TrackingCode string
	// Size is the attachment's size (SyntheticBytes(ID, Size)); 0 for a form alone.
	Size int
	// Durable is when Enqueue returned: when the receipt would print.
	Durable time.Time
}

// Open prepares the terminals: it loads or enrolls each one's credentials and opens its
// queue. Nothing is sent until Start.
func Open(ctx context.Context, opt Options) (*Fleet, error) {
	if opt.Kiosks < 1 {
		return nil, errors.New("fleet: Options.Kiosks must be at least 1")
	}
	base, err := httpBase(opt.HubURL)
	if err != nil {
		return nil, err
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = 8
	}
	if opt.App == "" {
		opt.App = "fleet-sim"
	}
	tlsConf, err := opt.Link.TLSConfig()
	if err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	if opt.HTTPClient == nil {
		if opt.HTTPClient, err = opt.Link.HTTPClient(); err != nil {
			return nil, fmt.Errorf("fleet: %w", err)
		}
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	run := make([]byte, 4)
	rand.Read(run)
	f := &Fleet{opt: opt, tls: tlsConf, base: base, dir: opt.Dir, runID: hex.EncodeToString(run), log: opt.Logger,
		codes: append([]string(nil), opt.EnrollCodes...), changed: make(chan struct{}, 1)}
	if f.dir == "" {
		d, err := os.MkdirTemp("", "fleet-*")
		if err != nil {
			return nil, fmt.Errorf("fleet: %w", err)
		}
		f.dir, f.tmpDir = d, true
	}
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return nil, fmt.Errorf("fleet: data directory: %w", err)
	}
	f.Kiosks = make([]*Kiosk, opt.Kiosks)
	for i := range f.Kiosks {
		f.Kiosks[i] = &Kiosk{Index: i + 1, Dir: filepath.Join(f.dir, fmt.Sprintf("kiosk-%04d", i+1)), f: f,
			enqueuedAt: map[string]time.Time{}, sizes: map[string]int64{}}
	}
	err = f.each(ctx, func(ctx context.Context, k *Kiosk) error { return k.open(ctx) })
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// each runs fn for every terminal, Concurrency at a time, and returns the first error.
func (f *Fleet) each(ctx context.Context, fn func(context.Context, *Kiosk) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, f.opt.Concurrency)
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for _, k := range f.Kiosks {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(ctx, k); err != nil {
				once.Do(func() { first = fmt.Errorf("kiosk %d: %w", k.Index, err); cancel() })
			}
		}()
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	return first
}

func (k *Kiosk) open(ctx context.Context) error {
	f := k.f
	if err := os.MkdirAll(k.Dir, 0o700); err != nil {
		return fmt.Errorf("fleet: %w", err)
	}
	cr, err := client.LoadCredentials(k.Dir)
	if errors.Is(err, client.ErrNotEnrolled) {
		cr, err = f.enroll(ctx, k)
		if err == nil {
			err = cr.Save(k.Dir)
		}
	}
	if err != nil {
		return err
	}
	k.Credentials = cr
	q, err := queue.Open(filepath.Join(k.Dir, "queue"), queue.Options{
		TerminalCode: cr.TerminalCode, KeyFile: filepath.Join(k.Dir, "queue.key"), CreateKey: true,
		MinFreeBytes: -1, Logger: f.log.With("kiosk", k.Index),
	})
	if err != nil {
		return err
	}
	k.Queue = q
	return nil
}

// enroll registers a new terminal with a given code or one made through the operator
// API, waiting as asked while the hub's handshake budget is spent.
func (f *Fleet) enroll(ctx context.Context, k *Kiosk) (client.Credentials, error) {
	code, err := f.nextCode(ctx)
	if err != nil {
		return client.Credentials{}, err
	}
	for {
		cr, err := client.EnrollWith(ctx, f.opt.HubURL, code, client.EnrollOptions{
			HTTPClient: f.opt.HTTPClient, Link: f.opt.Link, App: f.opt.App, Name: fmt.Sprintf("simulated kiosk %d", k.Index)})
		var pe *protocol.Error
		if !errors.As(err, &pe) || pe.Code != protocol.CodeTryLater {
			return cr, err
		}
		wait := max(pe.RetryAfter(), 100*time.Millisecond)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return client.Credentials{}, ctx.Err()
		}
	}
}

func (f *Fleet) nextCode(ctx context.Context) (string, error) {
	f.codesMu.Lock()
	if len(f.codes) > 0 {
		c := f.codes[0]
		f.codes = f.codes[1:]
		f.codesMu.Unlock()
		return c, nil
	}
	f.codesMu.Unlock()
	if f.opt.OperatorToken == "" {
		return "", ErrNoEnrollCode
	}
	return CreateEnrollCode(ctx, f.opt.HTTPClient, f.opt.HubURL, f.opt.OperatorToken, time.Hour)
}

// Start runs every terminal's sync client until Stop or Close.
func (f *Fleet) Start() error {
	f.runMu.Lock()
	defer f.runMu.Unlock()
	if f.cancel != nil {
		return errors.New("fleet: already started")
	}
	clients := make([]*client.Client, len(f.Kiosks))
	for i, k := range f.Kiosks {
		o := client.Options{Credentials: k.Credentials, HubURL: f.opt.HubURL, Outbox: outbox{k.Queue, k},
			App: f.opt.App, Logger: f.log.With("kiosk", k.Index),
			TLSConfig: f.tls, InsecureUnencrypted: f.opt.Link.InsecureUnencrypted}
		if f.opt.Client != nil {
			f.opt.Client(k.Index, &o)
		}
		c, err := client.New(o)
		if err != nil {
			return fmt.Errorf("fleet: kiosk %d: %w", k.Index, err)
		}
		clients[i] = c
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	for i, k := range f.Kiosks {
		k.Client = clients[i]
		states, stop := k.Client.Subscribe()
		f.wg.Add(2)
		go func() {
			defer f.wg.Done()
			defer stop()
			for {
				select {
				case st, ok := <-states:
					if !ok {
						return
					}
					if k.online.Swap(st.Online) != st.Online {
						k.onlineAt.Store(time.Now().UnixNano())
					}
				case <-ctx.Done():
					return
				}
			}
		}()
		go func() {
			defer f.wg.Done()
			if err := k.Client.Run(ctx); err != nil {
				f.log.Error("client stopped", "kiosk", k.Index, "err", err)
			}
		}()
	}
	return nil
}

// Stop stops the clients and waits for them; the queues stay open.
func (f *Fleet) Stop() {
	f.runMu.Lock()
	cancel := f.cancel
	f.cancel = nil
	f.runMu.Unlock()
	if cancel != nil {
		cancel()
		f.wg.Wait()
	}
}

// Close stops the clients, closes the queues and removes a temporary directory.
func (f *Fleet) Close() error {
	f.Stop()
	var errs []error
	for _, k := range f.Kiosks {
		if k != nil && k.Queue != nil {
			if err := k.Queue.Close(); err != nil && !errors.Is(err, queue.ErrClosed) {
				errs = append(errs, err)
			}
		}
	}
	if f.tmpDir {
		errs = append(errs, os.RemoveAll(f.dir))
	}
	return errors.Join(errs...)
}

// Enqueue has every terminal enqueue n synthetic submissions, each with one attachment
// of attachmentSize bytes (none if 0), Concurrency terminals at a time.
func (f *Fleet) Enqueue(ctx context.Context, n, attachmentSize int) error {
	return f.each(ctx, func(ctx context.Context, k *Kiosk) error {
		for range n {
			if _, err := k.Enqueue(ctx, attachmentSize); err != nil {
				return err
			}
		}
		return nil
	})
}

// Enqueue stores one synthetic submission in this terminal's outbox and returns it once
// it is durable. It is safe for concurrent use.
func (k *Kiosk) Enqueue(ctx context.Context, attachmentSize int) (Sent, error) {
	k.mu.Lock()
	i := k.next
	k.next++
	k.mu.Unlock()
	id := fmt.Sprintf("f%s-%04d-%06d", k.f.runID, k.Index, i)
	in := Synthetic(id, k.Index*1000+i, attachmentSize)
	k.f.pending.Add(1)
	start := time.Now()
	s, err := k.Queue.Enqueue(ctx, in)
	done := time.Now()
	if err != nil {
		k.f.pending.Add(-1)
		return Sent{}, fmt.Errorf("fleet: enqueue: %w", err)
	}
	sent := Sent{ID: s.ID, TrackingCode: s.TrackingCode, Size: attachmentSize, Durable: done}
	k.mu.Lock()
	k.sent = append(k.sent, sent)
	k.enqLat = append(k.enqLat, done.Sub(start))
	k.enqueuedAt[s.ID] = done
	k.sizes[s.ID] = int64(attachmentSize)
	k.mu.Unlock()
	return sent, nil
}

// Sent returns what the terminal enqueued in this process, in order.
func (k *Kiosk) Sent() []Sent {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]Sent(nil), k.sent...)
}

// Online reports whether the terminal is connected and authenticated, and since when
// that has been so (or since when it has not).
func (k *Kiosk) Online() (bool, time.Time) {
	return k.online.Load(), time.Unix(0, k.onlineAt.Load())
}

func (k *Kiosk) noteDelivered(id string) {
	now := time.Now()
	k.mu.Lock()
	at, ok := k.enqueuedAt[id]
	if ok {
		delete(k.enqueuedAt, id)
		k.delLat = append(k.delLat, now.Sub(at))
		k.delivered++
		k.delBytes += k.sizes[id]
		k.lastDeliv = now
	}
	k.mu.Unlock()
	if ok {
		k.f.resolved()
	}
}

func (k *Kiosk) noteFailed(id string) {
	k.mu.Lock()
	_, ok := k.enqueuedAt[id]
	if ok {
		delete(k.enqueuedAt, id)
		k.failed++
	}
	k.mu.Unlock()
	if ok {
		k.f.resolved()
	}
}

func (f *Fleet) resolved() {
	f.pending.Add(-1)
	select {
	case f.changed <- struct{}{}:
	default:
	}
}

// Pending counts submissions enqueued by this process that are neither delivered nor
// failed.
func (f *Fleet) Pending() int { return int(f.pending.Load()) }

// Wait waits until every submission enqueued by this process is delivered or failed. It
// returns ErrTimeout after timeout, or ctx's error.
func (f *Fleet) Wait(ctx context.Context, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for f.pending.Load() > 0 {
		select {
		case <-f.changed:
		case <-t.C:
			return ErrTimeout
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Online counts the terminals connected and authenticated now.
func (f *Fleet) Online() int {
	n := 0
	for _, k := range f.Kiosks {
		if k.online.Load() {
			n++
		}
	}
	return n
}

// outbox is the terminal's queue as its client sees it, noting deliveries and refusals
// as they are recorded.
type outbox struct {
	*queue.Queue
	k *Kiosk
}

func (o outbox) MarkDelivered(id, hubRef string) error {
	err := o.Queue.MarkDelivered(id, hubRef)
	if err == nil {
		o.k.noteDelivered(id)
	}
	return err
}

func (o outbox) MarkFailed(id, reason string) error {
	err := o.Queue.MarkFailed(id, reason)
	if err == nil {
		o.k.noteFailed(id)
	}
	return err
}
