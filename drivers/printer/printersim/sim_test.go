package printersim

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/drivers/printer/escpos"
	"github.com/govkiosk/govkiosk/drivers/transport"
)

// line is the driver's end of a simulator on a real pty.
type line struct {
	sim  *Simulator
	port transport.Port
}

func start(t *testing.T, cfg Config) *line {
	t.Helper()
	pty, err := transport.OpenPTY("")
	if err != nil {
		t.Fatal(err)
	}
	sim := New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = sim.ServePTY(ctx, pty)
	}()
	port, err := transport.OpenSerial(transport.SerialConfig{Path: pty.Path()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		port.Close()
		cancel()
		wg.Wait()
		sim.Close()
	})
	return &line{sim: sim, port: port}
}

// ask sends b and reads n answer bytes.
func (l *line) ask(t *testing.T, b []byte, n int) []byte {
	t.Helper()
	if _, err := l.port.Write(b); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, n)
	if err := transport.ReadFull(l.port, got, time.Now().Add(5*time.Second)); err != nil {
		t.Fatalf("reading %d answer bytes: %v", n, err)
	}
	return got
}

// silent checks that nothing is answered within a short while.
func (l *line) silent(t *testing.T) {
	t.Helper()
	if err := l.port.SetReadDeadline(time.Now().Add(300 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	var b [8]byte
	if n, err := l.port.Read(b[:]); n > 0 || !transport.IsTimeout(err) {
		t.Fatalf("got % x, %v; want silence", b[:n], err)
	}
}

// TestStatusAnswers checks the exact bytes the simulator answers DLE EOT 1–4 and GS r 1
// with, in each state.
func TestStatusAnswers(t *testing.T) {
	for _, c := range []struct {
		name string
		set  func(*Simulator)
		dle  []byte // answers to DLE EOT 1, 2, 3, 4
		gsr  int    // answer to GS r 1, -1 for none
	}{
		{"ready", func(*Simulator) {}, []byte{0x12, 0x12, 0x12, 0x12}, 0x00},
		{"near end", func(s *Simulator) { s.SetPaper(PaperNearEnd) }, []byte{0x12, 0x12, 0x12, 0x1e}, 0x03},
		{"paper out", func(s *Simulator) { s.SetPaper(PaperOut) }, []byte{0x1a, 0x32, 0x12, 0x7e}, -1},
		{"cover open", func(s *Simulator) { s.SetCover(true) }, []byte{0x1a, 0x16, 0x12, 0x12}, -1},
		{"cutter error", func(s *Simulator) { s.SetCutterError(true) }, []byte{0x3a, 0x52, 0x1a, 0x12}, -1},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := start(t, Config{})
			c.set(l.sim)
			if got := l.ask(t, escpos.QueryAll(), 4); !bytes.Equal(got, c.dle) {
				t.Errorf("DLE EOT 1-4 answered % x, want % x", got, c.dle)
			}
			if c.gsr < 0 {
				if _, err := l.port.Write(escpos.TransmitPaperStatus); err != nil {
					t.Fatal(err)
				}
				l.silent(t)
			} else if got := l.ask(t, escpos.TransmitPaperStatus, 1); got[0] != byte(c.gsr) {
				t.Errorf("GS r 1 answered %#02x, want %#02x", got[0], c.gsr)
			}
		})
	}
}

func sample(t *testing.T) []byte {
	var e escpos.Encoder
	e.Init()
	e.Chinese(true)
	e.Align(escpos.AlignCenter)
	e.Size(2, 2)
	e.Line("回执")
	e.Size(1, 1)
	e.Align(escpos.AlignLeft)
	e.Line("事项：测试")
	if err := e.QR([]byte("https://gov.example/t"), escpos.QROptions{Module: 4}); err != nil {
		t.Fatal(err)
	}
	if err := e.Raster(&escpos.Bitmap{WidthBytes: 2, Height: 2, Data: []byte{0xff, 0xff, 0x81, 0x81}}); err != nil {
		t.Fatal(err)
	}
	e.Cut(true, 0)
	return e.Bytes()
}

func TestSavesEachReceipt(t *testing.T) {
	dir := t.TempDir()
	l := start(t, Config{Dots: 384, OutDir: dir})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for range 2 {
		if _, err := l.port.Write(sample(t)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := l.sim.WaitReceipts(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := "回执\n事项：测试\n[QR https://gov.example/t]\n[image 16x2]\n~~ cut ~~\n"
	if got[1].Text(false) != want {
		t.Fatalf("receipt:\n%s\nwant:\n%s", got[1].Text(false), want)
	}
	for _, name := range []string{"0001", "0002"} {
		txt, err := os.ReadFile(filepath.Join(dir, name+".txt"))
		if err != nil || string(txt) != want {
			t.Fatalf("%s.txt = %q, %v", name, txt, err)
		}
		f, err := os.Open(filepath.Join(dir, name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if img.Bounds().Dx() != 384 || img.Bounds().Dy() < 100 {
			t.Fatalf("%s.png is %v", name, img.Bounds())
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestDropsWhatItCannotPrint(t *testing.T) {
	l := start(t, Config{})
	l.sim.SetCover(true)
	if _, err := l.port.Write(sample(t)); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool { return l.sim.Dropped() >= 4 }) // 3 lines and the cut
	if len(l.sim.Receipts()) != 0 || len(l.sim.Pending()) != 0 || l.sim.Dropped() == 0 {
		t.Fatalf("receipts %d pending %d dropped %d", len(l.sim.Receipts()), len(l.sim.Pending()), l.sim.Dropped())
	}
}

func TestPaperRunsOut(t *testing.T) {
	l := start(t, Config{})
	l.sim.SetPaperLeft(40) // the 2x2 title line (48 dots) uses it up
	if _, err := l.port.Write(sample(t)); err != nil {
		t.Fatal(err)
	}
	// DLE EOT is answered on arrival, before the data ahead of it is printed (as on a
	// real printer), so wait for the printing first.
	eventually(t, func() bool { return l.sim.Status().PaperOut })
	if got := l.ask(t, escpos.Query(escpos.PaperSensor), 1); got[0] != 0x7e {
		t.Fatalf("paper sensor %#02x, want 0x7e (out)", got[0])
	}
	if p := l.sim.Pending(); len(p) != 1 || p[0].Text() != "回执" {
		t.Fatalf("pending %+v", p)
	}
	l.sim.SetPaper(PaperOK)
	if r := l.sim.Receipts(); len(r) != 1 || r[0].Cut != "" {
		t.Fatalf("the torn-off part: %+v", r)
	}
}

func TestReportsBadBytesWithoutPanic(t *testing.T) {
	l := start(t, Config{})
	if _, err := l.port.Write([]byte{0x1b, 0x01, 0x1d, 0xee, 'o', 'k', '\n', 0x1d, 0x56, 0x42, 0x00}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := l.sim.WaitReceipts(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Lines[0].Text() != "ok" || len(l.sim.Problems()) != 2 {
		t.Fatalf("lines %+v problems %v", got[0].Lines, l.sim.Problems())
	}
}

// TestServeAnyStream runs the simulator on an in-memory pipe, as kioskctl does for a
// TCP connection.
func TestServeAnyStream(t *testing.T) {
	sim := New(Config{})
	in := bytes.NewReader(append(escpos.QueryAll(), sample(t)...))
	var out bytes.Buffer
	err := sim.Serve(struct {
		io.Reader
		io.Writer
	}{in, &out})
	if err != io.EOF {
		t.Fatalf("Serve = %v, want io.EOF", err)
	}
	if out.String() != "\x12\x12\x12\x12" || len(sim.Receipts()) != 1 {
		t.Fatalf("answered % x, %d receipts", out.Bytes(), len(sim.Receipts()))
	}
}

func TestRenderWithoutFontDrawsBoxes(t *testing.T) {
	r := escpos.Receipt{Lines: []escpos.Line{{
		Runs: []escpos.Run{{Text: "测", Style: escpos.Style{Width: 1, Height: 1, DoubleByte: true}}},
		Dots: 30,
	}}}
	img := Render(r, 384, nil)
	// The box's top edge runs across the cell two dots down.
	y := margin + 2
	for x := 1; x < 23; x++ {
		if img.GrayAt(x, y).Y != 0 {
			t.Fatalf("no box edge at (%d,%d)", x, y)
		}
	}
	if img.GrayAt(12, margin+12).Y == 0 {
		t.Fatal("box is filled")
	}
}

func TestRenderWithSystemFont(t *testing.T) {
	path, err := FindFont()
	if err != nil {
		t.Skip("no CJK font on this machine:", err)
	}
	f, err := LoadFont(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !strings.Contains(f.Family(), "CJK") {
		t.Logf("face %q", f.Family())
	}
	rs, _ := escpos.Decode(sample(t), 384)
	img := Render(rs[0], 384, f)
	// The title "回执" is drawn: 回 is a square inside a square, so a horizontal scan
	// through its middle crosses four strokes.
	title := img.SubImage(image.Rect(0, margin, 384, margin+48)).(*image.Gray)
	if ink(title) < 100 {
		t.Fatalf("title has %d black dots", ink(title))
	}
	g := f.glyph('回', 24, 24)
	row := 12
	strokes, prev := 0, false
	for x := 0; x < 24; x++ {
		if on := g.at(x, row); on && !prev {
			strokes++
		}
		prev = g.at(x, row)
	}
	if strokes != 4 {
		t.Errorf("回 scanned through its middle crosses %d strokes, want 4", strokes)
	}
}

// eventually waits for cond, which the simulator's goroutine makes true.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(end) {
			t.Fatal("condition never became true")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func ink(img *image.Gray) int {
	n := 0
	for _, p := range img.Pix {
		if p == 0 {
			n++
		}
	}
	return n
}
