package escpos

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"testing"
)

// TestCommandBytes pins every command to its bytes in the Epson ESC/POS reference.
func TestCommandBytes(t *testing.T) {
	for _, c := range []struct {
		name string
		do   func(e *Encoder)
		want []byte
	}{
		{"ESC @ initialize", func(e *Encoder) { e.Init() }, []byte{0x1b, 0x40}},
		{"FS & Chinese mode on", func(e *Encoder) { e.Chinese(true) }, []byte{0x1c, 0x26}},
		{"FS . Chinese mode off", func(e *Encoder) { e.Chinese(false) }, []byte{0x1c, 0x2e}},
		{"GS ! normal", func(e *Encoder) { e.Size(1, 1) }, []byte{0x1d, 0x21, 0x00}},
		{"GS ! double both", func(e *Encoder) { e.Size(2, 2) }, []byte{0x1d, 0x21, 0x11}},
		{"GS ! wide", func(e *Encoder) { e.Size(2, 1) }, []byte{0x1d, 0x21, 0x10}},
		{"GS ! tall", func(e *Encoder) { e.Size(1, 2) }, []byte{0x1d, 0x21, 0x01}},
		{"GS ! clamps to 8", func(e *Encoder) { e.Size(9, 0) }, []byte{0x1d, 0x21, 0x70}},
		{"ESC a centre", func(e *Encoder) { e.Align(AlignCenter) }, []byte{0x1b, 0x61, 0x01}},
		{"ESC a right", func(e *Encoder) { e.Align(AlignRight) }, []byte{0x1b, 0x61, 0x02}},
		{"ESC E on", func(e *Encoder) { e.Bold(true) }, []byte{0x1b, 0x45, 0x01}},
		{"ESC E off", func(e *Encoder) { e.Bold(false) }, []byte{0x1b, 0x45, 0x00}},
		{"ESC - and FS - 1 dot", func(e *Encoder) { e.Underline(1) }, []byte{0x1b, 0x2d, 0x01, 0x1c, 0x2d, 0x01}},
		{"ESC - and FS - off", func(e *Encoder) { e.Underline(0) }, []byte{0x1b, 0x2d, 0x00, 0x1c, 0x2d, 0x00}},
		{"ESC d feed 3", func(e *Encoder) { e.Feed(3) }, []byte{0x1b, 0x64, 0x03}},
		{"ESC J feed 24 dots", func(e *Encoder) { e.FeedDots(24) }, []byte{0x1b, 0x4a, 0x18}},
		{"ESC 3 spacing", func(e *Encoder) { e.LineSpacing(30) }, []byte{0x1b, 0x33, 0x1e}},
		{"GS V 65 full cut with feed", func(e *Encoder) { e.Cut(false, 16) }, []byte{0x1d, 0x56, 0x41, 0x10}},
		{"GS V 66 partial cut", func(e *Encoder) { e.Cut(true, 0) }, []byte{0x1d, 0x56, 0x42, 0x00}},
		{"LF", func(e *Encoder) { e.LF() }, []byte{0x0a}},
		{"ASCII text", func(e *Encoder) { e.Text("No. 12") }, []byte("No. 12")},
		// GB18030: 回 = BB D8, 执 = D6 B4, full-width colon = A3 BA.
		{"GB18030 text", func(e *Encoder) { e.Text("回执：") }, []byte{0xbb, 0xd8, 0xd6, 0xb4, 0xa3, 0xba}},
		// Outside GBK: U+20087 (𠂇) takes GB18030's four-byte form 95 32 90 31.
		{"GB18030 four-byte", func(e *Encoder) { e.Text("\U00020087") }, []byte{0x95, 0x32, 0x90, 0x31}},
		{"control bytes dropped", func(e *Encoder) { e.Text("a\x1b@\x10\x04\x01b\u0085") }, []byte("a@b")},
		{"invalid UTF-8 is ?", func(e *Encoder) { e.Text("a\xffb测") }, []byte{'a', '?', 'b', 0xb2, 0xe2}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var e Encoder
			c.do(&e)
			if !bytes.Equal(e.Bytes(), c.want) {
				t.Errorf("got % x, want % x", e.Bytes(), c.want)
			}
		})
	}
}

func TestQRBytes(t *testing.T) {
	var e Encoder
	if err := e.QR([]byte("ABC"), QROptions{Module: 6, Level: QRLevelQ}); err != nil {
		t.Fatal(err)
	}
	want := []byte{
		0x1d, 0x28, 0x6b, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00, // model 2
		0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x43, 0x06, // module 6 dots
		0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x45, 0x32, // level Q
		0x1d, 0x28, 0x6b, 0x06, 0x00, 0x31, 0x50, 0x30, 'A', 'B', 'C', // store, pL = 3+3
		0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x51, 0x30, // print
	}
	if !bytes.Equal(e.Bytes(), want) {
		t.Fatalf("got  % x\nwant % x", e.Bytes(), want)
	}
}

// TestQRLongPayloadLength checks pL/pH past 252 bytes, where pH must carry: a payload
// of 300 bytes is stored with pL + pH×256 = 303, pL = 0x2f, pH = 0x01.
func TestQRLongPayloadLength(t *testing.T) {
	for _, c := range []struct {
		n      int
		pL, pH byte
	}{{252, 0xff, 0x00}, {253, 0x00, 0x01}, {300, 0x2f, 0x01}, {MaxQRData, 0xb4, 0x1b}} {
		var e Encoder
		data := bytes.Repeat([]byte{'x'}, c.n)
		if err := e.QR(data, QROptions{}); err != nil {
			t.Fatal(err)
		}
		store := bytes.Index(e.Bytes(), []byte{0x31, 0x50, 0x30})
		if store < 2 || e.Bytes()[store-2] != c.pL || e.Bytes()[store-1] != c.pH {
			t.Errorf("%d bytes: pL pH = % x, want %02x %02x", c.n, e.Bytes()[store-2:store], c.pL, c.pH)
		}
	}
}

func TestQRRejects(t *testing.T) {
	var e Encoder
	for _, c := range []struct {
		data []byte
		o    QROptions
		want error
	}{
		{nil, QROptions{}, ErrQRData},
		{make([]byte, MaxQRData+1), QROptions{}, ErrQRData},
		{[]byte("x"), QROptions{Module: 17}, ErrQRModule},
	} {
		if err := e.QR(c.data, c.o); !errors.Is(err, c.want) {
			t.Errorf("QR(%d bytes, %+v) = %v, want %v", len(c.data), c.o, err, c.want)
		}
	}
	if e.Len() != 0 {
		t.Errorf("rejected QR codes wrote % x", e.Bytes())
	}
}

func TestRasterBytes(t *testing.T) {
	// A 10×2 image: row 0 has dots 0 and 9 black, row 1 dot 1.
	img := image.NewGray(image.Rect(0, 0, 10, 2))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	img.SetGray(0, 0, color.Gray{0})
	img.SetGray(9, 0, color.Gray{0})
	img.SetGray(1, 1, color.Gray{0})
	bm := ToBitmap(img)
	var e Encoder
	if err := e.Raster(bm); err != nil {
		t.Fatal(err)
	}
	want := []byte{0x1d, 0x76, 0x30, 0x00, 0x02, 0x00, 0x02, 0x00, 0x80, 0x40, 0x40, 0x00}
	if !bytes.Equal(e.Bytes(), want) {
		t.Fatalf("got % x, want % x", e.Bytes(), want)
	}
	if !bm.At(9, 0) || bm.At(8, 0) || !bm.At(1, 1) || bm.At(100, 100) {
		t.Error("Bitmap.At disagrees with the image")
	}
}

func TestRasterBands(t *testing.T) {
	bm := &Bitmap{WidthBytes: 1, Height: maxRasterBand + 10, Data: make([]byte, maxRasterBand+10)}
	var e Encoder
	if err := e.Raster(bm); err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(e.Bytes(), []byte{0x1d, 0x76, 0x30}); n != 2 {
		t.Fatalf("%d GS v 0 commands, want 2 bands", n)
	}
	for _, bad := range []*Bitmap{nil, {}, {WidthBytes: 256, Height: 1, Data: make([]byte, 256)}, {WidthBytes: 2, Height: 2, Data: []byte{1}}} {
		if err := e.Raster(bad); !errors.Is(err, ErrImage) {
			t.Errorf("Raster(%+v) = %v, want ErrImage", bad, err)
		}
	}
}
