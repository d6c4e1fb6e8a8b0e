package tts

/*
#cgo pkg-config: espeak-ng
#include <stdint.h>
#include <stdlib.h>
#include <espeak-ng/speak_lib.h>

extern int goSynthCallback(short *wav, int numsamples, espeak_EVENT *events);

static int synthCallback(short *wav, int numsamples, espeak_EVENT *events) {
	return goSynthCallback(wav, numsamples, events);
}

static void setCallback(void) { espeak_SetSynthCallback(synthCallback); }

static int synth(const char *text, size_t size, uintptr_t user) {
	return espeak_Synth(text, size, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, NULL, (void *)user);
}
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"runtime/cgo"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/govkiosk/govkiosk/drivers/audio"
)

// Lang is a visit's language as the UI names it.
type Lang string

const (
	Zh Lang = "zh"
	En Lang = "en"
)

// voices maps a language to its eSpeak NG voice.
var voices = map[Lang]string{Zh: "cmn", En: "en"}

// ErrUnsupported is returned for a language without a voice.
var ErrUnsupported = errors.New("tts: no voice for this language")

// Rate is a speaking speed in words per minute (eSpeak's unit; for Mandarin roughly
// syllables per minute).
type Rate int

const (
	// Normal suits instructions; a little slower than eSpeak's 175 for older listeners.
	Normal Rate = 150
	// Slow is for a tracking code read character by character.
	Slow Rate = 110
)

// wpm is the eSpeak rate for a language. eSpeak's Mandarin voice speaks a syllable per
// "word" with long pauses at punctuation: at 150 it manages 2.4 characters a second,
// slower than anyone speaks. Scaled up, Normal is about 3.4 characters a second, the
// unhurried pace of a service-hall announcement.
func (r Rate) wpm(lang Lang) int {
	if lang == Zh {
		return int(r) * 145 / 100
	}
	return int(r)
}

// Engine is eSpeak NG. The C library is process-global: there is one Engine per process
// (Open returns the same one) and it runs one synthesis at a time.
type Engine struct {
	mu   sync.Mutex
	rate int // samples per second
	// urgent counts syntheses a resident is waiting for; background ones (see
	// Background) give way to them, between and within texts.
	urgent atomic.Int32
}

type backgroundKey struct{}

// Background marks a context's syntheses as preparation (warming a cache): they wait
// while a synthesis a resident is waiting for runs, and stop part-way to let one in.
func Background(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

func isBackground(ctx context.Context) bool { b, _ := ctx.Value(backgroundKey{}).(bool); return b }

// errYield is a background synthesis stopped to let an urgent one in; it is retried.
var errYield = errors.New("tts: yielded")

var (
	engineOnce sync.Once
	engine     *Engine
	engineErr  error
)

// Open initializes eSpeak NG once per process.
func Open() (*Engine, error) {
	engineOnce.Do(func() {
		// Synchronous mode: espeak_Synth returns when the text is done, having handed
		// the samples to the callback in chunks of about 100 ms.
		r := C.espeak_Initialize(C.AUDIO_OUTPUT_SYNCHRONOUS, 100, nil, C.espeakINITIALIZE_DONT_EXIT)
		if r <= 0 {
			engineErr = fmt.Errorf("tts: espeak-ng did not initialize (is espeak-ng-data installed?)")
			return
		}
		C.setCallback()
		engine = &Engine{rate: int(r)}
	})
	return engine, engineErr
}

// SampleRate is the rate of every clip the engine makes (22050 Hz for eSpeak NG).
func (e *Engine) SampleRate() int { return e.rate }

// job collects one synthesis's samples; the callback finds it through a cgo.Handle.
type job struct {
	ctx        context.Context
	samples    []int16
	background bool
	urgent     *atomic.Int32
	yielded    bool
}

//export goSynthCallback
func goSynthCallback(wav *C.short, n C.int, events *C.espeak_EVENT) C.int {
	if events == nil {
		return 1
	}
	h := cgo.Handle(uintptr(events.user_data))
	j, ok := h.Value().(*job)
	if !ok {
		return 1
	}
	if n > 0 && wav != nil {
		j.samples = append(j.samples, unsafe.Slice((*int16)(unsafe.Pointer(wav)), int(n))...)
	}
	if j.ctx.Err() != nil {
		return 1 // abort: a newer prompt needs the engine
	}
	if j.background && j.urgent.Load() > 0 {
		j.yielded = true
		return 1 // abort: a resident is waiting for the engine
	}
	return 0
}

// Synthesize speaks text in lang at rate and returns the samples. It stops early, with
// ctx's error, when ctx is done.
func (e *Engine) Synthesize(ctx context.Context, lang Lang, text string, rate Rate) (audio.Clip, error) {
	if _, ok := voices[lang]; !ok {
		return audio.Clip{}, fmt.Errorf("%w: %q", ErrUnsupported, lang)
	}
	if !isBackground(ctx) {
		e.urgent.Add(1)
		defer e.urgent.Add(-1)
		return e.synthesize(ctx, lang, text, rate, false)
	}
	for {
		for e.urgent.Load() > 0 {
			select {
			case <-ctx.Done():
				return audio.Clip{}, ctx.Err()
			case <-time.After(10 * time.Millisecond):
			}
		}
		c, err := e.synthesize(ctx, lang, text, rate, true)
		if !errors.Is(err, errYield) {
			return c, err
		}
	}
}

func (e *Engine) synthesize(ctx context.Context, lang Lang, text string, rate Rate, background bool) (audio.Clip, error) {
	voice := voices[lang]
	e.mu.Lock()
	defer e.mu.Unlock()
	if background && e.urgent.Load() > 0 {
		return audio.Clip{}, errYield
	}
	if err := ctx.Err(); err != nil {
		return audio.Clip{}, err
	}
	cv := C.CString(voice)
	defer C.free(unsafe.Pointer(cv))
	if r := C.espeak_SetVoiceByName(cv); r != C.EE_OK {
		return audio.Clip{}, fmt.Errorf("tts: voice %q: espeak error %d", voice, int(r))
	}
	C.espeak_SetParameter(C.espeakRATE, C.int(rate.wpm(lang)), 0)
	j := &job{ctx: ctx, background: background, urgent: &e.urgent}
	h := cgo.NewHandle(j)
	defer h.Delete()
	ct := C.CString(text)
	defer C.free(unsafe.Pointer(ct))
	if r := C.synth(ct, C.size_t(len(text)+1), C.uintptr_t(h)); r != C.EE_OK {
		return audio.Clip{}, fmt.Errorf("tts: synthesize: espeak error %d", int(r))
	}
	if err := ctx.Err(); err != nil {
		return audio.Clip{}, err
	}
	if j.yielded {
		return audio.Clip{}, errYield
	}
	return audio.Clip{Rate: e.rate, Samples: j.samples}, nil
}
