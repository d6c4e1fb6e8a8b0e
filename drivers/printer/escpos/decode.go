package escpos

import (
	"fmt"
	"strings"
)

// Receipt is what came out of the printer between two cuts.
type Receipt struct {
	Lines []Line
	// Cut says how the receipt was cut off: "full", "partial", or "" when the stream
	// ended without a cut.
	Cut string
}

// Decode reads a whole ESC/POS stream as a printer of the given width in dots (0 means
// 576) would print it, split into receipts at each cut.
func Decode(b []byte, dots int) ([]Receipt, []Problem) {
	var (
		out      []Receipt
		cur      Receipt
		problems []Problem
	)
	m := &Machine{
		Dots:      dots,
		OnLine:    func(l Line) { cur.Lines = append(cur.Lines, l) },
		OnProblem: func(p Problem) { problems = append(problems, p) },
		OnCut: func(partial bool, _ int) {
			cur.Cut = "full"
			if partial {
				cur.Cut = "partial"
			}
			out = append(out, cur)
			cur = Receipt{}
		},
	}
	m.Write(b)
	m.Flush()
	if len(cur.Lines) > 0 {
		out = append(out, cur)
	}
	return out, problems
}

// Text is the receipt as plain text, one printed line per line: a QR code as
// "[QR payload]", an image as "[image WxH]", a feed as empty lines, the cut as
// "~~ cut ~~". With styles, each line starts with its alignment and each run with its
// style in braces, e.g. "{center}{bold 2x2}回执".
func (r Receipt) Text(styles bool) string {
	var b strings.Builder
	for _, l := range r.Lines {
		b.WriteString(l.Format(styles))
		b.WriteByte('\n')
	}
	if r.Cut != "" {
		b.WriteString("~~ cut ~~")
		if styles {
			b.WriteString(" {" + r.Cut + "}")
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Format writes one line as Receipt.Text does.
func (l Line) Format(styles bool) string {
	var b strings.Builder
	if styles && l.Align != AlignLeft {
		b.WriteString([]string{"", "{center}", "{right}"}[l.Align])
	}
	switch {
	case l.QR != nil:
		if styles {
			fmt.Fprintf(&b, "[QR model %d, %d dots, level %c: %s]", l.QR.Model, l.QR.Module,
				"LMQH"[l.QR.Level-QRLevelL], l.QR.Data)
		} else {
			fmt.Fprintf(&b, "[QR %s]", l.QR.Data)
		}
	case l.Image != nil:
		fmt.Fprintf(&b, "[image %dx%d]", l.Image.WidthBytes*8, l.Image.Height)
	case len(l.Runs) == 0 && l.Dots > defaultPitch && !styles:
		// A feed of several lines shows as that many empty lines.
		b.WriteString(strings.Repeat("\n", l.Dots/defaultPitch-1))
	case len(l.Runs) == 0 && styles:
		fmt.Fprintf(&b, "{feed %d}", l.Dots)
	default:
		prev := ""
		for _, r := range l.Runs {
			if s := r.Style.String(); styles && s != prev {
				b.WriteString("{" + s + "}")
				prev = s
			}
			b.WriteString(r.Text)
		}
	}
	return b.String()
}

// String names the style's non-default attributes: "bold underline2 2x2 fontB reverse".
func (s Style) String() string {
	var parts []string
	if s.Bold {
		parts = append(parts, "bold")
	}
	if s.Underline > 0 {
		parts = append(parts, fmt.Sprintf("underline%d", s.Underline))
	}
	if s.Width > 1 || s.Height > 1 {
		parts = append(parts, fmt.Sprintf("%dx%d", max(s.Width, 1), max(s.Height, 1)))
	}
	if s.FontB {
		parts = append(parts, "fontB")
	}
	if s.Reverse {
		parts = append(parts, "reverse")
	}
	return strings.Join(parts, " ")
}
