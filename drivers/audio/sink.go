package audio

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// ErrNoDevice means the machine has no sound card the kiosk can open. Open returns it
// together with a usable Null sink: a kiosk without a speaker still works.
var ErrNoDevice = errors.New("no audio device")

// PlayOptions say how to play one clip.
type PlayOptions struct {
	// Volume is the gain, 0 (silent) to 1 (as synthesized).
	Volume float64
	// Label names what is played by prompt id ("identify.place_card"); file sinks use it
	// in file names. It must never carry what was said.
	Label string
	// Started, if set, is called once when the first sample is handed to the device:
	// the moment a resident can first hear the prompt.
	Started func()
}

// Sink plays clips, one at a time.
type Sink interface {
	// Play plays c and returns when it has been played, or with ctx's error as soon as
	// ctx is done, having stopped the sound.
	Play(ctx context.Context, c Clip, o PlayOptions) error
	// Device says where the sound goes ("alsa", "null", "file:DIR"), for health reports.
	Device() string
	// Close releases the device.
	Close() error
}

// wait sleeps for d or until ctx is done, the way a device would take d to play a clip.
func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Null plays to nowhere, taking as long as the clip lasts so that cutting a prompt off
// behaves as it does on a speaker.
type Null struct{}

// Play implements Sink.
func (Null) Play(ctx context.Context, c Clip, o PlayOptions) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if o.Started != nil {
		o.Started()
	}
	return wait(ctx, c.Duration())
}

// Device implements Sink.
func (Null) Device() string { return "null" }

// Close implements Sink.
func (Null) Close() error { return nil }

// FileSink writes every clip it plays to Dir as NNNN-LABEL.wav, and appends LABEL to
// Dir/prompts.log, one line per clip, so a test can check which prompts were spoken, in
// which order, and what they sounded like. With Realtime it then takes as long as the
// clip lasts, like a speaker.
type FileSink struct {
	Dir      string
	Realtime bool

	mu sync.Mutex
	n  int
}

// NewFileSink makes dir if needed.
func NewFileSink(dir string, realtime bool) (*FileSink, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("audio: file sink: %w", err)
	}
	return &FileSink{Dir: dir, Realtime: realtime}, nil
}

// Play implements Sink.
func (f *FileSink) Play(ctx context.Context, c Clip, o PlayOptions) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	label := safeLabel(o.Label)
	f.mu.Lock()
	f.n++
	name := filepath.Join(f.Dir, fmt.Sprintf("%04d-%s.wav", f.n, label))
	err := writeWAVFile(name, c.Scaled(o.Volume))
	if err == nil {
		err = appendLine(filepath.Join(f.Dir, "prompts.log"), label)
	}
	f.mu.Unlock()
	if err != nil {
		return err
	}
	if o.Started != nil {
		o.Started()
	}
	if f.Realtime {
		return wait(ctx, c.Duration())
	}
	return nil
}

// Device implements Sink.
func (f *FileSink) Device() string { return "file:" + f.Dir }

// Close implements Sink.
func (f *FileSink) Close() error { return nil }

func writeWAVFile(name string, c Clip) error {
	w, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("audio: file sink: %w", err)
	}
	if err := EncodeWAV(w, c); err != nil {
		w.Close()
		return err
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("audio: file sink: %w", err)
	}
	return nil
}

func appendLine(name, line string) error {
	w, err := os.OpenFile(name, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("audio: file sink: %w", err)
	}
	_, err = w.WriteString(line + "\n")
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("audio: file sink: %w", err)
	}
	return nil
}

// safeLabel keeps a label to letters, digits, dot, dash and underscore, so it is a
// harmless file name.
func safeLabel(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 64 {
			break
		}
	}
	if b.Len() == 0 {
		return "clip"
	}
	return b.String()
}

// Open opens the sink named by spec:
//
//	"auto" or ""  the sound card if the machine has one, else Null with ErrNoDevice
//	"alsa"        the sound card (ALSA's default device, PulseAudio behind it if configured)
//	"null"        Null
//	"file:DIR"    a FileSink writing to DIR in real time
//
// rate is the sample rate every clip will have. When the sound card cannot be opened,
// Open returns a Null sink and an error wrapping ErrNoDevice: the caller keeps the sink
// and reports the error as the speaker's health.
func Open(spec string, rate int) (Sink, error) {
	switch {
	case spec == "null":
		return Null{}, nil
	case strings.HasPrefix(spec, "file:"):
		return NewFileSink(strings.TrimPrefix(spec, "file:"), true)
	case spec == "" || spec == "auto" || spec == "alsa":
		if spec != "alsa" && !HaveSoundCard() {
			return Null{}, fmt.Errorf("audio: %w (no sound card listed in /proc/asound/cards, no PulseAudio server)", ErrNoDevice)
		}
		s, err := openDevice(rate)
		if err != nil {
			return Null{}, fmt.Errorf("audio: %w: %w", ErrNoDevice, err)
		}
		return s, nil
	default:
		return nil, fmt.Errorf("audio: unknown sink %q (auto, alsa, null or file:DIR)", spec)
	}
}

// HaveSoundCard reports whether ALSA lists a card or a PulseAudio server is reachable
// by its socket, without opening anything: opening ALSA's default device on a machine
// without one can take seconds or print to stderr.
func HaveSoundCard() bool {
	if b, err := os.ReadFile("/proc/asound/cards"); err == nil {
		s := strings.TrimSpace(string(b))
		if s != "" && !strings.Contains(s, "no soundcards") {
			return true
		}
	}
	if os.Getenv("PULSE_SERVER") != "" {
		return true
	}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "pulse", "native")); err == nil {
			return true
		}
	}
	return false
}
