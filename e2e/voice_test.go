package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/drivers/audio"
)

// TestElderResidentGuidedByVoice runs the household certificate in elder mode on the
// real kiosk with its speech going to WAV files (no sound card here): every screen's
// prompt is spoken in order, by id, the tracking code only on the receipt screen, and the
// identify prompt is real speech of a plausible length.
func TestElderResidentGuidedByVoice(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the real binaries under Xvfb")
	}
	needTools(t, "Xvfb", "xdotool", "import")
	w := startWorld(t)
	audioDir := filepath.Join(w.dir, "audio")
	// A portrait 1080p panel: elder mode's larger screens fit it whole.
	disp := startXvfb(t, 1080, 1920)
	shots := filepath.Join(os.TempDir(), "govkiosk-e2e-shots", t.Name())
	_ = os.RemoveAll(shots)
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	mapPath := filepath.Join(w.dir, "ui-map.json")
	start(t, []string{"DISPLAY=" + disp}, filepath.Join(w.bin, "kiosk"),
		"-config", filepath.Join(w.dir, "kiosk.toml"), "-ui-map", mapPath, "-audio-out", "file:"+audioDir)
	s := &screen{t: t, display: disp, mapPath: mapPath, shots: shots}
	s.wait("home", 60*time.Second)

	s.tap("home.elder")
	time.Sleep(300 * time.Millisecond) // the start screen is drawn again, larger
	s.openService("print", "hukou-cert")
	w.card.send(t, "place resident")
	s.wait("form", 20*time.Second)
	s.tap("form.choice.housing")
	s.tap("form.next")
	s.wait("review", 10*time.Second)
	s.tap("review.confirm")
	s.wait("receipt", 60*time.Second)
	s.shot("receipt-elder-voice")
	s.tap("receipt.done")
	s.wait("rate", 10*time.Second)
	s.tap("rate.star.5")
	s.tap("rate.send")
	s.wait("thanks", 10*time.Second)

	var spoken []string
	eventually(t, 10*time.Second, "thanks spoken", func() error {
		b, err := os.ReadFile(filepath.Join(audioDir, "prompts.log"))
		if err != nil {
			return err
		}
		spoken = strings.Fields(string(b))
		if len(spoken) == 0 || spoken[len(spoken)-1] != "voice.thanks" {
			return fmt.Errorf("prompts so far: %q", spoken)
		}
		return nil
	})
	t.Logf("prompts spoken: %q", spoken)
	want := []string{"voice.home", "voice.catalog", "voice.guide", "voice.identify", "voice.form", "voice.review",
		"voice.receipt", "voice.rate", "voice.thanks"}
	i := 0
	for _, p := range spoken {
		if i < len(want) && p == want[i] {
			i++
		}
	}
	if i != len(want) {
		t.Errorf("prompts %q do not hold %q in order", spoken, want)
	}

	clipOf := func(id string) audio.Clip {
		t.Helper()
		files, _ := filepath.Glob(filepath.Join(audioDir, "*-"+id+".wav"))
		if len(files) == 0 {
			t.Fatalf("no WAV of %s", id)
		}
		b, err := os.ReadFile(files[0])
		if err != nil {
			t.Fatal(err)
		}
		c, err := audio.DecodeWAV(b)
		if err != nil {
			t.Fatalf("%s: %v", files[0], err)
		}
		return c
	}
	ident := clipOf("voice.identify")
	t.Logf("identify prompt: %.1f s at %d Hz, RMS %.0f", ident.Duration().Seconds(), ident.Rate, ident.RMS())
	if d := ident.Duration(); d < 3*time.Second || d > 20*time.Second || ident.RMS() < 300 {
		t.Errorf("identify prompt: %v long at RMS %.0f: want 3–20 s of speech", d, ident.RMS())
	}
	// The receipt prompt is followed by the code, ten characters at least 450 ms apiece.
	receipt := clipOf("voice.receipt")
	if receipt.Duration() < 5*time.Second+10*450*time.Millisecond {
		t.Errorf("receipt prompt only %v: the tracking code was not spelled after it", receipt.Duration())
	}
}
