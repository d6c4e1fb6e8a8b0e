package ui_test

import (
	"os"
	"strings"
	"testing"

	"github.com/govkiosk/govkiosk/kiosk/catalog"
	"github.com/govkiosk/govkiosk/kiosk/session"
	"github.com/govkiosk/govkiosk/ui"
	"github.com/govkiosk/govkiosk/ui/uitest"
)

// toMaterials goes to the household certificate's materials with the form filled.
func toMaterials(t *testing.T, k *uitest.Kiosk) {
	t.Helper()
	toForm(t, k)
	fillForm(t, k)
	k.Tap("form.next")
	k.WaitScreen("materials")
}

func scanOne(t *testing.T, k *uitest.Kiosk, n int) {
	t.Helper()
	k.Tap("materials.scan.household-register")
	k.Loop.WaitFor(t, "page scanned", func() bool { return k.App.Session().PageCount("household-register") == n })
	k.Drain()
}

func fewerShown(k *uitest.Kiosk) bool {
	o := k.App.Element("materials.fewer")
	return o != nil && o.Visible()
}

// TestPageCountsEnforced: the household register has 2 pages; with 1 scanned, 下一步
// stays on the materials and says which material has how many of how many pages, and
// offers no way on, since the item needs both. With the second page it goes on.
func TestPageCountsEnforced(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	toMaterials(t, k)
	scanOne(t, k, 1)
	k.Tap("materials.next")
	if name := k.App.ScreenName(); name != "materials" {
		t.Fatalf("1 of the household register's 2 pages went on to %s", name)
	}
	if !k.Shows("户口簿共 2 页，只扫描了 1 页，还差 1 页") {
		t.Errorf("the materials screen does not say what is missing; texts %q", strings.Join(k.Texts(), " | "))
	}
	if fewerShown(k) {
		t.Error("offers to go on with fewer pages, which this item does not allow")
	}
	scanOne(t, k, 2)
	k.Tap("materials.next")
	k.WaitScreen("review")
	k.Tap("review.confirm")
	k.WaitScreen("receipt")
	if subs := k.Submitter.Submissions(); len(subs) != 1 || subs[0].Pages != 2 || len(subs[0].Short) != 0 {
		t.Errorf("submissions %+v; want one with 2 pages and nothing short", subs)
	}
}

// TestFewerPagesWhereAllowed: where the item accepts 1 page of 2 (min_pages), the
// resident is told what is missing and may go on; the submission records it.
func TestFewerPagesWhereAllowed(t *testing.T) {
	b, err := os.ReadFile("uitest/catalog.json")
	if err != nil {
		t.Fatal(err)
	}
	const reg = `"id": "household-register", "title": {"zh": "户口簿", "en": "Household register"}, "scannable": true, "pages": 2,`
	if !strings.Contains(string(b), reg) {
		t.Fatal("the sample catalog's household register changed; update this test")
	}
	cat, err := catalog.Parse([]byte(strings.Replace(string(b), reg, reg+` "min_pages": 1,`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	k := uitest.Start(t, uitest.Options{Deps: func(d *ui.Deps) { d.Catalog = uitest.StaticCatalog{C: cat} }})
	k.Tap("home.lang")
	toMaterials(t, k)
	scanOne(t, k, 1)
	k.Tap("materials.next")
	if !k.Shows("Household register has 2 pages: 1 scanned, 1 still to scan") || !fewerShown(k) {
		t.Fatalf("1 of 2 pages where 1 will do: fewer offered %v; texts %q", fewerShown(k), strings.Join(k.Texts(), " | "))
	}
	k.Tap("materials.fewer")
	k.WaitScreen("review")
	k.Tap("review.confirm")
	k.WaitScreen("receipt")
	subs := k.Submitter.Submissions()
	want := session.Shortfall{MaterialID: "household-register", Scanned: 1, Want: 2, Min: 1}
	if len(subs) != 1 || len(subs[0].Short) != 1 || subs[0].Short[0] != want {
		t.Errorf("submissions %+v; want one recording the register's 1 of 2 pages", subs)
	}
}
