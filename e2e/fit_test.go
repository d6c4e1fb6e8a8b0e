package e2e

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestElderAndEnglishVisitsFullScreen runs a visit in elder mode and one in English on the
// real kiosk, full screen at 1920×1080 (production's display) and at 1280×800: every
// screen must fit the display with its header and actions where taps land (screen.wait
// checks each map); English holds for the visit (返回 to the start screen keeps it) and
// elder mode ends with it.
func TestElderAndEnglishVisitsFullScreen(t *testing.T) {
	for _, d := range []struct{ w, h int }{{1920, 1080}, {1280, 800}} {
		t.Run(fmt.Sprintf("%dx%d", d.w, d.h), func(t *testing.T) {
			if testing.Short() {
				t.Skip("end-to-end: builds and runs the real binaries under Xvfb")
			}
			needTools(t, "Xvfb", "xdotool", "import")
			w := startWorld(t)
			s, _ := w.startKioskOn(t, d.w, d.h)
			s.wait("home", 60*time.Second)
			s.settle()
			home := s.wait("home", time.Second)
			elderLabel := label(t, home, "home.elder")

			// Elder mode: the catalog, a guide, identification and the prefilled form.
			s.tap("home.elder")
			eventually(t, 30*time.Second, "elder mode on", func() error {
				m, err := s.read()
				if err != nil {
					return err
				}
				for _, e := range m.Elements {
					if e.ID == "home.elder" && e.Label != elderLabel {
						return nil
					}
				}
				return fmt.Errorf("the elder switch still says %q", elderLabel)
			})
			s.settle()
			s.shot("home-elder")
			s.tap("home.apply")
			s.wait("catalog", 30*time.Second)
			s.settle()
			s.shot("catalog-elder")
			need(t, s.wait("catalog", time.Second), "nav.back", "nav.home", "catalog.page.next")
			s.tap("catalog.category.household")
			time.Sleep(300 * time.Millisecond)
			s.tap("catalog.service.residence-permit")
			s.wait("guide", 10*time.Second)
			s.shot("guide-elder")
			need(t, s.wait("guide", time.Second), "nav.back", "nav.home", "guide.begin")
			s.tap("guide.begin")
			s.wait("identify", 10*time.Second)
			w.card.send(t, "place resident")
			s.wait("form", 20*time.Second)
			s.settle()
			s.shot("form-elder")
			need(t, s.wait("form", time.Second), "nav.back", "nav.home", "form.next")

			// Leaving ends the visit: the start screen is back at its own size, in
			// Chinese, without elder mode, its switches in view.
			s.tap("nav.home")
			eventually(t, 10*time.Second, "leaving", func() error {
				m, err := s.read()
				switch {
				case err != nil:
					return err
				case m.Screen == "confirm_home":
					s.tap("confirm_home.leave")
					return fmt.Errorf("confirming")
				case m.Screen != "home":
					return fmt.Errorf("on %s", m.Screen)
				}
				return nil
			})
			s.wait("home", 10*time.Second)
			s.settle()
			home = s.wait("home", time.Second)
			s.shot("home-after-elder")
			need(t, home, "home.elder", "home.lang", "home.apply")
			if got := label(t, home, "home.elder"); got != elderLabel {
				t.Errorf("after the elder visit the switch says %q, want %q (elder mode outlived the visit)", got, elderLabel)
			}

			// English: the catalog and the query screen with its keyboard.
			s.tap("home.lang")
			eventually(t, 30*time.Second, "English on", func() error {
				m, err := s.read()
				if err != nil {
					return err
				}
				if l := label(t, m, "home.lang"); l != "中文" {
					return fmt.Errorf("the language switch still says %q", l)
				}
				return nil
			})
			s.settle()
			s.shot("home-en")
			s.tap("home.apply")
			s.wait("catalog", 30*time.Second)
			s.settle()
			s.shot("catalog-en")
			need(t, s.wait("catalog", time.Second), "nav.back", "nav.home", "catalog.page.next")
			s.tap("nav.back")
			s.wait("home", 10*time.Second)
			s.settle()
			home = s.wait("home", time.Second)
			if got := label(t, home, "home.lang"); got != "中文" {
				t.Errorf("back on the start screen the language switch says %q: English did not hold for the visit", got)
			}
			s.tap("home.track")
			s.wait("query", 10*time.Second)
			s.settle()
			s.shot("query-en")
			need(t, s.wait("query", time.Second), "nav.back", "nav.home", "query.lookup", "keyboard.a")
		})
	}
}

// need fails unless every id is on the map (wait has checked they lie inside the display).
func need(t *testing.T, m uiMap, want ...string) {
	t.Helper()
	have := ids(m)
	for _, id := range want {
		if !slices.Contains(have, id) {
			t.Errorf("screen %q: %s is not in view (%v)", m.Screen, id, have)
		}
	}
}

// label is an element's label on the map.
func label(t *testing.T, m uiMap, id string) string {
	t.Helper()
	for _, e := range m.Elements {
		if e.ID == id {
			return e.Label
		}
	}
	t.Fatalf("screen %q has no %s: %v", m.Screen, id, ids(m))
	return ""
}
