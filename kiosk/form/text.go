package form

// Lang is a display language of the kiosk.
type Lang string

// The kiosk's languages. Chinese is the default and the fallback for missing English.
const (
	Zh Lang = "zh"
	En Lang = "en"
)

// Valid reports whether l is a language the kiosk can show.
func (l Lang) Valid() bool { return l == Zh || l == En }

// Text is a text in both of the kiosk's languages. Chinese is required wherever a Text is
// shown to residents; English may be empty and then falls back to Chinese.
type Text struct {
	Zh string `json:"zh"`
	En string `json:"en,omitempty"`
}

// In returns the text in lang, falling back to Chinese when there is no translation.
func (t Text) In(lang Lang) string {
	if lang == En && t.En != "" {
		return t.En
	}
	return t.Zh
}

// IsZero reports whether both languages are empty.
func (t Text) IsZero() bool { return t.Zh == "" && t.En == "" }
