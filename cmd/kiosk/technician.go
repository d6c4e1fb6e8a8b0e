package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // decode scanned pages' sizes
	_ "image/png"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/govkiosk/govkiosk/drivers/devices"
	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/drivers/idcard"
	"github.com/govkiosk/govkiosk/drivers/printer"
	"github.com/govkiosk/govkiosk/internal/atomicfile"
	"github.com/govkiosk/govkiosk/kiosk/access"
	"github.com/govkiosk/govkiosk/kiosk/config"
	"github.com/govkiosk/govkiosk/kiosk/identity"
	"github.com/govkiosk/govkiosk/ui"
)

// technician carries out the technician screens' requests with the real devices, outbox
// and sync client.
type technician struct {
	log        *slog.Logger
	configPath string
	dataDir    string
	registry   *devices.Registry
	sync       *syncer
	cards      *cardSource
	codes      *codeSource
	printer    *printerSink
	paper      printer.Paper
	scanner    *docScanner
	guard      *access.Guard
	// apply changes what can change without a restart (hall name, timeouts).
	apply func(*config.Config)
	// platform is the platform's configuration over the file; nil: none.
	platform *platformConfig
	// media lists where USB sticks are mounted (nil: removableMounts of the kernel's
	// mount table).
	media func() []string

	mu  sync.Mutex
	cfg *config.Config
}

// accessFile keeps the PIN lockout state across restarts.
const accessFile = "access.json"

func loadAccessState(dataDir string) access.State {
	var st access.State
	b, err := os.ReadFile(filepath.Join(dataDir, accessFile))
	if err == nil {
		_ = json.Unmarshal(b, &st)
	}
	return st
}

func (t *technician) SaveAccess(st access.State) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(t.dataDir, accessFile), b, 0o600)
}

// Effective returns the file's configuration c with the platform's settings over it.
func (t *technician) Effective(c *config.Config) *config.Config {
	if t.platform == nil {
		return c
	}
	return t.platform.over(c)
}

// PlatformConfig reports the platform's configuration for the technician screen.
func (t *technician) PlatformConfig() ui.PlatformConfig {
	if t.platform == nil {
		return ui.PlatformConfig{}
	}
	return t.platform.status()
}

// Config returns a deep copy of the technician's configuration file as it runs (the
// platform's settings are over it; see Effective).
func (t *technician) Config() *config.Config {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := *t.cfg
	c.Devices = append([]config.Device(nil), t.cfg.Devices...)
	return &c
}

// Apply validates and saves the configuration, then applies what can change in place.
// Devices and the platform address are opened at start, so changing them asks for a
// restart (the session restarts the kiosk when it exits 0).
func (t *technician) Apply(ctx context.Context, c *config.Config) (bool, error) {
	if err := c.Validate(); err != nil {
		return false, err
	}
	if t.configPath == "" {
		return false, errors.New("no configuration file to save to (started with -simulate)")
	}
	if err := c.Save(t.configPath); err != nil {
		return false, err
	}
	t.mu.Lock()
	old := t.cfg
	restart := !sameDevices(old.Devices, c.Devices) || old.Platform != c.Platform || old.DataDir != c.DataDir
	t.cfg = c
	t.mu.Unlock()
	if c.Technician.PINHash != "" && c.Technician.PINHash != old.Technician.PINHash {
		t.guard.SetHash(c.Technician.PINHash)
	}
	if t.apply != nil {
		t.apply(c)
	}
	t.log.Info("configuration saved", "restart_needed", restart)
	return restart, nil
}

func sameDevices(a, b []config.Device) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// probers are the harmless status commands discovery tries on each serial port.
func probers() []devices.Prober {
	return []devices.Prober{
		{Kind: config.KindIDCard, Bauds: []int{115200, 9600}, Probe: idcard.Probe},
		{Kind: config.KindPrinter, Bauds: []int{9600, 19200, 38400, 115200}, Probe: printer.Probe},
	}
}

// Detect probes serial ports and the USB bus. The devices the kiosk runs and that answer
// it are reported as they are configured, and their ports are not probed: a probe there
// would compete with the running driver for every answer and reset the line speed under
// it. (Auto-detect found 0 devices while the kiosk's own were online: it probed only the
// default port names, which the simulated devices' terminals are not, and would have
// probed a stable name's target under its driver.) The ports of configured devices that
// are offline are probed like any other, to find where the device really is.
func (t *technician) Detect(ctx context.Context) ([]ui.Detected, error) {
	cfg := t.Config()
	snap := t.registry.Snapshot()
	var (
		inUse []devices.Found
		conf  []config.Device
	)
	for _, d := range cfg.Devices {
		st, ok := snap.Get(d.Name)
		if !ok || st.State == health.Offline || st.State == health.Unknown {
			continue
		}
		f := devices.Found{Transport: d.Transport, Path: d.Path, Baud: d.Baud, USB: d.USB, Kind: d.Kind,
			Description: "in use by the kiosk: " + string(st.State)}
		if d.Path == "" {
			f.Path = d.Address
		}
		if st.Reason != "" {
			f.Description += " (" + st.Reason + ")"
		}
		inUse = append(inUse, f)
		conf = append(conf, d)
	}
	found, err := devices.Discover(ctx, devices.DiscoverOptions{Probers: probers(), InUse: inUse, Log: t.log})
	if err != nil {
		return nil, err
	}
	var out []ui.Detected
	for _, f := range found {
		if f.Kind == "" {
			continue
		}
		if i := slices.Index(inUse, f); i >= 0 {
			out = append(out, ui.Detected{Device: conf[i], Description: f.Description})
			continue
		}
		d := config.Device{Name: f.Kind, Kind: f.Kind, Transport: f.Transport, Path: f.Path, Baud: f.Baud, USB: f.USB}
		if f.Kind == config.KindPrinter {
			d.PaperWidthMM = 80
		}
		out = append(out, ui.Detected{Device: d, Description: f.Description})
	}
	return out, nil
}

// TestRead waits for a card and describes it without personal data.
func (t *technician) TestRead(ctx context.Context) (string, error) {
	id, err := t.cards.ReadCard(ctx)
	if err != nil {
		return "", err
	}
	defer id.Wipe()
	valid := "check digit wrong"
	if id.IDNumberValid {
		valid = "check digit ok"
	}
	return fmt.Sprintf("%s, %s, %s", id.CardType, identity.MaskNumber(id.IDNumber), valid), nil
}

// TestPrint prints the printer driver's test page.
func (t *technician) TestPrint(ctx context.Context) error {
	if t.printer.p == nil {
		return errors.New("no printer configured")
	}
	doc := printer.TestReceipt(t.printer.p.Name(), t.paper, time.Now())
	return t.printer.Print(ctx, *doc)
}

func (t *technician) TestScan(ctx context.Context) (string, error) { return t.codes.ReadCode(ctx) }

// TestDocument scans one page and describes it.
func (t *technician) TestDocument(ctx context.Context) (string, error) {
	b, err := t.scanner.Scan(ctx)
	if err != nil {
		return "", err
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return fmt.Sprintf("%d KB, not an image: %v", len(b)/1024, err), nil
	}
	return fmt.Sprintf("%d×%d %s, %d KB", cfg.Width, cfg.Height, format, len(b)/1024), nil
}

// Queue reports the outbox and the link.
func (t *technician) Queue(ctx context.Context) (ui.QueueStatus, error) {
	q, err := t.sync.queue()
	if err != nil {
		return ui.QueueStatus{}, err
	}
	st, err := q.Stats()
	if err != nil {
		return ui.QueueStatus{}, err
	}
	qs := ui.QueueStatus{Pending: st.Queued + st.Sending, Failed: st.Failed, Held: st.Held, Oldest: st.OldestQueued}
	if c := t.sync.client(); c != nil {
		cs := c.State()
		qs.Online, qs.LastSync = cs.Online, cs.LastSync
	}
	return qs, nil
}

func (t *technician) SyncNow(ctx context.Context) error {
	c := t.sync.client()
	if c == nil {
		return errNotEnrolled
	}
	c.SyncNow()
	return nil
}

func (t *technician) Enroll(ctx context.Context, url, code string) error {
	return t.sync.enroll(ctx, url, code)
}

// ExportLogs writes a support summary (versions, device health, queue counts: nothing
// personal) to the first writable removable medium. With none mounted it writes nothing
// and returns ui.ErrNoRemovableMedium: the screen asks for a USB stick, and it used to
// write to the data directory while saying "insert a USB stick first".
func (t *technician) ExportLogs(ctx context.Context) (string, error) {
	var dirs []string
	if t.media != nil {
		dirs = t.media()
	} else {
		dirs = removableMounts(defaultMountTable)
	}
	if len(dirs) == 0 {
		return "", ui.ErrNoRemovableMedium
	}
	summary := map[string]any{"version": version, "at": time.Now(), "devices": t.registry.Snapshot().Devices}
	if t.sync != nil {
		if q, err := t.sync.queue(); err == nil {
			if st, err := q.Stats(); err == nil {
				summary["queue"] = st
			}
		}
		if c := t.sync.client(); c != nil {
			summary["sync"] = c.State()
		}
	}
	b, err := json.MarshalIndent(summary, "", "  ")
	if err != nil {
		return "", err
	}
	name := "govkiosk-support-" + time.Now().Format("20060102-150405") + ".json"
	var errs []error
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			errs = append(errs, err)
			continue
		}
		return p, nil
	}
	return "", fmt.Errorf("no removable medium took the export: %w", errors.Join(errs...))
}

// defaultMountTable is where the kernel lists this process's mounts.
const defaultMountTable = "/proc/self/mounts"

// removableMounts lists the mount points of removable media in a mount table: those
// under /media/ or /run/media/, where usbmount and the desktop's automounter put USB
// sticks.
func removableMounts(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		dir := unescapeMount(f[1])
		if strings.HasPrefix(dir, "/media/") || strings.HasPrefix(dir, "/run/media/") {
			out = append(out, dir)
		}
	}
	return out
}

// unescapeMount undoes the mount table's octal escapes (a space is written \040).
func unescapeMount(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
