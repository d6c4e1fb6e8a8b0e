// Package form is the resident's form: the schema a service item declares (fields, their
// types and rules), and the state of one filling of it (values, per-field errors,
// pre-filled and locked fields).
//
// Validation speaks to residents, not programmers: every message says what to write, in
// Chinese and English ("请填写手机号码，11位数字"), never "regex mismatch". Each field also
// says which on-screen input suits it (digits keypad, full keyboard, choice list, date
// picker), because the kiosk has no physical keyboard and no input method.
//
// Form values are personal data. This package must never log them, and a Form must be
// wiped (Wipe) when the session that owns it ends. It knows no UI toolkit and no device.
package form
