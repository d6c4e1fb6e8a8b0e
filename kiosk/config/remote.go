package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Remote is the terminal configuration the platform pushes (JSON). It holds only what a
// hall manager may change from a desk: the hall's name, the session's timeouts and
// language, the spoken guidance and display, and the devices. What belongs to the
// machine (terminal id, data directory, platform address, keys, technician PIN) comes
// from the terminal's own file alone: a push naming it is refused.
//
// Precedence: every setting the push sets wins over the terminal's file; every setting
// it leaves out comes from the file. A setting left out means "the file's", so a push of
// {} hands everything back to the technician's file.
type Remote struct {
	Hall    *RemoteHall    `json:"hall,omitempty"`
	Session *RemoteSession `json:"session,omitempty"`
	Access  *RemoteAccess  `json:"accessibility,omitempty"`
	// Devices, when present, replace the file's whole device list. Devices are opened
	// at start, so they take effect at the next restart between visits.
	Devices []Device `json:"devices,omitempty"`
}

// RemoteHall is the hall's name.
type RemoteHall struct {
	NameZh *string `json:"name_zh,omitempty"`
	NameEn *string `json:"name_en,omitempty"`
}

// RemoteSession is the resident session's settings.
type RemoteSession struct {
	IdleTimeout *Duration `json:"idle_timeout,omitempty"`
	WarningTime *Duration `json:"warning_time,omitempty"`
	Language    *string   `json:"language,omitempty"`
	ElderMode   *bool     `json:"elder_mode,omitempty"`
}

// RemoteAccess is the spoken guidance and display.
type RemoteAccess struct {
	VoiceNormalMode *bool   `json:"voice_normal_mode,omitempty"`
	Volume          *int    `json:"volume,omitempty"`
	QuietHours      *string `json:"quiet_hours,omitempty"`
	QuietVolume     *int    `json:"quiet_volume,omitempty"`
	HighContrast    *bool   `json:"high_contrast,omitempty"`
}

// MaxRemoteSize is the largest pushed configuration read, in bytes.
const MaxRemoteSize = 64 << 10

// ParseRemote reads a pushed configuration strictly: a setting it does not know (a
// misspelling, or one the platform may not set) is a problem, reported as a
// *ValidationError, never silently ignored.
func ParseRemote(payload []byte) (*Remote, error) {
	if len(payload) > MaxRemoteSize {
		return nil, &ValidationError{Problems: []Problem{{Key: "(push)", Message: fmt.Sprintf("%d bytes; the limit is %d", len(payload), MaxRemoteSize)}}}
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	var r Remote
	if err := dec.Decode(&r); err != nil {
		return nil, &ValidationError{Problems: []Problem{{Key: "(push)", Message: "not a terminal configuration the platform may push: " + err.Error()}}}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &ValidationError{Problems: []Problem{{Key: "(push)", Message: "trailing data after the configuration"}}}
	}
	return &r, nil
}

// Over returns the configuration c with r's settings over it and the keys r set, as the
// file writes them ("session.idle_timeout", "device"). The result is validated as a
// whole: a push that would make the terminal's configuration invalid returns a
// *ValidationError and c is not changed.
func (r *Remote) Over(c *Config) (*Config, []string, error) {
	out := *c
	out.Devices = slices.Clone(c.Devices)
	var keys []string
	set := func(key string, dst, src any) {
		switch d := dst.(type) {
		case *string:
			if s := src.(*string); s != nil {
				*d = *s
				keys = append(keys, key)
			}
		case *bool:
			if s := src.(*bool); s != nil {
				*d = *s
				keys = append(keys, key)
			}
		case *int:
			if s := src.(*int); s != nil {
				*d = *s
				keys = append(keys, key)
			}
		case *Duration:
			if s := src.(*Duration); s != nil {
				*d = *s
				keys = append(keys, key)
			}
		}
	}
	if h := r.Hall; h != nil {
		set("hall.name_zh", &out.Hall.NameZh, h.NameZh)
		set("hall.name_en", &out.Hall.NameEn, h.NameEn)
	}
	if s := r.Session; s != nil {
		set("session.idle_timeout", &out.Session.IdleTimeout, s.IdleTimeout)
		set("session.warning_time", &out.Session.WarningTime, s.WarningTime)
		set("session.language", &out.Session.Language, s.Language)
		set("session.elder_mode", &out.Session.ElderMode, s.ElderMode)
	}
	if a := r.Access; a != nil {
		set("accessibility.voice_normal_mode", &out.Access.VoiceNormalMode, a.VoiceNormalMode)
		set("accessibility.volume", &out.Access.Volume, a.Volume)
		set("accessibility.quiet_hours", &out.Access.QuietHours, a.QuietHours)
		set("accessibility.quiet_volume", &out.Access.QuietVolume, a.QuietVolume)
		set("accessibility.high_contrast", &out.Access.HighContrast, a.HighContrast)
	}
	if r.Devices != nil {
		out.Devices = slices.Clone(r.Devices)
		keys = append(keys, "device")
	}
	if err := out.Validate(); err != nil {
		return nil, nil, err
	}
	return &out, keys, nil
}
