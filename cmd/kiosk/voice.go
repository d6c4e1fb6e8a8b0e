package main

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"

	i18nfiles "github.com/govkiosk/govkiosk/assets/i18n"
	"github.com/govkiosk/govkiosk/drivers/audio"
	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/drivers/tts"
	"github.com/govkiosk/govkiosk/drivers/voice"
	"github.com/govkiosk/govkiosk/kiosk/config"
	"github.com/govkiosk/govkiosk/kiosk/speech"
)

// speakerDevice is the speaker's name in health reports.
const speakerDevice = "speaker"

// startVoice builds the spoken guidance: eSpeak NG, the prompt cache under DATA/voice,
// and the sound card, or a silent sink on a machine without one. The kiosk works either
// way; the speaker's health says why it is silent. The returned guide is nil when the
// speech engine itself is missing. Prompts are synthesized into the cache in the
// background, so the first screens may be spoken a few milliseconds later than the rest.
func startVoice(ctx context.Context, a config.Access, output, dataDir string, log *slog.Logger) (*voice.Guide, *health.Tracker, func()) {
	speaker := health.NewTracker(speakerDevice, health.Speaker)
	eng, err := tts.Open()
	if err != nil {
		log.Error("speech engine unavailable: the kiosk stays silent", "err", err)
		speaker.Set(health.HardwareError, "speech engine unavailable", nil)
		return nil, speaker, func() {}
	}
	if output == "" {
		output = a.AudioOutput
	}
	sink, err := audio.Open(output, eng.SampleRate())
	switch {
	case errors.Is(err, audio.ErrNoDevice):
		log.Warn("no audio device: prompts are not heard", "err", err)
		speaker.Set(health.Offline, "no audio device", map[string]string{"output": sink.Device()})
	case err != nil:
		log.Error("audio output unusable: the kiosk stays silent", "output", output, "err", err)
		speaker.Set(health.HardwareError, "audio output unusable", nil)
		sink = audio.Null{}
	default:
		speaker.Set(health.Online, "", map[string]string{"output": sink.Device()})
	}
	quiet, _ := speech.ParseQuietHours(a.QuietHours, speech.Step(a.QuietVolume)) // validated with the config
	cache := &tts.Cache{Synth: eng, Dir: filepath.Join(dataDir, "voice")}
	// The prompts ship with the program: a new version synthesizes them anew.
	if err := cache.SetVersion(version); err != nil {
		log.Warn("voice cache", "err", err)
	}
	g := voice.New(voice.Options{Speech: cache, Sink: sink, Volume: speech.Step(a.Volume), Quiet: quiet,
		Log: log.With("part", "voice")})
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		prompts, err := voice.Prompts(i18nfiles.Files)
		if err == nil {
			err = voice.Warm(ctx, cache, prompts)
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			log.Warn("voice prompts not prepared", "err", err)
		}
	}()
	return g, speaker, func() {
		cancel()
		<-done
		g.Close()
		_ = sink.Close()
	}
}
