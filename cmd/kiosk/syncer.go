package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/govkiosk/govkiosk/drivers/devices"
	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/internal/atomicfile"
	"github.com/govkiosk/govkiosk/kiosk/catalog"
	"github.com/govkiosk/govkiosk/kiosk/clock"
	"github.com/govkiosk/govkiosk/kiosk/config"
	"github.com/govkiosk/govkiosk/kiosk/form"
	"github.com/govkiosk/govkiosk/sync/client"
	"github.com/govkiosk/govkiosk/sync/hub"
	"github.com/govkiosk/govkiosk/sync/protocol"
	"github.com/govkiosk/govkiosk/sync/queue"
	"github.com/govkiosk/govkiosk/ui"
)

// errNotEnrolled is what the screens get while the terminal has no identity at a hub: no
// tracking code can be issued yet, so a resident is sent to staff rather than given one
// that might repeat another terminal's.
var errNotEnrolled = errors.New("terminal not enrolled with the platform yet")

// syncer owns the outbox and the sync client. Both exist only once the terminal is
// enrolled: the queue's tracking codes start with the terminal code the hub assigned.
type syncer struct {
	dataDir string
	hubURL  string
	link    client.LinkOptions // CA file, certificate pin, insecure-link permission
	// keyPath is the queue key file, kept apart from dataDir (config.QueueKey);
	// keyReadOnly means systemd hands it over as a credential: never created here.
	keyPath     string
	keyReadOnly bool
	log         *slog.Logger
	registry    *devices.Registry
	// speaker is the spoken guidance's sound output, reported beside the devices.
	speaker  *health.Tracker
	catalogs *catalog.Store
	// clock is the trusted time (nil in tests: the wall clock, believed).
	clock *clock.Clock

	// platform is the platform's configuration over the technician's file.
	platform *platformConfig
	// upd takes the software updates the platform announces (nil: none, in tests).
	upd *updater

	state     *ui.Value[ui.SyncState]
	bulletins *ui.Value[ui.Bulletin]

	mu sync.Mutex
	// fileConfig and applyConfig are set once the screens exist: the technician's file,
	// and what makes a configuration take effect.
	fileConfig  func() *config.Config
	applyConfig func(*config.Config)
	// ops carries out the platform's remote operations once the screens exist.
	ops    *remoteOps
	q      *queue.Queue
	c      *client.Client
	cancel context.CancelFunc
	done   chan struct{}
}

func (s *syncer) queueDir() string { return filepath.Join(s.dataDir, "queue") }
func (s *syncer) keyFile() string  { return s.keyPath }

// legacyKeyFile is where kiosks before keys were kept apart stored the queue key.
func (s *syncer) legacyKeyFile() string { return filepath.Join(s.dataDir, "keys", "queue.key") }

// moveLegacyKey moves a queue key from inside the data directory, where earlier versions
// kept it, to its own place, so an upgraded kiosk still reads its queue. The copy is
// durable before the old file goes.
func (s *syncer) moveLegacyKey() error {
	old := s.legacyKeyFile()
	if s.keyReadOnly || old == s.keyPath {
		return nil
	}
	if _, err := os.Stat(s.keyPath); err == nil {
		return nil
	}
	b, err := os.ReadFile(old)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("queue key in the data directory: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(s.keyPath), 0o700); err != nil {
		return fmt.Errorf("move the queue key out of the data directory: %w", err)
	}
	if err := atomicfile.WriteFile(s.keyPath, b, 0o600); err != nil {
		return fmt.Errorf("move the queue key out of the data directory: %w", err)
	}
	if err := os.Remove(old); err != nil {
		return fmt.Errorf("remove the old queue key from the data directory: %w", err)
	}
	s.log.Warn("queue key moved out of the data directory", "to", s.keyPath)
	return nil
}

// start opens the outbox and starts delivery if the terminal is enrolled; an unenrolled
// terminal runs with neither, and Enroll starts them later.
func (s *syncer) start(ctx context.Context) error {
	creds, err := client.LoadCredentials(s.dataDir)
	if errors.Is(err, client.ErrNotEnrolled) {
		s.log.Warn("terminal not enrolled: submissions are refused until a technician enrolls it")
		return nil
	}
	if err != nil {
		return err
	}
	return s.open(ctx, creds)
}

func (s *syncer) open(ctx context.Context, creds client.Credentials) error {
	if err := s.moveLegacyKey(); err != nil {
		return err
	}
	if !s.keyReadOnly {
		if err := os.MkdirAll(filepath.Dir(s.keyFile()), 0o700); err != nil {
			return err
		}
	}
	_, statErr := os.Stat(filepath.Join(s.queueDir(), "queue.db"))
	var now func() time.Time
	if s.clock != nil {
		now = s.clock.Now
	}
	q, err := queue.Open(s.queueDir(), queue.Options{
		TerminalCode: creds.TerminalCode,
		KeyFile:      s.keyFile(),
		CreateKey:    errors.Is(statErr, os.ErrNotExist) && !s.keyReadOnly,
		Logger:       s.log.With("part", "queue"),
		Now:          now,
	})
	if err != nil {
		return fmt.Errorf("open the offline queue: %w", err)
	}
	tlsConf, err := s.link.TLSConfig()
	if err != nil {
		q.Close()
		return err
	}
	c, err := client.New(client.Options{
		Credentials:         creds,
		TLSConfig:           tlsConf,
		InsecureUnencrypted: s.link.InsecureUnencrypted,
		HubURL:              s.hubURL,
		Outbox:              q,
		Logger:              s.log.With("part", "sync"),
		App:                 version,
		Health:              s.health,
		// The catalog the kiosk holds (embedded, saved from an earlier push, or pushed
		// now), so the hub pushes only what is newer rather than on every reconnect.
		Versions: func() client.Versions {
			var v client.Versions
			if c := s.catalogs.Current(); c != nil {
				v.Catalog = c.Version
			}
			if s.platform != nil {
				v.Config = s.platform.Version()
			}
			return v
		},
		OnCatalog:       s.onCatalog,
		OnConfig:        s.onConfig,
		OnAnnouncements: s.onAnnouncements,
		OnCommand:       s.onCommand,
		Update:          s.updateSteps,
		Now:             now,
		Clock:           s.clock,
	})
	if err != nil {
		q.Close()
		return err
	}
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	s.mu.Lock()
	s.q, s.c, s.cancel, s.done = q, c, cancel, done
	s.mu.Unlock()
	go func() {
		defer close(done)
		if err := c.Run(cctx); err != nil && !errors.Is(err, context.Canceled) {
			s.log.Error("sync client stopped", "err", err)
		}
	}()
	go s.follow(cctx, c)
	return nil
}

// follow mirrors the client's state into the screens' sync indicator.
func (s *syncer) follow(ctx context.Context, c *client.Client) {
	ch, stop := c.Subscribe()
	defer stop()
	mark := newRevokedMark(s.dataDir, s.log)
	set := func(st client.State) {
		s.state.Set(ui.SyncState{Online: st.Online, Queued: st.Queued, Revoked: mark.revoked(st)})
	}
	set(c.State())
	for {
		select {
		case <-ctx.Done():
			return
		case st, ok := <-ch:
			if !ok {
				return
			}
			set(st)
		}
	}
}

// timeKnown reports whether the kiosk knows a time it may print on a receipt.
func (s *syncer) timeKnown() bool { return s.clock == nil || s.clock.Known() }

// queue returns the outbox, or errNotEnrolled.
func (s *syncer) queue() (*queue.Queue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.q == nil {
		return nil, errNotEnrolled
	}
	return s.q, nil
}

func (s *syncer) client() *client.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.c
}

// enroll enrolls the terminal at a hub with a one-time code and starts delivery.
func (s *syncer) enroll(ctx context.Context, hubURL, code string) error {
	if s.client() != nil {
		return errors.New("this terminal is already enrolled; remove its credentials to enroll again")
	}
	creds, err := client.EnrollWith(ctx, hubURL, code, client.EnrollOptions{Link: s.link, App: version})
	if err != nil {
		return err
	}
	if err := creds.Save(s.dataDir); err != nil {
		return err
	}
	s.hubURL = hubURL
	return s.open(context.WithoutCancel(ctx), creds)
}

// close stops delivery and closes the outbox.
func (s *syncer) close() {
	s.mu.Lock()
	cancel, done, q := s.cancel, s.done, s.q
	s.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	if q != nil {
		q.Close()
	}
}

// onCatalog takes a pushed catalog if it validates and keeps it for the next start; a bad
// one is refused and the kiosk stays on its last good catalog.
func (s *syncer) onCatalog(version string, payload json.RawMessage) error {
	c, err := s.catalogs.Replace(payload)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(s.dataDir, catalogFile), payload, 0o600); err != nil {
		s.log.Warn("catalog taken but not saved for the next start", "err", err)
	}
	s.log.Info("catalog updated", "version", version, "services", len(c.Services()))
	return nil
}

func (s *syncer) setOps(ops *remoteOps) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ops = ops
}

func (s *syncer) setApply(file func() *config.Config, apply func(*config.Config)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fileConfig, s.applyConfig = file, apply
}

// onConfig applies the platform's configuration push over the technician's file: the
// hall's name, timeouts and voice at once, devices at the next restart. A push that does
// not fit is refused with its reasons (the client reports them to the hub) and the
// configuration that runs stays as it was.
func (s *syncer) onConfig(version string, payload json.RawMessage) error {
	s.mu.Lock()
	file, apply := s.fileConfig, s.applyConfig
	s.mu.Unlock()
	if s.platform == nil || file == nil {
		return errors.New("the terminal is starting; the platform pushes again")
	}
	c, err := s.platform.push(version, payload, file())
	if err != nil {
		s.log.Warn("platform configuration refused; the terminal keeps its configuration", "version", version, "err", err)
		return err
	}
	apply(c)
	s.log.Info("platform configuration applied", "version", version, "sets", s.platform.status().Sets,
		"devices_at_restart", s.platform.status().Restart)
	return nil
}

// onAnnouncements shows the hub's notices: "notice" level ones on the public notice board
// (政务公开), every current one as an announcement on the start screen.
func (s *syncer) onAnnouncements(version string, items []protocol.Announcement) error {
	now := time.Now()
	var b ui.Bulletin
	for _, a := range items {
		if !a.Until.IsZero() && now.After(a.Until) {
			continue
		}
		n := ui.Notice{ID: a.ID, Title: form.Text{Zh: a.Title}, Body: form.Text{Zh: a.Body}, Date: a.From}
		if a.Level == "notice" {
			b.Notices = append(b.Notices, n)
		} else {
			b.Announcements = append(b.Announcements, n)
		}
	}
	s.bulletins.Set(b)
	return nil
}

// onCommand answers an operator's commands: reload re-reads the saved catalog,
// collect_logs reports the queue and devices; screenshot, restart, safe_mode and
// support_bundle are the remote operations (remote.go).
func (s *syncer) onCommand(ctx context.Context, cmd protocol.Command) (string, error) {
	s.mu.Lock()
	ops := s.ops
	s.mu.Unlock()
	switch cmd.Name {
	case protocol.CommandScreenshot, protocol.CommandRestart, protocol.CommandSafeMode, protocol.CommandSupportBundle:
		if ops == nil {
			return "", errors.New("the kiosk is starting; try again in a minute")
		}
	}
	switch cmd.Name {
	case protocol.CommandScreenshot:
		return ops.screenshot(ctx)
	case protocol.CommandRestart:
		return ops.restart(ctx, cmd, false)
	case protocol.CommandSafeMode:
		return ops.restart(ctx, cmd, true)
	case protocol.CommandSupportBundle:
		return ops.supportBundle(ctx, cmd)
	case "collect_logs":
		snap := s.registry.Snapshot()
		out := map[string]any{"version": version, "devices": snap.Devices}
		if q, err := s.queue(); err == nil {
			if st, err := q.Stats(); err == nil {
				out["queue"] = st
			}
		}
		b, err := json.Marshal(out)
		return string(b), err
	case hub.CommandUpdate:
		if s.upd == nil {
			return "", errors.New("software updates are not set up on this terminal")
		}
		return s.upd.command(ctx, cmd.Args)
	case "reload":
		data, err := os.ReadFile(filepath.Join(s.dataDir, catalogFile))
		if err != nil {
			return "", fmt.Errorf("no saved catalog to reload: %w", err)
		}
		if _, err := s.catalogs.Replace(data); err != nil {
			return "", err
		}
		return "catalog reloaded", nil
	}
	return "", fmt.Errorf("command %q not supported", cmd.Name)
}

// updateSteps are the latest software-update steps for the heartbeat.
func (s *syncer) updateSteps() []protocol.UpdateStep {
	if s.upd == nil {
		return nil
	}
	return s.upd.steps()
}

// reportNow sends a heartbeat at once, when connected.
func (s *syncer) reportNow() {
	if c := s.client(); c != nil {
		c.ReportNow()
	}
}

// catalogFile is the last good catalog the hub pushed, used at the next start.
const catalogFile = "catalog.json"

// health is every device's status for the heartbeat: the registry's, and the speaker's.
func (s *syncer) health() []health.Status {
	out := s.registry.Snapshot().Devices
	if s.speaker != nil {
		out = append(out, s.speaker.Current())
	}
	return out
}
