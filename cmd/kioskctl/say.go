package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/govkiosk/govkiosk/drivers/audio"
	"github.com/govkiosk/govkiosk/drivers/tts"
	"github.com/govkiosk/govkiosk/internal/atomicfile"
	"github.com/govkiosk/govkiosk/kiosk/speech"
)

// say: test the speaker and the speech engine, or make a WAV of a sentence. It speaks
// what the technician typed and nothing else; it keeps nothing.

func init() {
	register(command{
		name:    "say",
		summary: "speak TEXT with the kiosk's voice on the speaker, or write it as a WAV file (--out)",
		usage:   "[--lang zh|en] [--volume 1|2|3] [--slow] [--out FILE.wav] TEXT",
		setup:   setupSay,
	})
}

func setupSay(fs *flag.FlagSet) func(ctx context.Context, e *env, args []string) error {
	lang := fs.String("lang", "zh", "language: zh (Mandarin) or en (English)")
	out := fs.String("out", "", "write the speech to this WAV file instead of the speaker (works without a sound card)")
	vol := fs.Int("volume", 3, "volume step, 1 (quiet) to 3 (loud)")
	slow := fs.Bool("slow", false, "speak at the slow rate used for tracking codes")
	return func(ctx context.Context, e *env, args []string) error {
		text := strings.TrimSpace(strings.Join(args, " "))
		if text == "" {
			return usagef("nothing to say: give TEXT")
		}
		var l tts.Lang
		switch *lang {
		case "zh", "zh-CN", "cmn":
			l = tts.Zh
		case "en":
			l = tts.En
		default:
			return usagef("--lang %q: want zh or en", *lang)
		}
		if *vol < 1 || *vol > 3 {
			return usagef("--volume %d: want 1, 2 or 3", *vol)
		}
		rate := tts.Normal
		if *slow {
			rate = tts.Slow
		}
		eng, err := tts.Open()
		if err != nil {
			return err
		}
		clip, err := eng.Synthesize(ctx, l, text, rate)
		if err != nil {
			return err
		}
		clip = clip.Scaled(speech.Step(*vol).Gain())
		if *out != "" {
			if err := atomicfile.Write(*out, 0o644, func(w io.Writer) error { return audio.EncodeWAV(w, clip) }); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "wrote %s: %.1f s at %d Hz\n", *out, clip.Duration().Seconds(), clip.Rate)
			return nil
		}
		sink, err := audio.Open("auto", clip.Rate)
		if errors.Is(err, audio.ErrNoDevice) {
			return fmt.Errorf("%w: no speaker to play on; use --out FILE.wav", err)
		}
		if err != nil {
			return err
		}
		defer sink.Close()
		if err := sink.Play(ctx, clip, audio.PlayOptions{Volume: 1, Label: "kioskctl.say"}); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "played %.1f s on %s\n", clip.Duration().Seconds(), sink.Device())
		return nil
	}
}
