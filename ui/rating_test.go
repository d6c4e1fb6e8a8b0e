package ui_test

import (
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govkiosk/govkiosk/assets"
	"github.com/govkiosk/govkiosk/kiosk/catalog"
	"github.com/govkiosk/govkiosk/ui"
	"github.com/govkiosk/govkiosk/ui/uitest"
)

// TestPublishedRatingOnTheCatalog: an item the platform marked in the catalog (好差评,
// four stars or more) carries a star and its average on its catalog card, in both
// languages; items without a mark carry none.
func TestPublishedRatingOnTheCatalog(t *testing.T) {
	var m map[string]any
	if err := json.Unmarshal(assets.DefaultCatalog(), &m); err != nil {
		t.Fatal(err)
	}
	first := m["items"].([]any)[0].(map[string]any)
	first["rating"] = map[string]any{"average": 4.6, "count": 120, "since": "2026-11-01"}
	raw, _ := json.Marshal(m)
	cat, err := catalog.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ lang, want string }{{"zh", "★4.6 好评"}, {"en", "★4.6 rated"}} {
		t.Run(tt.lang, func(t *testing.T) {
			k := uitest.Start(t, uitest.Options{Deps: func(d *ui.Deps) { d.Catalog = uitest.StaticCatalog{C: cat} }})
			if tt.lang == "en" {
				k.Tap("home.lang")
			}
			k.Tap("home.apply")
			k.WaitScreen("catalog")
			k.Drain()
			n := 0
			for _, s := range k.Texts() {
				if strings.Contains(s, "★") {
					n++
					if s != tt.want {
						t.Errorf("badge %q, want %q", s, tt.want)
					}
				}
			}
			if n != 1 {
				t.Errorf("%d badges on the first catalog page, want 1 (texts %q)", n, strings.Join(k.Texts(), " | "))
			}
			if dir := os.Getenv("UI_SCREENSHOTS"); dir != "" {
				f, err := os.Create(filepath.Join(dir, "catalog-rating-"+tt.lang+".png"))
				if err == nil {
					png.Encode(f, k.Capture())
					f.Close()
				}
			}
		})
	}
}
