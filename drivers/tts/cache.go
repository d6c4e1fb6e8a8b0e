package tts

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/govkiosk/govkiosk/drivers/audio"
	"github.com/govkiosk/govkiosk/internal/atomicfile"
)

// Synthesizer is what the Cache needs of an engine; *Engine is one, and tests use fakes.
type Synthesizer interface {
	Synthesize(ctx context.Context, lang Lang, text string, rate Rate) (audio.Clip, error)
}

// Cache keeps synthesized prompts so that a screen's prompt starts within milliseconds:
// in memory up to MaxBytes (least recently used first out), and on disk under
// Dir/VERSION/LANG/ as WAV files named by a hash of voice, rate and text. VERSION is the
// catalog version: when the hub pushes a new catalog, SetVersion drops every other
// version's files.
//
// Only fixed instruction texts belong in a Cache (and single characters of a tracking
// code): never a resident's name, ID number or anything typed.
type Cache struct {
	Synth Synthesizer
	// Dir is where synthesized prompts are kept across restarts; empty keeps them only
	// in memory.
	Dir string
	// MaxBytes bounds the memory the cache holds; 0 means 16 MiB.
	MaxBytes int

	mu      sync.Mutex
	version string
	lru     *list.List // of *entry, most recent at the front
	byKey   map[string]*list.Element
	bytes   int
	hits    int
	misses  int
}

type entry struct {
	key  string
	clip audio.Clip
}

// CacheStats counts lookups since the cache was made.
type CacheStats struct {
	Hits, Misses, Entries, Bytes int
}

func (c *Cache) init() {
	if c.byKey == nil {
		c.byKey = map[string]*list.Element{}
		c.lru = list.New()
	}
}

func (c *Cache) max() int {
	if c.MaxBytes > 0 {
		return c.MaxBytes
	}
	return 16 << 20
}

// SetVersion switches the cache to a catalog version, forgetting what was synthesized
// for others, in memory and on disk.
func (c *Cache) SetVersion(v string) error {
	v = cleanVersion(v)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.init()
	if v == c.version {
		return nil
	}
	c.version = v
	c.lru.Init()
	clear(c.byKey)
	c.bytes = 0
	if c.Dir == "" {
		return nil
	}
	entries, err := os.ReadDir(c.Dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("tts: cache: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() && e.Name() != v {
			if err := os.RemoveAll(filepath.Join(c.Dir, e.Name())); err != nil {
				return fmt.Errorf("tts: cache: drop version %q: %w", e.Name(), err)
			}
		}
	}
	return nil
}

// cleanVersion keeps a version usable as one directory name.
func cleanVersion(v string) string {
	v = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, v)
	if v == "" || strings.Trim(v, ".") == "" {
		return "default"
	}
	return v
}

func key(lang Lang, text string, rate Rate) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%s\x00%d\x00%s", lang, voices[lang], rate, text)))
	return string(lang) + "/" + hex.EncodeToString(h[:12])
}

// Get returns text spoken in lang at rate, synthesizing it only the first time.
func (c *Cache) Get(ctx context.Context, lang Lang, text string, rate Rate) (audio.Clip, error) {
	k := key(lang, text, rate)
	c.mu.Lock()
	c.init()
	if c.version == "" {
		c.version = "default"
	}
	version := c.version
	if el, ok := c.byKey[k]; ok {
		c.lru.MoveToFront(el)
		c.hits++
		clip := el.Value.(*entry).clip
		c.mu.Unlock()
		return clip, nil
	}
	c.misses++
	c.mu.Unlock()

	var path string
	if c.Dir != "" {
		path = filepath.Join(c.Dir, version, k+".wav")
		if b, err := os.ReadFile(path); err == nil {
			if clip, err := audio.DecodeWAV(b); err == nil {
				c.put(version, k, clip)
				return clip, nil
			}
			// A damaged file (power cut mid-write before atomic writes, disk fault):
			// synthesize again below and replace it.
		}
	}
	clip, err := c.Synth.Synthesize(ctx, lang, text, rate)
	if err != nil {
		return audio.Clip{}, err
	}
	if path != "" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return clip, fmt.Errorf("tts: cache: %w", err)
		}
		if err := atomicfile.Write(path, 0o644, func(w io.Writer) error { return audio.EncodeWAV(w, clip) }); err != nil {
			return clip, fmt.Errorf("tts: cache: %w", err)
		}
	}
	c.put(version, k, clip)
	return clip, nil
}

func (c *Cache) put(version, k string, clip audio.Clip) {
	size := 2 * len(clip.Samples)
	c.mu.Lock()
	defer c.mu.Unlock()
	if version != c.version || size > c.max() {
		return
	}
	if _, ok := c.byKey[k]; ok {
		return
	}
	c.byKey[k] = c.lru.PushFront(&entry{key: k, clip: clip})
	c.bytes += size
	for c.bytes > c.max() {
		el := c.lru.Back()
		e := el.Value.(*entry)
		c.lru.Remove(el)
		delete(c.byKey, e.key)
		c.bytes -= 2 * len(e.clip.Samples)
	}
}

// Stats reports hits and misses so far, and what the cache holds in memory.
func (c *Cache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{Hits: c.hits, Misses: c.misses, Entries: len(c.byKey), Bytes: c.bytes}
}
