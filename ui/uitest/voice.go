package uitest

import (
	"sync"

	"github.com/govkiosk/govkiosk/kiosk/speech"
)

// Said is one prompt the fake voice was asked to speak while enabled.
type Said struct {
	ID, Lang, Text string
	// Code is the tracking code spelled after the prompt (receipt screen only).
	Code string
}

// Voice is a fake ui.Voice that records what it was asked to say while enabled.
type Voice struct {
	mu      sync.Mutex
	enabled bool
	volume  speech.Step
	def     speech.Step
	quiet   speech.QuietHours
	said    []Said
	stops   int
}

// NewVoice starts disabled at the medium step, like the Guide.
func NewVoice() *Voice { return &Voice{volume: speech.Medium, def: speech.Medium} }

func (v *Voice) add(s Said) error {
	if err := speech.Check(s.Text); err != nil {
		return err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.enabled {
		v.said = append(v.said, s)
	}
	return nil
}

// Say implements ui.Voice.
func (v *Voice) Say(p speech.Prompt) error { return v.add(Said{ID: p.ID, Lang: p.Lang, Text: p.Text}) }

// SayReceipt implements ui.Voice.
func (v *Voice) SayReceipt(p speech.Prompt, code string) error {
	return v.add(Said{ID: p.ID, Lang: p.Lang, Text: p.Text, Code: code})
}

// Repeat implements ui.Voice: it records the last prompt again.
func (v *Voice) Repeat() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.enabled && len(v.said) > 0 {
		v.said = append(v.said, v.said[len(v.said)-1])
	}
}

// Stop implements ui.Voice.
func (v *Voice) Stop() { v.mu.Lock(); v.stops++; v.mu.Unlock() }

// SetEnabled implements ui.Voice.
func (v *Voice) SetEnabled(on bool) { v.mu.Lock(); v.enabled = on; v.mu.Unlock() }

// Enabled implements ui.Voice.
func (v *Voice) Enabled() bool { v.mu.Lock(); defer v.mu.Unlock(); return v.enabled }

// SetVolume implements ui.Voice.
func (v *Voice) SetVolume(s speech.Step) { v.mu.Lock(); v.volume = s.Clamp(); v.mu.Unlock() }

// Volume implements ui.Voice.
func (v *Voice) Volume() speech.Step { v.mu.Lock(); defer v.mu.Unlock(); return v.volume }

// NewVisit implements ui.Voice.
func (v *Voice) NewVisit() { v.mu.Lock(); v.volume = v.def; v.stops++; v.mu.Unlock() }

// Said returns everything said so far.
func (v *Voice) Said() []Said {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]Said(nil), v.said...)
}

// IDs returns the ids of everything said so far, in order.
func (v *Voice) IDs() []string {
	var out []string
	for _, s := range v.Said() {
		out = append(out, s.ID)
	}
	return out
}

// SetDefaults implements ui.Voice.
func (v *Voice) SetDefaults(def speech.Step, q speech.QuietHours) {
	v.mu.Lock()
	v.def, v.quiet = def.Clamp(), q
	v.volume = v.def
	v.mu.Unlock()
}

// Defaults returns what the technician set.
func (v *Voice) Defaults() (speech.Step, speech.QuietHours) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.def, v.quiet
}
