package ui

import (
	"github.com/govkiosk/govkiosk/kiosk/speech"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/config"
	"github.com/govkiosk/govkiosk/kiosk/form"
	"github.com/govkiosk/govkiosk/kiosk/session"
)

// Settings are the terminal settings the UI takes without a restart.
type Settings struct {
	// Hall is the hall's name on the start screen and on receipts.
	Hall form.Text
	// IdleTimeout and WarningTime are the resident session's; zero takes the session's
	// defaults.
	IdleTimeout time.Duration
	WarningTime time.Duration
	// VoiceInNormalMode, Volume and Quiet are the spoken guidance's settings; HighContrast
	// draws the screens in the high-contrast palette.
	VoiceInNormalMode bool
	Volume            speech.Step
	Quiet             speech.QuietHours
	HighContrast      bool
}

// SettingsOf picks from a configuration what the UI applies while it runs.
func SettingsOf(c *config.Config) Settings {
	quiet, _ := speech.ParseQuietHours(c.Access.QuietHours, speech.Step(c.Access.QuietVolume)) // validated
	return Settings{
		Hall:        form.Text{Zh: c.Hall.NameZh, En: c.Hall.NameEn},
		IdleTimeout: c.Session.IdleTimeout.Duration,
		WarningTime: c.Session.WarningTime.Duration,

		VoiceInNormalMode: c.Access.VoiceNormalMode,
		Volume:            speech.Step(c.Access.Volume),
		Quiet:             quiet,
		HighContrast:      c.Access.HighContrast,
	}
}

// ApplySettings makes settings take effect at once: the hall's name on the screen shown
// and every receipt printed from now on, the timeouts from the session's next check. The
// technician screens call it after a successful Technician.Apply; the wiring calls it
// when the configuration changes under the kiosk. Call it on the UI goroutine.
func (a *App) ApplySettings(s Settings) {
	a.deps.Hall = s.Hall
	a.deps.Session.IdleTimeout, a.deps.Session.WarningTime = s.IdleTimeout, s.WarningTime
	a.sess.SetTimeouts(s.IdleTimeout, s.WarningTime)
	a.deps.VoiceInNormalMode = s.VoiceInNormalMode
	if a.deps.Voice != nil {
		a.deps.Voice.SetDefaults(s.Volume, s.Quiet)
	}
	a.applyVoice()
	a.theme.SetHighContrast(s.HighContrast)
	a.log.Info("settings applied", "idle_timeout", s.IdleTimeout, "warning_time", s.WarningTime)
	if !a.tech && a.cur != nil && a.curState == session.StateIdle {
		a.rebuild() // the start screen shows the hall's name
	}
}
