package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/govkiosk/govkiosk/internal/atomicfile"
	"github.com/govkiosk/govkiosk/kiosk/config"
	"github.com/govkiosk/govkiosk/ui"
)

// platformConfigFile keeps the last platform configuration push that applied, for the
// next start.
const platformConfigFile = "platform-config.json"

// platformConfig is the configuration the platform pushed, held over the technician's
// file: each setting the push sets wins over the file's, the file gives the rest (see
// config.Remote). A push that does not parse, or would make the configuration invalid,
// is refused with its reasons and the terminal keeps what it had.
type platformConfig struct {
	dataDir string
	log     *slog.Logger

	mu       sync.Mutex
	version  string // the push in force; "" none
	payload  json.RawMessage
	remote   *config.Remote
	sets     []string
	refused  string
	problems []string
	// started are the devices the kiosk opened at start: a push that changes them takes
	// effect at the next restart.
	started []config.Device
}

type savedPlatformConfig struct {
	Version   string          `json:"version"`
	Payload   json.RawMessage `json:"payload"`
	AppliedAt time.Time       `json:"applied_at"`
}

// loadPlatformConfig reads the last applied push; a file that cannot be used is logged
// and ignored (the terminal runs on its own file until the platform pushes again).
func loadPlatformConfig(dataDir string, log *slog.Logger) *platformConfig {
	p := &platformConfig{dataDir: dataDir, log: log}
	b, err := os.ReadFile(filepath.Join(dataDir, platformConfigFile))
	if errors.Is(err, os.ErrNotExist) {
		return p
	}
	var saved savedPlatformConfig
	if err == nil {
		err = json.Unmarshal(b, &saved)
	}
	var r *config.Remote
	if err == nil {
		r, err = config.ParseRemote(saved.Payload)
	}
	if err != nil {
		log.Warn("saved platform configuration unusable; running on the terminal's file", "err", err)
		return p
	}
	p.version, p.payload, p.remote = saved.Version, saved.Payload, r
	return p
}

// over returns the file's configuration with the platform's settings over it. If the
// two no longer fit together (the file changed since), the file alone runs and the
// platform's push counts as refused until it pushes again.
func (p *platformConfig) over(file *config.Config) *config.Config {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.remote == nil {
		c := *file
		c.Devices = slices.Clone(file.Devices)
		return &c
	}
	c, sets, err := p.remote.Over(file)
	if err != nil {
		p.log.Warn("platform configuration does not fit the terminal's file; running on the file", "version", p.version, "err", err)
		p.refused, p.problems = p.version, problemLines(err)
		p.version, p.payload, p.remote, p.sets = "", nil, nil, nil
		c := *file
		c.Devices = slices.Clone(file.Devices)
		return &c
	}
	p.sets = sets
	return c
}

// push checks a new push against the file's configuration and, when it fits, saves it
// and returns the configuration that now runs; otherwise the reasons, and nothing
// changes.
func (p *platformConfig) push(version string, payload []byte, file *config.Config) (*config.Config, error) {
	r, err := config.ParseRemote(payload)
	var c *config.Config
	var sets []string
	if err == nil {
		c, sets, err = r.Over(file)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		p.refused, p.problems = version, problemLines(err)
		return nil, err
	}
	b, err := json.Marshal(savedPlatformConfig{Version: version, Payload: payload, AppliedAt: time.Now().UTC()})
	if err == nil {
		err = atomicfile.WriteFile(filepath.Join(p.dataDir, platformConfigFile), b, 0o600)
	}
	if err != nil {
		// Not kept for the next start: refuse, so the platform pushes it again.
		p.refused, p.problems = version, []string{"could not be saved on the terminal: " + err.Error()}
		return nil, fmt.Errorf("platform configuration not saved: %w", err)
	}
	p.version, p.payload, p.remote, p.sets = version, payload, r, sets
	p.refused, p.problems = "", nil
	return c, nil
}

// Version is the push in force, for the hello and the heartbeat.
func (p *platformConfig) Version() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.version
}

// status is what the technician screen shows.
func (p *platformConfig) status() ui.PlatformConfig {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := ui.PlatformConfig{Version: p.version, Sets: slices.Clone(p.sets), Refused: p.refused, Problems: slices.Clone(p.problems)}
	st.Restart = p.remote != nil && p.remote.Devices != nil && p.started != nil && !sameDevices(p.started, p.remote.Devices)
	return st
}

// problemLines turns a refusal into one reason per line.
func problemLines(err error) []string {
	var ve *config.ValidationError
	if errors.As(err, &ve) {
		return ve.Reasons()
	}
	return []string{err.Error()}
}
