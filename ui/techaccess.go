package ui

import (
	"fmt"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"

	"github.com/govkiosk/govkiosk/kiosk/speech"
	"github.com/govkiosk/govkiosk/ui/touch"
)

// quietPresets are the quiet hours a technician picks from: picking cannot be mistyped,
// and these cover the halls' opening patterns (night for 24-hour terminals, a lunch break).
var quietPresets = []string{"", "22:00-07:00", "21:00-08:00", "20:00-08:00", "12:00-14:00"}

// accessSettings is the technician's section for the spoken guidance and the display:
// voice outside elder mode, the default volume, quiet hours and their volume, high
// contrast, and a test of the speaker.
func (s *techScreen) accessSettings() []fyne.CanvasObject {
	a := s.a
	c := &s.cfg.Access
	onOff := func(on bool) string {
		if on {
			return a.T("tech.on")
		}
		return a.T("tech.off")
	}
	row := func(label string, b fyne.CanvasObject) fyne.CanvasObject {
		return container.NewBorder(nil, nil, nil, b, a.para(label))
	}
	var voice, vol, quiet, qvol, hc *touch.Button
	voice = s.button("tech.voice.normal", onOff(c.VoiceNormalMode), func() {
		c.VoiceNormalMode = !c.VoiceNormalMode
		voice.SetText(onOff(c.VoiceNormalMode))
	})
	vol = s.button("tech.voice.volume", fmt.Sprintf("%d/3", c.Volume), func() {
		c.Volume = c.Volume%3 + 1
		vol.SetText(fmt.Sprintf("%d/3", c.Volume))
	})
	quietText := func() string {
		if c.QuietHours == "" {
			return a.T("tech.voice.quiet.none")
		}
		return c.QuietHours
	}
	quiet = s.button("tech.voice.quiet", quietText(), func() {
		i := slices.Index(quietPresets, c.QuietHours)
		c.QuietHours = quietPresets[(i+1)%len(quietPresets)]
		quiet.SetText(quietText())
	})
	qvol = s.button("tech.voice.quiet_volume", fmt.Sprintf("%d/3", c.QuietVolume), func() {
		c.QuietVolume = (c.QuietVolume + 1) % 4
		qvol.SetText(fmt.Sprintf("%d/3", c.QuietVolume))
	})
	hc = s.button("tech.high_contrast", onOff(c.HighContrast), func() {
		c.HighContrast = !c.HighContrast
		hc.SetText(onOff(c.HighContrast))
	})
	objs := []fyne.CanvasObject{
		row(a.T("tech.voice.normal"), voice),
		row(a.T("tech.voice.volume"), vol),
		row(a.T("tech.voice.quiet"), quiet),
		row(a.T("tech.voice.quiet_volume"), qvol),
		row(a.T("tech.high_contrast"), hc),
	}
	if a.deps.Voice != nil {
		objs = append(objs, s.button("tech.voice.test", a.T("tech.voice.test"), func() {
			// On until the settings close, when the visit's setting applies again.
			v := a.deps.Voice
			v.SetEnabled(true)
			v.SetVolume(speech.Step(c.Volume))
			_ = v.Say(speech.Prompt{ID: "voice.home", Lang: a.tr.Language(), Text: a.T("voice.home")})
		}))
	}
	return append(objs, s.button("tech.save", a.T("tech.save"), s.save))
}
