package devices

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/kiosk/config"
)

// Device is what the registry manages: one configured device with its own loop.
type Device interface {
	// Name is the configured name ("idcard", "printer", ...).
	Name() string
	// Kind is the device class.
	Kind() health.Kind
	// Health is the current status.
	Health() health.Status
	// Subscribe follows status changes until the returned function is called.
	Subscribe() (<-chan health.Status, func())
	// Run drives the device until ctx ends. A device rides out unplugs and absent
	// hardware inside Run (reporting offline); an error return means the driver itself
	// failed and the registry restarts Run after a backoff. nil means it stopped on
	// purpose.
	Run(ctx context.Context) error
	// Close releases the device for good.
	Close() error
}

// Opener makes a Device from its configuration. It should only check and build: no
// I/O that can fail because hardware is missing (Run reports that as offline). The logger
// is the registry's own: the driver adds the device's name to it, once.
type Opener func(cfg config.Device, log *slog.Logger) (Device, error)

// Options tune a Registry; zero values mean the defaults in brackets.
type Options struct {
	// MinBackoff and MaxBackoff bound the wait before a failed Run is restarted; the wait
	// doubles on each failure in a row [1 s, 1 min].
	MinBackoff, MaxBackoff time.Duration
	// Settle is how long a restarted Run must last before the device's own health again
	// replaces the registry's "driver failed" status [2 s].
	Settle time.Duration
}

var (
	// ErrNoOpener is a configured kind and transport nobody registered an opener for.
	ErrNoOpener = errors.New("devices: no driver for this kind and transport")
	// ErrDuplicate is a device name configured twice.
	ErrDuplicate = errors.New("devices: duplicate device name")
	// ErrRunning is a Load after Run started.
	ErrRunning = errors.New("devices: registry already running")
)

type openerKey struct{ kind, transport string }

type entry struct {
	dev Device
	cfg config.Device
}

// Registry holds the configured devices and their aggregated health. Build it with
// NewRegistry, Register the openers, Load the configuration, then Run. It is safe for
// concurrent use.
type Registry struct {
	log  *slog.Logger
	opts Options

	mu       sync.Mutex
	openers  map[openerKey]Opener
	entries  []*entry
	status   map[string]health.Status
	override map[string]bool // status set by the registry, not the device
	order    []string        // device names in configuration order
	subs     map[int]chan health.Status
	nextSub  int
	running  bool
	now      func() time.Time
}

// NewRegistry makes an empty registry.
func NewRegistry(log *slog.Logger, opts Options) *Registry {
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = time.Second
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(time.Minute, opts.MinBackoff)
	}
	if opts.Settle <= 0 {
		opts.Settle = 2 * time.Second
	}
	return &Registry{log: log, opts: opts, openers: map[openerKey]Opener{},
		status: map[string]health.Status{}, override: map[string]bool{},
		subs: map[int]chan health.Status{}, now: time.Now}
}

// Register sets the opener for devices of kind (config.KindIDCard, ...) over transport
// (config.TransportSerial, ...). A later Register for the same pair replaces it.
func (r *Registry) Register(kind, transport string, o Opener) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.openers[openerKey{kind, transport}] = o
}

// Load opens every configured device. A device that cannot be opened (no opener, bad
// configuration) is left out, shown in the snapshot as a hardware error with the reason,
// and reported in the returned error (errors.Join of one error per device); the others
// are loaded. So a kiosk starts with what works and says what does not.
func (r *Registry) Load(cfgs []config.Device) error {
	r.mu.Lock()
	if r.running {
		r.mu.Unlock()
		return ErrRunning
	}
	r.mu.Unlock()
	var errs []error
	for _, c := range cfgs {
		r.mu.Lock()
		_, dup := r.status[c.Name]
		o := r.openers[openerKey{c.Kind, c.Transport}]
		r.mu.Unlock()
		if dup || c.Name == "" {
			errs = append(errs, fmt.Errorf("devices: %q: %w", c.Name, ErrDuplicate))
			continue
		}
		var dev Device
		err := fmt.Errorf("%w (%s over %s)", ErrNoOpener, c.Kind, c.Transport)
		if o != nil {
			dev, err = o(c, r.log)
		}
		r.mu.Lock()
		r.order = append(r.order, c.Name)
		if err != nil {
			r.status[c.Name] = health.Status{Device: c.Name, Kind: health.Kind(c.Kind), State: health.HardwareError,
				Reason: "cannot start: " + err.Error(), Since: r.now()}
			r.override[c.Name] = true
			r.mu.Unlock()
			errs = append(errs, fmt.Errorf("devices: %s: %w", c.Name, err))
			continue
		}
		r.entries = append(r.entries, &entry{dev: dev, cfg: c})
		st := dev.Health()
		st.Device = c.Name
		r.status[c.Name] = st
		r.mu.Unlock()
	}
	return errors.Join(errs...)
}

// Device returns the loaded device of that name.
func (r *Registry) Device(name string) (Device, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.entries {
		if e.cfg.Name == name {
			return e.dev, true
		}
	}
	return nil, false
}

// Snapshot is every configured device's health at one moment, in configuration order.
type Snapshot struct {
	At      time.Time       `json:"at"`
	Devices []health.Status `json:"devices"`
}

// Get returns the named device's status.
func (s Snapshot) Get(name string) (health.Status, bool) {
	for _, d := range s.Devices {
		if d.Device == name {
			return d, true
		}
	}
	return health.Status{}, false
}

// AllUsable reports whether every device can work now.
func (s Snapshot) AllUsable() bool {
	for _, d := range s.Devices {
		if !d.State.Usable() {
			return false
		}
	}
	return true
}

// Snapshot returns the current health of every configured device.
func (r *Registry) Snapshot() Snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Snapshot{At: r.now()}
	for _, n := range r.order {
		st := r.status[n]
		st.Details = cloneMap(st.Details)
		s.Devices = append(s.Devices, st)
	}
	return s
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// Subscribe returns a channel that receives each device's status whenever it changes,
// and a function that stops it. A slow reader loses intermediate changes, never the
// latest; read Snapshot for the whole picture.
func (r *Registry) Subscribe() (<-chan health.Status, func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch := make(chan health.Status, 16)
	id := r.nextSub
	r.nextSub++
	r.subs[id] = ch
	return ch, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if _, ok := r.subs[id]; ok {
			delete(r.subs, id)
			close(ch)
		}
	}
}

// set records a status and tells subscribers if it changed. fromDevice clears a
// registry override.
func (r *Registry) set(st health.Status, fromDevice bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if fromDevice && r.override[st.Device] {
		return
	}
	if !fromDevice {
		r.override[st.Device] = true
	}
	if old, ok := r.status[st.Device]; ok && old.Equal(st) {
		return
	}
	r.status[st.Device] = st
	for _, ch := range r.subs {
		select {
		case ch <- st:
		default:
			select {
			case <-ch:
			default:
			}
			select {
			case ch <- st:
			default:
			}
		}
	}
}

// release lets the device's own health count again and publishes it.
func (r *Registry) release(e *entry) {
	r.mu.Lock()
	delete(r.override, e.cfg.Name)
	r.mu.Unlock()
	st := e.dev.Health()
	st.Device = e.cfg.Name
	r.set(st, true)
}

// Run runs every loaded device until ctx ends, restarting a device's Run when it fails,
// then closes all devices. It returns nil after ctx ends.
func (r *Registry) Run(ctx context.Context) error {
	r.mu.Lock()
	if r.running {
		r.mu.Unlock()
		return ErrRunning
	}
	r.running = true
	entries := slices.Clone(r.entries)
	r.mu.Unlock()

	var wg sync.WaitGroup
	for _, e := range entries {
		wg.Add(2)
		go func() { defer wg.Done(); r.watch(ctx, e) }()
		go func() { defer wg.Done(); r.supervise(ctx, e) }()
	}
	wg.Wait()
	for _, e := range entries {
		if err := e.dev.Close(); err != nil {
			r.log.Warn("devices: close", "device", e.cfg.Name, "err", err)
		}
	}
	return nil
}

// watch forwards the device's health changes.
func (r *Registry) watch(ctx context.Context, e *entry) {
	ch, stop := e.dev.Subscribe()
	defer stop()
	r.set(withName(e.dev.Health(), e.cfg.Name), true)
	for {
		select {
		case <-ctx.Done():
			return
		case st, ok := <-ch:
			if !ok {
				return
			}
			r.set(withName(st, e.cfg.Name), true)
		}
	}
}

func withName(st health.Status, name string) health.Status {
	st.Device = name
	return st
}

// supervise runs the device's loop and restarts it after failures, with backoff.
func (r *Registry) supervise(ctx context.Context, e *entry) {
	wait := r.opts.MinBackoff
	failed := false
	for ctx.Err() == nil {
		done := make(chan error, 1)
		start := r.now()
		go func() { done <- r.safeRun(ctx, e) }()
		var err error
		if failed {
			select {
			case err = <-done:
			case <-time.After(r.opts.Settle):
				r.release(e)
				err = <-done
			}
		} else {
			err = <-done
		}
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			r.log.Info("devices: device loop ended", "device", e.cfg.Name)
			return
		}
		if r.now().Sub(start) > r.opts.MaxBackoff {
			wait = r.opts.MinBackoff // it ran well for a while: start over
		}
		failed = true
		r.log.Error("devices: device loop failed, restarting", "device", e.cfg.Name, "err", err, "in", wait)
		r.set(health.Status{Device: e.cfg.Name, Kind: e.dev.Kind(), State: health.HardwareError,
			Reason: "driver failed: " + err.Error(), Details: map[string]string{"restart_in": wait.String()},
			Since: r.now()}, false)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(wait*2, r.opts.MaxBackoff)
	}
}

// ErrPanic wraps a panic in a device loop, which the registry survives like an error.
var ErrPanic = errors.New("devices: device loop panicked")

func (r *Registry) safeRun(ctx context.Context, e *entry) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("devices: panic in device loop", "device", e.cfg.Name, "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("%w: %v", ErrPanic, p)
		}
	}()
	return e.dev.Run(ctx)
}
