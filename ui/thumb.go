package ui

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // scanners deliver JPEG
	_ "image/png"  // and PNG
)

// maxScanPixels bounds a scanned page the preview will decode: A4 at 600 dpi is about 35
// million pixels; anything far beyond is not a page.
const maxScanPixels = 60_000_000

// thumbnail decodes a scanned page and scales it down to fit w×h, keeping its aspect.
// The full-size image is dropped at once: only the small one is kept on screen, so a
// visit with many pages holds kilobytes of previews, not megabytes.
func thumbnail(data []byte, w, h int) (image.Image, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("ui: scanned page: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxScanPixels {
		return nil, fmt.Errorf("ui: scanned page is %d×%d pixels", cfg.Width, cfg.Height)
	}
	src, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("ui: scanned page: %w", err)
	}
	return scaleDown(src, w, h), nil
}

// scaleDown box-filters src to fit w×h (never enlarging), averaging up to 4×4 samples
// per output pixel: enough to keep lines of text from vanishing in the preview.
func scaleDown(src image.Image, w, h int) *image.NRGBA {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	scale := min(float64(w)/float64(sw), float64(h)/float64(sh), 1)
	dw, dh := max(int(float64(sw)*scale), 1), max(int(float64(sh)*scale), 1)
	dst := image.NewNRGBA(image.Rect(0, 0, dw, dh))
	const n = 4
	for y := 0; y < dh; y++ {
		for x := 0; x < dw; x++ {
			var r, g, bl, a uint32
			for j := 0; j < n; j++ {
				sy := b.Min.Y + ((y*n+j)*sh+sh/2)/(dh*n)
				for i := 0; i < n; i++ {
					sx := b.Min.X + ((x*n+i)*sw+sw/2)/(dw*n)
					cr, cg, cb, ca := src.At(sx, sy).RGBA()
					r, g, bl, a = r+cr, g+cg, bl+cb, a+ca
				}
			}
			const k = n * n * 257
			dst.SetNRGBA(x, y, color.NRGBA{R: uint8(r / k), G: uint8(g / k), B: uint8(bl / k), A: uint8(a / k)})
		}
	}
	return dst
}

// dropThumbs wipes the pixels of the previews of the given materials, or of every
// material when none is named, and forgets them. The previews show a resident's
// documents, and Fyne's caches may keep the images they were drawn from for a while
// after the screen is gone: wiped, those hold nothing of the resident.
func (a *App) dropThumbs(ids ...string) {
	if len(ids) == 0 {
		for id := range a.thumbs {
			ids = append(ids, id)
		}
	}
	for _, id := range ids {
		for _, t := range a.thumbs[id] {
			if img, ok := t.(*image.NRGBA); ok {
				clear(img.Pix)
			}
		}
		delete(a.thumbs, id)
	}
	if len(a.thumbs) == 0 {
		a.thumbs = nil
	}
}
