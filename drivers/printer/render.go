package printer

import (
	"fmt"
	"image"
	"image/color"

	"github.com/govkiosk/govkiosk/drivers/printer/escpos"
	"github.com/govkiosk/govkiosk/kiosk/receipt"
)

// Paper is a paper roll width as the printer head sees it.
type Paper struct {
	// MM is the nominal roll width, 58 or 80.
	MM int
	// Dots is the printable width of the head (8 dots per mm).
	Dots int
	// Cols is the number of Font A (12-dot) columns across Dots.
	Cols int
}

// The two roll widths receipt printers take.
var (
	Paper58 = Paper{MM: 58, Dots: 384, Cols: receipt.Cols58}
	Paper80 = Paper{MM: 80, Dots: 576, Cols: receipt.Cols80}
)

// String is "58mm" or "80mm".
func (p Paper) String() string { return fmt.Sprintf("%dmm", p.MM) }

// PaperFor returns the paper for a roll width in mm (0 means 80).
func PaperFor(mm int) (Paper, error) {
	switch mm {
	case 58:
		return Paper58, nil
	case 80, 0:
		return Paper80, nil
	}
	return Paper{}, fmt.Errorf("printer: paper width %d mm: want 58 or 80", mm)
}

// Renderer turns receipt documents into ESC/POS bytes. It reuses its buffer, so the
// bytes a call returns are valid until the next call. The zero value renders for 80 mm
// paper.
type Renderer struct {
	Paper Paper
	enc   escpos.Encoder
	cur   receipt.Style
	align escpos.Align
}

// Render renders doc for paper in a fresh buffer.
func Render(doc *receipt.Document, paper Paper) ([]byte, error) {
	r := Renderer{Paper: paper}
	b, err := r.Render(doc)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), b...), nil
}

// cutFeed is the extra feed, in dots, after the cutting position, so the last line does
// not sit on the cut edge.
const cutFeed = 16

// Render validates doc (see receipt.Document.Validate) and renders it. A document that
// does not end with a cut gets a partial cut, so every receipt leaves the printer on
// its own.
func (r *Renderer) Render(doc *receipt.Document) ([]byte, error) {
	if err := doc.Validate(); err != nil {
		return nil, fmt.Errorf("printer: %w", err)
	}
	if r.Paper.Dots == 0 {
		r.Paper = Paper80
	}
	e := &r.enc
	e.Reset()
	e.Init()
	e.Chinese(true)
	r.cur, r.align = receipt.Style{}, escpos.AlignLeft
	lines := doc.Layout(r.Paper.Cols)
	cut := false
	for _, l := range lines {
		cut = false
		switch l.Kind() {
		case "text":
			r.style(l.Style)
			e.Line(l.Text)
		case "qr":
			if err := r.qr(l); err != nil {
				return nil, err
			}
		case "image":
			if err := r.image(l); err != nil {
				return nil, err
			}
		case "feed":
			e.Feed(l.Feed)
		case "cut":
			r.style(receipt.Style{})
			e.Cut(l.Partial, cutFeed)
			cut = true
		}
	}
	if !cut {
		r.style(receipt.Style{})
		e.Cut(true, cutFeed)
	}
	return e.Bytes(), nil
}

// style sends only the commands that change the current style.
func (r *Renderer) style(s receipt.Style) {
	e := &r.enc
	if a := escAlign(s.Align); a != r.align {
		e.Align(a)
		r.align = a
	}
	if s.Bold != r.cur.Bold {
		e.Bold(s.Bold)
	}
	if s.Underline != r.cur.Underline {
		e.Underline(b2i(s.Underline))
	}
	if s.Size != r.cur.Size {
		w, h := s.Size.Scale()
		e.Size(w, h)
	}
	r.cur = s
}

func escAlign(a receipt.Align) escpos.Align {
	switch a {
	case receipt.Center:
		return escpos.AlignCenter
	case receipt.Right:
		return escpos.AlignRight
	}
	return escpos.AlignLeft
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// qrByteCapacity is how many bytes a QR code of version 1..40 holds at error correction
// level M in byte mode, after ISO/IEC 18004 table 7 (checked against the go-qrcode
// encoder). Byte mode is the worst case, so a printer that picks its own mode never
// needs a bigger symbol than this assumes.
var qrByteCapacity = [40]int{14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331,
	362, 412, 450, 504, 560, 624, 666, 711, 779, 857, 911, 997, 1059, 1125, 1190, 1264,
	1370, 1452, 1538, 1628, 1722, 1809, 1911, 1989, 2099, 2213, 2331}

// QRVersion is the smallest QR version (1..40) holding n bytes at level M, or 0 if none
// does.
func QRVersion(n int) int {
	for v, c := range qrByteCapacity {
		if n <= c {
			return v + 1
		}
	}
	return 0
}

// QRModule picks the module size in dots for an n-byte payload: as large as lets the
// symbol and its 4-module quiet zones take at most about 60 % of the paper width, and
// no larger than 8 dots, which a phone reads from arm's length already.
func QRModule(n int, p Paper) int {
	v := QRVersion(n)
	if v == 0 {
		v = 40
	}
	modules := 17 + 4*v + 8
	return max(1, min(8, p.Dots*6/10/modules))
}

func (r *Renderer) qr(l receipt.Line) error {
	e := &r.enc
	r.style(receipt.Style{Align: l.Style.Align})
	mod := QRModule(len(l.QR), r.Paper)
	// The reference leaves the quiet zone to the sender: feed four modules above and
	// below the symbol.
	e.FeedDots(4 * mod)
	if err := e.QR([]byte(l.QR), escpos.QROptions{Module: mod, Level: escpos.QRLevelM}); err != nil {
		return fmt.Errorf("printer: %w", err)
	}
	e.FeedDots(4 * mod)
	return nil
}

func (r *Renderer) image(l receipt.Line) error {
	r.style(receipt.Style{Align: l.Style.Align})
	img := l.Image
	if img.Bounds().Dx() > r.Paper.Dots {
		img = scaleDown(img, r.Paper.Dots)
	}
	if err := r.enc.Raster(escpos.ToBitmap(img)); err != nil {
		return fmt.Errorf("printer: %w", err)
	}
	return nil
}

// scaleDown scales img to width w, keeping its aspect, averaging the pixels each output
// dot covers so thin strokes fade rather than vanish.
func scaleDown(img image.Image, w int) image.Image {
	b := img.Bounds()
	h := max(1, b.Dy()*w/b.Dx())
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		y0, y1 := b.Min.Y+y*b.Dy()/h, b.Min.Y+max((y+1)*b.Dy()/h, y*b.Dy()/h+1)
		for x := 0; x < w; x++ {
			x0, x1 := b.Min.X+x*b.Dx()/w, b.Min.X+max((x+1)*b.Dx()/w, x*b.Dx()/w+1)
			var sum, n uint32
			for sy := y0; sy < y1; sy++ {
				for sx := x0; sx < x1; sx++ {
					g := color.Gray16Model.Convert(img.At(sx, sy)).(color.Gray16)
					_, _, _, a := img.At(sx, sy).RGBA()
					// Transparent counts as white paper.
					sum += (uint32(g.Y)*a + 0xffff*(0xffff-a)) / 0xffff
					n++
				}
			}
			out.Pix[y*out.Stride+x] = uint8(sum / n >> 8)
		}
	}
	return out
}
