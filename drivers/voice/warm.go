package voice

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/govkiosk/govkiosk/drivers/tts"
	"github.com/govkiosk/govkiosk/kiosk/speech"
)

// Prompts reads every spoken prompt ("voice.*" keys) in every language from translation
// files: one flat JSON object per language at the top of fsys, named "<language>.json"
// (the format ui/locale reads). Plural-form entries are not prompts and are skipped.
func Prompts(fsys fs.FS) ([]Prompt, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, fmt.Errorf("voice: prompts: %w", err)
	}
	var out []Prompt
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("voice: prompts: %w", err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("voice: prompts: %s: %w", name, err)
		}
		lang := strings.TrimSuffix(name, ".json")
		keys := make([]string, 0, len(m))
		for k := range m {
			if strings.HasPrefix(k, speech.Prefix) {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			var text string
			if json.Unmarshal(m[k], &text) == nil {
				out = append(out, Prompt{ID: k, Lang: lang, Text: text})
			}
		}
	}
	return out, nil
}

// Warm synthesizes every prompt, and every character a tracking code can hold, into the
// speech cache, so that each screen's first audio comes from the cache. It stops with
// ctx, and gives way to every prompt a screen asks for meanwhile. Run it at start-up and
// after a catalog push, off the UI goroutine.
func Warm(ctx context.Context, sp Speech, prompts []Prompt) error {
	ctx = tts.Background(ctx) // a screen's prompt goes first
	langs := map[string]bool{}
	for _, p := range prompts {
		if err := speech.Check(p.Text); err != nil {
			return fmt.Errorf("voice: prompt %s (%s): %w", p.ID, p.Lang, err)
		}
		if _, err := sp.Get(ctx, Lang(p.Lang), p.Text, tts.Normal); err != nil {
			return fmt.Errorf("voice: warm %s (%s): %w", p.ID, p.Lang, err)
		}
		langs[p.Lang] = true
	}
	for l := range langs {
		for _, ch := range codeAlphabet {
			if _, err := sp.Get(ctx, Lang(l), string(ch), tts.Slow); err != nil {
				return fmt.Errorf("voice: warm code characters (%s): %w", l, err)
			}
		}
	}
	return nil
}

// codeAlphabet is every character a canonical tracking code holds (Crockford base 32).
const codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
