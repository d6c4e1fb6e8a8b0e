// Package locale translates the kiosk's interface text and switches language at run time.
//
// Translations are files in the format of Fyne's lang package (go-i18n JSON: a flat object
// from message key to text, or to an object of CLDR plural forms such as "one" and
// "other"), one file per language named after its BCP 47 tag ("zh-CN.json", "en.json").
// Fyne's lang package picks its language once, from the operating system's locale, and
// offers no way to change it afterwards; a kiosk must switch when a resident taps "English",
// so this package reads the same files and keeps the current language itself.
//
// Messages may be Go text/template strings ("已排队 {{.Count}} 件"). The package holds only
// interface text: it must never be handed personal data to keep, and it never logs.
package locale

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"text/template"
)

// Languages the kiosk ships, in the order the language toggle cycles through them.
const (
	Chinese = "zh-CN"
	English = "en"
)

// ErrUnknownLanguage is returned by SetLanguage for a language with no translation file.
var ErrUnknownLanguage = errors.New("locale: no translations for language")

// message is one translation: a plain text, or plural forms keyed by CLDR category.
type message struct {
	text   string
	plural map[string]string
}

func (m *message) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &m.text); err == nil {
		return nil
	}
	if err := json.Unmarshal(b, &m.plural); err != nil {
		return fmt.Errorf("want a string or an object of plural forms: %w", err)
	}
	if _, ok := m.plural["other"]; !ok {
		return errors.New(`plural forms need an "other" form`)
	}
	return nil
}

// Translator holds every language's messages and the current language. It is safe for
// concurrent use; the kiosk calls it from the UI goroutine.
type Translator struct {
	fallback string

	mu      sync.RWMutex
	current string
	msgs    map[string]map[string]message // language → key → message
	tmpl    map[string]*template.Template // language + "\x00" + form + key → parsed template
}

// Load reads every "<language>.json" file at the top of fsys. fallback is the language
// used for a key the current language lacks; it must be among the files.
func Load(fsys fs.FS, fallback string) (*Translator, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, fmt.Errorf("locale: list translations: %w", err)
	}
	t := &Translator{fallback: fallback, current: fallback,
		msgs: map[string]map[string]message{}, tmpl: map[string]*template.Template{}}
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("locale: %w", err)
		}
		m := map[string]message{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("locale: %s: %w", name, err)
		}
		t.msgs[strings.TrimSuffix(path.Base(name), ".json")] = m
	}
	if _, ok := t.msgs[fallback]; !ok {
		return nil, fmt.Errorf("%w %q (files: %v)", ErrUnknownLanguage, fallback, names)
	}
	return t, nil
}

// Languages lists the loaded languages, the fallback first and the rest sorted.
func (t *Translator) Languages() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]string, 0, len(t.msgs))
	for l := range t.msgs {
		if l != t.fallback {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return append([]string{t.fallback}, out...)
}

// Language returns the current language.
func (t *Translator) Language() string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.current
}

// SetLanguage switches the current language. Callers redraw what they showed.
func (t *Translator) SetLanguage(lang string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.msgs[lang]; !ok {
		return fmt.Errorf("%w %q", ErrUnknownLanguage, lang)
	}
	t.current = lang
	return nil
}

// Next returns the language after the current one in Languages order, wrapping around.
func (t *Translator) Next() string {
	langs := t.Languages()
	cur := t.Language()
	i := slices.Index(langs, cur)
	return langs[(i+1)%len(langs)]
}

// Has reports whether lang has its own translation of key.
func (t *Translator) Has(lang, key string) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	_, ok := t.msgs[lang][key]
	return ok
}

// Keys returns the keys of lang's file, sorted.
func (t *Translator) Keys(lang string) []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]string, 0, len(t.msgs[lang]))
	for k := range t.msgs[lang] {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// T returns key's text in the current language, falling back to the fallback language and
// then to the key itself, so a missing translation shows up plainly instead of as a blank.
// data, if given, fills the message's template fields.
func (t *Translator) T(key string, data ...map[string]any) string {
	return t.render("", key, -1, data)
}

// In is T in lang rather than the current language: for the few screens that say the
// same thing in every language at once because a resident cannot switch there.
func (t *Translator) In(lang, key string, data ...map[string]any) string {
	return t.render(lang, key, -1, data)
}

// N is T for messages with plural forms: count picks the form and is available to the
// template as .Count.
func (t *Translator) N(key string, count int, data ...map[string]any) string {
	d := map[string]any{"Count": count}
	for _, m := range data {
		for k, v := range m {
			d[k] = v
		}
	}
	return t.render("", key, count, []map[string]any{d})
}

// render is key's text in lang ("" for the current language).
func (t *Translator) render(lang, key string, count int, data []map[string]any) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if lang == "" {
		lang = t.current
	}
	m, ok := t.msgs[lang][key]
	if !ok {
		lang = t.fallback
		if m, ok = t.msgs[lang][key]; !ok {
			return key
		}
	}
	form, text := "", m.text
	if m.plural != nil {
		form = pluralForm(lang, count)
		if text, ok = m.plural[form]; !ok {
			form, text = "other", m.plural["other"]
		}
	}
	if !strings.Contains(text, "{{") {
		return text
	}
	id := lang + "\x00" + form + "\x00" + key
	tp, ok := t.tmpl[id]
	if !ok {
		var err error
		if tp, err = template.New(key).Option("missingkey=zero").Parse(text); err != nil {
			return text
		}
		t.tmpl[id] = tp
	}
	var d map[string]any
	if len(data) > 0 {
		d = data[0]
	}
	var b bytes.Buffer
	if err := tp.Execute(&b, d); err != nil {
		return text
	}
	// A field the caller did not pass prints as "<no value>" from a map; a blank reads
	// better on a kiosk than a programmer's placeholder.
	return strings.ReplaceAll(b.String(), "<no value>", "")
}

// pluralForm is the CLDR plural category of count: Chinese has only "other"; English and
// the other languages the kiosk might gain use "one" for exactly one.
func pluralForm(lang string, count int) string {
	if strings.HasPrefix(lang, "zh") || count != 1 {
		return "other"
	}
	return "one"
}
