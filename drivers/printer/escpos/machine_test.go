package escpos

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// recorder collects what a Machine reports.
type recorder struct {
	lines    []Line
	cuts     []string
	realtime []StatusKind
	transmit []byte
	problems []Problem
}

func (r *recorder) machine(dots int) *Machine {
	return &Machine{
		Dots:       dots,
		OnLine:     func(l Line) { r.lines = append(r.lines, l) },
		OnRealtime: func(n StatusKind) { r.realtime = append(r.realtime, n) },
		OnTransmit: func(n byte) { r.transmit = append(r.transmit, n) },
		OnProblem:  func(p Problem) { r.problems = append(r.problems, p) },
		OnCut: func(partial bool, feed int) {
			if partial {
				r.cuts = append(r.cuts, "partial")
			} else {
				r.cuts = append(r.cuts, "full")
			}
		},
	}
}

func run(b []byte, dots int) *recorder {
	r := &recorder{}
	m := r.machine(dots)
	m.Write(b)
	m.Flush()
	return r
}

// TestRoundTrip encodes each command and reads it back with the Machine.
func TestRoundTrip(t *testing.T) {
	qr := QRCode{Data: []byte("https://gov.example/t?c=K7Q2"), Model: 2, Module: 5, Level: QRLevelH}
	bm := &Bitmap{WidthBytes: 2, Height: 3, Data: []byte{0x81, 0x10, 0x04, 0x01, 0xff, 0x00}}
	for _, c := range []struct {
		name  string
		do    func(e *Encoder)
		check func(t *testing.T, r *recorder)
	}{
		{"text and LF", func(e *Encoder) { e.Chinese(true); e.Line("回执 No.1") }, func(t *testing.T, r *recorder) {
			if got := r.lines[0].Format(true); got != "回执 No.1" {
				t.Fatalf("line %q", got)
			}
			if runs := r.lines[0].Runs; len(runs) != 2 || !runs[0].Style.DoubleByte || runs[1].Style.DoubleByte {
				t.Fatalf("runs %+v", runs)
			}
		}},
		{"Chinese off reads code page 437", func(e *Encoder) { e.Chinese(false); e.Raw(0x82, 'x'); e.LF() }, func(t *testing.T, r *recorder) {
			wantLine(t, r, 0, "éx", Style{Width: 1, Height: 1})
		}},
		{"bold", func(e *Encoder) { e.Bold(true); e.Line("B") }, func(t *testing.T, r *recorder) {
			wantLine(t, r, 0, "B", Style{Bold: true, Width: 1, Height: 1})
		}},
		{"underline Chinese and ASCII", func(e *Encoder) { e.Underline(2); e.Line("a测") }, func(t *testing.T, r *recorder) {
			if got := r.lines[0].Runs; len(got) != 2 || got[0].Style.Underline != 2 || got[1].Style.Underline != 2 {
				t.Fatalf("runs %+v", got)
			}
		}},
		{"underline ASCII only (ESC - without FS -)", func(e *Encoder) { e.Raw(ESC, '-', 1); e.Line("a测") }, func(t *testing.T, r *recorder) {
			if got := r.lines[0].Runs; len(got) != 2 || got[0].Style.Underline != 1 || got[1].Style.Underline != 0 {
				t.Fatalf("runs %+v", got)
			}
		}},
		{"size", func(e *Encoder) { e.Size(3, 2); e.Line("X") }, func(t *testing.T, r *recorder) {
			wantLine(t, r, 0, "X", Style{Width: 3, Height: 2})
			if r.lines[0].Dots != 48 {
				t.Errorf("a 2-high line advances %d dots, want 48", r.lines[0].Dots)
			}
		}},
		{"align", func(e *Encoder) { e.Align(AlignRight); e.Line("r"); e.Align(AlignCenter); e.Line("c") }, func(t *testing.T, r *recorder) {
			if r.lines[0].Align != AlignRight || r.lines[1].Align != AlignCenter {
				t.Fatalf("aligns %v %v", r.lines[0].Align, r.lines[1].Align)
			}
		}},
		{"feed", func(e *Encoder) { e.Feed(3) }, func(t *testing.T, r *recorder) {
			if len(r.lines) != 1 || r.lines[0].Dots != 3*defaultPitch || len(r.lines[0].Runs) != 0 {
				t.Fatalf("lines %+v", r.lines)
			}
		}},
		{"feed dots", func(e *Encoder) { e.LineSpacing(40); e.FeedDots(17); e.LF() }, func(t *testing.T, r *recorder) {
			if len(r.lines) != 2 || r.lines[0].Dots != 17 || r.lines[1].Dots != 40 {
				t.Fatalf("lines %+v", r.lines)
			}
		}},
		{"full cut", func(e *Encoder) { e.Line("a"); e.Cut(false, 10) }, func(t *testing.T, r *recorder) {
			if strings.Join(r.cuts, ",") != "full" {
				t.Fatalf("cuts %v", r.cuts)
			}
		}},
		{"partial cut prints pending text first", func(e *Encoder) { e.Text("a"); e.Cut(true, 0) }, func(t *testing.T, r *recorder) {
			if strings.Join(r.cuts, ",") != "partial" || len(r.lines) != 1 {
				t.Fatalf("cuts %v lines %v", r.cuts, r.lines)
			}
		}},
		{"function A cuts", func(e *Encoder) { e.Raw(GS, 'V', 0, GS, 'V', 49) }, func(t *testing.T, r *recorder) {
			if strings.Join(r.cuts, ",") != "full,partial" {
				t.Fatalf("cuts %v", r.cuts)
			}
		}},
		{"QR", func(e *Encoder) {
			e.Align(AlignCenter)
			if err := e.QR(qr.Data, QROptions{Module: qr.Module, Level: qr.Level}); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, r *recorder) {
			if len(r.lines) != 1 || r.lines[0].QR == nil || !reflect.DeepEqual(*r.lines[0].QR, qr) || r.lines[0].Align != AlignCenter {
				t.Fatalf("lines %+v", r.lines)
			}
		}},
		{"raster", func(e *Encoder) {
			if err := e.Raster(bm); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, r *recorder) {
			if len(r.lines) != 1 || !reflect.DeepEqual(r.lines[0].Image, bm) || r.lines[0].Dots != 3 {
				t.Fatalf("lines %+v", r.lines)
			}
			// The image data holds 10 04 01 by chance: a printer answers it (the
			// reference warns of this), and so does the machine.
			if len(r.realtime) != 1 || r.realtime[0] != PrinterStatus {
				t.Fatalf("realtime %v", r.realtime)
			}
		}},
		{"status queries", func(e *Encoder) { e.Raw(QueryAll()...); e.Raw(TransmitPaperStatus...) }, func(t *testing.T, r *recorder) {
			if !reflect.DeepEqual(r.realtime, []StatusKind{1, 2, 3, 4}) || !bytes.Equal(r.transmit, []byte{1}) {
				t.Fatalf("realtime %v transmit %v", r.realtime, r.transmit)
			}
		}},
		{"init resets styles", func(e *Encoder) { e.Bold(true); e.Size(2, 2); e.Align(AlignRight); e.Init(); e.Line("n") }, func(t *testing.T, r *recorder) {
			wantLine(t, r, 0, "n", Style{Width: 1, Height: 1})
			if r.lines[0].Align != AlignLeft {
				t.Error("align survived ESC @")
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var e Encoder
			c.do(&e)
			r := run(e.Bytes(), 0)
			if len(r.problems) > 0 {
				t.Fatalf("problems: %v", r.problems)
			}
			c.check(t, r)
		})
	}
}

func wantLine(t *testing.T, r *recorder, i int, text string, st Style) {
	t.Helper()
	if i >= len(r.lines) {
		t.Fatalf("only %d lines", len(r.lines))
	}
	l := r.lines[i]
	if l.Text() != text {
		t.Fatalf("line %d = %q, want %q", i, l.Text(), text)
	}
	for _, run := range l.Runs {
		if run.Style != st {
			t.Fatalf("line %d run %q style %+v, want %+v", i, run.Text, run.Style, st)
		}
	}
}

func TestLongLineWrapsAtPaperWidth(t *testing.T) {
	var e Encoder
	e.Line(strings.Repeat("测", 17)) // 17 × 24 = 408 dots, wider than 384
	r := run(e.Bytes(), 384)
	if len(r.lines) != 2 || r.lines[0].Text() != strings.Repeat("测", 16) || r.lines[1].Text() != "测" {
		t.Fatalf("lines %q", texts(r.lines))
	}
}

func texts(ls []Line) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Text())
	}
	return out
}

// TestSplitAnywhere feeds a stream in two pieces at every split point: the machine must
// see the same as when it gets the stream whole, including a DLE EOT cut in two.
func TestSplitAnywhere(t *testing.T) {
	var e Encoder
	e.Init()
	e.Chinese(true)
	e.Bold(true)
	e.Line("回执\U00020087")
	e.Raw(QueryAll()...)
	if err := e.QR([]byte("payload"), QROptions{}); err != nil {
		t.Fatal(err)
	}
	if err := e.Raster(&Bitmap{WidthBytes: 1, Height: 2, Data: []byte{1, 2}}); err != nil {
		t.Fatal(err)
	}
	e.Raw(TransmitPaperStatus...)
	e.Cut(true, 3)
	stream := e.Bytes()
	whole := run(stream, 0)
	for i := 0; i <= len(stream); i++ {
		r := &recorder{}
		m := r.machine(0)
		m.Write(stream[:i])
		m.Write(stream[i:])
		m.Flush()
		if !reflect.DeepEqual(r, whole) {
			t.Fatalf("split at %d: got %+v\nwant %+v", i, r, whole)
		}
	}
}

func TestProblems(t *testing.T) {
	for _, c := range []struct {
		name   string
		stream []byte
		want   string // in a problem
		lines  []string
	}{
		{"unknown ESC", []byte{ESC, 0x01, 'a', LF}, "unknown command ESC 0x01", []string{"a"}},
		{"unknown GS", []byte{GS, 0xee, 'b', LF}, "unknown command GS 0xee", []string{"b"}},
		{"unknown FS", []byte{FS, 0x7f, LF}, "unknown command FS 0x7f", []string{""}},
		{"truncated QR store", []byte{GS, '(', 'k', 10, 0, 49, 80, 48, 'a'}, "truncated command", nil},
		{"truncated raster", []byte{GS, 'v', '0', 0, 1, 0, 5, 0, 1}, "truncated command", nil},
		{"QR print without data", []byte{GS, '(', 'k', 3, 0, 49, 81, 48}, "no data stored", nil},
		{"QR module out of range", []byte{GS, '(', 'k', 3, 0, 49, 67, 0}, "module size 0", nil},
		{"bad alignment", []byte{ESC, 'a', 9}, "no such alignment", nil},
		{"bad cut", []byte{GS, 'V', 7}, "no such cut", nil},
		{"text without LF", []byte("tail"), "not ended by LF", []string{"tail"}},
		{"invalid GB18030", []byte{0x81, 0x30, 0xff, 0xff, LF}, "invalid GB18030", []string{"\ufffd"}},
		{"bad lead byte", []byte{0x80, LF}, "no GB18030 lead byte", []string{"?"}},
		{"stray control", []byte{0x07, LF}, "unknown control byte", []string{""}},
		{"oversized raster is skipped", append([]byte{GS, 'v', '0', 0, 0xff, 0x00, 0xff, 0xff}, 'z'), "too large", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := run(c.stream, 0)
			found := false
			for _, p := range r.problems {
				found = found || strings.Contains(p.Msg, c.want)
			}
			if !found {
				t.Fatalf("problems %v, want one containing %q", r.problems, c.want)
			}
			if c.lines != nil && !reflect.DeepEqual(texts(r.lines), c.lines) {
				t.Fatalf("lines %q, want %q", texts(r.lines), c.lines)
			}
		})
	}
}

func TestDecodeSplitsReceiptsAtCuts(t *testing.T) {
	var e Encoder
	e.Line("one")
	e.Cut(false, 0)
	e.Line("two")
	e.Cut(true, 0)
	e.Line("three")
	rs, problems := Decode(e.Bytes(), 0)
	if len(problems) != 0 || len(rs) != 3 {
		t.Fatalf("receipts %+v problems %v", rs, problems)
	}
	if rs[0].Cut != "full" || rs[1].Cut != "partial" || rs[2].Cut != "" || rs[2].Lines[0].Text() != "three" {
		t.Fatalf("receipts %+v", rs)
	}
	if got := rs[1].Text(true); got != "two\n~~ cut ~~ {partial}\n" {
		t.Errorf("Text = %q", got)
	}
}

func FuzzMachine(f *testing.F) {
	var e Encoder
	e.Init()
	e.Chinese(true)
	e.Size(2, 2)
	e.Line("回执 ABC")
	_ = e.QR([]byte("x"), QROptions{})
	_ = e.Raster(&Bitmap{WidthBytes: 1, Height: 1, Data: []byte{0xff}})
	e.Cut(true, 0)
	f.Add(e.Bytes(), 7)
	f.Add([]byte{GS, '(', 'k', 0xff, 0xff}, 1)
	f.Add([]byte{GS, '8', 'L', 0xff, 0xff, 0xff, 0xff}, 3)
	f.Add([]byte{ESC, '*', 33, 0xff, 0xff, DLE, EOT, 2}, 2)
	f.Fuzz(func(t *testing.T, b []byte, split int) {
		whole := run(b, 384)
		for _, l := range whole.lines {
			w := 0
			for _, r := range l.Runs {
				cw, _ := r.Style.Cell()
				w += cw * len([]rune(r.Text))
			}
			// A line holds at most one character past the paper width (a
			// character wider than the whole paper is printed alone).
			if w > 384 && len([]rune(l.Text())) > 1 {
				t.Fatalf("line %q is %d dots wide", l.Text(), w)
			}
		}
		if len(b) == 0 {
			return
		}
		split = (split%len(b) + len(b)) % len(b)
		r := &recorder{}
		m := r.machine(384)
		m.Write(b[:split])
		m.Write(b[split:])
		m.Flush()
		if len(r.lines) != len(whole.lines) || len(r.realtime) != len(whole.realtime) || len(r.cuts) != len(whole.cuts) {
			t.Fatalf("split at %d changed the result: %d/%d lines, %d/%d realtime, %d/%d cuts",
				split, len(r.lines), len(whole.lines), len(r.realtime), len(whole.realtime), len(r.cuts), len(whole.cuts))
		}
	})
}

// BenchmarkDecode reads a typical receipt's bytes back, as the simulator does for each
// job.
func BenchmarkDecode(b *testing.B) {
	var e Encoder
	e.Init()
	e.Chinese(true)
	for i := range 20 {
		e.Bold(i%2 == 0)
		e.Line("事项：    居住证申领（首次） No. 12")
	}
	_ = e.QR([]byte("https://gov.example/track?c=K7Q2-0042-8"), QROptions{Module: 6})
	e.Cut(true, 16)
	data := e.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if rs, _ := Decode(data, 576); len(rs) != 1 {
			b.Fatal("no receipt")
		}
	}
}

func TestMachineRecoverRequests(t *testing.T) {
	var got []byte
	m := &Machine{OnRecover: func(n byte) { got = append(got, n) }}
	data := append(append([]byte("abc"), Recover(true)...), Recover(false)...)
	data = append(data, DLE, ENQ, 7) // not a recovery request
	for _, b := range data {         // in pieces, as bytes arrive
		m.Write([]byte{b})
	}
	m.Flush()
	if string(got) != "\x02\x01" {
		t.Errorf("recover requests %v, want [2 1]", got)
	}
}
