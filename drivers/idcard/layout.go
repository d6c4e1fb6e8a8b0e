package idcard

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/govkiosk/govkiosk/kiosk/identity"
)

// The card's 256-byte text block is UCS-2 little-endian, each field padded with spaces
// to a fixed size. The character at byte 248 says which of four layouts it has. Each
// layout below is the one table both directions use: ParseText reads it and EncodeText
// (the simulator's encoder) writes it, so every simulated read is also a round trip.
//
// Sources checked, byte for byte:
//   - Resident card: the field sizes vendor SDKs declare for the text block (name 30,
//     gender 2, nation 4, birth 16, address 70, number 36, authority 30, valid from 16,
//     valid to 16, reserved 36), and the offsets HslCommunication reads it at.
//   - Residence permit for Hong Kong, Macao and Taiwan residents ('J'): the same first 220
//     bytes without a nation (reserved 4), then pass number 18, issue count 4, reserved 6,
//     type 2, reserved 6 — as in published reader SDK headers (通行证号码, 签发次数,
//     证件类型标识) and the 港澳台居民居住证机读信息规范 summary by the ministry's test centre.
//   - Foreigner permanent residence card 2017 ('I'): English name 120, gender 2,
//     residence number 30, nationality 6, Chinese name 30, valid from 16, valid to 16,
//     birth 16, card version 4, authority code 8, type 2, reserved 6 (same SDK headers).
//   - Foreigner permanent residence card 2023 ('Y', 新版外国人永久居留身份证机读信息规则):
//     Chinese name 30, gender 2, renewal count 4, birth 16, English name characters 1–35
//     70, number 36, reserved 30, valid from 16, valid to 16, English name characters
//     36–46 22, country or region code 6, type 2, link to the former card's number 6. A
//     published reader demo reads the English-name continuation at byte 220 (11
//     characters), the J card's pass number at 220 and its issue count at 238, which
//     agrees.

const (
	// TextLen is the size of the card's text block.
	TextLen = 256
	// PhotoLen is the size of the WLT-compressed photo every card holds.
	PhotoLen = 1024
	// FingerprintLen is the most fingerprint data a card holds (two 512-byte templates).
	FingerprintLen = 1024
	// markerOffset is where the card-type character sits in the text block.
	markerOffset = 248
	// longTerm is what the valid-to field holds on a card that does not expire.
	longTerm = "长期"
)

// field is one fixed-size field of a text layout, and how it maps to an Identity.
type field struct {
	name      string
	off, size int
	// get returns the field's text for the encoder.
	get func(id *identity.Identity) (string, error)
	// set stores the field's text, as decoded and not yet trimmed, into id.
	set func(id *identity.Identity, raw string)
}

// layout is one of the four text layouts.
type layout struct {
	card   identity.CardType
	marker rune
	fields []field
}

// trim removes the padding fields carry: spaces and NULs at either end.
func trim(s string) string { return strings.Trim(s, " \x00") }

func textField(name string, off, size int, p func(*identity.Identity) *string) field {
	return field{name: name, off: off, size: size,
		get: func(id *identity.Identity) (string, error) { return *p(id), nil },
		set: func(id *identity.Identity, raw string) { *p(id) = trim(raw) },
	}
}

func genderField(off int) field {
	return field{name: "gender", off: off, size: 2,
		get: func(id *identity.Identity) (string, error) { return id.Gender.Code, nil },
		set: func(id *identity.Identity, raw string) { id.Gender = identity.GenderByCode(trim(raw)) },
	}
}

// nationField keeps a code it does not know (with an empty name): a reader reads what
// the card holds.
func nationField(off int) field {
	return field{name: "nation", off: off, size: 4,
		get: func(id *identity.Identity) (string, error) { return id.Nation.Code, nil },
		set: func(id *identity.Identity, raw string) {
			if c := trim(raw); c != "" {
				id.Nation, _ = identity.NationByCode(c)
			}
		},
	}
}

// dateField holds YYYYMMDD. Anything that is not a calendar date reads as no date.
func dateField(name string, off int, p func(*identity.Identity) *identity.Date) field {
	return field{name: name, off: off, size: 16,
		get: func(id *identity.Identity) (string, error) { return compactDate(*p(id)), nil },
		set: func(id *identity.Identity, raw string) { *p(id), _ = identity.ParseDate(trim(raw)) },
	}
}

func compactDate(d identity.Date) string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d%02d%02d", d.Year, int(d.Month), d.Day)
}

// validToField holds YYYYMMDD or "长期" for a card without expiry.
func validToField(off int) field {
	return field{name: "valid_to", off: off, size: 16,
		get: func(id *identity.Identity) (string, error) {
			if id.LongTerm {
				return longTerm, nil
			}
			return compactDate(id.ValidTo), nil
		},
		set: func(id *identity.Identity, raw string) {
			v := trim(raw)
			if v == longTerm {
				id.LongTerm, id.ValidTo = true, identity.Date{}
				return
			}
			id.LongTerm = false
			id.ValidTo, _ = identity.ParseDate(v)
		},
	}
}

// numberField is the document number. Its check digit is reported, never enforced: the
// reader read what the card holds.
func numberField(off, size int) field {
	return field{name: "id_number", off: off, size: size,
		get: func(id *identity.Identity) (string, error) { return id.IDNumber, nil },
		set: func(id *identity.Identity, raw string) {
			id.IDNumber = trim(raw)
			id.IDNumberValid = identity.ValidNumber(id.IDNumber)
		},
	}
}

// countField is a two-digit count; anything else reads as 0.
func countField(name string, off int) field {
	return field{name: name, off: off, size: 4,
		get: func(id *identity.Identity) (string, error) { return fmt.Sprintf("%02d", id.IssueCount), nil },
		set: func(id *identity.Identity, raw string) { id.IssueCount, _ = strconv.Atoi(trim(raw)) },
	}
}

func reserved(off, size int) field {
	return field{name: "reserved", off: off, size: size}
}

func markerField(m rune) field {
	return field{name: "card_type", off: markerOffset, size: 2,
		get: func(*identity.Identity) (string, error) { return string(m), nil },
	}
}

// englishNameHead is how many UTF-16 units of the English name the 2023 card keeps in
// its first name field; the rest (up to 11 more) goes to the continuation field.
const englishNameHead = 35

// englishSplit returns the two fields of the 2023 card's English name. The first keeps
// its raw text so that the second can append to it before trimming: a name that fills the
// first field exactly continues without a space.
func englishSplit(off1, off2 int) (field, field) {
	head := func(id *identity.Identity) (string, string, error) {
		u := utf16.Encode([]rune(id.EnglishName))
		if len(u) <= englishNameHead {
			return id.EnglishName, "", nil
		}
		if utf16.IsSurrogate(rune(u[englishNameHead])) && u[englishNameHead] >= 0xDC00 {
			return "", "", fmt.Errorf("%w: english_name: a character straddles the split after %d units", ErrEncode, englishNameHead)
		}
		return string(utf16.Decode(u[:englishNameHead])), string(utf16.Decode(u[englishNameHead:])), nil
	}
	f1 := field{name: "english_name", off: off1, size: 2 * englishNameHead,
		get: func(id *identity.Identity) (string, error) { h, _, err := head(id); return h, err },
		set: func(id *identity.Identity, raw string) { id.EnglishName = raw },
	}
	f2 := field{name: "english_name_continued", off: off2, size: 22,
		get: func(id *identity.Identity) (string, error) { _, t, err := head(id); return t, err },
		set: func(id *identity.Identity, raw string) { id.EnglishName = trim(id.EnglishName + raw) },
	}
	return f1, f2
}

var (
	pName        = func(id *identity.Identity) *string { return &id.Name }
	pEnglishName = func(id *identity.Identity) *string { return &id.EnglishName }
	pAddress     = func(id *identity.Identity) *string { return &id.Address }
	pAuthority   = func(id *identity.Identity) *string { return &id.Authority }
	pNationality = func(id *identity.Identity) *string { return &id.Nationality }
	pPassNumber  = func(id *identity.Identity) *string { return &id.PassNumber }
	pCardVersion = func(id *identity.Identity) *string { return &id.CardVersion }
	pBirth       = func(id *identity.Identity) *identity.Date { return &id.Birth }
	pValidFrom   = func(id *identity.Identity) *identity.Date { return &id.ValidFrom }
)

var layouts = func() []layout {
	en1, en2 := englishSplit(52, 220)
	return []layout{
		{card: identity.Resident, marker: ' ', fields: []field{
			textField("name", 0, 30, pName),
			genderField(30),
			nationField(32),
			dateField("birth", 36, pBirth),
			textField("address", 52, 70, pAddress),
			numberField(122, 36),
			textField("authority", 158, 30, pAuthority),
			dateField("valid_from", 188, pValidFrom),
			validToField(204),
			reserved(220, 28),
			markerField(' '),
			reserved(250, 6),
		}},
		{card: identity.HKMacauTaiwan, marker: 'J', fields: []field{
			textField("name", 0, 30, pName),
			genderField(30),
			reserved(32, 4),
			dateField("birth", 36, pBirth),
			textField("address", 52, 70, pAddress),
			numberField(122, 36),
			textField("authority", 158, 30, pAuthority),
			dateField("valid_from", 188, pValidFrom),
			validToField(204),
			textField("pass_number", 220, 18, pPassNumber),
			countField("issue_count", 238),
			reserved(242, 6),
			markerField('J'),
			reserved(250, 6),
		}},
		{card: identity.ForeignerPermanent2017, marker: 'I', fields: []field{
			textField("english_name", 0, 120, pEnglishName),
			genderField(120),
			numberField(122, 30),
			textField("nationality", 152, 6, pNationality),
			textField("name", 158, 30, pName),
			dateField("valid_from", 188, pValidFrom),
			validToField(204),
			dateField("birth", 220, pBirth),
			textField("card_version", 236, 4, pCardVersion),
			textField("authority", 240, 8, pAuthority),
			markerField('I'),
			reserved(250, 6),
		}},
		{card: identity.ForeignerPermanent2023, marker: 'Y', fields: []field{
			textField("name", 0, 30, pName),
			genderField(30),
			countField("renewal_count", 32),
			dateField("birth", 36, pBirth),
			en1,
			numberField(122, 36),
			reserved(158, 30),
			dateField("valid_from", 188, pValidFrom),
			validToField(204),
			en2,
			textField("nationality", 242, 6, pNationality),
			markerField('Y'),
			reserved(250, 6), // link to the former card's number: not kept
		}},
	}
}()

// layoutByMarker returns the layout a card-type character selects. A resident card's
// marker sits in its reserved area, which cards fill with spaces; a NUL there is read as
// a resident card too.
func layoutByMarker(m rune) (*layout, bool) {
	if m == 0 {
		m = ' '
	}
	for i := range layouts {
		if layouts[i].marker == m {
			return &layouts[i], true
		}
	}
	return nil, false
}

func layoutByCard(c identity.CardType) (*layout, bool) {
	for i := range layouts {
		if layouts[i].card == c {
			return &layouts[i], true
		}
	}
	return nil, false
}
