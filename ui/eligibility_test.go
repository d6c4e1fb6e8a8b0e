package ui_test

import (
	"strings"
	"testing"

	"github.com/govkiosk/govkiosk/assets"
	"github.com/govkiosk/govkiosk/kiosk/catalog"
	"github.com/govkiosk/govkiosk/kiosk/session"
	"github.com/govkiosk/govkiosk/ui"
	"github.com/govkiosk/govkiosk/ui/uitest"
)

// TestEligibilityRefusedAfterIdentify: with the shipped catalog, a synthetic resident
// born in 1990 places the card for the 80-and-over bundle. The kiosk stays at
// identification and says, in the resident's language, why this service is not for them
// and where to go instead; nothing of the card is kept. A resident born in 1940 goes on.
func TestEligibilityRefusedAfterIdentify(t *testing.T) {
	cat, err := catalog.Parse(assets.DefaultCatalog())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		lang                  string
		why, then, at36, at70 string
	}{
		{"zh", "年满80周岁", "民政窗口", "您今天36周岁", "您今天70周岁"},
		{"en", "aged 80 or over", "civil affairs counter", "You are 36 today", "You are 70 today"},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			k := uitest.Start(t, uitest.Options{Deps: func(d *ui.Deps) { d.Catalog = uitest.StaticCatalog{C: cat} }})
			if tt.lang == "en" {
				k.Tap("home.lang")
			}
			k.Tap("home.apply")
			k.WaitScreen("catalog")
			if err := k.App.Session().Choose(cat.Service("senior-bundle")); err != nil {
				t.Fatal(err)
			}
			k.WaitScreen("guide")
			k.Tap("guide.begin")
			k.WaitScreen("identify")

			young := uitest.Resident()
			young.Name = "测试丙"
			young.IDNumber = uitest.NumberFor("19900101", 31)
			k.Reader.Place(young)
			k.Loop.WaitFor(t, "the refusal", func() bool { k.Drain(); return k.Shows(tt.why) })
			if !k.Shows(tt.at36) || !k.Shows(tt.then) {
				t.Errorf("the refusal does not give the age (%q) and where to go instead (%q); texts %q", tt.at36, tt.then, strings.Join(k.Texts(), " | "))
			}
			if st := k.App.Session().State(); st != session.StateIdentify || k.App.Session().Identity() != nil {
				t.Errorf("refused resident: state %s, identity kept %v", st, k.App.Session().Identity() != nil)
			}
			assertNothingPersonal(t, k, []string{young.IDNumber, "测试丙"})

			k.Reader.Place(uitest.Resident()) // born 1956: 70, still refused
			k.Loop.WaitFor(t, "a second refusal", func() bool { k.Drain(); return k.Shows(tt.at70) })
			old := uitest.Resident()
			old.IDNumber = uitest.NumberFor("19400101", 33)
			k.Reader.Place(old)
			k.WaitScreen("form")
		})
	}
}
