// Package pdf writes small PDF documents (PDF 1.4): pages of text, lines, filled boxes
// and QR codes drawn as vector squares. Chinese text uses the Adobe-GB1 standard CJK font
// STSong-Light with the UniGB-UCS2-H encoding, which PDF readers and printers supply
// themselves, so a document needs no font file and stays a few KiB. Text in it is real
// text (searchable, sharp at any resolution).
package pdf

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A4 in points (1/72 inch).
const (
	A4Width  = 595.28
	A4Height = 841.89
)

// Doc is a document being written. The zero value is an empty document.
type Doc struct {
	pages []*Page
	// Title and Created go into the document information dictionary.
	Title   string
	Created time.Time
}

// Page is one page; coordinates are points from the lower left corner.
type Page struct {
	W, H float64
	ops  bytes.Buffer
}

// AddPage adds an A4 portrait page.
func (d *Doc) AddPage() *Page {
	p := &Page{W: A4Width, H: A4Height}
	d.pages = append(d.pages, p)
	return p
}

// Pages is the number of pages.
func (d *Doc) Pages() int { return len(d.pages) }

func num(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

// TextWidth is the width of s at size points in the document's font: ASCII is half
// width, everything else full width.
func TextWidth(s string, size float64) float64 {
	w := 0.0
	for _, r := range s {
		if r < 0x80 {
			w += 0.5
		} else {
			w++
		}
	}
	return w * size
}

// Text draws s with its baseline starting at (x, y).
func (p *Page) Text(x, y, size float64, s string) {
	var hex strings.Builder
	for _, r := range s {
		switch {
		case r < 0x20:
			r = ' '
		case r > 0xFFFF:
			r = '?'
		}
		fmt.Fprintf(&hex, "%04X", r)
	}
	fmt.Fprintf(&p.ops, "BT /F1 %s Tf %s %s Td <%s> Tj ET\n", num(size), num(x), num(y), hex.String())
}

// TextCentered draws s centred on x.
func (p *Page) TextCentered(x, y, size float64, s string) {
	p.Text(x-TextWidth(s, size)/2, y, size, s)
}

// Rect fills a box whose lower left corner is (x, y).
func (p *Page) Rect(x, y, w, h float64) {
	fmt.Fprintf(&p.ops, "%s %s %s %s re f\n", num(x), num(y), num(w), num(h))
}

// Line draws a line of the given width.
func (p *Page) Line(x1, y1, x2, y2, width float64) {
	fmt.Fprintf(&p.ops, "%s w %s %s m %s %s l S\n", num(width), num(x1), num(y1), num(x2), num(y2))
}

// QR draws a QR code's modules (true is dark, rows from the top) in a square of side size
// whose lower left corner is (x, y).
func (p *Page) QR(x, y, size float64, modules [][]bool) {
	n := len(modules)
	if n == 0 {
		return
	}
	m := size / float64(n)
	for r, row := range modules {
		for c, dark := range row {
			if dark {
				fmt.Fprintf(&p.ops, "%s %s %s %s re ", num(x+float64(c)*m), num(y+size-float64(r+1)*m), num(m), num(m))
			}
		}
	}
	p.ops.WriteString("f\n")
}

// pdfString escapes s as a PDF literal string of ASCII.
func pdfString(s string) string {
	var b strings.Builder
	b.WriteByte('(')
	for _, r := range s {
		switch {
		case r == '(' || r == ')' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r > 0x7E:
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(')')
	return b.String()
}

// Bytes writes the document.
func (d *Doc) Bytes() []byte {
	var out bytes.Buffer
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, out.Len())
		fmt.Fprintf(&out, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	out.WriteString("%PDF-1.4\n%\xE2\xE3\xCF\xD3\n")
	// 1 catalog, 2 pages, 3 font, 4 CID font, 5 font descriptor, 6 info, then per page:
	// the page and its content stream.
	const first = 7
	kids := make([]string, len(d.pages))
	for i := range d.pages {
		kids[i] = fmt.Sprintf("%d 0 R", first+2*i)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(d.pages)))
	obj("<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [4 0 R] >>")
	obj("<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light " +
		"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> " +
		"/FontDescriptor 5 0 R /DW 1000 /W [1 95 500] >>")
	obj("<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] " +
		"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>")
	created := d.Created
	if created.IsZero() {
		created = time.Unix(0, 0)
	}
	obj(fmt.Sprintf("<< /Title %s /Producer (govkiosk) /CreationDate (D:%s) >>",
		pdfString(d.Title), created.UTC().Format("20060102150405Z")))
	for i, p := range d.pages {
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %s %s] "+
			"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", num(p.W), num(p.H), first+2*i+1))
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		_, _ = zw.Write(p.ops.Bytes())
		_ = zw.Close()
		offsets = append(offsets, out.Len())
		fmt.Fprintf(&out, "%d 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n", len(offsets), z.Len())
		out.Write(z.Bytes())
		out.WriteString("\nendstream\nendobj\n")
	}
	xref := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&out, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&out, "trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return out.Bytes()
}
