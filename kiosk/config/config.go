package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/govkiosk/govkiosk/internal/atomicfile"
	"github.com/govkiosk/govkiosk/kiosk/speech"
)

// MaxSize is the largest configuration file read, in bytes.
const MaxSize = 1 << 20

// Config is the terminal's configuration file.
type Config struct {
	// TerminalID is the site's own name for this terminal, for technicians and logs:
	// 2 to 16 upper-case letters, digits and '-' ("SZ-FT-07"). The short code that
	// begins tracking codes is assigned by the platform at enrollment, so that it is
	// unique across every terminal.
	TerminalID string `toml:"terminal_id"`
	// DataDir holds the offline queue, keys and the last good catalog. An absolute path.
	DataDir string `toml:"data_dir"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `toml:"log_level"`

	Hall     Hall     `toml:"hall"`
	Platform Platform `toml:"platform"`
	// QueueKeyFile is the key that encrypts the offline queue: an absolute path outside
	// DataDir, so that a copy of the data directory decrypts nothing. Empty: queue.key in
	// $CREDENTIALS_DIRECTORY when systemd passes credentials (LoadCredentialEncrypted=,
	// sealed to the TPM2 where there is one), else DefaultQueueKeyFile.
	QueueKeyFile string `toml:"queue_key_file,omitempty"`
	// AllowKeyInDataDir accepts a QueueKeyFile inside DataDir (demos and tests only).
	AllowKeyInDataDir bool       `toml:"allow_key_in_data_dir,omitempty"`
	Session           Session    `toml:"session"`
	Access            Access     `toml:"accessibility"`
	Technician        Technician `toml:"technician"`
	Update            Update     `toml:"update,omitempty"`
	// Devices are written as [[device]] tables.
	Devices []Device `toml:"device"`
}

// Hall is the service hall the terminal stands in, shown on the start screen and receipts.
type Hall struct {
	NameZh string `toml:"name_zh"`
	NameEn string `toml:"name_en,omitempty"`
}

// Platform is the central platform (hub) the terminal syncs with.
type Platform struct {
	// URL is the hub's address: ws:// or wss:// (http:// and https:// are accepted and
	// upgraded), optionally with a base path; the protocol's paths (/v1/connect,
	// /v1/enroll) are appended to it. Production terminals use wss; ws:// is accepted
	// only to loopback unless InsecureUnencryptedLink is set.
	URL string `toml:"url"`
	// CAFile is a PEM file of the CA certificates the hub's TLS certificate must chain
	// to (an absolute path); empty: the system's roots.
	CAFile string `toml:"ca_file,omitempty"`
	// HubCertPin optionally pins the hub's TLS certificate key: the base64 SHA-256 of
	// its SubjectPublicKeyInfo, optionally prefixed "sha256/".
	HubCertPin string `toml:"hub_cert_pin,omitempty"`
	// InsecureUnencryptedLink allows ws:// to a hub that is not on this machine: every
	// resident's form then crosses the network in clear. Closed test networks only.
	InsecureUnencryptedLink bool `toml:"insecure_unencrypted_link,omitempty"`
}

// Session holds the resident session's settings.
type Session struct {
	// IdleTimeout is how long a screen may go untouched before "still there?": 30s to 10m.
	IdleTimeout Duration `toml:"idle_timeout"`
	// WarningTime is how long "still there?" counts down before everything is wiped:
	// 5s to 2m, and shorter than IdleTimeout.
	WarningTime Duration `toml:"warning_time"`
	// Language is the start language: zh or en.
	Language string `toml:"language"`
	// ElderMode starts each visit in elder mode (large text, slower timeouts).
	ElderMode bool `toml:"elder_mode"`
}

// Access holds the spoken guidance and display settings for older residents and
// residents with poor sight.
type Access struct {
	// VoiceNormalMode speaks each screen's instruction outside elder mode too; elder mode
	// always speaks.
	VoiceNormalMode bool `toml:"voice_normal_mode"`
	// Volume is the default volume step at the start of every visit: 1 (quiet), 2 or 3
	// (loud). 0 means 2.
	Volume int `toml:"volume"`
	// QuietHours is a span of the day, "HH:MM-HH:MM" (it may cross midnight), during which
	// the volume is at most QuietVolume (0 silences the kiosk). Empty: none.
	QuietHours  string `toml:"quiet_hours,omitempty"`
	QuietVolume int    `toml:"quiet_volume"`
	// AudioOutput is where speech goes: auto (the sound card if there is one, else
	// nothing), alsa, null, or file:DIR (a WAV per prompt, for tests).
	AudioOutput string `toml:"audio_output,omitempty"`
	// HighContrast draws the screens in the high-contrast palette.
	HighContrast bool `toml:"high_contrast"`
}

// Update is how the terminal takes the software updates the platform publishes. Every
// setting may be left out.
type Update struct {
	// Channel is "all" (the default) or "pilot": pilot terminals also take the releases
	// published for trial before they go to all.
	Channel string `toml:"channel,omitempty"`
	// SpoolDir is where downloads wait for the privileged install helper, the directory
	// its path unit watches. Default: "update" in DataDir (DefaultUpdateSpool).
	SpoolDir string `toml:"spool_dir,omitempty"`
	// HubURL is the address packages are downloaded from: https:// (http:// to this
	// machine, or with platform.insecure_unencrypted_link). Default: platform.url with
	// wss:// as https:// and ws:// as http://.
	HubURL string `toml:"hub_url,omitempty"`
	// KeyFile is the release public key updates must be signed with
	// (DefaultReleaseKeyFile, shipped in the package).
	KeyFile string `toml:"key_file,omitempty"`
}

// Update channels.
const (
	UpdateChannelAll   = "all"
	UpdateChannelPilot = "pilot"
)

// UpdateChannel is the channel the terminal takes releases from.
func (c *Config) UpdateChannel() string {
	if c.Update.Channel == "" {
		return UpdateChannelAll
	}
	return c.Update.Channel
}

// UpdateSpool is the update spool directory.
func (c *Config) UpdateSpool() string {
	if c.Update.SpoolDir == "" {
		return filepath.Join(c.DataDir, "update")
	}
	return c.Update.SpoolDir
}

// UpdateKeyFile is the release public key file.
func (c *Config) UpdateKeyFile() string {
	if c.Update.KeyFile == "" {
		return DefaultReleaseKeyFile
	}
	return c.Update.KeyFile
}

// UpdateHubURL is the base address packages are downloaded from, without a trailing
// slash: hub_url, or platform.url as http(s).
func (c *Config) UpdateHubURL() string {
	u := c.Update.HubURL
	if u == "" {
		u = c.Platform.URL
		if rest, ok := strings.CutPrefix(u, "wss://"); ok {
			u = "https://" + rest
		} else if rest, ok := strings.CutPrefix(u, "ws://"); ok {
			u = "http://" + rest
		}
	}
	return strings.TrimSuffix(u, "/")
}

// Technician holds what guards the technician screens.
type Technician struct {
	// PINHash is the technician PIN as access.HashPIN stores it; empty keeps the
	// technician screens closed until a PIN is enrolled.
	PINHash string `toml:"pin_hash"`
}

// Defaults used by Default and for settings a file leaves out.
const (
	DefaultTerminalID = "DEV-01"
	DefaultDataDir    = "/var/lib/govkiosk"
	// DefaultQueueKeyFile is where the queue key lives unless configured otherwise.
	DefaultQueueKeyFile = "/etc/govkiosk/queue.key"
	// DefaultReleaseKeyFile is the release public key the package ships.
	DefaultReleaseKeyFile = "/usr/share/govkiosk/release-key.pub"
	DefaultLogLevel       = "info"
	DefaultHubURL         = "ws://127.0.0.1:8470"
	DefaultLanguage       = "zh"
	DefaultIdleTimeout    = 90 * time.Second
	DefaultWarningTime    = 20 * time.Second
)

// Default returns a configuration that runs on a fresh machine: simulated devices, a hub
// on loopback. It is valid; a real terminal overrides the terminal ID, the hall, the
// platform URL and the devices.
func Default() *Config {
	c := &Config{
		TerminalID: DefaultTerminalID,
		DataDir:    DefaultDataDir,
		LogLevel:   DefaultLogLevel,
		Hall:       Hall{NameZh: "政务服务中心（演示）", NameEn: "Government Service Centre (demo)"},
		Platform:   Platform{URL: DefaultHubURL},
		Devices: []Device{
			{Name: "idcard", Kind: KindIDCard, Transport: TransportSim},
			{Name: "printer", Kind: KindPrinter, Transport: TransportSim, PaperWidthMM: 80},
			{Name: "barcode", Kind: KindBarcode, Transport: TransportSim},
			{Name: "docscanner", Kind: KindDocScanner, Transport: TransportSim},
			{Name: "a4printer", Kind: KindA4Printer, Transport: TransportSim},
		},
	}
	c.fillDefaults()
	return c
}

// fillDefaults sets settings a file left out.
func (c *Config) fillDefaults() {
	if c.LogLevel == "" {
		c.LogLevel = DefaultLogLevel
	}
	if c.Session.IdleTimeout.Duration == 0 {
		c.Session.IdleTimeout.Duration = DefaultIdleTimeout
	}
	if c.Session.WarningTime.Duration == 0 {
		c.Session.WarningTime.Duration = DefaultWarningTime
	}
	if c.Session.Language == "" {
		c.Session.Language = DefaultLanguage
	}
	if c.Access.Volume == 0 {
		c.Access.Volume = int(speech.Medium)
	}
}

// Parse reads a configuration from TOML, fills left-out settings with their defaults and
// validates it. A setting the file misspells is a problem, not silently ignored. When the
// TOML itself cannot be read it returns an error wrapping the decoder's; when it reads
// but has problems it returns the configuration as read together with a
// *ValidationError listing them all, so a technician screen can show and fix them.
func Parse(data []byte) (*Config, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("config: file is %d bytes; the limit is %d", len(data), MaxSize)
	}
	var c Config
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&c)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c.fillDefaults()
	var ps []Problem
	for _, k := range md.Undecoded() {
		ps = append(ps, Problem{Key: k.String(), Message: "unknown setting (misspelled, or from a newer version?)"})
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Key < ps[j].Key })
	if err := c.Validate(); err != nil {
		var ve *ValidationError
		if !errors.As(err, &ve) {
			return &c, err
		}
		ps = append(ps, ve.Problems...)
	}
	if len(ps) > 0 {
		return &c, &ValidationError{Problems: ps}
	}
	return &c, nil
}

// Load reads and validates the configuration file at path (see Parse).
func Load(path string) (*Config, error) {
	data, err := readLimited(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(io.LimitReader(f, MaxSize+1)); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Marshal encodes the configuration as TOML.
func (c *Config) Marshal() ([]byte, error) {
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(c); err != nil {
		return nil, fmt.Errorf("config: encode: %w", err)
	}
	return b.Bytes(), nil
}

// Save validates the configuration and writes it to path atomically: a temporary file in
// the same directory, written, synced, renamed over path, and the directory synced, so a
// power cut leaves either the old file or the new one, never half of one. The file is
// readable by its owner only (it holds the PIN hash). An invalid configuration is not
// written: a wrong setting entered on the technician screen cannot brick the terminal.
func (c *Config) Save(path string) error {
	if err := c.Validate(); err != nil {
		return err
	}
	data, err := c.Marshal()
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("config: save: %w", err)
	}
	return nil
}

// Device returns the configured device with the given name, or nil.
func (c *Config) Device(name string) *Device {
	for i := range c.Devices {
		if c.Devices[i].Name == name {
			return &c.Devices[i]
		}
	}
	return nil
}

// HallName returns the hall's name in lang ("zh" or "en"), falling back to Chinese.
func (c *Config) HallName(lang string) string {
	if lang == "en" && c.Hall.NameEn != "" {
		return c.Hall.NameEn
	}
	return c.Hall.NameZh
}

// QueueKey returns the queue key file for data directory dataDir: QueueKeyFile, else
// credentialsDir/queue.key when credentialsDir (systemd's $CREDENTIALS_DIRECTORY) is
// set, else DefaultQueueKeyFile. fromCredentials says the key came from systemd, which
// hands it over read-only: it is never created there.
func (c *Config) QueueKey(credentialsDir string) (path string, fromCredentials bool) {
	switch {
	case c.QueueKeyFile != "":
		return c.QueueKeyFile, false
	case credentialsDir != "":
		return filepath.Join(credentialsDir, "queue.key"), true
	}
	return DefaultQueueKeyFile, false
}

// ErrKeyInDataDir means the queue key would sit inside the data directory it protects.
var ErrKeyInDataDir = errors.New("config: the queue key is inside the data directory")

// CheckKeyPlacement refuses a key file inside dataDir unless AllowKeyInDataDir is set.
func (c *Config) CheckKeyPlacement(keyFile, dataDir string) error {
	if c.AllowKeyInDataDir || !within(keyFile, dataDir) {
		return nil
	}
	return fmt.Errorf("%w: %s is in %s, so a copy of the directory could decrypt every queued form; "+
		"keep it elsewhere (queue_key_file, default %s) or set allow_key_in_data_dir for a demo", ErrKeyInDataDir, keyFile, dataDir, DefaultQueueKeyFile)
}

// within reports whether path is dir or inside it (lexically, after cleaning).
func within(path, dir string) bool {
	rel, err := filepath.Rel(filepath.Clean(dir), filepath.Clean(path))
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}
