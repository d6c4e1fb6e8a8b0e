package escl

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"strings"
)

// Page is one scanned page as the scanner sent it.
type Page struct {
	// Data is the image or PDF document. It is personal data: never log or keep it.
	Data []byte
	// ContentType is the media type the scanner declared, e.g. "image/jpeg".
	ContentType string
	// DPI is the resolution that was asked for.
	DPI int
}

// SamplePage renders page number n (from 1) of a synthetic document as a scanner set to s
// would return it: an A4-like sheet with a title, ruled lines, blocks of "text", a form
// box and a red seal, with faint paper grain, at the requested resolution and colour mode,
// encoded as JPEG or as a one-page PDF wrapping that JPEG. It is fully synthetic and
// deterministic, for simulators and tests.
func SamplePage(s Settings, n int) (Page, error) {
	s = s.withDefaults()
	if err := s.validate(); err != nil {
		return Page{}, err
	}
	if s.Format != FormatJPEG && s.Format != FormatPDF {
		return Page{}, fmt.Errorf("%w: the sample page comes as %s or %s, not %s", ErrBadSettings, FormatJPEG, FormatPDF, s.Format)
	}
	w, h := s.Region.Pixels(s.DPI)
	if w < 16 || h < 16 {
		return Page{}, fmt.Errorf("%w: region too small at %d dpi", ErrBadSettings, s.DPI)
	}
	gray := s.ColorMode != RGB24
	img := renderPage(w, h, s.DPI, n, gray, s.ColorMode == BlackAndWhite1)
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, img, &jpeg.Options{Quality: 75}); err != nil {
		return Page{}, fmt.Errorf("escl: encode sample page: %w", err)
	}
	if s.Format == FormatJPEG {
		return Page{Data: jb.Bytes(), ContentType: FormatJPEG, DPI: s.DPI}, nil
	}
	return Page{Data: WrapJPEGInPDF(jb.Bytes(), w, h, s.DPI, gray), ContentType: FormatPDF, DPI: s.DPI}, nil
}

// canvas draws on a luma plane and, for colour pages, on the chroma planes of a 4:2:0
// YCbCr image: the JPEG encoder takes both without conversion.
type canvas struct {
	w, h  int
	y     []uint8
	yStr  int
	ycc   *image.YCbCr
	gray  *image.Gray
	scale int // pixels per "point" of the layout, from the resolution
}

func (c *canvas) rect(x0, y0, x1, y1 int, v uint8) {
	x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, c.w), min(y1, c.h)
	for y := y0; y < y1; y++ {
		row := c.y[y*c.yStr:]
		for x := x0; x < x1; x++ {
			row[x] = v
		}
	}
}

// text draws upper-case text with the 5×7 glyphs, each glyph pixel px × px.
func (c *canvas) text(x, y, px int, s string, v uint8) {
	for _, r := range strings.ToUpper(s) {
		g, ok := glyphs[r]
		if !ok {
			g = glyphs[' ']
		}
		for i := range 35 {
			if g[i] == '#' {
				gx, gy := x+(i%5)*px, y+(i/5)*px
				c.rect(gx, gy, gx+px, gy+px, v)
			}
		}
		x += 6 * px
	}
}

// seal paints a red ring (an official seal) through the chroma planes.
func (c *canvas) seal(cx, cy, r, thick int) {
	if c.ycc == nil {
		c.ring(cx, cy, r, thick, 110)
		return
	}
	c.ring(cx, cy, r, thick, 90)
	// Red in YCbCr: Cb low, Cr high. The chroma planes are half size.
	for y := (cy - r) / 2; y <= (cy+r)/2; y++ {
		for x := (cx - r) / 2; x <= (cx+r)/2; x++ {
			dx, dy := 2*x-cx, 2*y-cy
			d := dx*dx + dy*dy
			if d <= r*r && d >= (r-thick)*(r-thick) && x >= 0 && y >= 0 && x < (c.w+1)/2 && y < (c.h+1)/2 {
				c.ycc.Cb[y*c.ycc.CStride+x] = 90
				c.ycc.Cr[y*c.ycc.CStride+x] = 220
			}
		}
	}
}

func (c *canvas) ring(cx, cy, r, thick int, v uint8) {
	for y := max(cy-r, 0); y <= min(cy+r, c.h-1); y++ {
		for x := max(cx-r, 0); x <= min(cx+r, c.w-1); x++ {
			dx, dy := x-cx, y-cy
			if d := dx*dx + dy*dy; d <= r*r && d >= (r-thick)*(r-thick) {
				c.y[y*c.yStr+x] = v
			}
		}
	}
}

func renderPage(w, h, dpi, n int, gray, bw bool) image.Image {
	c := &canvas{w: w, h: h, scale: max(dpi/100, 1)}
	if gray {
		c.gray = image.NewGray(image.Rect(0, 0, w, h))
		c.y, c.yStr = c.gray.Pix, c.gray.Stride
	} else {
		c.ycc = image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
		c.y, c.yStr = c.ycc.Y, c.ycc.YStride
		for i := range c.ycc.Cb {
			c.ycc.Cb[i], c.ycc.Cr[i] = 128, 128
		}
	}
	// Paper with faint grain, as a scanner's sensor sees it; a blank synthetic white
	// would make unrealistically small files.
	seed := uint32(2463534242 + n)
	for y := range h {
		row := c.y[y*c.yStr : y*c.yStr+w]
		for x := range row {
			seed ^= seed << 13
			seed ^= seed >> 17
			seed ^= seed << 5
			row[x] = 240 + uint8(seed%8)
		}
	}
	mm := func(v int) int { return v * dpi * 10 / 254 } // millimetres to pixels
	ink := uint8(30)
	// Title and page number.
	px := max(mm(2)/2, 1)
	c.text(mm(20), mm(18), px, "GOVKIOSK SAMPLE DOCUMENT", ink)
	c.text(mm(20), mm(30), max(px/2, 1), fmt.Sprintf("PAGE %d - SYNTHETIC TEST DATA 990101", n), ink)
	c.rect(mm(20), mm(38), w-mm(20), mm(38)+max(mm(1)/2, 1), ink)
	// Paragraphs: runs of "words" on ruled lines.
	line := mm(7)
	y := mm(48)
	for para := 0; para < 5 && y < h-mm(110); para++ {
		for l := 0; l < 6 && y < h-mm(110); l++ {
			x := mm(20)
			if l == 0 {
				x += mm(8)
			}
			end := w - mm(20)
			if l == 5 {
				end = w/2 + (para*977+n*131)%(w/3)
			}
			for word := 0; x < end; word++ {
				ww := mm(4) + ((word*7919+l*104729+para*1299709+n*15485863)%97)*mm(14)/97
				c.rect(x, y, min(x+ww, end), y+mm(3), ink+uint8(word%3)*10)
				x += ww + mm(2)
			}
			y += line
		}
		y += line / 2
	}
	// A form box with fields, as on a certificate or an application form.
	bx, by := mm(20), h-mm(100)
	for i := range 4 {
		yy := by + i*mm(12)
		c.rect(bx, yy, w-mm(20), yy+max(mm(1)/3, 1), ink)
		c.text(bx+mm(2), yy+mm(3), max(px/2, 1), []string{"NAME:", "NUMBER:", "DATE:", "SIGNED:"}[i], ink)
	}
	c.seal(w-mm(55), h-mm(60), mm(20), max(mm(1), 2))
	if bw {
		for i, v := range c.y {
			if v < 128 {
				c.y[i] = 0
			} else {
				c.y[i] = 255
			}
		}
	}
	if c.gray != nil {
		return c.gray
	}
	return c.ycc
}

// WrapJPEGInPDF makes a minimal one-page PDF 1.4 whose page is the JPEG (w × h pixels
// scanned at dpi) at its physical size. The JPEG is embedded as is (DCTDecode), the
// cross-reference table has exact offsets, so any reader opens it without repair.
func WrapJPEGInPDF(jpg []byte, w, h, dpi int, gray bool) []byte {
	cs := "/DeviceRGB"
	if gray {
		cs = "/DeviceGray"
	}
	// Page size in points (1/72 in).
	pw, ph := float64(w)*72/float64(dpi), float64(h)*72/float64(dpi)
	content := fmt.Sprintf("q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q\n", pw, ph)
	var b bytes.Buffer
	var offs []int
	obj := func(body string, stream []byte) {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s", len(offs), body)
		if stream != nil {
			b.WriteString("\nstream\n")
			b.Write(stream)
			b.WriteString("\nendstream")
		}
		b.WriteString("\nendobj\n")
	}
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	obj("<< /Type /Catalog /Pages 2 0 R >>", nil)
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>", nil)
	obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] "+
		"/Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>", pw, ph), nil)
	obj(fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s "+
		"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>", w, h, cs, len(jpg)), jpg)
	obj(fmt.Sprintf("<< /Length %d >>", len(content)), []byte(content))
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	return b.Bytes()
}
