package identity

import (
	"strings"
)

// mod112Weights are the GB 11643 / ISO 7064 MOD 11-2 weights 2^(17-i) mod 11 for the first
// 17 characters of an ID number.
var mod112Weights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// mod112Check maps the weighted sum mod 11 to the check character.
const mod112Check = "10X98765432"

// CheckDigit computes the GB 11643 check character for the first 17 characters of an
// 18-character number. It reports false if those are not 17 decimal digits.
func CheckDigit(first17 string) (byte, bool) {
	if len(first17) != 17 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := first17[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		sum += int(c-'0') * mod112Weights[i]
	}
	return mod112Check[sum%11], true
}

// ValidNumber reports whether n is an 18-character number whose last character is its
// GB 11643 (ISO 7064 MOD 11-2) check character. A lower-case 'x' is accepted.
func ValidNumber(n string) bool {
	if len(n) != 18 {
		return false
	}
	want, ok := CheckDigit(n[:17])
	if !ok {
		return false
	}
	got := n[17]
	if got == 'x' {
		got = 'X'
	}
	return got == want
}

// NormalizeNumber trims spaces and upper-cases the check character.
func NormalizeNumber(n string) string {
	return strings.ToUpper(strings.TrimSpace(n))
}

// BirthFromNumber extracts the birth date encoded in characters 7–14 of a resident ID
// number, reporting false when they are not a real date.
func BirthFromNumber(n string) (Date, bool) {
	if len(n) != 18 {
		return Date{}, false
	}
	return ParseDate(n[6:14])
}

// GenderFromNumber derives the gender from the sequence code (character 17): odd is male,
// even is female.
func GenderFromNumber(n string) (Gender, bool) {
	if len(n) != 18 || n[16] < '0' || n[16] > '9' {
		return Gender{}, false
	}
	if (n[16]-'0')%2 == 1 {
		return GenderByCode("1"), true
	}
	return GenderByCode("2"), true
}
