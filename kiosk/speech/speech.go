// Package speech is the policy of the kiosk's spoken guidance, as data and pure checks:
// what a prompt is, which text may be spoken at all, the resident's volume steps and the
// technician's quiet hours. The UI decides what to say from it; drivers/voice says it.
//
// Privacy is the point of the package: a prompt is a fixed instruction from the
// translations, named by id; text with a run of digits (an ID, phone or card number) or
// an unfilled template field is refused, so no name or ID number can be spoken. The
// tracking code is the one datum ever spoken, and only on the resident's own receipt
// screen (see drivers/voice Guide.SayReceipt).
package speech

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// Prefix starts every spoken prompt's translation key: "voice.identify" is what the
// identify screen says.
const Prefix = "voice."

// Prompt is one screen's instruction.
type Prompt struct {
	// ID names the prompt ("voice.identify"): what logs, recordings and tests see.
	ID string
	// Lang is the visit's language, as the translator names it ("zh-CN", "en").
	Lang string
	// Text is what is said: a fixed instruction from the translations, never data.
	Text string
}

// ErrPersonal is returned for text that looks as if it holds personal data: such text is
// never spoken.
var ErrPersonal = errors.New("speech: refusing to speak text that may hold personal data")

// Check refuses text that may carry personal data: a run of four or more digits (ID,
// phone and card numbers; instructions need no such numbers), an ID number ending in X,
// or a template field left unfilled.
func Check(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("%w: empty", ErrPersonal)
	}
	if strings.Contains(s, "{{") || strings.Contains(s, "}}") {
		return fmt.Errorf("%w: template field", ErrPersonal)
	}
	run := 0
	for _, r := range s {
		if unicode.IsDigit(r) || (run >= 3 && (r == 'X' || r == 'x')) {
			run++
			if run >= 4 {
				return fmt.Errorf("%w: a run of digits", ErrPersonal)
			}
			continue
		}
		run = 0
	}
	return nil
}

// Step is a volume step. A resident chooses among the three; the technician sets the
// default.
type Step int

const (
	Quiet  Step = 1
	Medium Step = 2
	Loud   Step = 3
)

// Clamp keeps a step within Quiet..Loud.
func (s Step) Clamp() Step { return min(max(s, Quiet), Loud) }

// Gain is the step's loudness as a gain, 0..1, the steps about 5 dB apart. Step 0 (quiet
// hours' "silent") is 0.
func (s Step) Gain() float64 {
	switch {
	case s <= 0:
		return 0
	case s == Quiet:
		return 0.35
	case s == Medium:
		return 0.6
	default:
		return 1
	}
}

// QuietHours cap the volume during a span of the day, for a 24-hour terminal in a
// residential building at night. From == To means none.
type QuietHours struct {
	// From and To are times of day since midnight; To may be earlier than From (the span
	// crosses midnight).
	From, To time.Duration
	// Max is the loudest step allowed in the span; 0 silences the kiosk.
	Max Step
}

// In reports whether t falls in the quiet span.
func (q QuietHours) In(t time.Time) bool {
	if q.From == q.To {
		return false
	}
	h, m, s := t.Clock()
	d := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second
	if q.From < q.To {
		return d >= q.From && d < q.To
	}
	return d >= q.From || d < q.To
}

// Gain is the gain for step at t: the step's, capped during quiet hours.
func (q QuietHours) Gain(step Step, t time.Time) float64 {
	g := step.Gain()
	if q.In(t) {
		g = min(g, q.Max.Gain())
	}
	return g
}

// String is the "HH:MM-HH:MM" form ParseQuietHours reads ("" for none).
func (q QuietHours) String() string {
	if q.From == q.To {
		return ""
	}
	f := func(d time.Duration) string { return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60) }
	return f(q.From) + "-" + f(q.To)
}

// ParseQuietHours reads "22:00-07:00" (empty: none) with the loudest step allowed then.
func ParseQuietHours(s string, max Step) (QuietHours, error) {
	if strings.TrimSpace(s) == "" {
		return QuietHours{}, nil
	}
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		return QuietHours{}, fmt.Errorf("speech: quiet hours %q: want HH:MM-HH:MM", s)
	}
	f, err1 := time.Parse("15:04", strings.TrimSpace(from))
	t, err2 := time.Parse("15:04", strings.TrimSpace(to))
	if err1 != nil || err2 != nil {
		return QuietHours{}, fmt.Errorf("speech: quiet hours %q: want HH:MM-HH:MM", s)
	}
	if max < 0 || max > Loud {
		return QuietHours{}, fmt.Errorf("speech: quiet hours volume %d: want 0 to 3", max)
	}
	day := func(t time.Time) time.Duration {
		return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute
	}
	return QuietHours{From: day(f), To: day(t), Max: max}, nil
}
