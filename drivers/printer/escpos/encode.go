package escpos

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Control bytes.
const (
	LF  = 0x0a
	ESC = 0x1b
	GS  = 0x1d
	FS  = 0x1c
	DLE = 0x10
	EOT = 0x04
)

// Align is a justification for ESC a.
type Align byte

// ESC a n: 0 left, 1 centre, 2 right (48, 49, 50 are accepted as the same).
const (
	AlignLeft   Align = 0
	AlignCenter Align = 1
	AlignRight  Align = 2
)

// QRLevel is a QR Code error correction level as GS ( k fn 69 numbers it.
type QRLevel byte

// GS ( k <Function 169>: n = 48 L (7 %), 49 M (15 %), 50 Q (25 %), 51 H (30 %).
const (
	QRLevelL QRLevel = 48
	QRLevelM QRLevel = 49
	QRLevelQ QRLevel = 50
	QRLevelH QRLevel = 51
)

// MaxQRData is the most bytes GS ( k <Function 180> stores: (pL + pH×256) ≤ 7092, of
// which 3 are cn, fn and m.
const MaxQRData = 7092 - 3

// Raster limits of GS v 0: the width in bytes is xL + xH×256 and the height in dots
// yL + yH×256; most printers take yH ≤ 8, so one command prints at most 2303 rows and
// taller images are sent in bands.
const (
	maxRasterBand = 2303
	// MaxRasterWidthBytes is far beyond any receipt head (72 bytes = 576 dots).
	MaxRasterWidthBytes = 255
)

// Errors from the encoder.
var (
	// ErrQRData means a QR payload is empty or longer than MaxQRData.
	ErrQRData = errors.New("escpos: QR data empty or too long")
	// ErrQRModule means a QR module size outside 1..16 dots.
	ErrQRModule = errors.New("escpos: QR module size out of range 1..16")
	// ErrImage means an image that is empty or wider than MaxRasterWidthBytes×8 dots.
	ErrImage = errors.New("escpos: image empty or too wide")
)

// Encoder appends ESC/POS commands to a buffer. The zero value is ready to use. Text is
// encoded in GB18030, which is what a Chinese-model printer expects in Chinese mode. An
// Encoder is not safe for concurrent use.
type Encoder struct {
	buf     []byte
	gb      *encoding.Encoder
	scratch []byte
}

// Bytes returns the commands written so far. The slice is valid until the next write.
func (e *Encoder) Bytes() []byte { return e.buf }

// Len is the number of bytes written so far.
func (e *Encoder) Len() int { return len(e.buf) }

// Reset empties the buffer, keeping its memory.
func (e *Encoder) Reset() { e.buf = e.buf[:0] }

// Raw appends bytes as they are.
func (e *Encoder) Raw(b ...byte) { e.buf = append(e.buf, b...) }

// Init is ESC @ (1B 40): clears the print buffer and resets every mode to its power-on
// default.
func (e *Encoder) Init() { e.buf = append(e.buf, ESC, '@') }

// Chinese switches Chinese (Kanji) character mode on with FS & (1C 26) or off with FS .
// (1C 2E). In Chinese mode a byte 0x81–0xFE starts a two- or four-byte GB18030
// character; off, every byte is one character of the code page.
func (e *Encoder) Chinese(on bool) {
	if on {
		e.buf = append(e.buf, FS, '&')
	} else {
		e.buf = append(e.buf, FS, '.')
	}
}

// Size is GS ! n (1D 21 n): character width and height multipliers 1..8, n = (w-1)<<4 |
// (h-1). It applies to ASCII and Chinese characters alike.
func (e *Encoder) Size(w, h int) {
	w, h = clamp(w, 1, 8), clamp(h, 1, 8)
	e.buf = append(e.buf, GS, '!', byte((w-1)<<4|(h-1)))
}

// Align is ESC a n (1B 61 n). It takes effect at the start of a line and applies to
// text, QR codes and raster images.
func (e *Encoder) Align(a Align) {
	if a > AlignRight {
		a = AlignLeft
	}
	e.buf = append(e.buf, ESC, 'a', byte(a))
}

// Bold is ESC E n (1B 45 n): emphasized mode on when the low bit of n is 1.
func (e *Encoder) Bold(on bool) { e.buf = append(e.buf, ESC, 'E', b2n(on)) }

// Underline sets the underline thickness in dots, 0 (off), 1 or 2, for ASCII with
// ESC - n (1B 2D n) and for Chinese characters with FS - n (1C 2D n), which Chinese
// models keep separately.
func (e *Encoder) Underline(dots int) {
	n := byte(clamp(dots, 0, 2))
	e.buf = append(e.buf, ESC, '-', n, FS, '-', n)
}

// Text appends s encoded in GB18030. Control characters are dropped, so text can never
// smuggle a command; characters GB18030 cannot encode (there are none among valid
// Unicode scalars) and invalid UTF-8 become '?'.
func (e *Encoder) Text(s string) {
	ascii := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			ascii = false
			break
		}
	}
	if ascii {
		e.buf = append(e.buf, s...)
		return
	}
	e.scratch = e.scratch[:0]
	for _, r := range s {
		switch {
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			continue
		case r == 0xfffd:
			e.scratch = append(e.scratch, '?')
		default:
			e.scratch = utf8.AppendRune(e.scratch, r)
		}
	}
	if e.gb == nil {
		e.gb = simplifiedchinese.GB18030.NewEncoder()
	}
	for src := e.scratch; len(src) > 0; {
		e.buf = grow(e.buf, 2*len(src)+8)
		e.gb.Reset()
		nDst, nSrc, err := e.gb.Transform(e.buf[len(e.buf):cap(e.buf)], src, true)
		e.buf = e.buf[:len(e.buf)+nDst]
		src = src[nSrc:]
		if err != nil && nSrc == 0 && len(src) > 0 {
			// Cannot encode the next rune: skip it.
			e.buf = append(e.buf, '?')
			_, size := utf8.DecodeRune(src)
			src = src[size:]
		}
	}
}

// LF prints the line and feeds one line (0A).
func (e *Encoder) LF() { e.buf = append(e.buf, LF) }

// Line appends text and LF.
func (e *Encoder) Line(s string) {
	e.Text(s)
	e.LF()
}

// Feed is ESC d n (1B 64 n): prints the buffer and feeds n lines (0..255).
func (e *Encoder) Feed(n int) { e.buf = append(e.buf, ESC, 'd', byte(clamp(n, 0, 255))) }

// FeedDots is ESC J n (1B 4A n): prints the buffer and feeds n dots (vertical motion
// units, 1/203 inch on the usual 8 dots/mm head).
func (e *Encoder) FeedDots(n int) { e.buf = append(e.buf, ESC, 'J', byte(clamp(n, 0, 255))) }

// LineSpacing is ESC 3 n (1B 33 n): line spacing of n dots (vertical motion units).
func (e *Encoder) LineSpacing(dots int) {
	e.buf = append(e.buf, ESC, '3', byte(clamp(dots, 0, 255)))
}

// Cut is GS V m n, function B (1D 56 41 n full, 1D 56 42 n partial): feeds the paper to
// the cutting position plus n vertical motion units and cuts, so the last printed line
// is above the cutter and not left on the next receipt.
func (e *Encoder) Cut(partial bool, feed int) {
	m := byte(65)
	if partial {
		m = 66
	}
	e.buf = append(e.buf, GS, 'V', m, byte(clamp(feed, 0, 255)))
}

// QROptions are the symbol settings of a QR code.
type QROptions struct {
	// Module is the size of one module in dots, 1..16; 0 means 4.
	Module int
	// Level is the error correction level; 0 means QRLevelM.
	Level QRLevel
}

// QR prints data as a native QR Code with GS ( k (cn = 49): select model 2
// <Function 165> 1D 28 6B 04 00 31 41 32 00, module size <Function 167>
// 1D 28 6B 03 00 31 43 n, error correction <Function 169> 1D 28 6B 03 00 31 45 n,
// store the data <Function 180> 1D 28 6B pL pH 31 50 30 d1…dk with
// pL + pH×256 = k + 3, and print it <Function 181> 1D 28 6B 03 00 31 51 30.
func (e *Encoder) QR(data []byte, o QROptions) error {
	if len(data) == 0 || len(data) > MaxQRData {
		return fmt.Errorf("%w: %d bytes", ErrQRData, len(data))
	}
	if o.Module == 0 {
		o.Module = 4
	}
	if o.Module < 1 || o.Module > 16 {
		return fmt.Errorf("%w: %d", ErrQRModule, o.Module)
	}
	if o.Level < QRLevelL || o.Level > QRLevelH {
		o.Level = QRLevelM
	}
	n := len(data) + 3
	e.buf = append(e.buf,
		GS, '(', 'k', 4, 0, 49, 65, 50, 0,
		GS, '(', 'k', 3, 0, 49, 67, byte(o.Module),
		GS, '(', 'k', 3, 0, 49, 69, byte(o.Level),
		GS, '(', 'k', byte(n), byte(n>>8), 49, 80, 48)
	e.buf = append(e.buf, data...)
	e.buf = append(e.buf, GS, '(', 'k', 3, 0, 49, 81, 48)
	return nil
}

// Bitmap is a 1-bit image in the printer's raster order: rows top to bottom, each row
// WidthBytes bytes, the most significant bit the leftmost dot, 1 = black.
type Bitmap struct {
	WidthBytes int
	Height     int
	Data       []byte
}

// At reports whether the dot at (x, y) is black.
func (b *Bitmap) At(x, y int) bool {
	if x < 0 || y < 0 || x >= b.WidthBytes*8 || y >= b.Height {
		return false
	}
	i := y*b.WidthBytes + x/8
	return i < len(b.Data) && b.Data[i]&(0x80>>(x%8)) != 0
}

// ToBitmap turns an image into black and white dots: a pixel darker than mid-grey (or
// an opaque one, for images with transparency) is black. The width is padded to whole
// bytes with white.
func ToBitmap(img image.Image) *Bitmap {
	r := img.Bounds()
	wb := (r.Dx() + 7) / 8
	bm := &Bitmap{WidthBytes: wb, Height: r.Dy(), Data: make([]byte, wb*r.Dy())}
	for y := 0; y < r.Dy(); y++ {
		for x := 0; x < r.Dx(); x++ {
			c := color.Gray16Model.Convert(img.At(r.Min.X+x, r.Min.Y+y)).(color.Gray16)
			_, _, _, a := img.At(r.Min.X+x, r.Min.Y+y).RGBA()
			if a > 0x8000 && c.Y < 0x8000 {
				bm.Data[y*wb+x/8] |= 0x80 >> (x % 8)
			}
		}
	}
	return bm
}

// Raster prints a bitmap with GS v 0 m xL xH yL yH d1…dk (1D 76 30 00 …): m = 0 normal
// density, xL + xH×256 bytes across, yL + yH×256 dots down, k = width × height bytes.
// Images taller than one command allows are sent in bands.
func (e *Encoder) Raster(b *Bitmap) error {
	if b == nil || b.WidthBytes <= 0 || b.Height <= 0 || b.WidthBytes > MaxRasterWidthBytes ||
		len(b.Data) < b.WidthBytes*b.Height {
		return ErrImage
	}
	for y := 0; y < b.Height; y += maxRasterBand {
		h := min(maxRasterBand, b.Height-y)
		e.buf = append(e.buf, GS, 'v', '0', 0,
			byte(b.WidthBytes), byte(b.WidthBytes>>8), byte(h), byte(h>>8))
		e.buf = append(e.buf, b.Data[y*b.WidthBytes:(y+h)*b.WidthBytes]...)
	}
	return nil
}

func b2n(on bool) byte {
	if on {
		return 1
	}
	return 0
}

func clamp(v, lo, hi int) int { return max(lo, min(hi, v)) }

func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := make([]byte, len(b), 2*cap(b)+n)
	copy(nb, b)
	return nb
}
