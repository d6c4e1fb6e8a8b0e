// Package posixlocale keeps the UI toolkit quiet under the C (POSIX) locale.
//
// Fyne's lang package reads the user's locale in its package init, before main runs. Under
// LANG=C.UTF-8 (the default of Debian containers and of many service units) the locale
// library it uses reports the language "C", which is not a language tag, and Fyne logs
// "Fyne error: Error parsing user locale C" on every start, even for `kiosk -help`. The
// kiosk's own language comes from its configuration, so the toolkit only needs a
// well-formed tag.
//
// A program imports this package for its effect, before the UI toolkit:
//
//	import _ "github.com/govkiosk/govkiosk/internal/posixlocale"
//
// Its init runs before Fyne's: the language spec (Go 1.21 and later) initializes, at each
// step, the first package by import path whose imports are all initialized. This package
// needs only os and strings, and sorts before the locale library Fyne's lang package
// imports (github.com/jeandeaual/go-locale), which itself needs os. Under a C or POSIX
// locale with LANGUAGE unset, init sets LANGUAGE to "en" (the language the C locale speaks
// anyway); Restore takes it away again once the toolkit has read it, so child processes
// see the environment the program was given.
package posixlocale

import (
	"os"
	"strings"
)

// set says whether init set LANGUAGE.
var set bool

func init() { set = apply() }

// apply sets LANGUAGE=en when the locale that decides messages is C or POSIX (with any
// codeset, like C.UTF-8) and LANGUAGE is not set; it reports whether it did.
func apply() bool {
	if os.Getenv("LANGUAGE") != "" || !IsPOSIX(messagesLocale()) {
		return false
	}
	return os.Setenv("LANGUAGE", "en") == nil
}

// messagesLocale is the locale for messages as POSIX resolves it: LC_ALL, else LC_MESSAGES,
// else LANG.
func messagesLocale() string {
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if l := os.Getenv(v); l != "" {
			return l
		}
	}
	return ""
}

// IsPOSIX reports whether a locale name is the C or POSIX locale, with or without a
// codeset or modifier ("C", "C.UTF-8", "POSIX", "C.utf8@euro").
func IsPOSIX(locale string) bool {
	name, _, _ := strings.Cut(locale, "@")
	name, _, _ = strings.Cut(name, ".")
	return name == "C" || name == "POSIX"
}

// Restore unsets LANGUAGE if init set it. Call it at the start of main.
func Restore() {
	if set {
		_ = os.Unsetenv("LANGUAGE")
		set = false
	}
}
