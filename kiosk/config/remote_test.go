package config

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestRemoteOver: a push sets what it names and nothing else; the file gives the rest;
// a push that is not right is refused with every reason and the file's configuration
// is left as it was.
func TestRemoteOver(t *testing.T) {
	base := Default()
	base.Hall.NameEn = "File Hall"
	tests := []struct {
		name     string
		push     string
		keys     []string
		check    func(t *testing.T, c *Config)
		problems []string // substrings of the refusal, each must appear
	}{
		{name: "empty push keeps the file", push: `{}`, check: func(t *testing.T, c *Config) {
			if c.Hall.NameEn != "File Hall" || c.Session.IdleTimeout.Duration != DefaultIdleTimeout {
				t.Errorf("changed: %+v %+v", c.Hall, c.Session)
			}
		}},
		{name: "hall timeouts voice", push: `{"hall":{"name_zh":"测试大厅"},"session":{"idle_timeout":"2m","warning_time":"30s"},
			"accessibility":{"voice_normal_mode":true,"volume":3,"quiet_hours":"22:00-07:00","quiet_volume":1}}`,
			keys: []string{"hall.name_zh", "session.idle_timeout", "session.warning_time", "accessibility.voice_normal_mode",
				"accessibility.volume", "accessibility.quiet_hours", "accessibility.quiet_volume"},
			check: func(t *testing.T, c *Config) {
				if c.Hall.NameZh != "测试大厅" || c.Hall.NameEn != "File Hall" {
					t.Errorf("hall %+v: the push's zh name over the file's en name", c.Hall)
				}
				if c.Session.IdleTimeout.Duration != 2*time.Minute || c.Session.WarningTime.Duration != 30*time.Second {
					t.Errorf("session %+v", c.Session)
				}
				if !c.Access.VoiceNormalMode || c.Access.Volume != 3 || c.Access.QuietHours != "22:00-07:00" {
					t.Errorf("access %+v", c.Access)
				}
			}},
		{name: "devices replace the list", push: `{"devices":[{"name":"printer","kind":"printer","transport":"tcp","address":"192.0.2.10:9100","paper_width_mm":58}]}`,
			keys: []string{"device"},
			check: func(t *testing.T, c *Config) {
				if len(c.Devices) != 1 || c.Devices[0].Address != "192.0.2.10:9100" || c.Devices[0].PaperWidthMM != 58 {
					t.Errorf("devices %+v", c.Devices)
				}
			}},
		{name: "out of range", push: `{"session":{"idle_timeout":"5s","warning_time":"10m"},"accessibility":{"volume":9}}`,
			problems: []string{"session.idle_timeout", "session.warning_time", "accessibility.volume"}},
		{name: "a bad device", push: `{"devices":[{"name":"printer","kind":"printer","transport":"serial","baud":12345}]}`,
			problems: []string{"device[0]"}},
		{name: "the platform address is the file's", push: `{"platform":{"url":"ws://203.0.113.5:8470"}}`,
			problems: []string{"unknown field \"platform\""}},
		{name: "the PIN is the file's", push: `{"technician":{"pin_hash":"x"}}`, problems: []string{"technician"}},
		{name: "misspelled", push: `{"session":{"idle_timout":"60s"}}`, problems: []string{"idle_timout"}},
		{name: "not a duration", push: `{"session":{"idle_timeout":"soon"}}`, problems: []string{"duration"}},
		{name: "not JSON", push: `hall = "x"`, problems: []string{"(push)"}},
		{name: "two objects", push: `{} {}`, problems: []string{"trailing"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := *base
			r, err := ParseRemote([]byte(tc.push))
			var c *Config
			var keys []string
			if err == nil {
				c, keys, err = r.Over(base)
			}
			if base.Hall != before.Hall || base.Session != before.Session || !slices.Equal(base.Devices, before.Devices) {
				t.Fatal("the file's configuration changed")
			}
			if tc.problems != nil {
				var ve *ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("refusal %v, want a *ValidationError", err)
				}
				for _, p := range tc.problems {
					if !strings.Contains(err.Error(), p) {
						t.Errorf("refusal %q does not name %q", err, p)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(keys, tc.keys) {
				t.Errorf("keys %q, want %q", keys, tc.keys)
			}
			tc.check(t, c)
		})
	}
}

// FuzzParseRemote: whatever the platform sends, reading it never panics, and anything
// accepted yields a valid configuration or a *ValidationError.
func FuzzParseRemote(f *testing.F) {
	f.Add([]byte(`{"hall":{"name_zh":"大厅"},"session":{"idle_timeout":"60s"}}`))
	f.Add([]byte(`{"devices":[{"name":"p","kind":"printer","transport":"sim"}]}`))
	f.Add([]byte(`{"accessibility":{"quiet_hours":"25:00-26:00"}}`))
	f.Add([]byte(`[]`))
	base := Default()
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRemote(b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("refusal %v is not a validation error", err)
			}
			return
		}
		c, _, err := r.Over(base)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("refusal %v is not a validation error", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted an invalid configuration: %v", err)
		}
	})
}
