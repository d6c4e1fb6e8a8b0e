package posixlocale

import (
	"os"
	"testing"
)

func TestIsPOSIX(t *testing.T) {
	for _, c := range []struct {
		locale string
		want   bool
	}{
		{"C", true}, {"C.UTF-8", true}, {"C.utf8", true}, {"POSIX", true}, {"C.UTF-8@euro", true},
		{"", false}, {"en_US.UTF-8", false}, {"zh_CN.UTF-8", false}, {"Ca_ES", false}, {"CC", false},
	} {
		if got := IsPOSIX(c.locale); got != c.want {
			t.Errorf("IsPOSIX(%q) = %v, want %v", c.locale, got, c.want)
		}
	}
}

func TestApplySetsLanguageOnlyUnderPOSIX(t *testing.T) {
	for _, c := range []struct {
		name                    string
		lcAll, lcMessages, lang string
		language, wantLanguage  string
		wantSet                 bool
	}{
		{name: "C.UTF-8", lang: "C.UTF-8", wantLanguage: "en", wantSet: true},
		{name: "LC_ALL wins", lcAll: "POSIX", lang: "zh_CN.UTF-8", wantLanguage: "en", wantSet: true},
		{name: "LC_MESSAGES before LANG", lcMessages: "zh_CN.UTF-8", lang: "C", wantLanguage: ""},
		{name: "real locale", lang: "en_GB.UTF-8", wantLanguage: ""},
		{name: "LANGUAGE given", lang: "C.UTF-8", language: "zh_CN", wantLanguage: "zh_CN"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("LC_ALL", c.lcAll)
			t.Setenv("LC_MESSAGES", c.lcMessages)
			t.Setenv("LANG", c.lang)
			t.Setenv("LANGUAGE", c.language)
			set = apply()
			if set != c.wantSet || os.Getenv("LANGUAGE") != c.wantLanguage {
				t.Fatalf("set %v, LANGUAGE %q; want %v, %q", set, os.Getenv("LANGUAGE"), c.wantSet, c.wantLanguage)
			}
			Restore()
			if os.Getenv("LANGUAGE") != c.language {
				t.Errorf("after Restore LANGUAGE is %q, want %q", os.Getenv("LANGUAGE"), c.language)
			}
		})
	}
}
