package form

import "fmt"

// Code identifies why a value was refused, so the UI can pick an icon or a picture of
// where the digits are printed; the words are in Message.Text.
type Code string

// Validation codes.
const (
	CodeRequired     Code = "required"
	CodeTooShort     Code = "too_short"
	CodeTooLong      Code = "too_long"
	CodeLength       Code = "length"
	CodeBadChars     Code = "bad_chars"
	CodeNotNumber    Code = "not_number"
	CodeTooSmall     Code = "too_small"
	CodeTooLarge     Code = "too_large"
	CodeDecimals     Code = "decimals"
	CodeMobile       Code = "mobile"
	CodePhone        Code = "phone"
	CodeIDLength     Code = "id_length"
	CodeIDChars      Code = "id_chars"
	CodeIDCheck      Code = "id_check"
	CodeDate         Code = "date"
	CodeDateEarly    Code = "date_early"
	CodeDateLate     Code = "date_late"
	CodeNotAnOption  Code = "not_an_option"
	CodePattern      Code = "pattern"
	CodeAddressShort Code = "address_short"
)

// Message is why a field's value was refused, in words a resident understands.
type Message struct {
	Code Code
	Text Text
}

// In returns the message in lang.
func (m Message) In(lang Lang) string { return m.Text.In(lang) }

// String returns the Chinese message.
func (m Message) String() string { return m.Text.Zh }

// msg formats a message in both languages from one argument list; a Text argument (a
// field's label, a date bound) is put in each language's sentence in that language.
func msg(code Code, zh, en string, args ...any) *Message {
	zargs := make([]any, len(args))
	eargs := make([]any, len(args))
	for i, a := range args {
		if t, ok := a.(Text); ok {
			zargs[i], eargs[i] = t.Zh, t.In(En)
			continue
		}
		zargs[i], eargs[i] = a, a
	}
	return &Message{Code: code, Text: Text{Zh: fmt.Sprintf(zh, zargs...), En: fmt.Sprintf(en, eargs...)}}
}

// required says what to write in an empty required field, with the shape of the answer
// where the type has one, so the resident need not fail twice.
func requiredMessage(f *Field) *Message {
	l := f.Label
	switch f.Type {
	case TypeMobile:
		return msg(CodeRequired, "请填写%s，11位数字", "Please enter %s: 11 digits", l)
	case TypePhone:
		return msg(CodeRequired, "请填写%s：手机11位，或固定电话加区号", "Please enter %s: an 11-digit mobile number, or a landline with area code", l)
	case TypeIDNumber:
		return msg(CodeRequired, "请填写%s，18位", "Please enter %s: 18 characters", l)
	case TypeChoice:
		return msg(CodeRequired, "请选择%s", "Please choose %s", l)
	case TypeDate:
		return msg(CodeRequired, "请选择%s", "Please pick %s", l)
	case TypeNumber:
		return msg(CodeRequired, "请填写%s（数字）", "Please enter %s (a number)", l)
	case TypeAddress:
		return msg(CodeRequired, "请填写%s，写到门牌号", "Please enter %s, down to the house number", l)
	default:
		return msg(CodeRequired, "请填写%s", "Please fill in %s", l)
	}
}
