package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestExampleLoads(t *testing.T) {
	c, err := Load("example.toml")
	if err != nil {
		t.Fatalf("example.toml: %v", err)
	}
	if c.TerminalID != "SZ-FT-07" || len(c.Devices) != 5 {
		t.Errorf("terminal %q with %d devices; want SZ-FT-07 with 5", c.TerminalID, len(c.Devices))
	}
	if d := c.Device("a4printer"); d == nil || d.Kind != KindA4Printer || d.Transport != TransportIPP {
		t.Errorf("a4printer device = %+v", d)
	}
	if d := c.Device("idcard"); d == nil || d.Baud != 115200 || d.PollInterval.Duration != 300*time.Millisecond {
		t.Errorf("idcard device = %+v", d)
	}
	if c.Session.IdleTimeout.Duration != 90*time.Second {
		t.Errorf("idle timeout %v", c.Session.IdleTimeout)
	}
}

func TestDefaultValid(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, d := range c.Devices {
		if d.Transport != TransportSim {
			t.Errorf("default device %s uses %s; want simulated", d.Name, d.Transport)
		}
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kiosk.toml")
	want, err := Load("example.toml")
	if err != nil {
		t.Fatal(err)
	}
	want.Hall.NameEn = "Changed"
	if err := want.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip changed the configuration:\n got %+v\nwant %+v", got, want)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v; want 0600 (the file holds the PIN hash)", fi.Mode().Perm())
	}
	// Nothing but the file itself is left behind.
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries after save; want 1", len(ents))
	}
}

func TestSaveRefusesInvalid(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kiosk.toml")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := Default()
	c.Session.IdleTimeout.Duration = time.Second
	if err := c.Save(path); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Save = %v; want ErrInvalid", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("the old file was replaced by an invalid configuration")
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.toml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v; want ErrNotExist", err)
	}
}

// base is a valid configuration the problem cases change one thing of.
const base = `
terminal_id = "T-01"
data_dir = "/var/lib/govkiosk"
[hall]
name_zh = "测试大厅"
[platform]
url = "wss://hub.example.org/kiosk"
`

func TestValidateProblems(t *testing.T) {
	tests := []struct {
		name string
		toml string
		// keys are the problem keys expected, in order.
		keys []string
		// words must appear in the first problem's message.
		words string
	}{
		{"valid", base, nil, ""},
		{"valid: ws:// to loopback", strings.Replace(base, "wss://hub.example.org/kiosk", "ws://127.0.0.1:8470", 1), nil, ""},
		{"valid: ws:// to localhost", strings.Replace(base, "wss://hub.example.org/kiosk", "ws://localhost:8470", 1), nil, ""},
		{"valid: ws:// elsewhere, insecure set", strings.Replace(base, "wss://", "ws://", 1) + "insecure_unencrypted_link = true\n", nil, ""},
		{"valid: queue key apart", strings.Replace(base, "\n[hall]", "\nqueue_key_file = \"/etc/govkiosk/keys/queue.key\"\n[hall]", 1), nil, ""},
		{"valid: key in the data directory, allowed", strings.Replace(base, "\n[hall]",
			"\nqueue_key_file = \"/var/lib/govkiosk/queue.key\"\nallow_key_in_data_dir = true\n[hall]", 1), nil, ""},
		{"valid: a sibling directory is not inside", strings.Replace(base, "\n[hall]", "\nqueue_key_file = \"/var/lib/govkiosk-keys/queue.key\"\n[hall]", 1), nil, ""},
		{"valid: CA and pin", base + "ca_file = \"/etc/govkiosk/ca.pem\"\nhub_cert_pin = \"sha256/" + strings.Repeat("A", 43) + "=\"\n", nil, ""},
		{"unknown key", base + "colour = \"red\"\n", []string{"platform.colour"}, "unknown setting"},
		{"terminal id", strings.Replace(base, `"T-01"`, `"t 1"`, 1), []string{"terminal_id"}, "upper-case"},
		{"relative data dir", strings.Replace(base, `"/var/lib/govkiosk"`, `"data"`, 1), []string{"data_dir"}, "absolute"},
		{"no hall name", strings.Replace(base, `name_zh = "测试大厅"`, ``, 1), []string{"hall.name_zh"}, "missing"},
		{"ftp url", strings.Replace(base, "wss://", "ftp://", 1), []string{"platform.url"}, "wss://"},
		{"url credentials", strings.Replace(base, "wss://", "wss://u:p@", 1), []string{"platform.url"}, "password"},
		{"url port", strings.Replace(base, "example.org/", "example.org:70000/", 1), []string{"platform.url"}, "port"},
		{"ws:// to another machine", strings.Replace(base, "wss://", "ws://", 1), []string{"platform.url"}, "insecure_unencrypted_link"},
		{"http:// to another machine", strings.Replace(base, "wss://", "http://", 1), []string{"platform.url"}, "unencrypted"},
		{"ws:// with a CA file", strings.Replace(base, "wss://hub.example.org/kiosk", "ws://127.0.0.1:8470", 1) + "ca_file = \"/etc/govkiosk/ca.pem\"\n",
			[]string{"platform.url"}, "use wss://"},
		{"ws:// with a pin even when insecure is set", strings.Replace(base, "wss://", "ws://", 1) +
			"insecure_unencrypted_link = true\nhub_cert_pin = \"sha256/" + strings.Repeat("A", 43) + "=\"\n", []string{"platform.url"}, "use wss://"},
		{"relative queue key", strings.Replace(base, "\n[hall]", "\nqueue_key_file = \"queue.key\"\n[hall]", 1), []string{"queue_key_file"}, "absolute"},
		{"queue key inside the data directory", strings.Replace(base, "\n[hall]", "\nqueue_key_file = \"/var/lib/govkiosk/keys/queue.key\"\n[hall]", 1),
			[]string{"queue_key_file"}, "allow_key_in_data_dir"},
		{"relative CA file", base + "ca_file = \"ca.pem\"\n", []string{"platform.ca_file"}, "absolute"},
		{"bad pin", base + "hub_cert_pin = \"sha256/AAAA\"\n", []string{"platform.hub_cert_pin"}, "32 bytes"},
		{"idle too short", base + "[session]\nidle_timeout = \"10s\"\nwarning_time = \"5s\"\n", []string{"session.idle_timeout"}, "30s"},
		{"warning longer than idle", base + "[session]\nidle_timeout = \"40s\"\nwarning_time = \"1m\"\n", []string{"session.warning_time"}, "shorter"},
		{"language", base + "[session]\nlanguage = \"fr\"\n", []string{"session.language"}, "zh or en"},
		{"volume", base + "[accessibility]\nvolume = 5\n", []string{"accessibility.volume"}, "loud"},
		{"quiet volume", base + "[accessibility]\nquiet_volume = -1\n", []string{"accessibility.quiet_volume"}, "silent"},
		{"quiet hours", base + "[accessibility]\nquiet_hours = \"night\"\n", []string{"accessibility.quiet_hours"}, "HH:MM"},
		{"audio output", base + "[accessibility]\naudio_output = \"file:rel\"\n", []string{"accessibility.audio_output"}, "ABSOLUTE"},
		{"log level", strings.Replace(base, "\n[hall]", "\nlog_level = \"loud\"\n[hall]", 1), []string{"log_level"}, "debug"},
		{"pin hash", base + "[technician]\npin_hash = \"1234\"\n", []string{"technician.pin_hash"}, "PIN"},
		{"baud", base + "[[device]]\nname = \"idcard\"\nkind = \"idcard\"\ntransport = \"serial\"\npath = \"/dev/ttyUSB0\"\nbaud = 115201\n",
			[]string{"device[0] (idcard).baud"}, "115200"},
		{"serial path", base + "[[device]]\nname = \"idcard\"\nkind = \"idcard\"\ntransport = \"serial\"\n",
			[]string{"device[0] (idcard).path"}, "/dev/ttyUSB0"},
		{"usb id", base + "[[device]]\nname = \"p\"\nkind = \"printer\"\ntransport = \"usb\"\nusb = \"483:5720\"\n",
			[]string{"device[0] (p).usb"}, "VVVV:PPPP"},
		{"paper width", base + "[[device]]\nname = \"p\"\nkind = \"printer\"\ntransport = \"simulated\"\npaper_width_mm = 76\n",
			[]string{"device[0] (p).paper_width_mm"}, "58 or 80"},
		{"tcp address", base + "[[device]]\nname = \"p\"\nkind = \"printer\"\ntransport = \"tcp\"\naddress = \"printer\"\n",
			[]string{"device[0] (p).address"}, "host:port"},
		{"escl address", base + "[[device]]\nname = \"s\"\nkind = \"docscanner\"\ntransport = \"escl\"\naddress = \"localhost\"\n",
			[]string{"device[0] (s).address"}, "eSCL"},
		{"ipp address", base + "[[device]]\nname = \"a4\"\nkind = \"a4printer\"\ntransport = \"ipp\"\naddress = \"lpd://printer/q\"\n",
			[]string{"device[0] (a4).address"}, "ipp://"},
		{"a4 printer transport", base + "[[device]]\nname = \"a4\"\nkind = \"a4printer\"\ntransport = \"tcp\"\naddress = \"printer:9100\"\n",
			[]string{"device[0] (a4).transport"}, "ipp"},
		{"kind transport", base + "[[device]]\nname = \"s\"\nkind = \"docscanner\"\ntransport = \"serial\"\npath = \"/dev/ttyS0\"\n",
			[]string{"device[0] (s).transport"}, "escl"},
		{"unknown kind", base + "[[device]]\nname = \"x\"\nkind = \"fax\"\ntransport = \"simulated\"\n",
			[]string{"device[0] (x).kind"}, "idcard"},
		{"duplicate names", base + "[[device]]\nname = \"a\"\nkind = \"printer\"\ntransport = \"simulated\"\n[[device]]\nname = \"a\"\nkind = \"barcode\"\ntransport = \"simulated\"\n",
			[]string{"device[1] (a).name"}, "also"},
		{"trigger", base + "[[device]]\nname = \"b\"\nkind = \"barcode\"\ntransport = \"simulated\"\ntrigger = \"1G\"\n",
			[]string{"device[0] (b).trigger"}, "hex"},
		{"poll interval", base + "[[device]]\nname = \"b\"\nkind = \"barcode\"\ntransport = \"simulated\"\npoll_interval = \"1ms\"\n",
			[]string{"device[0] (b).poll_interval"}, "20ms"},
		{"fingerprint on printer", base + "[[device]]\nname = \"p\"\nkind = \"printer\"\ntransport = \"simulated\"\nfingerprint = true\n",
			[]string{"device[0] (p).fingerprint"}, "ID-card"},
		{"valid: update settings", base + "[update]\nchannel = \"pilot\"\nspool_dir = \"/var/lib/govkiosk/update\"\nhub_url = \"https://hub.example.org/kiosk\"\nkey_file = \"/etc/govkiosk/release-key.pub\"\n", nil, ""},
		{"update channel", base + "[update]\nchannel = \"beta\"\n", []string{"update.channel"}, "all or pilot"},
		{"relative update spool", base + "[update]\nspool_dir = \"update\"\n", []string{"update.spool_dir"}, "absolute"},
		{"relative release key", base + "[update]\nkey_file = \"release-key.pub\"\n", []string{"update.key_file"}, "absolute"},
		{"update url scheme", base + "[update]\nhub_url = \"ftp://hub.example.org\"\n", []string{"update.hub_url"}, "https://"},
		{"update url unencrypted", base + "[update]\nhub_url = \"http://hub.example.org\"\n", []string{"update.hub_url"}, "unencrypted"},
		{"update url credentials", base + "[update]\nhub_url = \"https://u:p@hub.example.org\"\n", []string{"update.hub_url"}, "password"},
		{"update url query", base + "[update]\nhub_url = \"https://hub.example.org/?x=1\"\n", []string{"update.hub_url"}, "base address"},
		{"every problem at once", strings.Replace(strings.Replace(base, `"T-01"`, `""`, 1), "wss://", "", 1) + "[session]\nlanguage = \"de\"\n",
			[]string{"terminal_id", "platform.url", "session.language"}, "missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.toml))
			if tt.keys == nil {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Parse = %v; want a *ValidationError", err)
			}
			if c == nil {
				t.Error("no configuration returned with the problems")
			}
			var keys []string
			for _, p := range ve.Problems {
				keys = append(keys, p.Key)
			}
			if !reflect.DeepEqual(keys, tt.keys) {
				t.Fatalf("problem keys %q; want %q\n%v", keys, tt.keys, err)
			}
			if !strings.Contains(ve.Problems[0].Message, tt.words) {
				t.Errorf("message %q does not say %q", ve.Problems[0].Message, tt.words)
			}
		})
	}
}

func TestParseBadTOML(t *testing.T) {
	_, err := Parse([]byte("terminal_id = \n"))
	if err == nil || errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v; want a TOML error", err)
	}
	_, err = Parse([]byte(base + "[session]\nidle_timeout = \"soon\"\n"))
	if err == nil || !strings.Contains(err.Error(), "like 500ms") {
		t.Errorf("bad duration: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	ex, err := os.ReadFile("example.toml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ex)
	f.Add([]byte(base))
	f.Add([]byte("[[device]]\nname = 1\n"))
	f.Add([]byte("[session]\nidle_timeout = \"-1h\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			return
		}
		// What parses and validates must survive a round trip unchanged.
		out, err := c.Marshal()
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		c2, err := Parse(out)
		if err != nil {
			t.Fatalf("re-Parse of marshalled config: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(c, c2) {
			t.Fatalf("round trip changed the configuration\n%s", out)
		}
	})
}

func TestQueueKeyLocation(t *testing.T) {
	c := Default()
	if p, creds := c.QueueKey(""); p != DefaultQueueKeyFile || creds {
		t.Errorf("default: %s %v", p, creds)
	}
	if p, creds := c.QueueKey("/run/credentials/govkiosk.service"); p != "/run/credentials/govkiosk.service/queue.key" || !creds {
		t.Errorf("systemd credentials: %s %v", p, creds)
	}
	c.QueueKeyFile = "/srv/keys/q.key"
	if p, _ := c.QueueKey("/run/credentials/x"); p != "/srv/keys/q.key" {
		t.Errorf("configured: %s", p)
	}
	for _, tc := range []struct {
		key, dir string
		allow    bool
		ok       bool
	}{
		{"/var/lib/govkiosk/keys/queue.key", "/var/lib/govkiosk", false, false},
		{"/var/lib/govkiosk/../govkiosk/queue.key", "/var/lib/govkiosk/", false, false},
		{"/var/lib/govkiosk/keys/queue.key", "/var/lib/govkiosk", true, true},
		{"/etc/govkiosk/queue.key", "/var/lib/govkiosk", false, true},
		{"/var/lib/govkiosk2/queue.key", "/var/lib/govkiosk", false, true},
	} {
		c := Default()
		c.AllowKeyInDataDir = tc.allow
		if err := c.CheckKeyPlacement(tc.key, tc.dir); (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrKeyInDataDir)) {
			t.Errorf("CheckKeyPlacement(%s, %s, allow %v) = %v", tc.key, tc.dir, tc.allow, err)
		}
	}
}

func TestUpdateDefaults(t *testing.T) {
	c := Default()
	c.DataDir = "/srv/kiosk"
	for _, tt := range []struct{ platform, hub, want string }{
		{"wss://hub.example.org/kiosk/", "", "https://hub.example.org/kiosk"},
		{"ws://127.0.0.1:8470", "", "http://127.0.0.1:8470"},
		{"https://hub.example.org", "", "https://hub.example.org"},
		{"wss://hub.example.org", "https://cdn.example.org/govkiosk/", "https://cdn.example.org/govkiosk"},
	} {
		c.Platform.URL, c.Update.HubURL = tt.platform, tt.hub
		if got := c.UpdateHubURL(); got != tt.want {
			t.Errorf("%s, %q: download base %s, want %s", tt.platform, tt.hub, got, tt.want)
		}
	}
	if c.UpdateChannel() != "all" || c.UpdateSpool() != "/srv/kiosk/update" || c.UpdateKeyFile() != DefaultReleaseKeyFile {
		t.Errorf("defaults: %s %s %s", c.UpdateChannel(), c.UpdateSpool(), c.UpdateKeyFile())
	}
}
