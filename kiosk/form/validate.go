package form

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"

	"github.com/govkiosk/govkiosk/kiosk/identity"
)

// DefaultAddressMinLength is the fewest characters an address field accepts when its
// schema sets no MinLength: shorter than "某区某路1号" cannot reach a door.
const DefaultAddressMinLength = 5

// DateLayout is how date values are written.
const DateLayout = "2006-01-02"

var (
	mobileRe   = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	landlineRe = regexp.MustCompile(`^0[0-9]{2,3}-?[0-9]{7,8}(-[0-9]{1,6})?$`)
	numberRe   = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)
)

// Normalize returns value as the field stores it: surrounding spaces trimmed, full-width
// digits and letters made half-width for the typed-in kinds, spaces inside phone and ID
// numbers removed, a "+86" country prefix dropped from mobile numbers and the ID check
// character upper-cased.
func (f *Field) Normalize(value string) string {
	switch f.Type {
	case TypeText, TypeAddress:
		if f.Multiline {
			return strings.TrimSpace(value)
		}
		return strings.TrimSpace(strings.ReplaceAll(value, "\n", " "))
	case TypeChoice:
		return strings.TrimSpace(value)
	}
	v := width.Narrow.String(value)
	v = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, v)
	switch f.Type {
	case TypeMobile, TypePhone:
		if rest, ok := strings.CutPrefix(v, "+86"); ok {
			v = strings.TrimPrefix(rest, "-")
		}
		if f.Type == TypeMobile {
			v = strings.ReplaceAll(v, "-", "")
		}
	case TypeIDNumber:
		v = strings.ToUpper(v)
	}
	return v
}

// Validate checks a normalized value against the field's type and rules at time now (for
// relative date bounds) and returns nil when it is acceptable, or the message to show.
// An empty value is acceptable exactly when the field is not required.
func (f *Field) Validate(value string, now time.Time) *Message {
	if value == "" {
		if f.Required {
			return requiredMessage(f)
		}
		return nil
	}
	l := f.Label
	switch f.Type {
	case TypeText, TypeAddress:
		return f.checkText(value, l)
	case TypeNumber:
		return f.checkNumber(value, l)
	case TypeMobile:
		return checkMobile(value, l)
	case TypePhone:
		if mobileRe.MatchString(value) || landlineRe.MatchString(value) {
			return nil
		}
		if len(value) >= 2 && value[0] == '1' && value[1] >= '3' && value[1] <= '9' && onlyDigits(value) {
			// It starts like a mobile number: say what is wrong with it as one.
			return checkMobile(value, l)
		}
		return msg(CodePhone, "%s格式不对：手机11位，或固定电话加区号，如 010-12345678",
			"%s looks wrong: an 11-digit mobile, or a landline with area code like 010-12345678", l)
	case TypeIDNumber:
		return checkIDNumber(value)
	case TypeDate:
		return f.checkDate(value, now, l)
	case TypeChoice:
		if f.Option(value) == nil {
			return msg(CodeNotAnOption, "请从选项中选择%s", "Please choose %s from the list", l)
		}
		return nil
	}
	return nil
}

func (f *Field) checkText(value string, l Text) *Message {
	for _, r := range value {
		if r == utf8.RuneError || (unicode.IsControl(r) && !(f.Multiline && (r == '\n' || r == '\t'))) {
			return msg(CodeBadChars, "%s里有无法识别的字符，请删除后重新输入", "%s contains characters that cannot be read; please delete and retype them", l)
		}
	}
	n := utf8.RuneCountInString(value)
	switch {
	case f.Length > 0 && n != f.Length:
		return msg(CodeLength, "%s应为%d位，现在是%d位", "%s must be %d characters; it has %d", l, f.Length, n)
	case f.MinLength > 0 && n < f.MinLength:
		return msg(CodeTooShort, "%s至少%d个字", "%s needs at least %d characters", l, f.MinLength)
	case f.MaxLength > 0 && n > f.MaxLength:
		return msg(CodeTooLong, "%s最多%d个字，现在有%d个字", "%s can have at most %d characters; it has %d", l, f.MaxLength, n)
	case f.Type == TypeAddress && f.MinLength == 0 && n < DefaultAddressMinLength:
		return msg(CodeAddressShort, "%s太短，请写到门牌号，如“某某路12号”", "%s is too short; please write down to the house number", l)
	}
	if f.Pattern != "" {
		re := f.re
		if re == nil {
			var err error
			if re, err = regexp.Compile(anchor(f.Pattern)); err != nil {
				// Schema.Check refuses such a schema; one built by hand is the author's
				// mistake, and the resident cannot fix it: let the value through.
				return nil
			}
		}
		if !re.MatchString(value) {
			if !f.PatternMessage.IsZero() {
				pm := f.PatternMessage
				return &Message{Code: CodePattern, Text: Text{Zh: pm.Zh, En: pm.In(En)}}
			}
			return msg(CodePattern, "%s格式不对，请核对", "%s is not in the expected form; please check it", l)
		}
	}
	return nil
}

func (f *Field) checkNumber(value string, l Text) *Message {
	if !numberRe.MatchString(value) {
		return msg(CodeNotNumber, "%s请填写数字", "%s must be a number", l)
	}
	v, err := strconv.ParseFloat(value, 64)
	if err != nil {
		return msg(CodeNotNumber, "%s请填写数字", "%s must be a number", l)
	}
	if _, frac, ok := strings.Cut(value, "."); ok && len(frac) > f.Decimals {
		if f.Decimals == 0 {
			return msg(CodeDecimals, "%s请填写整数", "%s must be a whole number", l)
		}
		return msg(CodeDecimals, "%s最多保留%d位小数", "%s can have at most %d decimal places", l, f.Decimals)
	}
	if f.Min != nil && v < *f.Min {
		return msg(CodeTooSmall, "%s不能小于%s", "%s cannot be less than %s", l, formatNumber(*f.Min))
	}
	if f.Max != nil && v > *f.Max {
		return msg(CodeTooLarge, "%s不能大于%s", "%s cannot be more than %s", l, formatNumber(*f.Max))
	}
	return nil
}

func formatNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func checkMobile(value string, l Text) *Message {
	switch {
	case !onlyDigits(value):
		return msg(CodeMobile, "%s只能填数字，11位", "%s can only contain digits, 11 of them", l)
	case len(value) != 11:
		return msg(CodeMobile, "%s应为11位数字，现在是%d位", "%s must have 11 digits; it has %d", l, len(value))
	case !mobileRe.MatchString(value):
		return msg(CodeMobile, "%s应以13至19开头，请核对", "%s must start with 13 to 19; please check it", l)
	}
	return nil
}

func checkIDNumber(value string) *Message {
	n := utf8.RuneCountInString(value)
	if n != 18 {
		return msg(CodeIDLength, "身份证号码应为18位，现在是%d位", "An ID number has 18 characters; this one has %d", n)
	}
	if !onlyDigits(value[:17]) || !(onlyDigits(value[17:]) || value[17] == 'X') {
		return msg(CodeIDChars, "身份证号码前17位是数字，最后一位是数字或X", "An ID number is 17 digits followed by a digit or X")
	}
	if _, ok := identity.BirthFromNumber(value); !ok || !identity.ValidNumber(value) {
		return msg(CodeIDCheck, "身份证号码有误，请逐位核对", "This ID number is not valid; please check each character")
	}
	return nil
}

func (f *Field) checkDate(value string, now time.Time, l Text) *Message {
	d, err := time.Parse(DateLayout, value)
	if err != nil {
		return msg(CodeDate, "%s不是有效日期，请重新选择", "%s is not a valid date; please pick it again", l)
	}
	if f.MinDate != "" {
		if b, ok := DateBound(f.MinDate, now); ok && d.Before(b) {
			return msg(CodeDateEarly, "%s不能早于%s", "%s cannot be before %s", l, boundText(f.MinDate, b))
		}
	}
	if f.MaxDate != "" {
		if b, ok := DateBound(f.MaxDate, now); ok && d.After(b) {
			return msg(CodeDateLate, "%s不能晚于%s", "%s cannot be after %s", l, boundText(f.MaxDate, b))
		}
	}
	return nil
}

func boundText(spec string, b time.Time) Text {
	if spec == "today" {
		return Text{Zh: "今天", En: "today"}
	}
	s := b.Format(DateLayout)
	return Text{Zh: s, En: s}
}

// DateBound resolves a MinDate/MaxDate spec at time now: "YYYY-MM-DD", "today", or
// "today" followed by +N or -N and a unit d (days), m (months) or y (years). It reports
// false for anything else. The result is midnight UTC of that calendar day, comparable
// with dates parsed by DateLayout.
func DateBound(spec string, now time.Time) (time.Time, bool) {
	if t, err := time.Parse(DateLayout, spec); err == nil {
		return t, true
	}
	rest, ok := strings.CutPrefix(spec, "today")
	if !ok {
		return time.Time{}, false
	}
	y, m, d := now.Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if rest == "" {
		return today, true
	}
	if len(rest) < 3 || (rest[0] != '+' && rest[0] != '-') {
		return time.Time{}, false
	}
	n, err := strconv.Atoi(rest[1 : len(rest)-1])
	if err != nil || n < 0 || n > 1000 {
		return time.Time{}, false
	}
	if rest[0] == '-' {
		n = -n
	}
	switch rest[len(rest)-1] {
	case 'd':
		return today.AddDate(0, 0, n), true
	case 'm':
		return today.AddDate(0, n, 0), true
	case 'y':
		return today.AddDate(n, 0, 0), true
	}
	return time.Time{}, false
}

func onlyDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// anchor makes a pattern match the whole value.
func anchor(p string) string { return fmt.Sprintf(`^(?:%s)$`, p) }
