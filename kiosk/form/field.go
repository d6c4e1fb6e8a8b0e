package form

import (
	"regexp"
	"strings"
)

// Type is what kind of value a field holds. It decides the built-in checks and the
// on-screen input (see Field.Input).
type Type string

// Field types.
const (
	// TypeText is free text (a name, a business scope, a complaint). Multiline marks long text.
	TypeText Type = "text"
	// TypeNumber is a decimal number, optionally with Decimals fraction digits and a Min/Max range.
	TypeNumber Type = "number"
	// TypePhone is a mainland mobile number (1[3-9] and 9 more digits) or a landline with
	// area code (010-12345678, 0755 1234567, optional extension -123).
	TypePhone Type = "phone"
	// TypeMobile is a mainland mobile number only (11 digits starting 13–19), for fields
	// that must receive text messages.
	TypeMobile Type = "mobile"
	// TypeDate is a calendar date written YYYY-MM-DD, optionally bounded by MinDate/MaxDate.
	TypeDate Type = "date"
	// TypeChoice is one of Options, stored as the option's Value.
	TypeChoice Type = "choice"
	// TypeIDNumber is an 18-character citizen ID number with a valid GB 11643 check character.
	TypeIDNumber Type = "id_number"
	// TypeAddress is a postal address, down to the house number.
	TypeAddress Type = "address"
)

// Types lists every field type, in documentation order.
var Types = []Type{TypeText, TypeNumber, TypePhone, TypeMobile, TypeDate, TypeChoice, TypeIDNumber, TypeAddress}

// Valid reports whether t is a known field type.
func (t Type) Valid() bool {
	for _, k := range Types {
		if t == k {
			return true
		}
	}
	return false
}

// Input is the on-screen input the UI shows for a field. The kiosk has no physical
// keyboard and no input method, so the keypad must fit the field.
type Input string

// Inputs.
const (
	// InputKeyboard is the full on-screen keyboard (text, addresses).
	InputKeyboard Input = "keyboard"
	// InputDigits is a large 0–9 keypad (mobile numbers, whole numbers).
	InputDigits Input = "digits"
	// InputDecimal is the digits keypad with a decimal point.
	InputDecimal Input = "decimal"
	// InputPhone is the digits keypad with a hyphen, for landlines with area codes.
	InputPhone Input = "phone"
	// InputIDNumber is the digits keypad with an X key, for ID numbers.
	InputIDNumber Input = "id_number"
	// InputChoice is a list of large buttons, one per option.
	InputChoice Input = "choice"
	// InputDate is a date picker (year, month, day wheels or a calendar).
	InputDate Input = "date"
)

// Attr names an identity attribute that can pre-fill a field (see Field.Prefill).
type Attr string

// Identity attributes a field may be pre-filled from.
const (
	AttrName     Attr = "name"
	AttrGender   Attr = "gender"
	AttrNation   Attr = "nation"
	AttrBirth    Attr = "birth"
	AttrAddress  Attr = "address"
	AttrIDNumber Attr = "id_number"
)

// Option is one answer of a choice field.
type Option struct {
	// Value is what is stored and submitted ("1", "rent", ...). It never changes with language.
	Value string `json:"value"`
	// Label is what the resident reads.
	Label Text `json:"label"`
}

// Field is one question of a form, as a catalog declares it. A Field is read-only once a
// catalog is loaded: forms share it.
type Field struct {
	// ID names the field's value in submissions; lower-case letters, digits and '_'.
	ID string `json:"id"`
	// Label is the question ("联系电话").
	Label Text `json:"label"`
	// Hint is a short help line shown under the field ("用于接收办理结果短信").
	Hint Text `json:"hint,omitzero"`
	Type Type `json:"type"`
	// Required fields must not be left empty.
	Required bool `json:"required,omitempty"`

	// MinLength, MaxLength and Length count characters (not bytes) of text and address
	// values. Zero means no rule. An address without MinLength must have at least
	// DefaultAddressMinLength characters.
	MinLength int `json:"min_length,omitempty"`
	MaxLength int `json:"max_length,omitempty"`
	Length    int `json:"length,omitempty"`

	// Min and Max bound a number field's value; nil means unbounded.
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	// Decimals is how many digits a number may have after the point (0: whole numbers).
	Decimals int `json:"decimals,omitempty"`

	// MinDate and MaxDate bound a date field: "YYYY-MM-DD", "today", or "today" with an
	// offset in days, months or years ("today+30d", "today-18y").
	MinDate string `json:"min_date,omitempty"`
	MaxDate string `json:"max_date,omitempty"`

	// Pattern is a regular expression (Go syntax, whole value) for text fields with a
	// shape the built-in types do not cover (a licence number). PatternMessage, required
	// with Pattern, tells the resident what to write.
	Pattern        string `json:"pattern,omitempty"`
	PatternMessage Text   `json:"pattern_message,omitzero"`

	// Options are the answers of a choice field.
	Options []Option `json:"options,omitempty"`
	// Multiline asks for a large text box (complaints, descriptions).
	Multiline bool `json:"multiline,omitempty"`
	// Keypad overrides the on-screen input of a text field whose pattern allows only
	// digits (a bank card number: "digits"). Other types choose their own.
	Keypad Input `json:"keypad,omitempty"`
	// TextKind says what a free-text field asks for, so the Chinese input ranks words of
	// that kind first (an address field offers 街道 for jd). Empty: derived from the type,
	// id and label (see Kind).
	TextKind TextKind `json:"text_kind,omitempty"`

	// Prefill names the identity attribute that fills this field when an ID card is read.
	Prefill Attr `json:"prefill,omitempty"`
	// Locked keeps a pre-filled value from being edited: it came from the card. A field
	// the card had no value for stays editable.
	Locked bool `json:"locked,omitempty"`
	// Default is the value a new form starts with (a choice's usual answer).
	Default string `json:"default,omitempty"`

	// re is Pattern compiled by Schema.Check, shared read-only by every form.
	re *regexp.Regexp
}

// Input returns the on-screen input that suits the field.
func (f *Field) Input() Input {
	if f.Keypad != "" && f.Type == TypeText {
		return f.Keypad
	}
	switch f.Type {
	case TypeNumber:
		if f.Decimals > 0 {
			return InputDecimal
		}
		return InputDigits
	case TypeMobile:
		return InputDigits
	case TypePhone:
		return InputPhone
	case TypeIDNumber:
		return InputIDNumber
	case TypeChoice:
		return InputChoice
	case TypeDate:
		return InputDate
	default:
		return InputKeyboard
	}
}

// Option returns the option with the given value, or nil.
func (f *Field) Option(value string) *Option {
	for i := range f.Options {
		if f.Options[i].Value == value {
			return &f.Options[i]
		}
	}
	return nil
}

// TextKind is what a free-text field asks for; the Chinese input ranks words of that kind
// first. The values are the pinyin engine's kinds.
type TextKind string

// Text kinds.
const (
	// KindFreeText: no kind, ranking by general frequency (complaints, details).
	KindFreeText TextKind = "text"
	// KindAddress: a postal address or a place.
	KindAddress TextKind = "address"
	// KindBusinessScope: what a business does or sells (经营范围).
	KindBusinessScope TextKind = "business_scope"
	// KindOrganization: a business's, employer's, school's or hospital's name.
	KindOrganization TextKind = "organization"
	// KindName: a person's name.
	KindName TextKind = "name"
	// KindPurpose: why the resident applies (用途, 申请理由).
	KindPurpose TextKind = "purpose"
)

// TextKinds lists every text kind, in documentation order.
var TextKinds = []TextKind{KindFreeText, KindAddress, KindBusinessScope, KindOrganization, KindName, KindPurpose}

// Valid reports whether k is a known text kind.
func (k TextKind) Valid() bool {
	for _, x := range TextKinds {
		if k == x {
			return true
		}
	}
	return false
}

// kindHints derive a field's kind when the catalog does not declare one: the first whose
// id part or Chinese label part the field has. Organisations come before names (店名,
// shop_name), names before addresses.
var kindHints = []struct {
	kind  TextKind
	ids   []string
	label []string
}{
	{KindBusinessScope, []string{"scope"}, []string{"经营范围", "经营项目"}},
	{KindOrganization, []string{"shop_name", "company", "employer", "school", "hospital", "organization", "org_name"},
		[]string{"名称", "单位", "学校", "医院", "公司", "企业"}},
	{KindName, []string{"name"}, []string{"姓名", "联系人", "名字"}},
	{KindAddress, []string{"address", "addr"}, []string{"地址", "住址", "所在地", "居住地"}},
	{KindPurpose, []string{"purpose", "reason", "usage", "use_for"}, []string{"用途", "理由", "原因", "事由"}},
}

// Kind returns what the field asks for, for the Chinese input: TextKind when the
// catalog declares it; else address for address fields, and for text fields a kind
// derived from the id and label (经营范围 → business_scope, 个体工商户名称 → organization,
// 申请人姓名 → name, 用途 → purpose); free text otherwise, and for fields that do not take
// the keyboard.
func (f *Field) Kind() TextKind {
	switch {
	case f.TextKind != "":
		return f.TextKind
	case f.Input() != InputKeyboard:
		return KindFreeText
	case f.Type == TypeAddress:
		return KindAddress
	}
	id := strings.ToLower(f.ID)
	for _, h := range kindHints {
		for _, p := range h.ids {
			if strings.Contains(id, p) {
				return h.kind
			}
		}
		for _, p := range h.label {
			if strings.Contains(f.Label.Zh, p) {
				return h.kind
			}
		}
	}
	return KindFreeText
}
