package session

import (
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/form"
)

// TestBackToStartKeepsLanguageAndElder: going back to the start screen is still the same
// resident's visit, so their language and elder mode hold; the visit's personal data goes.
// They end when the visit does: 首页 (leave), or the start screen left alone for the
// idle timeout.
func TestBackToStartKeepsLanguageAndElder(t *testing.T) {
	for _, from := range []struct {
		name string
		open func(s *Session) error
	}{
		{"catalog", (*Session).Start},
		{"query", (*Session).OpenQuery},
		{"notices", (*Session).OpenNotices},
		{"rate", (*Session).OpenRate},
	} {
		t.Run(from.name, func(t *testing.T) {
			s, clk, rec := newSession(t)
			s.SetLang(form.En)
			s.SetElder(true)
			must(t, from.open(s))
			must(t, s.Back())
			if s.State() != StateIdle {
				t.Fatalf("back went to %s", s.State())
			}
			if s.Lang() != form.En || !s.Elder() {
				t.Fatalf("back to the start screen: language %s, elder %v; want en, true", s.Lang(), s.Elder())
			}
			// Left alone on the start screen, the visit ends.
			clk.Advance(idleTimeout*ElderFactor - time.Second)
			s.Tick()
			if s.Lang() != form.En || !s.Elder() {
				t.Fatal("the settings ended before the idle timeout")
			}
			clk.Advance(time.Second)
			s.Tick()
			if s.Lang() != form.Zh || s.Elder() {
				t.Errorf("idle on the start screen: language %s, elder %v; the next resident inherits them", s.Lang(), s.Elder())
			}
			if w := rec.kinds(UpdateWiped); len(w) == 0 || w[len(w)-1].Reason != ReasonTimeout {
				t.Errorf("no timeout wipe after the start screen was left alone: %+v", w)
			}
		})
	}
}

// TestStartScreenDefaultsNeverTimeOut: the start screen with the default settings has
// nothing to wipe and says nothing when left alone.
func TestStartScreenDefaultsNeverTimeOut(t *testing.T) {
	s, clk, rec := newSession(t)
	clk.Advance(10 * idleTimeout)
	s.Tick()
	if w := rec.kinds(UpdateWiped); len(w) != 0 {
		t.Errorf("an untouched start screen was wiped: %+v", w)
	}
}
