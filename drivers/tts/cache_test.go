package tts

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/govkiosk/govkiosk/drivers/audio"
)

// countingSynth makes a clip as long as the text, and counts calls.
type countingSynth struct{ calls atomic.Int32 }

func (s *countingSynth) Synthesize(_ context.Context, _ Lang, text string, _ Rate) (audio.Clip, error) {
	s.calls.Add(1)
	c := audio.Clip{Rate: 22050, Samples: make([]int16, 1000*len(text))}
	for i := range c.Samples {
		c.Samples[i] = int16(i)
	}
	return c, nil
}

func TestCacheSynthesizesOncePerLanguageAndVersion(t *testing.T) {
	dir := t.TempDir()
	s := &countingSynth{}
	c := &Cache{Synth: s, Dir: dir}
	ctx := context.Background()
	if err := c.SetVersion("v1"); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := c.Get(ctx, Zh, "请稍候", Normal); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = c.Get(ctx, En, "请稍候", Normal) // another language
	_, _ = c.Get(ctx, Zh, "请稍候", Slow)   // another rate
	if n := s.calls.Load(); n != 3 {
		t.Errorf("%d syntheses, want 3 (zh, en, zh slow)", n)
	}
	// A restart finds the prompts on disk.
	c2 := &Cache{Synth: s, Dir: dir}
	_ = c2.SetVersion("v1")
	got, err := c2.Get(ctx, Zh, "请稍候", Normal)
	if err != nil || len(got.Samples) != 1000*len("请稍候") {
		t.Fatalf("from disk: %d samples, %v", len(got.Samples), err)
	}
	if n := s.calls.Load(); n != 3 {
		t.Errorf("restart synthesized again: %d calls", n)
	}
	// A new catalog version drops the old files.
	if err := c2.SetVersion("v2"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "v1")); !os.IsNotExist(err) {
		t.Errorf("v1 kept after switching to v2: %v", err)
	}
	_, _ = c2.Get(ctx, Zh, "请稍候", Normal)
	if n := s.calls.Load(); n != 4 {
		t.Errorf("v2 did not synthesize anew: %d calls", n)
	}
}

func TestCacheMemoryIsBounded(t *testing.T) {
	s := &countingSynth{}
	c := &Cache{Synth: s, MaxBytes: 10_000} // room for two 4000-byte clips
	ctx := context.Background()
	for _, txt := range []string{"aa", "bb", "cc"} {
		_, _ = c.Get(ctx, En, txt, Normal)
	}
	st := c.Stats()
	if st.Bytes > 10_000 || st.Entries != 2 {
		t.Errorf("stats %+v: want at most 10000 bytes in 2 entries", st)
	}
	_, _ = c.Get(ctx, En, "cc", Normal) // still there
	_, _ = c.Get(ctx, En, "aa", Normal) // evicted first
	if n := s.calls.Load(); n != 4 {
		t.Errorf("%d syntheses, want 4", n)
	}
}

func TestCacheReplacesDamagedFile(t *testing.T) {
	dir := t.TempDir()
	s := &countingSynth{}
	c := &Cache{Synth: s, Dir: dir}
	ctx := context.Background()
	_, _ = c.Get(ctx, En, "hello", Normal)
	path := filepath.Join(dir, "default", key(En, "hello", Normal)+".wav")
	if err := os.WriteFile(path, []byte("RIFF junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	c2 := &Cache{Synth: s, Dir: dir}
	if got, err := c2.Get(ctx, En, "hello", Normal); err != nil || len(got.Samples) != 5000 {
		t.Fatalf("%d samples, %v", len(got.Samples), err)
	}
	if b, _ := os.ReadFile(path); len(b) != 44+10000 {
		t.Errorf("damaged file not replaced: %d bytes", len(b))
	}
}

func TestCleanVersion(t *testing.T) {
	for in, want := range map[string]string{"": "default", "..": "default", "2026-12.3": "2026-12.3", "../x": ".._x"} {
		if got := cleanVersion(in); got != want {
			t.Errorf("cleanVersion(%q) = %q, want %q", in, got, want)
		}
	}
}
