package voice

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/govkiosk/govkiosk/drivers/audio"
	"github.com/govkiosk/govkiosk/drivers/tts"
	"github.com/govkiosk/govkiosk/kiosk/speech"
	"github.com/govkiosk/govkiosk/kiosk/tracking"
)

// Speech is where the Guide gets spoken text; *tts.Cache is one.
type Speech interface {
	Get(ctx context.Context, lang tts.Lang, text string, rate tts.Rate) (audio.Clip, error)
}

// Prompt is one screen's instruction (see kiosk/speech).
type Prompt = speech.Prompt

// ErrNotCode is returned by SayReceipt for a string that is not a valid tracking code.
var ErrNotCode = errors.New("voice: not a tracking code")

// Event is one prompt the Guide played or tried to play. It holds the prompt id, never
// the text.
type Event struct {
	ID   string
	Lang string
	At   time.Time
	// FirstAudio is the time from Say to the first sample reaching the sink; 0 if the
	// prompt never started.
	FirstAudio time.Duration
	// Cut means a newer prompt, or Stop, cut this one off.
	Cut bool
	// Err is why it was not played, if it was not ("" otherwise).
	Err string
}

// Options configure a Guide.
type Options struct {
	Speech Speech
	Sink   audio.Sink
	// Volume is the default step at the start of each visit (Medium if 0).
	Volume speech.Step
	Quiet  speech.QuietHours
	// Now is the clock (time.Now if nil).
	Now func() time.Time
	Log *slog.Logger
}

// request is one thing to say.
type request struct {
	p    Prompt
	code string // tracking code to spell after the prompt, receipt screen only
	at   time.Time
}

// Guide speaks prompts one at a time on its own goroutine.
type Guide struct {
	o Options

	mu       sync.Mutex
	enabled  bool
	volume   speech.Step
	def      speech.Step
	quiet    speech.QuietHours
	last     *request // what "say it again" repeats
	pending  *request
	cancel   context.CancelFunc // cuts off what is playing now
	events   []Event
	closed   bool
	wake     chan struct{}
	stopped  chan struct{}
	ctx      context.Context
	ctxClose context.CancelFunc
}

// maxEvents bounds the Guide's memory of what it played.
const maxEvents = 256

// New starts a Guide. It is disabled until SetEnabled(true).
func New(o Options) *Guide {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Volume == 0 {
		o.Volume = speech.Medium
	}
	ctx, cancel := context.WithCancel(context.Background())
	g := &Guide{o: o, volume: o.Volume, def: o.Volume, quiet: o.Quiet,
		wake: make(chan struct{}, 1), stopped: make(chan struct{}), ctx: ctx, ctxClose: cancel}
	go g.run()
	return g
}

// Close stops the Guide and whatever it is saying.
func (g *Guide) Close() {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return
	}
	g.closed = true
	g.mu.Unlock()
	g.ctxClose()
	<-g.stopped
}

// SetEnabled turns speech on or off; off also stops what is being said.
func (g *Guide) SetEnabled(on bool) {
	g.mu.Lock()
	g.enabled = on
	g.mu.Unlock()
	if !on {
		g.Stop()
	}
}

// Enabled reports whether the Guide speaks.
func (g *Guide) Enabled() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.enabled
}

// SetVolume sets the resident's volume step (clamped to Quiet..Loud).
func (g *Guide) SetVolume(s speech.Step) {
	g.mu.Lock()
	g.volume = s.Clamp()
	g.mu.Unlock()
}

// Volume is the current step.
func (g *Guide) Volume() speech.Step {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.volume
}

// SetDefaults sets the technician's default step (used from the next visit on, and now)
// and quiet hours.
func (g *Guide) SetDefaults(def speech.Step, q speech.QuietHours) {
	g.mu.Lock()
	g.def = def.Clamp()
	g.volume = g.def
	g.quiet = q
	g.mu.Unlock()
}

// Defaults returns the technician's default step and quiet hours.
func (g *Guide) Defaults() (speech.Step, speech.QuietHours) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.def, g.quiet
}

// NewVisit stops speech and puts the volume back to the default: one resident's choice
// does not carry over to the next.
func (g *Guide) NewVisit() {
	g.Stop()
	g.mu.Lock()
	g.volume = g.def
	g.mu.Unlock()
}

// Say speaks p, cutting off whatever is being said; it returns at once. It refuses text
// that may hold personal data, and does nothing while the Guide is disabled.
func (g *Guide) Say(p Prompt) error {
	if err := speech.Check(p.Text); err != nil {
		g.o.Log.Warn("voice: prompt refused", "prompt", p.ID, "err", err)
		return err
	}
	g.submit(&request{p: p, at: g.o.Now()})
	return nil
}

// SayReceipt speaks the receipt screen's prompt and then the tracking code, slowly,
// character by character. Only the resident's own receipt screen may call it.
func (g *Guide) SayReceipt(p Prompt, code string) error {
	if err := speech.Check(p.Text); err != nil {
		return err
	}
	canon, err := tracking.Normalize(code)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotCode, err)
	}
	g.submit(&request{p: p, code: canon, at: g.o.Now()})
	return nil
}

// Repeat says the current screen's prompt again ("say it again").
func (g *Guide) Repeat() {
	g.mu.Lock()
	last := g.last
	g.mu.Unlock()
	if last != nil {
		r := *last
		r.at = g.o.Now()
		g.submit(&r)
	}
}

// Stop cuts off what is being said and forgets the current prompt, so "say it again"
// on a screen without a prompt says nothing.
func (g *Guide) Stop() {
	g.mu.Lock()
	g.last, g.pending = nil, nil
	if g.cancel != nil {
		g.cancel()
		g.cancel = nil
	}
	g.mu.Unlock()
}

func (g *Guide) submit(r *request) {
	g.mu.Lock()
	g.last = r
	if !g.enabled || g.closed {
		g.mu.Unlock()
		return
	}
	if g.cancel != nil {
		g.cancel() // cut off the previous prompt now, not when the goroutine wakes
		g.cancel = nil
	}
	g.pending = r
	g.mu.Unlock()
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// Events returns what the Guide played, oldest first (at most the last 256).
func (g *Guide) Events() []Event {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]Event(nil), g.events...)
}

func (g *Guide) record(e Event) {
	g.mu.Lock()
	if len(g.events) == maxEvents {
		copy(g.events, g.events[1:])
		g.events = g.events[:maxEvents-1]
	}
	g.events = append(g.events, e)
	g.mu.Unlock()
}

func (g *Guide) run() {
	defer close(g.stopped)
	for {
		select {
		case <-g.ctx.Done():
			return
		case <-g.wake:
		}
		g.mu.Lock()
		r := g.pending
		g.pending = nil
		if r == nil {
			g.mu.Unlock()
			continue
		}
		ctx, cancel := context.WithCancel(g.ctx)
		g.cancel = cancel
		gain := g.quiet.Gain(g.volume, g.o.Now())
		g.mu.Unlock()
		g.play(ctx, r, gain)
		cancel()
	}
}

func (g *Guide) play(ctx context.Context, r *request, gain float64) {
	e := Event{ID: r.p.ID, Lang: r.p.Lang, At: r.at}
	defer func() { g.record(e) }()
	if gain == 0 {
		e.Err = "quiet hours"
		return
	}
	clip, err := g.clip(ctx, r)
	if err == nil {
		var once sync.Once
		err = g.o.Sink.Play(ctx, clip, audio.PlayOptions{Volume: gain, Label: r.p.ID, Started: func() {
			once.Do(func() { e.FirstAudio = g.o.Now().Sub(r.at) })
		}})
	}
	switch {
	case err == nil:
	case errors.Is(err, context.Canceled):
		e.Cut = true
	default:
		e.Err = err.Error()
		g.o.Log.Warn("voice: prompt not played", "prompt", r.p.ID, "err", err)
	}
}

// Pauses between the characters of a spelled tracking code, and at its dashes.
const (
	charGap  = 350 * time.Millisecond
	groupGap = 800 * time.Millisecond
)

func (g *Guide) clip(ctx context.Context, r *request) (audio.Clip, error) {
	lang := Lang(r.p.Lang)
	c, err := g.o.Speech.Get(ctx, lang, r.p.Text, tts.Normal)
	if err != nil || r.code == "" {
		return c, err
	}
	parts := []audio.Clip{c, audio.Silence(c.Rate, groupGap)}
	for _, ch := range r.code {
		if ch == '-' {
			parts = append(parts, audio.Silence(c.Rate, groupGap-charGap))
			continue
		}
		cc, err := g.o.Speech.Get(ctx, lang, string(ch), tts.Slow)
		if err != nil {
			return audio.Clip{}, err
		}
		parts = append(parts, cc, audio.Silence(c.Rate, charGap))
	}
	out, ok := audio.Concat(parts...)
	if !ok {
		return audio.Clip{}, errors.New("voice: clips of different rates")
	}
	return out, nil
}

// Lang maps the translator's language to the speech engine's.
func Lang(l string) tts.Lang {
	if strings.HasPrefix(l, "zh") {
		return tts.Zh
	}
	return tts.En
}
