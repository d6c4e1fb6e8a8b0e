package barcode

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// event is a comparable record of what a framer emitted.
type event struct {
	Data, Sym, AIM string
	Err            error
	Len            int
}

func collect(f interface {
	Feed([]byte, time.Time, func(Scan, error))
}, chunks ...[]byte) []event {
	var out []event
	for _, c := range chunks {
		f.Feed(c, time.Unix(0, 0), func(s Scan, err error) {
			e := event{Data: s.Data, Sym: s.Symbology, AIM: s.AIM}
			var le *LineError
			if errors.As(err, &le) {
				e.Err, e.Len = le.Err, le.Len
			} else if err != nil {
				e.Err = err
			}
			out = append(out, e)
		})
	}
	return out
}

// sameEvents compares events with errors.Is for the error, so a test says which error it
// wants, not how that error value happens to be laid out.
func sameEvents(a, b []event) bool {
	return slices.EqualFunc(a, b, func(x, y event) bool {
		if x.Data != y.Data || x.Sym != y.Sym || x.AIM != y.AIM || x.Len != y.Len {
			return false
		}
		if x.Err == nil || y.Err == nil {
			return x.Err == nil && y.Err == nil
		}
		return errors.Is(x.Err, y.Err)
	})
}

func gbk(t *testing.T, s string) string {
	t.Helper()
	b, err := simplifiedchinese.GB18030.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFramer(t *testing.T) {
	long := strings.Repeat("9", 40)
	cases := []struct {
		name string
		cfg  FrameConfig
		in   string
		want []event
	}{
		{"cr", FrameConfig{Terminator: TermCR}, "GK-0001\rGK-0002\r",
			[]event{{Data: "GK-0001"}, {Data: "GK-0002"}}},
		{"lf", FrameConfig{Terminator: TermLF}, "abc\ndef\n", []event{{Data: "abc"}, {Data: "def"}}},
		{"any takes crlf once", FrameConfig{}, "abc\r\ndef\rghi\n\n",
			[]event{{Data: "abc"}, {Data: "def"}, {Data: "ghi"}}},
		{"cr mode keeps lf as data", FrameConfig{Terminator: TermCR}, "line1\nline2\r",
			[]event{{Data: "line1\nline2"}}},
		{"crlf mode keeps lone cr and lf", FrameConfig{Terminator: TermCRLF}, "a\rb\nc\r\nd\r\r\n",
			[]event{{Data: "a\rb\nc"}, {Data: "d\r"}}},
		{"no terminator yet", FrameConfig{}, "partial", nil},
		{"aim qr", FrameConfig{AIM: true}, "]Q1https://example.org/q?c=GK42\r",
			[]event{{Data: "https://example.org/q?c=GK42", Sym: "qr", AIM: "]Q1"}}},
		{"aim ean", FrameConfig{AIM: true}, "]E06901234567892\r",
			[]event{{Data: "6901234567892", Sym: "ean-upc", AIM: "]E0"}}},
		{"aim expected but absent", FrameConfig{AIM: true}, "plain\r", []event{{Data: "plain"}}},
		{"aim not parsed unless asked", FrameConfig{}, "]Q1x\r", []event{{Data: "]Q1x"}}},
		{"prefix suffix", FrameConfig{Prefix: []byte{0x02}, Suffix: []byte{0x03}}, "\x02GK-7\x03\r",
			[]event{{Data: "GK-7"}}},
		{"prefix then aim", FrameConfig{Prefix: []byte("S:"), AIM: true}, "S:]d2010690123456789\r",
			[]event{{Data: "010690123456789", Sym: "datamatrix", AIM: "]d2"}}},
		{"gs1 separator allowed", FrameConfig{}, "01069\x1d10ABC\r", []event{{Data: "01069\x1d10ABC"}}},
		{"utf-8 chinese", FrameConfig{}, "测试甲\r", []event{{Data: "测试甲"}}},
		{"gb18030 chinese", FrameConfig{Charset: "gb18030"}, gbk(t, "样例乙") + "\r", []event{{Data: "样例乙"}}},
		{"gbk bytes read as utf-8 are garbage", FrameConfig{}, gbk(t, "样例乙") + "\r",
			[]event{{Err: ErrGarbage, Len: 6}}},
		{"nul is garbage", FrameConfig{}, "ab\x00cd\rok\r", []event{{Err: ErrGarbage, Len: 5}, {Data: "ok"}}},
		{"0xff noise is garbage", FrameConfig{}, "\xff\xf8\xff\rGK\r", []event{{Err: ErrGarbage, Len: 3}, {Data: "GK"}}},
		{"too long dropped whole, next line fine", FrameConfig{MaxLine: 16}, long + "\rshort\r",
			[]event{{Err: ErrLineTooLong, Len: 40}, {Data: "short"}}},
		{"exactly max is fine", FrameConfig{MaxLine: 4}, "1234\r", []event{{Data: "1234"}}},
		{"only prefix is nothing", FrameConfig{Prefix: []byte("P")}, "P\r", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := NewFramer(c.cfg)
			if err := f.Check(); err != nil {
				t.Fatal(err)
			}
			got := collect(f, []byte(c.in))
			if !sameEvents(got, c.want) {
				t.Fatalf("whole: got %+v, want %+v", got, c.want)
			}
			// Byte by byte must give the same: a serial line splits writes anywhere.
			f = NewFramer(c.cfg)
			var chunks [][]byte
			for i := range len(c.in) {
				chunks = append(chunks, []byte{c.in[i]})
			}
			if got := collect(f, chunks...); !sameEvents(got, c.want) {
				t.Fatalf("byte by byte: got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestFramerResetDropsPartialLine(t *testing.T) {
	f := NewFramer(FrameConfig{})
	if got := collect(f, []byte("half-a-li")); got != nil {
		t.Fatalf("emitted %v before a terminator", got)
	}
	f.Reset()
	got := collect(f, []byte("GK-1\r"))
	if want := []event{{Data: "GK-1"}}; !sameEvents(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestFramerBadConfig(t *testing.T) {
	for _, cfg := range []FrameConfig{{Terminator: "semicolon"}, {Charset: "latin-9"}} {
		if NewFramer(cfg).Check() == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}

func TestParseTerminator(t *testing.T) {
	for in, want := range map[string]Terminator{"": TermAny, "CR": TermCR, "lf": TermLF, "CrLf": TermCRLF, "any": TermAny} {
		got, err := ParseTerminator(in)
		if err != nil || got != want {
			t.Errorf("ParseTerminator(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseTerminator("tab"); err == nil {
		t.Error("tab accepted")
	}
}

func TestParseHex(t *testing.T) {
	cases := []struct {
		in   string
		want []byte
		ok   bool
	}{
		{"16 54 0D", SYNTrigger, true},
		{"16550d", SYNStop, true},
		{"0x16,0x54,0x0d", SYNTrigger, true},
		{"16:54:0D", SYNTrigger, true},
		{"1 6", []byte{0x16}, true},
		{"165", nil, false},
		{"zz", nil, false},
	}
	for _, c := range cases {
		got, err := ParseHex(c.in)
		if (err == nil) != c.ok || c.ok && !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseHex(%q) = %x, %v", c.in, got, err)
		}
	}
}

func TestAIM(t *testing.T) {
	cases := []struct {
		in, aim, rest, name string
		ok                  bool
	}{
		{"]Q1data", "]Q1", "data", "qr", true},
		{"]C0(01)", "]C0", "(01)", "code128", true},
		{"]h0汉信", "]h0", "汉信", "hanxin", true},
		{"]z0", "]z0", "", "aztec", true},
		{"]Y1data", "", "]Y1data", "", false}, // no such symbology letter
		{"]Q", "", "]Q", "", false},
		{"]Qx", "", "]Qx", "", false}, // modifier must be a digit or capital
		{"Q1]", "", "Q1]", "", false},
	}
	for _, c := range cases {
		aim, rest, ok := ParseAIM([]byte(c.in))
		if aim != c.aim || string(rest) != c.rest || ok != c.ok {
			t.Errorf("ParseAIM(%q) = %q, %q, %v", c.in, aim, rest, ok)
		}
		if ok && SymbologyName(aim) != c.name {
			t.Errorf("SymbologyName(%q) = %q, want %q", aim, SymbologyName(aim), c.name)
		}
	}
}

// FuzzFramer: any bytes, cut anywhere, give the same events as fed whole, never panic,
// never a scan longer than the maximum or holding a terminator.
func FuzzFramer(f *testing.F) {
	f.Add([]byte("GK-0001\r\nGK-0002\r"), uint8(3), uint8(0))
	f.Add([]byte("]Q1abc\r\x00\xff\r"), uint8(1), uint8(1))
	f.Add([]byte("a\rb\r\nc\n"), uint8(2), uint8(3))
	f.Add([]byte(strings.Repeat("x", 80)+"\r"), uint8(7), uint8(2))
	terms := []Terminator{TermAny, TermCR, TermLF, TermCRLF}
	f.Fuzz(func(t *testing.T, in []byte, cut uint8, term uint8) {
		cfg := FrameConfig{Terminator: terms[int(term)%len(terms)], MaxLine: 32, AIM: term&4 != 0,
			Prefix: []byte{0x02}, Suffix: []byte{0x03}}
		whole := collect(NewFramer(cfg), in)
		step := int(cut)%7 + 1
		var chunks [][]byte
		for i := 0; i < len(in); i += step {
			chunks = append(chunks, in[i:min(i+step, len(in))])
		}
		split := collect(NewFramer(cfg), chunks...)
		if !sameEvents(whole, split) {
			t.Fatalf("split feed differs:\nwhole %+v\nsplit %+v", whole, split)
		}
		for _, e := range whole {
			if e.Err != nil {
				if !errors.Is(e.Err, ErrGarbage) && !errors.Is(e.Err, ErrLineTooLong) {
					t.Fatalf("unexpected error %v", e.Err)
				}
				continue
			}
			if len(e.Data) > cfg.MaxLine {
				t.Fatalf("scan of %d bytes passed a %d-byte limit", len(e.Data), cfg.MaxLine)
			}
			if cfg.Terminator == TermAny && strings.ContainsAny(e.Data, "\r\n") {
				t.Fatalf("scan %q holds a terminator", e.Data)
			}
		}
	})
}

func BenchmarkFramer(b *testing.B) {
	line := []byte("]Q1https://example.org/track?code=GK990101000123X&lang=zh\r\n")
	f := NewFramer(FrameConfig{AIM: true})
	n := 0
	emit := func(Scan, error) { n++ }
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		f.Feed(line, time.Time{}, emit)
	}
	if n == 0 {
		b.Fatal("no scans")
	}
}
