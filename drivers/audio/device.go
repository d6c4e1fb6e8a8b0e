package audio

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/ebitengine/oto/v3"
)

// The sound card through oto (ALSA; PulseAudio or PipeWire behind ALSA's default device
// where configured). oto allows one context per process, with one sample rate.
var (
	otoOnce sync.Once
	otoCtx  *oto.Context
	otoRate int
	otoErr  error
)

// deviceSink plays on the sound card.
type deviceSink struct {
	ctx  *oto.Context
	rate int
	mu   sync.Mutex // one clip at a time
}

// otoOpenTimeout bounds how long opening the card may take before the kiosk gives up on
// it and goes on silent.
const otoOpenTimeout = 3 * time.Second

func openDevice(rate int) (Sink, error) {
	otoOnce.Do(func() {
		c, ready, err := oto.NewContext(&oto.NewContextOptions{
			SampleRate:   rate,
			ChannelCount: 1,
			Format:       oto.FormatSignedInt16LE,
			// Small enough that the first syllable is heard within tens of milliseconds.
			BufferSize: 60 * time.Millisecond,
		})
		if err != nil {
			otoErr = err
			return
		}
		select {
		case <-ready:
		case <-time.After(otoOpenTimeout):
			otoErr = errors.New("sound card did not open in time")
			return
		}
		if err := c.Err(); err != nil {
			otoErr = err
			return
		}
		otoCtx, otoRate = c, rate
	})
	if otoErr != nil {
		return nil, otoErr
	}
	if otoRate != rate {
		return nil, fmt.Errorf("sound card already open at %d Hz, not %d", otoRate, rate)
	}
	return &deviceSink{ctx: otoCtx, rate: rate}, nil
}

// startReader hands the clip's bytes to oto and tells when oto first pulls them.
type startReader struct {
	b       []byte
	started func()
}

func (r *startReader) Read(p []byte) (int, error) {
	if r.started != nil {
		r.started()
		r.started = nil
	}
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// Play implements Sink.
func (d *deviceSink) Play(ctx context.Context, c Clip, o PlayOptions) error {
	if c.Rate != d.rate {
		return fmt.Errorf("audio: clip at %d Hz on a card opened at %d Hz", c.Rate, d.rate)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	b := make([]byte, 0, len(c.Samples)*2)
	for _, s := range c.Samples {
		b = binary.LittleEndian.AppendUint16(b, uint16(s))
	}
	// No Close: since oto v3.4 it does nothing, and the player is released when collected.
	p := d.ctx.NewPlayer(&startReader{b: b, started: o.Started})
	p.SetVolume(o.Volume)
	p.Play()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for p.IsPlaying() {
		select {
		case <-ctx.Done():
			p.Pause()
			return ctx.Err()
		case <-tick.C:
		}
	}
	if err := p.Err(); err != nil {
		return fmt.Errorf("audio: play: %w", err)
	}
	return nil
}

// Device implements Sink.
func (d *deviceSink) Device() string { return "alsa" }

// Close implements Sink. The oto context lives as long as the process.
func (d *deviceSink) Close() error { return nil }
