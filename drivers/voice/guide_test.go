package voice

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/drivers/audio"
	"github.com/govkiosk/govkiosk/drivers/tts"
	"github.com/govkiosk/govkiosk/kiosk/speech"
	"github.com/govkiosk/govkiosk/kiosk/tracking"
)

// fakeSpeech makes a 100 ms clip per text and remembers what it was asked.
type fakeSpeech struct {
	mu   sync.Mutex
	asks []string
}

func (f *fakeSpeech) Get(_ context.Context, lang tts.Lang, text string, rate tts.Rate) (audio.Clip, error) {
	f.mu.Lock()
	r := "n"
	if rate == tts.Slow {
		r = "s"
	}
	f.asks = append(f.asks, string(lang)+":"+r+":"+text)
	f.mu.Unlock()
	c := audio.Silence(1000, 100*time.Millisecond)
	for i := range c.Samples {
		c.Samples[i] = 1000
	}
	return c, nil
}

func (f *fakeSpeech) asked() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.asks...)
}

// play is one Play call a recordingSink saw.
type play struct {
	label  string
	volume float64
	clip   audio.Clip
	err    error
}

// recordingSink records every clip; with hold set, each Play waits until it is cut off.
type recordingSink struct {
	hold    bool
	started chan string
	mu      sync.Mutex
	plays   []play
	done    chan play
}

func newSink(hold bool) *recordingSink {
	return &recordingSink{hold: hold, started: make(chan string, 16), done: make(chan play, 16)}
}

func (s *recordingSink) Play(ctx context.Context, c audio.Clip, o audio.PlayOptions) error {
	o.Started()
	s.started <- o.Label
	var err error
	if s.hold {
		<-ctx.Done()
		err = ctx.Err()
	}
	p := play{label: o.Label, volume: o.Volume, clip: c, err: err}
	s.mu.Lock()
	s.plays = append(s.plays, p)
	s.mu.Unlock()
	s.done <- p
	return err
}
func (s *recordingSink) Device() string { return "test" }
func (s *recordingSink) Close() error   { return nil }

func newGuide(t *testing.T, sink audio.Sink, o Options) (*Guide, *fakeSpeech) {
	t.Helper()
	sp := &fakeSpeech{}
	o.Speech, o.Sink = sp, sink
	g := New(o)
	g.SetEnabled(true)
	t.Cleanup(g.Close)
	return g, sp
}

func TestSayReturnsAtOnceAndNewPromptCutsThePrevious(t *testing.T) {
	sink := newSink(true)
	g, _ := newGuide(t, sink, Options{})
	// The sink holds every prompt until it is cut off: if Say waited for speech, the
	// test would hang here.
	if err := g.Say(Prompt{ID: "voice.identify", Lang: "zh-CN", Text: "请将身份证放在读卡区"}); err != nil {
		t.Fatal(err)
	}
	if got := <-sink.started; got != "voice.identify" {
		t.Fatalf("started %q", got)
	}
	if err := g.Say(Prompt{ID: "voice.form", Lang: "zh-CN", Text: "请核对信息"}); err != nil {
		t.Fatal(err)
	}
	first := <-sink.done
	if first.label != "voice.identify" || !errors.Is(first.err, context.Canceled) {
		t.Fatalf("first prompt: %+v, want cut off", first)
	}
	if got := <-sink.started; got != "voice.form" {
		t.Fatalf("then started %q, want voice.form", got)
	}
	g.Stop()
	<-sink.done
	ev := waitEvents(t, g, 2)
	if !ev[0].Cut || ev[0].ID != "voice.identify" || ev[1].ID != "voice.form" {
		t.Errorf("events %+v", ev)
	}
	for _, e := range ev {
		if e.FirstAudio <= 0 {
			t.Errorf("%s: no first-audio time", e.ID)
		}
	}
}

func waitEvents(t *testing.T, g *Guide, n int) []Event {
	t.Helper()
	for range 500 {
		if ev := g.Events(); len(ev) >= n {
			return ev
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("fewer than %d events: %+v", n, g.Events())
	return nil
}

func TestSayRefusesPersonalData(t *testing.T) {
	sink := newSink(false)
	g, sp := newGuide(t, sink, Options{})
	for _, text := range []string{"请核对身份证号 990101199001011234", "您好，{{.Name}}"} {
		if err := g.Say(Prompt{ID: "x", Lang: "zh-CN", Text: text}); !errors.Is(err, speech.ErrPersonal) {
			t.Errorf("Say(%q) = %v, want ErrPersonal", text, err)
		}
		if err := g.SayReceipt(Prompt{ID: "x", Lang: "zh-CN", Text: text}, "K7Q2-0003F-W"); !errors.Is(err, speech.ErrPersonal) {
			t.Errorf("SayReceipt(%q) = %v, want ErrPersonal", text, err)
		}
	}
	if len(sp.asked()) != 0 {
		t.Errorf("refused text reached the engine: %q", sp.asked())
	}
}

func TestSayReceiptSpellsTheCodeSlowly(t *testing.T) {
	sink := newSink(false)
	g, sp := newGuide(t, sink, Options{})
	code, err := tracking.New("K7Q2", 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.SayReceipt(Prompt{ID: "voice.receipt", Lang: "en", Text: "Your tracking code is"}, strings.ToLower(code)); err != nil {
		t.Fatal(err)
	}
	p := <-sink.done
	if p.label != "voice.receipt" {
		t.Fatalf("label %q", p.label)
	}
	want := []string{"en:n:Your tracking code is"}
	for _, ch := range strings.ReplaceAll(code, "-", "") {
		want = append(want, "en:s:"+string(ch))
	}
	if got := sp.asked(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("asked %q\nwant  %q", got, want)
	}
	// 10 characters of 100 ms, each followed by 350 ms, after the 100 ms prompt and an
	// 800 ms pause, and 450 ms more at each of the two dashes.
	if d, want := p.clip.Duration(), 100*time.Millisecond+800*time.Millisecond+10*450*time.Millisecond+2*450*time.Millisecond; d != want {
		t.Errorf("clip %v, want %v", d, want)
	}
	for _, bad := range []string{"K7Q2-0003F-X", "not a code", "990101199001011234"} {
		if err := g.SayReceipt(Prompt{ID: "voice.receipt", Lang: "en", Text: "Your code"}, bad); !errors.Is(err, ErrNotCode) {
			t.Errorf("SayReceipt(%q) = %v, want ErrNotCode", bad, err)
		}
	}
}

func TestVolumeStepsQuietHoursAndVisits(t *testing.T) {
	night := time.Date(2026, 12, 3, 23, 30, 0, 0, time.Local)
	day := time.Date(2026, 12, 3, 10, 0, 0, 0, time.Local)
	now := day
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	setNow := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
	q, err := speech.ParseQuietHours("22:00-07:00", speech.Quiet)
	if err != nil {
		t.Fatal(err)
	}
	sink := newSink(false)
	g, _ := newGuide(t, sink, Options{Volume: speech.Medium, Quiet: q, Now: clock})
	p := Prompt{ID: "voice.home", Lang: "zh-CN", Text: "欢迎"}

	for _, tc := range []struct {
		step speech.Step
		at   time.Time
		want float64
	}{
		{speech.Loud, day, 1},
		{speech.Medium, day, 0.6},
		{speech.Quiet, day, 0.35},
		{9, day, 1},               // clamped to Loud
		{speech.Loud, night, .35}, // capped by quiet hours
	} {
		setNow(tc.at)
		g.SetVolume(tc.step)
		_ = g.Say(p)
		if got := (<-sink.done).volume; got != tc.want {
			t.Errorf("step %d at %s: gain %.2f, want %.2f", tc.step, tc.at.Format("15:04"), got, tc.want)
		}
	}
	g.NewVisit()
	if g.Volume() != speech.Medium {
		t.Errorf("a new visit kept step %d, want the default %d", g.Volume(), speech.Medium)
	}
	// Silent quiet hours: nothing reaches the sink.
	g.SetDefaults(speech.Loud, speech.QuietHours{From: 22 * time.Hour, To: 7 * time.Hour, Max: 0})
	setNow(night)
	before := len(g.Events())
	_ = g.Say(p)
	ev := waitEvents(t, g, before+1)
	if last := ev[len(ev)-1]; last.Err != "quiet hours" {
		t.Errorf("silent quiet hours: %+v", last)
	}
	select {
	case p := <-sink.done:
		t.Errorf("played %q during silent quiet hours", p.label)
	default:
	}
}

func TestRepeatStopAndDisabled(t *testing.T) {
	sink := newSink(false)
	g, _ := newGuide(t, sink, Options{})
	_ = g.Say(Prompt{ID: "voice.materials", Lang: "en", Text: "Put the page on the scanner"})
	<-sink.done
	g.Repeat()
	if p := <-sink.done; p.label != "voice.materials" {
		t.Errorf("repeat played %q", p.label)
	}
	g.Stop()
	g.Repeat()
	g.SetEnabled(false)
	_ = g.Say(Prompt{ID: "voice.home", Lang: "en", Text: "Welcome"})
	g.SetEnabled(true)
	_ = g.Say(Prompt{ID: "voice.rate", Lang: "en", Text: "Please rate"})
	if p := <-sink.done; p.label != "voice.rate" {
		t.Errorf("after stop and while disabled, played %q; want only voice.rate next", p.label)
	}
}
