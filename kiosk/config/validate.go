package config

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/access"
	"github.com/govkiosk/govkiosk/kiosk/speech"
)

// ErrInvalid is what a *ValidationError matches with errors.Is.
var ErrInvalid = errors.New("config: invalid")

// Problem is one thing wrong in a configuration: the setting's key as written in the file
// ("session.idle_timeout", "device[1].baud") and what to do about it.
type Problem struct {
	Key     string
	Message string
}

// String joins key and message.
func (p Problem) String() string { return p.Key + ": " + p.Message }

// ValidationError lists every problem of a configuration.
type ValidationError struct {
	Problems []Problem
}

// Error lists every problem, one per line.
func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "config: %d problem(s):", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Reasons are the problems as "key: message" lines, for a report that lists them one by
// one (the sync client's refusal of a pushed configuration).
func (e *ValidationError) Reasons() []string {
	out := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p.String()
	}
	return out
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Ranges of the timed settings.
const (
	MinIdleTimeout  = 30 * time.Second
	MaxIdleTimeout  = 10 * time.Minute
	MinWarningTime  = 5 * time.Second
	MaxWarningTime  = 2 * time.Minute
	MinPollInterval = 20 * time.Millisecond
	MaxPollInterval = time.Minute
)

// BaudRates are the serial speeds devices use.
var BaudRates = []int{1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600}

// transportsOf says which transports each device kind can use. Document scanners on USB
// are reached through eSCL (ipp-usb), so they take escl.
var transportsOf = map[string][]string{
	KindIDCard:     {TransportSerial, TransportUSB, TransportSim},
	KindPrinter:    {TransportSerial, TransportUSB, TransportTCP, TransportSim},
	KindBarcode:    {TransportSerial, TransportUSB, TransportSim},
	KindDocScanner: {TransportESCL, TransportSim},
	// A4 printers speak IPP Everywhere: on the network, or on USB through ipp-usb.
	KindA4Printer: {TransportIPP, TransportSim},
}

var (
	terminalIDRe = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{1,15}$`)
	deviceNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)
	usbRe        = regexp.MustCompile(`^[0-9A-Fa-f]{4}:[0-9A-Fa-f]{4}$`)
	hexRe        = regexp.MustCompile(`^([0-9A-Fa-f]{2})+$`)
)

type problems struct{ ps []Problem }

func (p *problems) add(key, format string, args ...any) {
	p.ps = append(p.ps, Problem{Key: key, Message: fmt.Sprintf(format, args...)})
}

// Validate checks the shapes and ranges of every setting and returns a *ValidationError
// listing each problem with what to write instead, or nil. Whether device paths exist and
// devices answer is checked by the device probes, not here.
func (c *Config) Validate() error {
	p := &problems{}
	switch {
	case c.TerminalID == "":
		p.add("terminal_id", "missing: set the ID the platform knows this terminal by, like \"SZ-FT-07\"")
	case !terminalIDRe.MatchString(c.TerminalID):
		p.add("terminal_id", "%q: use 2 to 16 upper-case letters, digits and -, starting with a letter or digit", c.TerminalID)
	}
	switch {
	case c.DataDir == "":
		p.add("data_dir", "missing: set the directory for the offline queue, like %q", DefaultDataDir)
	case !filepath.IsAbs(c.DataDir):
		p.add("data_dir", "%q: use an absolute path, like %q", c.DataDir, DefaultDataDir)
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.LogLevel) {
		p.add("log_level", "%q: use debug, info, warn or error", c.LogLevel)
	}
	if strings.TrimSpace(c.Hall.NameZh) == "" {
		p.add("hall.name_zh", "missing: residents see the hall's Chinese name on the start screen and receipts")
	}
	c.checkURL(p)
	if k := c.QueueKeyFile; k != "" {
		switch {
		case !filepath.IsAbs(k):
			p.add("queue_key_file", "%q: use an absolute path, like %q", k, DefaultQueueKeyFile)
		case filepath.IsAbs(c.DataDir) && c.CheckKeyPlacement(k, c.DataDir) != nil:
			p.add("queue_key_file", "%q is inside data_dir: a copy of the data directory would decrypt every queued form; "+
				"keep it apart (default %s) or, for a demo only, set allow_key_in_data_dir = true", k, DefaultQueueKeyFile)
		}
	}
	c.checkSession(p)
	c.checkAccess(p)
	c.checkUpdate(p)
	if h := c.Technician.PINHash; h != "" {
		if err := access.CheckHash(h); err != nil {
			p.add("technician.pin_hash", "cannot be read (%v): set the PIN again with the technician tool", err)
		}
	}
	names := map[string]int{}
	for i := range c.Devices {
		c.Devices[i].check(p, fmt.Sprintf("device[%d]", i), names, i)
	}
	if len(p.ps) > 0 {
		return &ValidationError{Problems: p.ps}
	}
	return nil
}

func (c *Config) checkURL(p *problems) {
	const key = "platform.url"
	if c.Platform.URL == "" {
		p.add(key, "missing: set the platform's address, like \"wss://hub.example.gov.cn\"")
		return
	}
	u, err := url.Parse(c.Platform.URL)
	switch {
	case err != nil:
		p.add(key, "%q is not a URL: %v", c.Platform.URL, err)
	case !slices.Contains([]string{"ws", "wss", "http", "https"}, u.Scheme):
		p.add(key, "%q: start it with wss:// (or ws:// on a test network)", c.Platform.URL)
	case u.Host == "" || u.Hostname() == "":
		p.add(key, "%q has no host name", c.Platform.URL)
	case u.User != nil:
		p.add(key, "remove the user name and password from the URL: the terminal proves itself with its enrolled key")
	default:
		if port := u.Port(); port != "" {
			if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
				p.add(key, "port %q: use 1 to 65535", port)
			}
		}
		c.checkLink(p, u)
	}
}

// checkLink keeps residents' data off unencrypted links: ws:// only to this machine
// unless the loudly named insecure option says otherwise, and never together with a CA
// file or pin (which only TLS can honour).
func (c *Config) checkLink(p *problems, u *url.URL) {
	pl := c.Platform
	plain := u.Scheme == "ws" || u.Scheme == "http"
	if pl.CAFile != "" && !filepath.IsAbs(pl.CAFile) {
		p.add("platform.ca_file", "%q: use an absolute path, like \"/etc/govkiosk/platform-ca.pem\"", pl.CAFile)
	}
	if pl.HubCertPin != "" {
		if b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(pl.HubCertPin, "sha256/")); err != nil || len(b) != sha256.Size {
			p.add("platform.hub_cert_pin", "want the base64 SHA-256 (32 bytes) of the hub certificate's public key, like \"sha256/…=\"")
		}
	}
	switch {
	case plain && (pl.CAFile != "" || pl.HubCertPin != ""):
		p.add("platform.url", "%q is unencrypted but ca_file or hub_cert_pin is set: use wss://", c.Platform.URL)
	case plain && !isLoopback(u.Hostname()) && !pl.InsecureUnencryptedLink:
		p.add("platform.url", "%q would send residents' data unencrypted over the network: use wss:// "+
			"(on a closed test network only, set insecure_unencrypted_link = true)", c.Platform.URL)
	}
}

// isLoopback reports whether host is this machine: "localhost" or a loopback address.
func isLoopback(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// checkUpdate checks the [update] table: packages are signed, so a plain download
// would not let anyone slip one in, but it keeps the link rule of platform.url all the
// same (what a terminal fetches, and when, is nobody else's business).
func (c *Config) checkUpdate(p *problems) {
	up := c.Update
	if up.Channel != "" && up.Channel != UpdateChannelAll && up.Channel != UpdateChannelPilot {
		p.add("update.channel", "%q: use all or pilot", up.Channel)
	}
	if up.SpoolDir != "" && !filepath.IsAbs(up.SpoolDir) {
		p.add("update.spool_dir", "%q: use an absolute path, like \"/var/lib/govkiosk/update\" (the directory the install helper watches)", up.SpoolDir)
	}
	if up.KeyFile != "" && !filepath.IsAbs(up.KeyFile) {
		p.add("update.key_file", "%q: use an absolute path, like %q", up.KeyFile, DefaultReleaseKeyFile)
	}
	if up.HubURL == "" {
		return
	}
	const key = "update.hub_url"
	u, err := url.Parse(up.HubURL)
	switch {
	case err != nil:
		p.add(key, "%q is not a URL: %v", up.HubURL, err)
	case u.Scheme != "https" && u.Scheme != "http":
		p.add(key, "%q: start it with https://", up.HubURL)
	case u.Host == "" || u.Hostname() == "":
		p.add(key, "%q has no host name", up.HubURL)
	case u.User != nil:
		p.add(key, "remove the user name and password from the URL")
	case u.RawQuery != "" || u.Fragment != "":
		p.add(key, "%q: a base address, without ? or #", up.HubURL)
	case u.Scheme == "http" && !isLoopback(u.Hostname()) && !c.Platform.InsecureUnencryptedLink:
		p.add(key, "%q is unencrypted: use https:// (on a closed test network only, set platform.insecure_unencrypted_link = true)", up.HubURL)
	default:
		if port := u.Port(); port != "" {
			if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
				p.add(key, "port %q: use 1 to 65535", port)
			}
		}
	}
}

func (c *Config) checkSession(p *problems) {
	idle, warn := c.Session.IdleTimeout.Duration, c.Session.WarningTime.Duration
	if idle < MinIdleTimeout || idle > MaxIdleTimeout {
		p.add("session.idle_timeout", "%v: use %v to %v", idle, MinIdleTimeout, MaxIdleTimeout)
	}
	if warn < MinWarningTime || warn > MaxWarningTime {
		p.add("session.warning_time", "%v: use %v to %v", warn, MinWarningTime, MaxWarningTime)
	} else if warn >= idle {
		p.add("session.warning_time", "%v must be shorter than idle_timeout (%v)", warn, idle)
	}
	if c.Session.Language != "zh" && c.Session.Language != "en" {
		p.add("session.language", "%q: use zh or en", c.Session.Language)
	}
}

func (c *Config) checkAccess(p *problems) {
	a := c.Access
	if a.Volume < 1 || a.Volume > 3 {
		p.add("accessibility.volume", "%d: use 1 (quiet), 2 or 3 (loud)", a.Volume)
	}
	if a.QuietVolume < 0 || a.QuietVolume > 3 {
		p.add("accessibility.quiet_volume", "%d: use 0 (silent) to 3", a.QuietVolume)
	} else if _, err := speech.ParseQuietHours(a.QuietHours, speech.Step(a.QuietVolume)); err != nil {
		p.add("accessibility.quiet_hours", "%q: use HH:MM-HH:MM, e.g. 22:00-07:00", a.QuietHours)
	}
	switch o := a.AudioOutput; {
	case o == "", o == "auto", o == "alsa", o == "null":
	case strings.HasPrefix(o, "file:") && filepath.IsAbs(strings.TrimPrefix(o, "file:")):
	default:
		p.add("accessibility.audio_output", "%q: use auto, alsa, null or file:/ABSOLUTE/DIR", o)
	}
}

func (d *Device) check(p *problems, key string, names map[string]int, i int) {
	label := key
	if d.Name != "" {
		label = fmt.Sprintf("%s (%s)", key, d.Name)
	}
	add := func(field, format string, args ...any) {
		p.add(label+"."+field, format, args...)
	}
	switch {
	case d.Name == "":
		add("name", "missing: name the device, like \"printer\"")
	case !deviceNameRe.MatchString(d.Name):
		add("name", "%q: use lower-case letters, digits, _ and -", d.Name)
	default:
		if j, dup := names[d.Name]; dup {
			add("name", "%q is also the name of device[%d]", d.Name, j)
		}
		names[d.Name] = i
	}
	transports, ok := transportsOf[d.Kind]
	if !ok {
		add("kind", "%q: use idcard, printer, barcode, docscanner or a4printer", d.Kind)
	} else if !slices.Contains(transports, d.Transport) {
		add("transport", "%q does not work for a %s; use one of %s", d.Transport, d.Kind, strings.Join(transports, ", "))
	}
	switch d.Transport {
	case TransportSerial:
		if d.Path == "" {
			add("path", "missing: the serial port, like \"/dev/ttyUSB0\" (better: its /dev/serial/by-id/ name)")
		} else if !filepath.IsAbs(d.Path) {
			add("path", "%q: use the full path, like \"/dev/ttyUSB0\"", d.Path)
		}
		if d.Baud != 0 && !slices.Contains(BaudRates, d.Baud) {
			add("baud", "%d is not a standard rate; use one of %s (the ID-card reader: 115200)", d.Baud, joinInts(BaudRates))
		}
	case TransportUSB:
		switch {
		case d.USB == "":
			add("usb", "missing: the vendor and product ID as VVVV:PPPP in hex, like \"0483:5750\" (see lsusb)")
		case !usbRe.MatchString(d.USB):
			add("usb", "%q: write the vendor and product ID as VVVV:PPPP in hex, like \"0483:5750\"", d.USB)
		case d.USB == "0000:0000":
			add("usb", "0000:0000 is not a device")
		}
		if d.Interface < 0 || d.Interface > 255 {
			add("interface", "%d: use 0 to 255", d.Interface)
		}
	case TransportTCP:
		host, port, ok := splitHostPort(d.Address)
		if !ok || host == "" {
			add("address", "%q: write host:port, like \"192.168.1.50:9100\"", d.Address)
		} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			add("address", "port %q: use 1 to 65535 (printers usually listen on 9100)", port)
		}
	case TransportESCL:
		u, err := url.Parse(d.Address)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("address", "%q: write the scanner's eSCL address, like \"http://localhost:60000/eSCL\"", d.Address)
		}
	case TransportIPP:
		u, err := url.Parse(d.Address)
		if err != nil || !slices.Contains([]string{"ipp", "ipps", "http", "https"}, u.Scheme) || u.Host == "" {
			add("address", "%q: write the printer's IPP address, like \"ipp://192.0.2.7/ipp/print\" (USB through ipp-usb: \"http://localhost:60000/ipp/print\")", d.Address)
		}
	case TransportSim:
	default:
		add("transport", "%q: use serial, usb, tcp, escl, ipp or simulated", d.Transport)
	}
	if pi := d.PollInterval.Duration; pi != 0 && (pi < MinPollInterval || pi > MaxPollInterval) {
		add("poll_interval", "%v: use %v to %v, or leave it out for the driver's default", pi, MinPollInterval, MaxPollInterval)
	}
	if d.Kind == KindPrinter {
		if d.PaperWidthMM != 0 && d.PaperWidthMM != 58 && d.PaperWidthMM != 80 {
			add("paper_width_mm", "%d: use 58 or 80 (measure the paper roll)", d.PaperWidthMM)
		}
	} else if d.PaperWidthMM != 0 {
		add("paper_width_mm", "only printers have a paper width; remove it")
	}
	if d.Trigger != "" {
		if d.Kind != KindBarcode {
			add("trigger", "only barcode scanners take a trigger command; remove it")
		} else if t := strings.ReplaceAll(d.Trigger, " ", ""); !hexRe.MatchString(t) || len(t) > 64 {
			add("trigger", "%q: write the command as hex bytes, like \"16 54 0D\"", d.Trigger)
		}
	}
	if d.Fingerprint && d.Kind != KindIDCard {
		add("fingerprint", "only ID-card readers read fingerprints; remove it")
	}
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

// splitHostPort splits "host:port" or "[v6]:port" the way net.SplitHostPort does, without
// importing package net: the config is checked in the pure core, which opens no sockets.
func splitHostPort(addr string) (host, port string, ok bool) {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return "", "", false
	}
	host, port = addr[:i], addr[i+1:]
	if strings.HasPrefix(host, "[") {
		if !strings.HasSuffix(host, "]") {
			return "", "", false
		}
		host = host[1 : len(host)-1]
		if strings.ContainsAny(host, "[]") {
			return "", "", false
		}
		return host, port, true
	}
	if strings.ContainsAny(host, ":[]") || strings.ContainsAny(port, "[]") {
		return "", "", false // an IPv6 address needs its brackets
	}
	return host, port, true
}
