package audio

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func tone(rate int, d time.Duration) Clip {
	c := Silence(rate, d)
	for i := range c.Samples {
		if (i/20)%2 == 0 {
			c.Samples[i] = 8000
		} else {
			c.Samples[i] = -8000
		}
	}
	return c
}

func TestWAVRoundTrip(t *testing.T) {
	for _, c := range []Clip{
		{Rate: 22050},
		{Rate: 22050, Samples: []int16{0, 1, -1, 32767, -32768}},
		tone(16000, 30*time.Millisecond),
	} {
		var b bytes.Buffer
		if err := EncodeWAV(&b, c); err != nil {
			t.Fatal(err)
		}
		if b.Len() != 44+2*len(c.Samples) {
			t.Errorf("size %d, want %d", b.Len(), 44+2*len(c.Samples))
		}
		got, err := DecodeWAV(b.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if got.Rate != c.Rate || len(got.Samples) != len(c.Samples) {
			t.Fatalf("got %d Hz %d samples, want %d Hz %d", got.Rate, len(got.Samples), c.Rate, len(c.Samples))
		}
		for i := range c.Samples {
			if got.Samples[i] != c.Samples[i] {
				t.Fatalf("sample %d: %d, want %d", i, got.Samples[i], c.Samples[i])
			}
		}
	}
}

func TestDecodeWAVRefuses(t *testing.T) {
	var good bytes.Buffer
	_ = EncodeWAV(&good, tone(22050, 10*time.Millisecond))
	stereo := bytes.Clone(good.Bytes())
	stereo[22] = 2
	eight := bytes.Clone(good.Bytes())
	eight[34] = 8
	for name, b := range map[string][]byte{
		"empty":     nil,
		"not riff":  []byte("RIFX\x00\x00\x00\x00WAVE"),
		"stereo":    stereo,
		"8-bit":     eight,
		"no data":   good.Bytes()[:36],
		"short fmt": []byte("RIFF\x00\x00\x00\x00WAVEfmt \x04\x00\x00\x00\x01\x00\x01\x00"),
	} {
		if _, err := DecodeWAV(b); !errors.Is(err, ErrNotWAV) {
			t.Errorf("%s: err %v, want ErrNotWAV", name, err)
		}
	}
}

func FuzzDecodeWAV(f *testing.F) {
	var b bytes.Buffer
	_ = EncodeWAV(&b, tone(22050, 5*time.Millisecond))
	f.Add(b.Bytes())
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEdata\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := DecodeWAV(in)
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := EncodeWAV(&out, c); err != nil {
			t.Fatal(err)
		}
		again, err := DecodeWAV(out.Bytes())
		if err != nil || again.Rate != c.Rate || len(again.Samples) != len(c.Samples) {
			t.Fatalf("re-decode: %v", err)
		}
	})
}

func TestFileSinkRecordsLabelsAndWAVs(t *testing.T) {
	dir := t.TempDir()
	s, err := NewFileSink(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	started := 0
	for _, l := range []string{"identify.place_card", "../evil name"} {
		if err := s.Play(context.Background(), tone(22050, 100*time.Millisecond), PlayOptions{Volume: 0.5, Label: l, Started: func() { started++ }}); err != nil {
			t.Fatal(err)
		}
	}
	if started != 2 {
		t.Errorf("Started called %d times, want 2", started)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "prompts.log"))
	if got, want := string(log), "identify.place_card\n.._evil_name\n"; got != want {
		t.Errorf("prompts.log %q, want %q", got, want)
	}
	b, err := os.ReadFile(filepath.Join(dir, "0001-identify.place_card.wav"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := DecodeWAV(b)
	if err != nil {
		t.Fatal(err)
	}
	// Volume 0.5 halves the level: 8000 → 4000.
	if r := c.RMS(); r < 3900 || r > 4100 {
		t.Errorf("RMS %.0f at volume 0.5, want about 4000", r)
	}
	if d := c.Duration(); d != 100*time.Millisecond {
		t.Errorf("duration %v", d)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), "/") || !strings.HasPrefix(e.Name(), "000") && e.Name() != "prompts.log" {
			t.Errorf("unexpected file %q", e.Name())
		}
	}
}

func TestSinksStopWhenCut(t *testing.T) {
	file, _ := NewFileSink(t.TempDir(), true)
	for _, s := range []Sink{Null{}, file} {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		started := make(chan struct{})
		go func() {
			done <- s.Play(ctx, tone(22050, time.Hour), PlayOptions{Volume: 1, Label: "x", Started: func() { close(started) }})
		}()
		<-started
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("%s: cut off: %v, want context.Canceled", s.Device(), err)
		}
	}
}

func TestOpenWithoutSoundCard(t *testing.T) {
	if HaveSoundCard() {
		t.Skip("this machine has a sound card")
	}
	s, err := Open("auto", 22050)
	if !errors.Is(err, ErrNoDevice) {
		t.Fatalf("Open(auto) err %v, want ErrNoDevice", err)
	}
	if s == nil || s.Device() != "null" {
		t.Fatalf("Open(auto) gave %v, want the null sink to keep working", s)
	}
	if err := s.Play(context.Background(), tone(22050, 10*time.Millisecond), PlayOptions{Volume: 1}); err != nil {
		t.Fatal(err)
	}
}

func TestOpenSpecs(t *testing.T) {
	dir := t.TempDir()
	for spec, dev := range map[string]string{"null": "null", "file:" + dir: "file:" + dir} {
		s, err := Open(spec, 22050)
		if err != nil || s.Device() != dev {
			t.Errorf("Open(%q) = %v, %v", spec, s, err)
		}
	}
	if _, err := Open("bluetooth", 22050); err == nil {
		t.Error("Open(bluetooth) accepted")
	}
}

func TestClipHelpers(t *testing.T) {
	a, b := tone(100, time.Second), Silence(100, 500*time.Millisecond)
	c, ok := Concat(a, b)
	if !ok || c.Duration() != 1500*time.Millisecond {
		t.Fatalf("Concat: %v %v", ok, c.Duration())
	}
	if _, ok := Concat(a, Silence(200, time.Second)); ok {
		t.Error("Concat of two rates accepted")
	}
	if Silence(100, time.Second).RMS() != 0 || a.RMS() != 8000 {
		t.Error("RMS wrong")
	}
	if a.Scaled(0).RMS() != 0 {
		t.Error("Scaled(0) not silent")
	}
}
