package ui

import (
	"testing"

	"github.com/govkiosk/govkiosk/ime/pinyin"
	"github.com/govkiosk/govkiosk/kiosk/form"
)

// The catalog's text kinds (kiosk/form) and the pinyin engine's kinds are two lists kept
// apart by the layer rules; imeKind joins them by name. Every catalog kind must reach the
// engine as a kind it knows, and two catalog kinds never as the same one, so a kind added
// or renamed on one side only fails here instead of silently ranking as free text.
func TestEveryTextKindReachesTheEngine(t *testing.T) {
	seen := map[pinyin.Kind]form.TextKind{}
	for _, k := range form.TextKinds {
		got := imeKind(&form.Field{TextKind: k})
		if !got.Valid() {
			t.Errorf("catalog kind %q reaches the engine as %q, which it does not know", k, got)
		}
		if other, dup := seen[got]; dup {
			t.Errorf("catalog kinds %q and %q both reach the engine as %q", other, k, got)
		}
		seen[got] = k
	}
	if len(seen) != len(pinyin.Kinds) {
		t.Errorf("%d catalog kinds for the engine's %d", len(seen), len(pinyin.Kinds))
	}
}
