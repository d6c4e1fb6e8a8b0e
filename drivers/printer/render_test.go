package printer_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"strings"
	"testing"

	"github.com/govkiosk/govkiosk/drivers/printer"
	"github.com/govkiosk/govkiosk/drivers/printer/escpos"
	"github.com/govkiosk/govkiosk/internal/golden"
	"github.com/govkiosk/govkiosk/kiosk/receipt"
)

// TestRenderGolden pins the ESC/POS bytes of a sample receipt and what a printer makes
// of them, for both paper widths.
func TestRenderGolden(t *testing.T) {
	for _, paper := range []printer.Paper{printer.Paper58, printer.Paper80} {
		t.Run(paper.String(), func(t *testing.T) {
			b, err := printer.Render(sampleDoc(), paper)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, "sample-"+paper.String()+".escpos", b)
			rs, problems := escpos.Decode(b, paper.Dots)
			if len(problems) > 0 {
				t.Fatalf("problems: %v", problems)
			}
			if len(rs) != 1 {
				t.Fatalf("%d receipts, want 1", len(rs))
			}
			golden.Check(t, "sample-"+paper.String()+".txt", []byte(rs[0].Text(true)))
		})
	}
}

func TestRenderStartsAndEnds(t *testing.T) {
	b, err := printer.Render(receipt.New().Text("x"), printer.Paper80)
	if err != nil {
		t.Fatal(err)
	}
	// ESC @, FS & first; a document without a cut still ends with one.
	if !bytes.HasPrefix(b, []byte{0x1b, 0x40, 0x1c, 0x26}) || !bytes.HasSuffix(b, []byte{0x1d, 0x56, 0x42, 16}) {
		t.Fatalf("% x", b)
	}
	rs, _ := escpos.Decode(b, 576)
	if len(rs) != 1 || rs[0].Cut != "partial" {
		t.Fatalf("receipts %+v", rs)
	}
}

func TestRenderRefusesUnmaskedID(t *testing.T) {
	doc := receipt.New().Field("证件号码", synthID)
	if _, err := printer.Render(doc, printer.Paper58); !errors.Is(err, receipt.ErrUnmaskedID) {
		t.Fatalf("Render = %v, want ErrUnmaskedID", err)
	}
}

// TestRenderedLinesFit checks that no printed line wraps on the paper: every line the
// printer prints is one the layout planned.
func TestRenderedLinesFit(t *testing.T) {
	long := strings.Repeat("测试文字abc ", 20)
	doc := receipt.New().Title(long).Field("很长的键", long).Tracking("码", strings.Repeat("K", 30)).
		Styled(long, receipt.Style{Size: receipt.Wide}).Styled(long, receipt.Style{Size: receipt.Tall, Align: receipt.Right})
	for _, paper := range []printer.Paper{printer.Paper58, printer.Paper80} {
		b, err := printer.Render(doc, paper)
		if err != nil {
			t.Fatal(err)
		}
		rs, _ := escpos.Decode(b, paper.Dots)
		var printed int
		for _, l := range rs[0].Lines {
			if len(l.Runs) > 0 {
				printed++
			}
		}
		planned := 0
		for _, l := range doc.Layout(paper.Cols) {
			if l.Kind() == "text" {
				planned++
			}
		}
		if printed != planned {
			t.Errorf("%s: %d lines printed, %d planned: a line overflowed the paper", paper, printed, planned)
		}
	}
}

func TestQRSizing(t *testing.T) {
	for _, c := range []struct {
		n       int
		paper   printer.Paper
		version int
		module  int
	}{
		{14, printer.Paper58, 1, 7},
		{40, printer.Paper58, 3, 6},
		{40, printer.Paper80, 3, 8},
		{300, printer.Paper58, 13, 2},
		{2331, printer.Paper80, 40, 1},
	} {
		if v := printer.QRVersion(c.n); v != c.version {
			t.Errorf("QRVersion(%d) = %d, want %d", c.n, v, c.version)
		}
		m := printer.QRModule(c.n, c.paper)
		if m != c.module {
			t.Errorf("QRModule(%d, %s) = %d, want %d", c.n, c.paper, m, c.module)
		}
		if side := (17 + 4*c.version) * m; side > c.paper.Dots {
			t.Errorf("%d bytes on %s: symbol %d dots, paper %d", c.n, c.paper, side, c.paper.Dots)
		}
	}
	if printer.QRVersion(2332) != 0 {
		t.Error("2332 bytes fit no QR code at level M")
	}
}

func TestRenderImageScaledToPaper(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 800, 40))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for x := 0; x < 800; x++ {
		for y := 18; y < 22; y++ { // a 4-dot stroke, 2 dots once scaled
			img.SetGray(x, y, color.Gray{0})
		}
	}
	b, err := printer.Render(receipt.New().Add(receipt.Image{Image: img, Align: receipt.Center}), printer.Paper58)
	if err != nil {
		t.Fatal(err)
	}
	rs, problems := escpos.Decode(b, 384)
	if len(problems) > 0 || rs[0].Lines[0].Image == nil {
		t.Fatalf("lines %+v problems %v", rs[0].Lines, problems)
	}
	bm := rs[0].Lines[0].Image
	if bm.WidthBytes*8 != 384 || bm.Height != 19 || rs[0].Lines[0].Align != escpos.AlignCenter {
		t.Fatalf("image %dx%d", bm.WidthBytes*8, bm.Height)
	}
	dark := 0
	for y := 0; y < bm.Height; y++ {
		if bm.At(100, y) {
			dark++
		}
	}
	if dark < 1 || dark > 3 {
		t.Errorf("the stroke across the image became %d rows", dark)
	}
}

func TestPaperFor(t *testing.T) {
	for _, c := range []struct {
		mm   int
		want printer.Paper
		ok   bool
	}{{58, printer.Paper58, true}, {80, printer.Paper80, true}, {0, printer.Paper80, true}, {76, printer.Paper{}, false}} {
		got, err := printer.PaperFor(c.mm)
		if got != c.want || (err == nil) != c.ok {
			t.Errorf("PaperFor(%d) = %+v, %v", c.mm, got, err)
		}
	}
}

// BenchmarkRender renders a typical receipt (target: well under 200 µs).
func BenchmarkRender(b *testing.B) {
	doc := sampleDoc()
	r := printer.Renderer{Paper: printer.Paper80}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Render(doc); err != nil {
			b.Fatal(err)
		}
	}
}
