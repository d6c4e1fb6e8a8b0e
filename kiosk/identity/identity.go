// Package identity holds the resident's identity as the kiosk knows it: what an ID-card
// reader (or a QR code, or a hand-typed ID number) produced, in a form the rest of the
// kiosk can use without knowing which device or card layout it came from.
//
// An Identity is personal data. It must never be logged (use Masked), must be wiped with
// Wipe when a session ends, and is never written to disk unencrypted by this package's users.
package identity

import (
	"time"
)

// CardType says where an identity came from: one of the four layouts of the
// second-generation card family, a platform-signed identity QR code, or typing.
type CardType string

const (
	// Resident is the PRC resident identity card (居民身份证).
	Resident CardType = "resident"
	// ForeignerPermanent2017 is the foreigner permanent residence ID card, 2017 layout ('I').
	ForeignerPermanent2017 CardType = "foreigner_permanent_2017"
	// ForeignerPermanent2023 is the foreigner permanent residence ID card, 2023 layout ('Y').
	ForeignerPermanent2023 CardType = "foreigner_permanent_2023"
	// HKMacauTaiwan is the residence permit for Hong Kong, Macao and Taiwan residents ('J').
	HKMacauTaiwan CardType = "hk_macau_taiwan"
	// Manual marks an identity typed in rather than read from a chip or a signed code.
	Manual CardType = "manual"
	// QRCode marks an identity from a platform-signed identity QR code (the resident
	// proved who they are to the platform, which vouches for these fields), checked by
	// the kiosk against the platform's key.
	QRCode CardType = "qr"
)

// Gender codes after GB/T 2261.1: 0 unknown, 1 male, 2 female, 9 unspecified.
type Gender struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Nation is an ethnic group after GB 3304 (codes 01–56, 97 other, 98 foreign-born naturalised).
type Nation struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Date is a calendar date without time of day or zone, as printed on a card.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// IsZero reports whether the date is unset.
func (d Date) IsZero() bool { return d.Year == 0 && d.Month == 0 && d.Day == 0 }

// String formats the date as YYYY-MM-DD, or "" when unset.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
}

// ParseDate reads the card's YYYYMMDD form. It reports false for anything that is not a
// real calendar date.
func ParseDate(s string) (Date, bool) {
	if len(s) != 8 {
		return Date{}, false
	}
	t, err := time.Parse("20060102", s)
	if err != nil {
		return Date{}, false
	}
	return Date{t.Year(), t.Month(), t.Day()}, true
}

// Identity is one person's identity data.
type Identity struct {
	CardType CardType
	// Name is the name in Chinese characters (for foreigners, the Chinese name if any).
	Name string
	// EnglishName is the name in Latin letters (foreigner cards only).
	EnglishName string
	Gender      Gender
	// Nation is set on resident cards; Nationality (ISO 3166-1 alpha-3) on foreigner cards.
	Nation      Nation
	Nationality string
	Birth       Date
	Address     string
	// IDNumber is the 18-character number (citizen ID, permanent-residence number or
	// residence-permit number). IDNumberValid reports its GB 11643 check digit.
	IDNumber      string
	IDNumberValid bool
	Authority     string
	ValidFrom     Date
	// ValidTo is zero with LongTerm set for "长期" (no expiry).
	ValidTo  Date
	LongTerm bool
	// PassNumber and IssueCount are set on HK/Macau/Taiwan residence permits.
	PassNumber string
	IssueCount int
	// CardVersion is the card's own version field (foreigner cards).
	CardVersion string
	// AdditionalAddress is the latest address endorsement read separately, if any.
	AdditionalAddress string
	// Photo and Fingerprint are the raw bytes as read from the card (the photo is
	// WLT-compressed and needs a licensed decoder to become an image).
	Photo       []byte
	Fingerprint []byte
}

// Masked returns the ID number with all but the first 4 and last 4 characters replaced by
// '*', the only form of it that may appear in a log line or on a receipt.
func (id *Identity) Masked() string { return MaskNumber(id.IDNumber) }

// MaskedName keeps the first character of a name and hides the rest ("张**").
func MaskedName(name string) string {
	r := []rune(name)
	if len(r) <= 1 {
		return name
	}
	out := make([]rune, len(r))
	out[0] = r[0]
	for i := 1; i < len(r); i++ {
		out[i] = '*'
	}
	return string(out)
}

// MaskNumber masks an identity-document number, keeping the first 4 and last 4 characters.
// Numbers of 8 characters or fewer are masked whole but for the last character.
func MaskNumber(n string) string {
	r := []rune(n)
	if len(r) == 0 {
		return ""
	}
	out := make([]rune, len(r))
	keepHead, keepTail := 4, 4
	if len(r) <= 8 {
		keepHead, keepTail = 0, 1
	}
	for i := range r {
		if i < keepHead || i >= len(r)-keepTail {
			out[i] = r[i]
		} else {
			out[i] = '*'
		}
	}
	return string(out)
}

// Wipe overwrites the identity's byte buffers and clears every field, so that nothing of
// the person stays reachable from this value once a session ends. Go strings are immutable
// and cannot be overwritten in place; dropping every reference is what frees them, which is
// why callers must not copy an Identity's strings into long-lived places.
func (id *Identity) Wipe() {
	if id == nil {
		return
	}
	clear(id.Photo)
	clear(id.Fingerprint)
	*id = Identity{}
}

// Expired reports whether the document's validity ended before the given day.
func (id *Identity) Expired(now time.Time) bool {
	if id.LongTerm || id.ValidTo.IsZero() {
		return false
	}
	end := time.Date(id.ValidTo.Year, id.ValidTo.Month, id.ValidTo.Day, 23, 59, 59, 0, now.Location())
	return now.After(end)
}

// Age returns the person's age in whole years on the given day, or -1 without a birth date.
func (id *Identity) Age(now time.Time) int {
	if id.Birth.IsZero() {
		return -1
	}
	age := now.Year() - id.Birth.Year
	if now.Month() < id.Birth.Month || (now.Month() == id.Birth.Month && now.Day() < id.Birth.Day) {
		age--
	}
	return age
}
