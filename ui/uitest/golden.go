package uitest

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// Update rewrites golden files instead of comparing with them: go test ./ui -update.
var Update = flag.Bool("update", false, "rewrite golden files under testdata/")

// Tolerance for golden images: a channel may differ by this much (anti-aliasing rounding),
// and this fraction of pixels may differ by more, before the images count as different.
const (
	channelTolerance = 24
	pixelTolerance   = 0.001
)

// AssertImage compares img with testdata/<name>.png, or writes it there with -update. On
// a mismatch it writes the image to testdata/failed/<name>.png to look at.
func AssertImage(t testing.TB, name string, img image.Image) {
	t.Helper()
	path := filepath.Join("testdata", name+".png")
	if *Update {
		if err := writePNG(path, img); err != nil {
			t.Fatal(err)
		}
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("golden image %s: %v (run the test with -update to create it)", path, err)
	}
	defer f.Close()
	want, err := png.Decode(f)
	if err != nil {
		t.Fatalf("golden image %s: %v", path, err)
	}
	if msg := diff(want, img); msg != "" {
		failed := filepath.Join("testdata", "failed", name+".png")
		_ = writePNG(failed, img)
		t.Errorf("%s: %s; got image written to %s", path, msg, failed)
	}
}

// AssertFile compares data with testdata/<name>, or writes it with -update.
func AssertFile(t testing.TB, name string, data []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *Update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file %s: %v (run the test with -update to create it)", path, err)
	}
	if !bytes.Equal(want, data) {
		t.Errorf("%s differs:\n--- want\n%s\n--- got\n%s", path, want, data)
	}
}

func writePNG(path string, img image.Image) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// diff describes how two images differ beyond the tolerances, or returns "".
func diff(want, got image.Image) string {
	if want.Bounds().Size() != got.Bounds().Size() {
		return fmt.Sprintf("size %v, want %v", got.Bounds().Size(), want.Bounds().Size())
	}
	if bad, ok := diffPix(want, got); ok {
		if float64(bad) > pixelTolerance*float64(want.Bounds().Dx()*want.Bounds().Dy()) {
			return fmt.Sprintf("%d of %d pixels differ", bad, want.Bounds().Dx()*want.Bounds().Dy())
		}
		return ""
	}
	wb, gb := want.Bounds(), got.Bounds()
	bad, total := 0, wb.Dx()*wb.Dy()
	for y := 0; y < wb.Dy(); y++ {
		for x := 0; x < wb.Dx(); x++ {
			if !near(want.At(wb.Min.X+x, wb.Min.Y+y), got.At(gb.Min.X+x, gb.Min.Y+y)) {
				bad++
			}
		}
	}
	if float64(bad) > pixelTolerance*float64(total) {
		return fmt.Sprintf("%d of %d pixels differ", bad, total)
	}
	return ""
}

// pix returns an image's 8-bit RGBA bytes, row stride and whether they are
// non-premultiplied, for the two types Fyne captures and PNG decodes into.
func pix(img image.Image) (p []byte, stride int, straight, ok bool) {
	switch v := img.(type) {
	case *image.NRGBA:
		return v.Pix, v.Stride, true, v.Rect.Min == image.Point{}
	case *image.RGBA:
		return v.Pix, v.Stride, false, v.Rect.Min == image.Point{}
	}
	return nil, 0, false, false
}

// diffPix counts differing pixels straight from the pixel bytes; comparing through
// image.At allocates per pixel and takes seconds under the race detector. Opaque pixels
// read the same premultiplied or not; other pixels are left to the slow path (ok false).
func diffPix(want, got image.Image) (bad int, ok bool) {
	wp, ws, _, ok1 := pix(want)
	gp, gs, _, ok2 := pix(got)
	if !ok1 || !ok2 {
		return 0, false
	}
	w, h := want.Bounds().Dx(), want.Bounds().Dy()
	for y := 0; y < h; y++ {
		wr, gr := wp[y*ws:y*ws+4*w], gp[y*gs:y*gs+4*w]
		for x := 0; x < 4*w; x += 4 {
			if wr[x+3] != 0xFF || gr[x+3] != 0xFF {
				if !near(want.At(x/4, y), got.At(x/4, y)) {
					bad++
				}
				continue
			}
			for c := 0; c < 3; c++ {
				d := int(wr[x+c]) - int(gr[x+c])
				if d > channelTolerance || d < -channelTolerance {
					bad++
					break
				}
			}
		}
	}
	return bad, true
}

func near(a, b color.Color) bool {
	ar, ag, ab, aa := a.RGBA()
	br, bg, bb, ba := b.RGBA()
	d := func(x, y uint32) bool {
		x, y = x>>8, y>>8
		if x > y {
			return x-y <= channelTolerance
		}
		return y-x <= channelTolerance
	}
	return d(ar, br) && d(ag, bg) && d(ab, bb) && d(aa, ba)
}
