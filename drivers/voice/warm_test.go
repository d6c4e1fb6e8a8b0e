package voice

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	i18nfiles "github.com/govkiosk/govkiosk/assets/i18n"
	"github.com/govkiosk/govkiosk/kiosk/speech"
)

// Every screen's prompt exists in both languages and passes the privacy check, so no
// prompt is ever refused at run time.
func TestShippedPromptsAreSpeakable(t *testing.T) {
	ps, err := Prompts(i18nfiles.Files)
	if err != nil {
		t.Fatal(err)
	}
	byLang := map[string]map[string]bool{}
	for _, p := range ps {
		if byLang[p.Lang] == nil {
			byLang[p.Lang] = map[string]bool{}
		}
		byLang[p.Lang][p.ID] = true
		if err := speech.Check(p.Text); err != nil {
			t.Errorf("%s (%s): %v", p.ID, p.Lang, err)
		}
	}
	if len(byLang) != 2 {
		t.Fatalf("prompts in %d languages, want 2", len(byLang))
	}
	for _, id := range []string{"voice.home", "voice.identify", "voice.identify.offline", "voice.materials",
		"voice.materials.offline", "voice.receipt", "voice.receipt.paper", "voice.still_there"} {
		for lang, ids := range byLang {
			if !ids[id] {
				t.Errorf("%s has no %s", lang, id)
			}
		}
	}
	for lang, ids := range byLang {
		for other, oids := range byLang {
			for id := range ids {
				if !oids[id] {
					t.Errorf("%s is in %s but not %s", id, lang, other)
				}
			}
		}
	}
}

func TestWarmFillsPromptsAndCodeCharacters(t *testing.T) {
	sp := &fakeSpeech{}
	ps := []Prompt{{ID: "voice.home", Lang: "zh-CN", Text: "欢迎"}, {ID: "voice.home", Lang: "en", Text: "Welcome"}}
	if err := Warm(context.Background(), sp, ps); err != nil {
		t.Fatal(err)
	}
	if got, want := len(sp.asked()), 2+2*len(codeAlphabet); got != want {
		t.Errorf("%d syntheses, want %d", got, want)
	}
	if err := Warm(context.Background(), sp, []Prompt{{ID: "voice.bad", Lang: "en", Text: "ID 9901011990"}}); err == nil ||
		!strings.Contains(err.Error(), "voice.bad") {
		t.Errorf("a prompt with digits warmed: %v", err)
	}
}

func TestPromptsReadsOnlyVoiceStrings(t *testing.T) {
	fsys := fstest.MapFS{
		"en.json":    {Data: []byte(`{"voice.home": "Welcome", "home.apply": "Apply", "voice.count": {"one": "x", "other": "y"}}`)},
		"zh-CN.json": {Data: []byte(`{"voice.home": "欢迎"}`)},
	}
	ps, err := Prompts(fsys)
	if err != nil {
		t.Fatal(err)
	}
	want := []Prompt{{ID: "voice.home", Lang: "en", Text: "Welcome"}, {ID: "voice.home", Lang: "zh-CN", Text: "欢迎"}}
	if len(ps) != len(want) || ps[0] != want[0] || ps[1] != want[1] {
		t.Errorf("got %+v, want %+v", ps, want)
	}
	if _, err := Prompts(fstest.MapFS{"en.json": {Data: []byte("{")}}); err == nil {
		t.Error("broken JSON accepted")
	}
}
