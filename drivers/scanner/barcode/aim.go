package barcode

// AIM symbology identifiers, ISO/IEC 15424: "]" + one code character naming the symbology +
// one modifier character. Many scanners can be set to put one in front of every scan
// (e.g. "]Q1" for a QR code, "]E0" for an EAN-13); HID-POS reports carry it in the
// Symbology Identifier 1-3 usages (0x8C:FB-FD, USB HID Point of Sale Usage Tables 1.02).
var aimNames = map[byte]string{
	'A': "code39",
	'B': "telepen",
	'C': "code128",
	'D': "code1",
	'E': "ean-upc",
	'F': "codabar",
	'G': "code93",
	'H': "code11",
	'I': "itf",
	'K': "code16k",
	'L': "pdf417",
	'M': "msi",
	'N': "anker",
	'O': "codablock",
	'P': "plessey",
	'Q': "qr",
	'R': "2of5-2bar",
	'S': "2of5-3bar",
	'T': "code49",
	'X': "other",
	'd': "datamatrix",
	'e': "gs1-databar",
	'h': "hanxin",
	'z': "aztec",
}

// SymbologyName names the symbology of an AIM identifier such as "]Q1" ("qr"). It returns
// "" for anything that is not a known identifier.
func SymbologyName(aim string) string {
	if len(aim) != 3 || aim[0] != ']' || !isAIMModifier(aim[2]) {
		return ""
	}
	return aimNames[aim[1]]
}

// isAIMModifier: the modifier is a digit or, for some symbologies, an upper-case letter.
func isAIMModifier(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' }

// ParseAIM splits a leading AIM symbology identifier off data. ok is false, and rest is
// data, when data does not start with one.
func ParseAIM(data []byte) (aim string, rest []byte, ok bool) {
	if len(data) < 3 || data[0] != ']' || !isAIMModifier(data[2]) {
		return "", data, false
	}
	if _, known := aimNames[data[1]]; !known {
		return "", data, false
	}
	return string(data[:3]), data[3:], true
}
