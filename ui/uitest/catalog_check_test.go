package uitest

import "testing"

func TestCatalogParses(t *testing.T) {
	c := Catalog()
	if c.Service("hukou-proof") == nil || c.Service("newborn") == nil {
		t.Fatal("sample catalog lacks the services the UI tests use")
	}
}
