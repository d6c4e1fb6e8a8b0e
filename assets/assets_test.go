package assets

import (
	"io/fs"
	"testing"

	"github.com/govkiosk/govkiosk/kiosk/catalog"
)

func TestEmbeddedCatalogLoads(t *testing.T) {
	c, err := catalog.Parse(DefaultCatalog())
	if err != nil {
		t.Fatalf("embedded default catalog: %v", err)
	}
	if n := len(c.Services()); n < 15 {
		t.Fatalf("embedded catalog has %d services, want at least 15", n)
	}
}

func TestEmbeddedCards(t *testing.T) {
	names, err := fs.Glob(Cards(), "*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 3 {
		t.Fatalf("want at least 3 sample cards, got %v", names)
	}
}
