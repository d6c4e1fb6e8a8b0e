// Package pdf writes small PDF documents (PDF 1.4): pages of text, lines, filled boxes
// and QR codes drawn as vector squares. Text in it is real text (searchable, sharp at any
// resolution).
//
// Chinese text is drawn with a TrueType font the document embeds a subset of (Doc.Font:
// only the glyphs used, as a CIDFontType2 with a ToUnicode map, so text can be extracted
// and searched), so a printer or reader without Chinese fonts of its own prints it right.
// Without a Font, or when the font cannot be subset, the document names the Adobe-GB1
// standard CJK font STSong-Light instead and relies on the printer or reader to supply it
// (a few KiB, but a printer without it prints boxes or nothing). It never fails a
// document for its font.
package pdf

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
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
	// Font is the font to embed a subset of; nil names STSong-Light. Set it before
	// AddPage (text is measured with it).
	Font *Font

	fontErr error
	missing int
}

// Page is one page; coordinates are points from the lower left corner.
type Page struct {
	W, H float64
	doc  *Doc
	ops  []op
}

// op is one drawing operation: content stream text, or a run of text to encode when the
// document is written (when it is known whether the font is embedded).
type op struct {
	raw     string
	x, y    float64
	size    float64
	text    string
	hasText bool
}

// AddPage adds an A4 portrait page.
func (d *Doc) AddPage() *Page {
	p := &Page{W: A4Width, H: A4Height, doc: d}
	d.pages = append(d.pages, p)
	return p
}

// FontErr says why the last Bytes did not embed Font (the document names STSong-Light
// instead); nil when it did, or when there is no Font.
func (d *Doc) FontErr() error { return d.fontErr }

// MissingGlyphs is how many characters of the last Bytes' text the embedded font has no
// glyph for (they print as the font's empty box).
func (d *Doc) MissingGlyphs() int { return d.missing }

// Pages is the number of pages.
func (d *Doc) Pages() int { return len(d.pages) }

func num(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

// TextWidth is the width of s at size points in STSong-Light: ASCII is half width,
// everything else full width.
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

// TextWidth is the width of s at size points in the document's font.
func (p *Page) TextWidth(s string, size float64) float64 {
	f := p.doc.Font
	if f == nil {
		return TextWidth(s, size)
	}
	w := 0
	for _, r := range s {
		w += f.width(f.glyph(printable(r)))
	}
	return float64(w) * size / 1000
}

// printable turns control characters into spaces.
func printable(r rune) rune {
	if r < 0x20 {
		return ' '
	}
	return r
}

// Text draws s with its baseline starting at (x, y).
func (p *Page) Text(x, y, size float64, s string) {
	p.ops = append(p.ops, op{x: x, y: y, size: size, text: s, hasText: true})
}

// TextCentered draws s centred on x.
func (p *Page) TextCentered(x, y, size float64, s string) {
	p.Text(x-p.TextWidth(s, size)/2, y, size, s)
}

// content is the page's content stream; glyphs, when not nil, encodes text as the
// embedded font's glyph ids, else as UCS-2 for STSong-Light.
func (p *Page) content(glyphs func(rune) uint16) []byte {
	var b bytes.Buffer
	for _, o := range p.ops {
		if !o.hasText {
			b.WriteString(o.raw)
			continue
		}
		fmt.Fprintf(&b, "BT /F1 %s Tf %s %s Td <", num(o.size), num(o.x), num(o.y))
		for _, r := range o.text {
			r = printable(r)
			switch {
			case glyphs != nil:
				fmt.Fprintf(&b, "%04X", glyphs(r))
			case r > 0xFFFF:
				b.WriteString("003F") // '?': UCS-2 has no room for it
			default:
				fmt.Fprintf(&b, "%04X", r)
			}
		}
		b.WriteString("> Tj ET\n")
	}
	return b.Bytes()
}

// Rect fills a box whose lower left corner is (x, y).
func (p *Page) Rect(x, y, w, h float64) {
	p.ops = append(p.ops, op{raw: fmt.Sprintf("%s %s %s %s re f\n", num(x), num(y), num(w), num(h))})
}

// Line draws a line of the given width.
func (p *Page) Line(x1, y1, x2, y2, width float64) {
	p.ops = append(p.ops, op{raw: fmt.Sprintf("%s w %s %s m %s %s l S\n", num(width), num(x1), num(y1), num(x2), num(y2))})
}

// QR draws a QR code's modules (true is dark, rows from the top) in a square of side size
// whose lower left corner is (x, y).
func (p *Page) QR(x, y, size float64, modules [][]bool) {
	n := len(modules)
	if n == 0 {
		return
	}
	m := size / float64(n)
	var b strings.Builder
	for r, row := range modules {
		for c, dark := range row {
			if dark {
				fmt.Fprintf(&b, "%s %s %s %s re ", num(x+float64(c)*m), num(y+size-float64(r+1)*m), num(m), num(m))
			}
		}
	}
	b.WriteString("f\n")
	p.ops = append(p.ops, op{raw: b.String()})
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

// embedding is the font part of a document that embeds its Font.
type embedding struct {
	glyphs map[rune]uint16
	file   []byte // the subset TrueType font
	name   string // the subset's PostScript name, with its tag (ABCDEF+Name)
	f      *Font
	used   []uint16 // the glyph ids the text shows, sorted
	uni    map[uint16]rune
}

// embed makes the subset of d.Font for the document's text.
func (d *Doc) embed() (*embedding, error) {
	f := d.Font
	e := &embedding{glyphs: map[rune]uint16{}, f: f, uni: map[uint16]rune{}}
	used := map[uint16]bool{}
	for _, p := range d.pages {
		for _, o := range p.ops {
			for _, r := range o.text {
				r = printable(r)
				g, ok := e.glyphs[r]
				if !ok {
					g = f.glyph(r)
					e.glyphs[r] = g
					if g == 0 {
						d.missing++
					} else if _, have := e.uni[g]; !have {
						e.uni[g] = r
					}
				}
				used[g] = true
			}
		}
	}
	for g := range used {
		e.used = append(e.used, g)
	}
	sort.Slice(e.used, func(i, j int) bool { return e.used[i] < e.used[j] })
	// The subset's tag: six capitals from a hash of its glyphs, as PDF asks.
	h := fnv.New32a()
	for _, g := range e.used {
		_, _ = h.Write([]byte{byte(g >> 8), byte(g)})
	}
	sum := h.Sum32()
	var tag [6]byte
	for i := range tag {
		tag[i] = 'A' + byte(sum%26)
		sum /= 26
	}
	e.name = string(tag[:]) + "+" + pdfName(f.Name)
	file, err := f.subset(used)
	if err != nil {
		return nil, fmt.Errorf("pdf: subset %s: %w", f.Name, err)
	}
	e.file = file
	return e, nil
}

// pdfName keeps the characters a PDF name may hold without escapes.
func pdfName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r > ' ' && r < 0x7F && !strings.ContainsRune("()<>[]{}/%#", r) {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "Embedded"
	}
	return b.String()
}

// widths is the CIDFont's W array: each used glyph id with its width.
func (e *embedding) widths() string {
	var b strings.Builder
	for i := 0; i < len(e.used); {
		j := i
		fmt.Fprintf(&b, "%d [", e.used[i])
		for j < len(e.used) && e.used[j] == e.used[i]+uint16(j-i) {
			if j > i {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%d", e.f.width(e.used[j]))
			j++
		}
		b.WriteString("] ")
		i = j
	}
	return strings.TrimSpace(b.String())
}

// toUnicode is the ToUnicode CMap: each glyph id back to its character, so text can be
// extracted and searched.
func (e *embedding) toUnicode() []byte {
	var b bytes.Buffer
	b.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n" +
		"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n" +
		"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n" +
		"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	var gs []uint16
	for _, g := range e.used {
		if _, ok := e.uni[g]; ok {
			gs = append(gs, g)
		}
	}
	for len(gs) > 0 {
		n := min(len(gs), 100) // at most 100 entries a block
		fmt.Fprintf(&b, "%d beginbfchar\n", n)
		for _, g := range gs[:n] {
			fmt.Fprintf(&b, "<%04X> <", g)
			for _, u := range utf16.Encode([]rune{e.uni[g]}) {
				fmt.Fprintf(&b, "%04X", u)
			}
			b.WriteString(">\n")
		}
		b.WriteString("endbfchar\n")
		gs = gs[n:]
	}
	b.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	return b.Bytes()
}

// deflate compresses a stream's data at level (zlib's).
func deflate(b []byte, level int) []byte {
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, level)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return z.Bytes()
}

// Bytes writes the document. With a Font it embeds the subset its text needs; if that
// fails (FontErr says why) it names STSong-Light instead.
func (d *Doc) Bytes() []byte {
	d.fontErr, d.missing = nil, 0
	var emb *embedding
	if d.Font != nil {
		var err error
		if emb, err = d.embed(); err != nil {
			d.fontErr, d.missing, emb = err, 0, nil
		}
	}
	var out bytes.Buffer
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, out.Len())
		fmt.Fprintf(&out, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	stream := func(dict string, data []byte, level int) {
		z := deflate(data, level)
		offsets = append(offsets, out.Len())
		fmt.Fprintf(&out, "%d 0 obj\n<< %s/Length %d /Filter /FlateDecode >>\nstream\n", len(offsets), dict, len(z))
		out.Write(z)
		out.WriteString("\nendstream\nendobj\n")
	}
	out.WriteString("%PDF-1.4\n%\xE2\xE3\xCF\xD3\n")
	// 1 catalog, 2 pages, 3 font, 4 CID font, 5 font descriptor, 6 info, then per page:
	// the page and its content stream; then, when the font is embedded, the font file and
	// the ToUnicode CMap.
	const first = 7
	fontFile, toUni := first+2*len(d.pages), first+2*len(d.pages)+1
	kids := make([]string, len(d.pages))
	for i := range d.pages {
		kids[i] = fmt.Sprintf("%d 0 R", first+2*i)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(d.pages)))
	if emb != nil {
		f := emb.f
		obj(fmt.Sprintf("<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H "+
			"/DescendantFonts [4 0 R] /ToUnicode %d 0 R >>", emb.name, toUni))
		obj(fmt.Sprintf("<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s "+
			"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "+
			"/FontDescriptor 5 0 R /DW 1000 /W [%s] /CIDToGIDMap /Identity >>", emb.name, emb.widths()))
		obj(fmt.Sprintf("<< /Type /FontDescriptor /FontName /%s /Flags 4 /FontBBox [%d %d %d %d] "+
			"/ItalicAngle 0 /Ascent %d /Descent %d /CapHeight %d /StemV 80 /FontFile2 %d 0 R >>",
			emb.name, f.scale(f.bbox[0]), f.scale(f.bbox[1]), f.scale(f.bbox[2]), f.scale(f.bbox[3]),
			f.scale(f.ascent), f.scale(f.descent), f.scale(f.ascent), fontFile))
	} else {
		obj("<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [4 0 R] >>")
		obj("<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light " +
			"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> " +
			"/FontDescriptor 5 0 R /DW 1000 /W [1 95 500] >>")
		obj("<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] " +
			"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>")
	}
	created := d.Created
	if created.IsZero() {
		created = time.Unix(0, 0)
	}
	obj(fmt.Sprintf("<< /Title %s /Producer (govkiosk) /CreationDate (D:%s) >>",
		pdfString(d.Title), created.UTC().Format("20060102150405Z")))
	var glyphs func(rune) uint16
	if emb != nil {
		glyphs = func(r rune) uint16 { return emb.glyphs[r] }
	}
	for i, p := range d.pages {
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %s %s] "+
			"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", num(p.W), num(p.H), first+2*i+1))
		stream("", p.content(glyphs), zlib.DefaultCompression)
	}
	if emb != nil {
		// The font file is mostly the zeros of unused glyphs' metrics and offsets: the
		// fastest level compresses them nearly as well, in half the time.
		stream(fmt.Sprintf("/Length1 %d ", len(emb.file)), emb.file, zlib.BestSpeed)
		stream("", emb.toUnicode(), zlib.DefaultCompression)
	}
	xref := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&out, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&out, "trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return out.Bytes()
}
