package main

// kioskctl support-bundle: one archive a technician (or the hub's "collect logs") sends to
// support. What goes in must help find a fault and must never carry a secret or a
// resident's data: configuration is redacted, logs are scrubbed of ID and phone numbers
// on top of the kiosk's own rule of never logging them, and the queue is reported as
// counts only.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/govkiosk/govkiosk/drivers/transport"
	"github.com/govkiosk/govkiosk/internal/atomicfile"
	"github.com/govkiosk/govkiosk/packaging/watchdog"
	"github.com/govkiosk/govkiosk/sync/queue"
)

func init() {
	register(command{
		name:    "support-bundle",
		summary: "collect configuration (secrets removed), versions, devices, queue counts and recent logs into one .tar.gz",
		usage:   "[--config FILE] [--data DIR] [--out FILE.tar.gz] [--since 24h]",
		setup:   setupSupportBundle,
	})
}

// The session's files (packaging/session/kiosk-session) and the installed units.
var (
	supportUnits        = []string{"govkiosk.service", "govkiosk-hub.service"}
	supportDefaultsFile = "/etc/default/govkiosk"
	supportRunHeartbeat = "/run/govkiosk/heartbeat"
)

// maxLogBytes caps each log in the bundle (the newest part is kept).
const maxLogBytes = 8 << 20

func setupSupportBundle(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	cfg := fs.String("config", "/etc/govkiosk/kiosk.toml", "the kiosk's configuration file")
	data := fs.String("data", "/var/lib/govkiosk", "the kiosk's data directory")
	out := fs.String("out", "", "archive to write (default: govkiosk-support-HOST-TIME.tar.gz here)")
	since := fs.Duration("since", 24*time.Hour, "how far back to collect logs")
	return func(ctx context.Context, e *env, args []string) error {
		if len(args) > 0 {
			return usagef("unexpected arguments: %s", strings.Join(args, " "))
		}
		if *since <= 0 {
			return usagef("--since must be positive, e.g. 24h")
		}
		path := *out
		if path == "" {
			host, _ := os.Hostname()
			path = fmt.Sprintf("govkiosk-support-%s-%s.tar.gz", host, time.Now().UTC().Format("20060102T150405Z"))
		}
		b := &bundle{now: time.Now()}
		b.collect(ctx, *cfg, *data, *since)
		if err := b.write(path); err != nil {
			return err
		}
		e.log.Info("support bundle written", "path", path, "files", len(b.files), "problems", len(b.problems))
		// The path comes first, alone on its line, for scripts. A bundle without the
		// configuration or the queue is still written (it may be all there is to send),
		// but whoever sends it must know what it lacks.
		fmt.Fprintln(e.stdout, path)
		if len(b.missing) > 0 {
			fmt.Fprintln(e.stdout, "missing from the bundle (also in its errors.txt):")
			for _, m := range b.missing {
				fmt.Fprintln(e.stdout, "  "+m)
			}
		}
		return nil
	}
}

// bundle is the archive being assembled: named files, and the problems met collecting
// them (a bundle is always written; what could not be collected is said in errors.txt).
type bundle struct {
	now      time.Time
	files    []bundleFile
	problems []string
	// missing are the parts support always needs that could not be collected (the
	// configuration, the queue counts); each is among the problems too.
	missing []string
}

type bundleFile struct {
	name string
	data []byte
}

func (b *bundle) add(name string, data []byte) {
	b.files = append(b.files, bundleFile{name, data})
}

func (b *bundle) problem(format string, a ...any) {
	b.problems = append(b.problems, fmt.Sprintf(format, a...))
}

// lack records a part support always needs as missing, and as a problem.
func (b *bundle) lack(format string, a ...any) {
	b.problem(format, a...)
	b.missing = append(b.missing, fmt.Sprintf(format, a...))
}

// reason says why a file could not be read, short for the common case.
func reason(err error) string {
	if errors.Is(err, os.ErrNotExist) {
		return "not found"
	}
	return err.Error()
}

func (b *bundle) collect(ctx context.Context, cfgPath, data string, since time.Duration) {
	b.add("README.txt", []byte(fmt.Sprintf(`govkiosk support bundle, made %s.
Secrets are removed from the configuration (PIN hash, keys, tokens, enrollment codes,
passwords); ID and phone numbers are masked in the logs; the queue is reported as counts.
Files: config/ versions.txt devices.txt queue.txt session.txt logs/ errors.txt
`, b.now.UTC().Format(time.RFC3339))))

	if raw, err := os.ReadFile(cfgPath); err != nil {
		b.lack("configuration %s: %s", cfgPath, reason(err))
	} else {
		b.add("config/"+filepath.Base(cfgPath), redactConfig(raw))
	}
	if raw, err := os.ReadFile(supportDefaultsFile); err == nil {
		b.add("config/default-govkiosk", redactLines(raw))
	}
	b.add("versions.txt", b.versions(ctx))
	b.add("devices.txt", b.devices())
	b.add("queue.txt", b.queueStats(data))
	b.add("session.txt", b.session(ctx, data))
	b.logs(ctx, data, since)
	if len(b.problems) > 0 {
		b.add("errors.txt", []byte(strings.Join(b.problems, "\n")+"\n"))
	}
}

// command runs a program for the bundle with a time limit; a missing program is not a
// problem worth reporting (many machines lack journalctl or dpkg-query).
func (b *bundle) command(ctx context.Context, name string, args ...string) ([]byte, bool) {
	if _, err := exec.LookPath(name); err != nil {
		return nil, false
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).Output()
	if err != nil {
		b.problem("%s %s: %v", name, strings.Join(args, " "), err)
		return out, len(out) > 0
	}
	return out, true
}

func (b *bundle) versions(ctx context.Context) []byte {
	var w bytes.Buffer
	if bi, ok := debug.ReadBuildInfo(); ok {
		fmt.Fprintf(&w, "kioskctl: %s %s", bi.Main.Version, bi.GoVersion)
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" || s.Key == "vcs.time" || s.Key == "vcs.modified" {
				fmt.Fprintf(&w, " %s=%s", s.Key, s.Value)
			}
		}
		fmt.Fprintln(&w)
	}
	if out, ok := b.command(ctx, "dpkg-query", "-W", "-f", "${Package} ${Version} ${Status}\n", "govkiosk", "govkiosk-hub"); ok {
		w.Write(out)
	}
	if k, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		fmt.Fprintf(&w, "kernel: %s", k)
	}
	if osr, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, l := range strings.Split(string(osr), "\n") {
			if strings.HasPrefix(l, "PRETTY_NAME=") {
				fmt.Fprintf(&w, "os: %s\n", strings.Trim(strings.TrimPrefix(l, "PRETTY_NAME="), `"`))
			}
		}
	}
	return w.Bytes()
}

func (b *bundle) devices() []byte {
	var w bytes.Buffer
	fmt.Fprintln(&w, "serial ports:")
	var ports []string
	for _, pat := range []string{"/dev/ttyUSB*", "/dev/ttyACM*", "/dev/govkiosk-*", "/dev/serial/by-id/*", "/dev/serial/by-path/*"} {
		m, _ := filepath.Glob(pat)
		ports = append(ports, m...)
	}
	// ttyS ports exist whether or not a UART is behind them; list those the firmware
	// announced (their device is not the legacy serial8250 placeholder).
	ttyS, _ := filepath.Glob("/sys/class/tty/ttyS*")
	for _, p := range ttyS {
		if dev, err := os.Readlink(filepath.Join(p, "device")); err == nil && filepath.Base(dev) != "serial8250" {
			ports = append(ports, "/dev/"+filepath.Base(p))
		}
	}
	sort.Strings(ports)
	for _, p := range ports {
		if target, err := filepath.EvalSymlinks(p); err == nil && target != p {
			fmt.Fprintf(&w, "  %s -> %s\n", p, target)
		} else {
			fmt.Fprintf(&w, "  %s\n", p)
		}
	}
	if len(ports) == 0 {
		fmt.Fprintln(&w, "  none")
	}
	fmt.Fprintln(&w, "USB devices:")
	devs, err := transport.ListUSB()
	switch {
	case err != nil:
		fmt.Fprintf(&w, "  no USB: %v\n", err)
	case len(devs) == 0:
		fmt.Fprintln(&w, "  none")
	}
	for _, d := range devs {
		fmt.Fprintf(&w, "  %s bus %d address %d class %d interface classes %v\n", d.ID, d.Bus, d.Address, d.Class, d.Classes)
	}
	return w.Bytes()
}

// queueStats reports the counts of every queue database under data. A running kiosk
// holds its queue locked; then a copy of the file is read instead.
func (b *bundle) queueStats(data string) []byte {
	var w bytes.Buffer
	dbs, _ := filepath.Glob(filepath.Join(data, "queue.db"))
	more, _ := filepath.Glob(filepath.Join(data, "*", "queue.db"))
	dbs = append(dbs, more...)
	if len(dbs) == 0 {
		why := "no queue database there"
		if _, err := os.Stat(data); err != nil {
			why = "the data directory: " + reason(err)
		}
		fmt.Fprintf(&w, "no queue database under %s\n", data)
		b.lack("queue counts under %s: %s", data, why)
		return w.Bytes()
	}
	for _, db := range dbs {
		dir := filepath.Dir(db)
		fmt.Fprintf(&w, "%s:\n", dir)
		if st, err := os.Stat(db); err == nil {
			fmt.Fprintf(&w, "  file size: %d bytes\n", st.Size())
		}
		stats, how, err := readQueueStats(dir)
		if err != nil {
			fmt.Fprintf(&w, "  counts unavailable: %v\n", err)
			b.lack("queue counts of %s: %v", dir, err)
			continue
		}
		fmt.Fprintf(&w, "  read from: %s\n  queued %d, sending %d, delivered %d, failed %d, attachment bytes %d\n",
			how, stats.Queued, stats.Sending, stats.Delivered, stats.Failed, stats.Bytes)
		if stats.Held > 0 {
			fmt.Fprintf(&w, "  held for an operator (conflict at the hub): %d\n", stats.Held)
		}
		if !stats.OldestQueued.IsZero() {
			fmt.Fprintf(&w, "  oldest waiting since %s\n", stats.OldestQueued.UTC().Format(time.RFC3339))
		}
	}
	return w.Bytes()
}

func readQueueStats(dir string) (queue.Stats, string, error) {
	q, how, cleanup, err := openQueueCopyIfLocked(dir, nil)
	if err != nil {
		return queue.Stats{}, "", err
	}
	defer cleanup()
	defer q.Close()
	if how == "" {
		how = "the database"
	}
	st, err := q.Stats()
	return st, how, err
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func (b *bundle) session(ctx context.Context, data string) []byte {
	var w bytes.Buffer
	for _, hb := range []string{supportRunHeartbeat, filepath.Join(data, "heartbeat")} {
		if h, err := watchdog.ReadHeartbeat(hb); err == nil {
			fmt.Fprintf(&w, "heartbeat %s: pid %d, %s, %q, last beat %s ago\n", hb, h.PID, h.State, h.Status, h.Age(b.now).Round(time.Second))
		}
	}
	if out, ok := b.command(ctx, "systemctl", append([]string{"show", "--no-pager",
		"-p", "Id,ActiveState,SubState,Result,NRestarts,ExecMainStatus,ActiveEnterTimestamp,StatusText"}, supportUnits...)...); ok {
		w.Write(out)
	}
	crashes, _ := os.ReadFile(filepath.Join(data, "session", "crashes"))
	fmt.Fprintf(&w, "crashes recorded (seconds since 1970): %s\n", strings.Join(strings.Fields(string(crashes)), " "))
	if _, err := os.Stat(filepath.Join(data, "session", "force-safe-mode")); err == nil {
		fmt.Fprintln(&w, "safe mode requested by a technician for the next start")
	}
	if hist, err := os.ReadFile(filepath.Join(data, "session", "history")); err == nil {
		fmt.Fprintf(&w, "session history:\n%s", hist)
	}
	return w.Bytes()
}

// logs adds the journal of the units since then, and any log files in the data
// directory (the kiosk run by hand writes there), all scrubbed.
func (b *bundle) logs(ctx context.Context, data string, since time.Duration) {
	from := b.now.Add(-since).Format("2006-01-02 15:04:05")
	args := []string{"--no-pager", "-o", "short-iso", "--since", from}
	for _, u := range supportUnits {
		args = append(args, "-u", u)
	}
	if out, ok := b.command(ctx, "journalctl", args...); ok {
		b.add("logs/journal.txt", scrubPersonal(tail(out, maxLogBytes)))
	}
	var files []string
	for _, pat := range []string{"*.log", "logs/*.log", "logs/*.txt"} {
		m, _ := filepath.Glob(filepath.Join(data, pat))
		files = append(files, m...)
	}
	for _, f := range files {
		raw, err := readTail(f, maxLogBytes)
		if err != nil {
			b.problem("log %s: %v", f, err)
			continue
		}
		b.add("logs/"+strings.ReplaceAll(strings.TrimPrefix(f, data+"/"), "/", "_"), scrubPersonal(raw))
	}
}

func tail(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	return b[len(b)-n:]
}

func readTail(path string, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > n {
		if _, err := f.Seek(st.Size()-n, io.SeekStart); err != nil {
			return nil, err
		}
	}
	return io.ReadAll(io.LimitReader(f, n))
}

// write stores the bundle as a gzipped tar, readable by its owner only, replacing path
// only once complete.
func (b *bundle) write(path string) error {
	err := atomicfile.Write(path, 0o600, func(w io.Writer) error {
		zw := gzip.NewWriter(w)
		tw := tar.NewWriter(zw)
		for _, f := range b.files {
			hdr := &tar.Header{Name: "govkiosk-support/" + f.name, Mode: 0o600, Size: int64(len(f.data)), ModTime: b.now, Typeflag: tar.TypeReg}
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			if _, err := tw.Write(f.data); err != nil {
				return err
			}
		}
		return errors.Join(tw.Close(), zw.Close())
	})
	if err != nil {
		return fmt.Errorf("support bundle: %w", err)
	}
	return nil
}

const redacted = "<redacted>"

// secretWords are key-name parts that mark a secret (split at _ - .).
var secretWords = map[string]bool{
	"pin": true, "hash": true, "secret": true, "secrets": true, "token": true, "tokens": true,
	"password": true, "passwd": true, "passphrase": true, "key": true, "keys": true,
	"privkey": true, "private": true, "credential": true, "credentials": true, "cookie": true,
	"otp": true, "salt": true, "signature": true, "auth": true, "seed": true,
}

// secretKey tells whether a configuration key names a secret. It errs on the side of
// removing: a redacted harmless value costs support little; a leaked key costs a lot.
func secretKey(k string) bool {
	k = strings.ToLower(k)
	for _, p := range strings.FieldsFunc(k, func(r rune) bool { return r == '_' || r == '-' || r == '.' }) {
		if secretWords[p] {
			return true
		}
	}
	if strings.Contains(k, "enrol") && strings.Contains(k, "code") {
		return true
	}
	for _, s := range []string{"secret", "password", "token", "apikey", "privatekey"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

var opaqueValue = regexp.MustCompile(`^[A-Za-z0-9+/=_-]{32,}$`)

// redactValue hides secret-looking values under any key: key material, PEM blocks,
// passwords in URLs and secret query parameters.
func redactValue(s string) string {
	if strings.Contains(s, "-----BEGIN") || opaqueValue.MatchString(s) {
		return redacted
	}
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.Host != "" {
		changed := false
		if u.User != nil {
			u.User = url.User(redacted)
			changed = true
		}
		q := u.Query()
		for k := range q {
			if secretKey(k) || strings.EqualFold(k, "code") {
				q.Set(k, redacted)
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return s
}

func redactTree(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			if secretKey(k) {
				t[k] = redacted
			} else {
				t[k] = redactTree(val)
			}
		}
		return t
	case []map[string]any:
		for i := range t {
			t[i] = redactTree(t[i]).(map[string]any)
		}
		return t
	case []any:
		for i := range t {
			t[i] = redactTree(t[i])
		}
		return t
	case string:
		return redactValue(t)
	}
	return v
}

// redactConfig returns the TOML configuration without its secrets. A file that does not
// parse (which is often why support is called) is redacted line by line instead.
func redactConfig(raw []byte) []byte {
	var tree map[string]any
	if err := toml.Unmarshal(raw, &tree); err != nil {
		return append([]byte(fmt.Sprintf("# not valid TOML (%s); redacted line by line\n", oneLine(err))), redactLines(raw)...)
	}
	var w bytes.Buffer
	w.WriteString("# redacted copy: secrets replaced by " + redacted + ", comments dropped\n")
	if err := toml.NewEncoder(&w).Encode(redactTree(tree)); err != nil {
		return append([]byte(fmt.Sprintf("# could not re-encode (%s); redacted line by line\n", oneLine(err))), redactLines(raw)...)
	}
	return w.Bytes()
}

var assignment = regexp.MustCompile(`^(\s*)([A-Za-z0-9_.\-"']+)(\s*=\s*)(.*)$`)

// redactLines redacts "key = value" lines (TOML and shell alike) and drops multi-line
// strings, whose content it cannot judge.
func redactLines(raw []byte) []byte {
	var w bytes.Buffer
	inMulti := ""
	for _, line := range strings.Split(string(raw), "\n") {
		if inMulti != "" {
			if strings.Contains(line, inMulti) {
				inMulti = ""
			}
			continue
		}
		m := assignment.FindStringSubmatch(line)
		if m == nil {
			w.WriteString(line + "\n")
			continue
		}
		key, val := strings.Trim(m[2], `"'`), strings.TrimSpace(m[4])
		for _, q := range []string{`"""`, `'''`} {
			if strings.HasPrefix(val, q) && strings.Count(val, q) == 1 {
				inMulti = q
			}
		}
		switch {
		case inMulti != "" || secretKey(key):
			fmt.Fprintf(&w, "%s%s%s\"%s\"\n", m[1], m[2], m[3], redacted)
		default:
			unq := strings.Trim(val, `"'`)
			if r := redactValue(unq); r != unq {
				fmt.Fprintf(&w, "%s%s%s\"%s\"\n", m[1], m[2], m[3], r)
			} else {
				w.WriteString(line + "\n")
			}
		}
	}
	return bytes.TrimSuffix(w.Bytes(), []byte("\n"))
}

var (
	idNumber    = regexp.MustCompile(`\b(\d{4})\d{10}(\d{3}[\dXx])\b`)
	oldIDNumber = regexp.MustCompile(`\b(\d{4})\d{8}(\d{3})\b`)
	mobile      = regexp.MustCompile(`\b(1[3-9]\d)\d{4}(\d{4})\b`)
)

// scrubPersonal masks resident ID numbers (18 and 15 digits) and mobile numbers in log
// text, as the house style masks them: 1501**********123X, 138****1234. The kiosk never
// logs them; this guards against a line that slipped through.
func scrubPersonal(b []byte) []byte {
	b = idNumber.ReplaceAll(b, []byte("$1**********$2"))
	b = oldIDNumber.ReplaceAll(b, []byte("$1********$2"))
	return mobile.ReplaceAll(b, []byte("$1****$2"))
}
