package ui_test

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"github.com/govkiosk/govkiosk/assets"
	"github.com/govkiosk/govkiosk/kiosk/catalog"
	"github.com/govkiosk/govkiosk/ui"
	"github.com/govkiosk/govkiosk/ui/uitest"
)

// TestCatalogCardsNotStretched: with the shipped catalog full screen at 1920×1080, elder
// mode shows two rows of cards (it showed one row of two, stretched to the whole list and
// mostly empty, so the catalog ran to 15 pages), and English and Chinese three; on every
// display no card is drawn taller than the page's tallest card needs.
func TestCatalogCardsNotStretched(t *testing.T) {
	cat, err := catalog.Parse(assets.DefaultCatalog())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"1920x1080/zh": 6, "1920x1080/en": 6, "1920x1080/elder": 4}
	for _, d := range displays {
		for _, m := range visitModes {
			name := d.name + "/" + m.name
			t.Run(name, func(t *testing.T) {
				k := uitest.Start(t, uitest.Options{Fonts: true, Size: d.size, Deps: func(dd *ui.Deps) { dd.Catalog = uitest.StaticCatalog{C: cat} }})
				if m.elder {
					k.Tap("home.elder")
				}
				if m.en {
					k.Tap("home.lang")
				}
				k.Tap("home.apply")
				k.WaitScreen("catalog")
				for page := 1; page <= 3; page++ {
					k.Drain()
					// Every row is as tall as the page's tallest card: no taller.
					cards, tallest := 0, float32(0)
					for _, id := range k.IDs() {
						if strings.HasPrefix(id, "catalog.service.") {
							cards++
							tallest = max(tallest, k.App.Element(id).MinSize().Height)
						}
					}
					for _, id := range k.IDs() {
						if o := k.App.Element(id); strings.HasPrefix(id, "catalog.service.") && o.Size().Height > tallest+2 {
							t.Errorf("page %d: %s is %.0f px tall; the tallest card needs %.0f", page, id, o.Size().Height, tallest)
						}
					}
					if n, ok := want[name]; ok && page == 1 && cards != n {
						t.Errorf("page 1 shows %d cards, want %d", cards, n)
					}
					next, ok := k.App.Element("catalog.page.next").(fyne.Disableable)
					if !ok || next.Disabled() {
						break
					}
					k.Tap("catalog.page.next")
				}
			})
		}
	}
}
