package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/govkiosk/govkiosk/kiosk/speech"
	"github.com/govkiosk/govkiosk/ui/locale"
	"github.com/govkiosk/govkiosk/ui/touch"
)

// Voice speaks each screen's instruction; drivers/voice's Guide is the kiosk's. Every
// method returns at once: speech runs on the Guide's own goroutine, never on the UI's.
type Voice interface {
	// Say speaks a prompt, cutting off whatever was being said.
	Say(p speech.Prompt) error
	// SayReceipt speaks the receipt prompt and then the tracking code, slowly.
	SayReceipt(p speech.Prompt, code string) error
	// Repeat says the current prompt again; Stop cuts it off and forgets it.
	Repeat()
	Stop()
	// SetEnabled turns speech on or off.
	SetEnabled(on bool)
	Enabled() bool
	// SetVolume sets the resident's step; NewVisit stops speech and restores the
	// technician's default step.
	SetVolume(s speech.Step)
	Volume() speech.Step
	NewVisit()
	// SetDefaults sets the technician's default step and quiet hours.
	SetDefaults(def speech.Step, q speech.QuietHours)
}

// speakScreen says what a screen or dialog that has just appeared asks the resident to
// do: its own prompt if it chose one, else "voice.<screen name>". A screen without a
// prompt silences the one before it. The receipt screen alone adds the tracking code.
func (a *App) speakScreen(b *screenBase) {
	v := a.deps.Voice
	if v == nil || a.tech {
		return
	}
	a.spoken = b
	id := b.voice
	if id == "" {
		id = speech.Prefix + b.name
	}
	if b.name == "" || !a.tr.Has(a.tr.Language(), id) && !a.tr.Has(locale.Chinese, id) {
		v.Stop()
		return
	}
	a.say(id, b.voiceCode)
}

// say speaks one prompt now (a screen's fault changing while it is shown).
func (a *App) say(id, code string) {
	v := a.deps.Voice
	if v == nil || a.tech {
		return
	}
	p := speech.Prompt{ID: id, Lang: a.tr.Language(), Text: a.T(id)}
	var err error
	if code != "" {
		err = v.SayReceipt(p, code)
	} else {
		err = v.Say(p)
	}
	if err != nil {
		a.log.Warn("prompt not spoken", "prompt", id, "err", err)
	}
}

// speakAgain makes the current screen speak again once it is redrawn (after a change of
// language or mode, where the screen may rebuild itself in place).
func (a *App) speakAgain() { a.spoken = nil }

// applyVoice turns speech on for the visit: always in elder mode, in normal mode only
// where the technician chose so.
func (a *App) applyVoice() {
	if a.deps.Voice == nil {
		return
	}
	a.deps.Voice.SetEnabled(a.theme.Elder() || a.deps.VoiceInNormalMode)
}

// soundControls are the resident's "say it again" and volume buttons, for the top bar of
// every resident screen. Tapping either turns the voice on for the rest of the visit: a
// resident who looks for the loudspeaker button wants to hear.
//
// compact leaves the words out (icons and "2/3" only), for a top bar that must also fit
// a title, back and home on a portrait panel in elder mode.
func (a *App) soundControls(b *screenBase, compact bool) []fyne.CanvasObject {
	v := a.deps.Voice
	if v == nil {
		return nil
	}
	againText := a.T("sound.again")
	if compact {
		againText = ""
	}
	again := touch.NewButton(againText, theme.VolumeUpIcon(), a.act(func() {
		if !v.Enabled() {
			v.SetEnabled(true)
			a.speakAgain()
			if a.cur != nil {
				a.speakScreen(a.cur.base())
			}
			return
		}
		v.Repeat()
	}))
	again.Importance = touch.Quiet
	label := a.volumeLabel
	var icon fyne.Resource
	if compact {
		label = func() string { return fmt.Sprintf("%d/%d", v.Volume(), speech.Loud) }
		icon = theme.VolumeDownIcon()
	}
	var vol *touch.Button
	vol = touch.NewButton(label(), icon, a.act(func() {
		v.SetEnabled(true)
		v.SetVolume(v.Volume()%speech.Loud + 1)
		vol.SetText(label())
		v.Repeat()
	}))
	vol.Importance = touch.Quiet
	return []fyne.CanvasObject{b.add("voice.again", again), b.add("voice.volume", vol)}
}

// volumeLabel shows the volume step as "音量 2/3".
func (a *App) volumeLabel() string {
	return fmt.Sprintf("%s %d/%d", a.T("sound.volume"), a.deps.Voice.Volume(), speech.Loud)
}
