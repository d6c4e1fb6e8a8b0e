package receipt

import (
	"image"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Paper widths in columns of the normal character cell. A receipt printer prints ASCII
// in a 12-dot cell and Chinese in a 24-dot cell, so a 58 mm head (384 dots) holds 32
// columns and an 80 mm head (576 dots) 48.
const (
	Cols58 = 32
	Cols80 = 48
)

// RuneWidth is how many columns r takes on a receipt printer in Chinese mode: one for
// ASCII, which prints from the single-byte font, two for everything else, which prints
// from the double-byte (GB18030) font. Control characters take none.
func RuneWidth(r rune) int {
	switch {
	case r < 0x20 || r == 0x7f:
		return 0
	case r < 0x80:
		return 1
	case unicode.IsControl(r) || unicode.Is(unicode.Mn, r) || r == '\u200b':
		return 0
	}
	return 2
}

// Width is the number of columns s takes.
func Width(s string) int {
	n := 0
	for _, r := range s {
		n += RuneWidth(r)
	}
	return n
}

// clean drops control characters, so that text from a form can never smuggle printer
// commands onto the paper, and turns tabs into spaces.
func clean(s string) string {
	ok := true
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && RuneWidth(r) == 0) || r == utf8.RuneError {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t':
			b.WriteByte(' ')
		case r == utf8.RuneError, RuneWidth(r) == 0:
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// noLineStart are characters that must not begin a line (closing punctuation, after the
// common kinsoku rule of CJK typesetting).
const noLineStart = "，。、；：！？）》」』】〕…—,.;:!?)]}%"

// Wrap breaks s into lines of at most cols columns. Latin words are kept whole where they
// fit on a line; Chinese breaks between any two characters, except that closing
// punctuation never starts a line. Newlines in s start new lines; control characters are
// dropped. An empty s gives one empty line.
func Wrap(s string, cols int) []string {
	if cols < 2 {
		cols = 2
	}
	var out []string
	for _, para := range strings.Split(s, "\n") {
		out = wrapLine(out, clean(strings.TrimRight(para, "\r")), cols)
	}
	return out
}

func wrapLine(out []string, s string, cols int) []string {
	if Width(s) <= cols {
		return append(out, s)
	}
	rs := []rune(s)
	for len(rs) > 0 {
		w, end := 0, 0
		for end < len(rs) && w+RuneWidth(rs[end]) <= cols {
			w += RuneWidth(rs[end])
			end++
		}
		if end == len(rs) {
			out = append(out, string(rs))
			break
		}
		brk := end
		// Keep a Latin word whole by breaking at the last space, if there is one.
		if isWordRune(rs[end]) && isWordRune(rs[end-1]) {
			for i := end - 1; i > 0; i-- {
				if rs[i] == ' ' {
					brk = i + 1
					break
				}
				if !isWordRune(rs[i]) {
					brk = i + 1
					break
				}
			}
		}
		// Closing punctuation goes with the character before it.
		if strings.ContainsRune(noLineStart, rs[brk]) && brk > 1 {
			brk--
		}
		out = append(out, strings.TrimRight(string(rs[:brk]), " "))
		rs = rs[brk:]
		for len(rs) > 0 && rs[0] == ' ' {
			rs = rs[1:]
		}
	}
	return out
}

// isWordRune is a character of a Latin word or number, which should not be split.
func isWordRune(r rune) bool {
	return r < 0x80 && r != ' ' && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-_./:@#&=?+%", r))
}

// Line is one laid-out line of a receipt: a line of text in a style, or a QR code, an
// image, a feed or a cut. Exactly one of Text (possibly empty), QR, Image, Feed or Cut
// describes it; Style applies to text and gives the alignment of QR codes and images.
type Line struct {
	Text  string
	Style Style
	// QR is the payload of a QR code line.
	QR string
	// Image is a picture line.
	Image image.Image
	// Feed is a number of empty lines to advance.
	Feed int
	// Cut ends the receipt; Partial leaves a tab.
	Cut     bool
	Partial bool
}

// Kind names what a Line holds.
func (l Line) Kind() string {
	switch {
	case l.Cut:
		return "cut"
	case l.QR != "":
		return "qr"
	case l.Image != nil:
		return "image"
	case l.Feed > 0:
		return "feed"
	}
	return "text"
}

// Layout lays the document out on paper cols columns wide (Cols58 or Cols80): wraps text
// to the width its size allows, aligns the values of consecutive key-value rows and
// expands separators. Every text line fits in cols columns at its size.
func (d *Document) Layout(cols int) []Line {
	if cols < 8 {
		cols = 8
	}
	var out []Line
	text := func(s string, st Style) {
		w, _ := st.Size.Scale()
		for _, l := range Wrap(s, cols/w) {
			out = append(out, Line{Text: l, Style: st})
		}
	}
	for i := 0; i < len(d.Blocks); i++ {
		switch b := d.Blocks[i].(type) {
		case Title:
			text(b.Text, Style{Bold: true, Size: Large, Align: Center})
		case Text:
			text(b.Text, b.Style)
		case Field, IDNumber:
			j := i
			for j < len(d.Blocks) && isField(d.Blocks[j]) {
				j++
			}
			out = layoutFields(out, d.Blocks[i:j], cols)
			i = j - 1
		case Separator:
			c := b.Char
			if c == 0 || RuneWidth(c) == 0 {
				c = '-'
			}
			out = append(out, Line{Text: strings.Repeat(string(c), cols/RuneWidth(c))})
		case QR:
			out = append(out, Line{QR: b.Payload, Style: Style{Align: Center}})
			if b.Caption != "" {
				text(b.Caption, Style{Align: Center})
			}
		case TrackingCode:
			if b.Label != "" {
				text(b.Label, Style{Align: Center})
			}
			size := Large
			if Width(clean(b.Code)) > cols/2 {
				size = Tall
			}
			text(b.Code, Style{Bold: true, Size: size, Align: Center})
		case Image:
			if b.Image != nil {
				out = append(out, Line{Image: b.Image, Style: Style{Align: b.Align}})
			}
		case Footer:
			text(b.Text, Style{Align: Center})
		case Feed:
			if b.Lines > 0 {
				out = append(out, Line{Feed: b.Lines})
			}
		case Cut:
			out = append(out, Line{Cut: true, Partial: b.Partial})
		}
	}
	return out
}

func isField(b Block) bool {
	switch b.(type) {
	case Field, IDNumber:
		return true
	}
	return false
}

// keyValue returns a field row's key and value.
func keyValue(b Block) (string, string) {
	switch b := b.(type) {
	case Field:
		return clean(b.Key), clean(b.Value)
	case IDNumber:
		if b.Label == "" {
			return "证件号码", b.Number.String()
		}
		return clean(b.Label), b.Number.String()
	}
	return "", ""
}

// fieldColon ends every key. It is full-width, as Chinese forms write it.
const fieldColon = "："

// layoutFields lays out a run of key-value rows so their values start in one column:
// "事项：    居住证申领". A value too long for its line continues under the value
// column. When the keys are so long that this would leave the values less than half the
// paper, each row wraps on its own instead.
func layoutFields(out []Line, rows []Block, cols int) []Line {
	keyW := 0
	for _, r := range rows {
		k, _ := keyValue(r)
		keyW = max(keyW, Width(k)+Width(fieldColon))
	}
	if keyW > cols/2 {
		for _, r := range rows {
			k, v := keyValue(r)
			for _, l := range Wrap(k+fieldColon+v, cols) {
				out = append(out, Line{Text: l})
			}
		}
		return out
	}
	indent := strings.Repeat(" ", keyW)
	for _, r := range rows {
		k, v := keyValue(r)
		head := k + fieldColon + strings.Repeat(" ", keyW-Width(k)-Width(fieldColon))
		for n, l := range Wrap(v, cols-keyW) {
			if n == 0 {
				out = append(out, Line{Text: strings.TrimRight(head+l, " ")})
			} else {
				out = append(out, Line{Text: indent + l})
			}
		}
	}
	return out
}

// PlainText lays the document out on cols columns and returns it as text, one line per
// printed line, with alignment done by spaces and magnified text written once (so a
// large line may look narrower than on paper). QR codes appear as "[QR payload]",
// images as "[image WxH]", a cut as "~~ cut ~~". It is what tests compare and
// what a screen without graphics could show.
func (d *Document) PlainText(cols int) string {
	var b strings.Builder
	for _, l := range d.Layout(cols) {
		switch l.Kind() {
		case "cut":
			b.WriteString("~~ cut ~~\n")
		case "feed":
			b.WriteString(strings.Repeat("\n", l.Feed))
		case "qr":
			b.WriteString(pad("[QR "+clean(l.QR)+"]", l.Style, cols) + "\n")
		case "image":
			r := l.Image.Bounds()
			b.WriteString(pad("[image "+strconv.Itoa(r.Dx())+"x"+strconv.Itoa(r.Dy())+"]", l.Style, cols) + "\n")
		default:
			b.WriteString(pad(l.Text, l.Style, cols) + "\n")
		}
	}
	return b.String()
}

// pad aligns s by leading spaces. Magnified text is written once, so it is placed as
// if it were normal size, which keeps it visually centred on a screen.
func pad(s string, st Style, cols int) string {
	free := cols - Width(s)
	switch {
	case free <= 0 || st.Align == Left:
		return s
	case st.Align == Center:
		return strings.Repeat(" ", free/2) + s
	}
	return strings.Repeat(" ", free) + s
}
