package printersim

import (
	"image"

	"github.com/govkiosk/govkiosk/drivers/printer/escpos"
	qrcode "github.com/skip2/go-qrcode"
)

// margin is the white space drawn above and below a receipt, in dots.
const margin = 16

// Render draws a receipt as the paper would look: dots wide (384 for 58 mm, 576 for
// 80 mm), black dots on white, text from f (nil draws boxes), QR codes as modules,
// raster images dot for dot.
func Render(r escpos.Receipt, dots int, f *Font) *image.Gray {
	if dots <= 0 {
		dots = 576
	}
	height := 2 * margin
	for _, l := range r.Lines {
		height += lineHeight(l)
	}
	img := image.NewGray(image.Rect(0, 0, dots, height))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	y := margin
	for _, l := range r.Lines {
		switch {
		case l.QR != nil:
			drawQR(img, l, y)
		case l.Image != nil:
			drawImage(img, l, y)
		default:
			drawText(img, l, y, f)
		}
		y += lineHeight(l)
	}
	return img
}

// lineHeight is how far a line moves the paper.
func lineHeight(l escpos.Line) int {
	if l.QR != nil {
		if bm := qrBitmap(l.QR); bm != nil {
			return len(bm) * l.QR.Module
		}
		return 8 * l.QR.Module
	}
	return l.Dots
}

func qrLevel(l escpos.QRLevel) qrcode.RecoveryLevel {
	switch l {
	case escpos.QRLevelL:
		return qrcode.Low
	case escpos.QRLevelQ:
		return qrcode.High
	case escpos.QRLevelH:
		return qrcode.Highest
	}
	return qrcode.Medium
}

// qrBitmap encodes the symbol as a printer would: model 2, the stored error correction
// level, no quiet zone (the sender leaves it). Model 1 is drawn as model 2.
func qrBitmap(q *escpos.QRCode) [][]bool {
	code, err := qrcode.New(string(q.Data), qrLevel(q.Level))
	if err != nil {
		return nil
	}
	code.DisableBorder = true
	return code.Bitmap()
}

func black(img *image.Gray, x, y int) {
	if image.Pt(x, y).In(img.Rect) {
		img.Pix[y*img.Stride+x] = 0
	}
}

// left is where a block w dots wide starts for the line's alignment.
func left(dots, w int, a escpos.Align) int {
	switch a {
	case escpos.AlignCenter:
		return max(0, (dots-w)/2)
	case escpos.AlignRight:
		return max(0, dots-w)
	}
	return 0
}

func drawQR(img *image.Gray, l escpos.Line, y int) {
	bm := qrBitmap(l.QR)
	m := l.QR.Module
	if bm == nil {
		// Too much data for the level: a printer prints nothing; show a crossed box.
		w := 8 * m
		x0 := left(img.Rect.Dx(), w, l.Align)
		for i := 0; i < w; i++ {
			black(img, x0+i, y+i)
			black(img, x0+w-1-i, y+i)
			black(img, x0+i, y)
			black(img, x0+i, y+w-1)
			black(img, x0, y+i)
			black(img, x0+w-1, y+i)
		}
		return
	}
	x0 := left(img.Rect.Dx(), len(bm)*m, l.Align)
	for r, row := range bm {
		for c, on := range row {
			if !on {
				continue
			}
			for dy := 0; dy < m; dy++ {
				for dx := 0; dx < m; dx++ {
					black(img, x0+c*m+dx, y+r*m+dy)
				}
			}
		}
	}
}

func drawImage(img *image.Gray, l escpos.Line, y int) {
	b := l.Image
	sx, sy := 1, 1
	if l.ImageMode&1 != 0 {
		sx = 2
	}
	if l.ImageMode&2 != 0 {
		sy = 2
	}
	x0 := left(img.Rect.Dx(), b.WidthBytes*8*sx, l.Align)
	for r := 0; r < b.Height; r++ {
		for c := 0; c < b.WidthBytes*8; c++ {
			if !b.At(c, r) {
				continue
			}
			for dy := 0; dy < sy; dy++ {
				for dx := 0; dx < sx; dx++ {
					black(img, x0+c*sx+dx, y+r*sy+dy)
				}
			}
		}
	}
}

// drawText prints a text line: characters stand on a common bottom line (the tallest
// cell's), magnified by whole dots as the printer does, bold as a one-dot double strike.
func drawText(img *image.Gray, l escpos.Line, y int, f *Font) {
	w, h := 0, 0
	for _, r := range l.Runs {
		cw, ch := r.Style.Cell()
		w += cw * len([]rune(r.Text))
		h = max(h, ch)
	}
	x := left(img.Rect.Dx(), w, l.Align)
	for _, run := range l.Runs {
		st := run.Style
		cw, ch := st.Cell()
		mw, mh := max(st.Width, 1), max(st.Height, 1)
		baseW, baseH := cw/mw, ch/mh
		top := y + h - ch
		for _, r := range run.Text {
			g := f.glyph(r, baseW, baseH)
			for gy := 0; gy < ch; gy++ {
				for gx := 0; gx < cw; gx++ {
					on := g.at(gx/mw, gy/mh)
					if st.Bold && !on && gx >= mw {
						on = g.at((gx-mw)/mw, gy/mh)
					}
					if st.Underline > 0 && gy >= ch-st.Underline {
						on = true
					}
					if st.Reverse {
						on = !on
					}
					if on {
						black(img, x+gx, top+gy)
					}
				}
			}
			x += cw
		}
	}
}
