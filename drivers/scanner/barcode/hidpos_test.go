package barcode

import (
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// report builds a 64-byte report by hand, field by field, independently of
// EncodeHIDReports, from offset → bytes.
func report(fields map[int]string) []byte {
	r := make([]byte, 64)
	for at, v := range fields {
		copy(r[at:], v)
	}
	return r
}

func TestParseHIDReport(t *testing.T) {
	code60 := strings.Repeat("0123456789", 6)
	cases := []struct {
		name   string
		layout HIDLayout
		in     []byte
		want   HIDReport
		err    error
	}{
		{
			// The layout of the Access-IS manuals' example: 0x02, count 0x38, "]Q0",
			// 56 data bytes, byte 63 bit 0 = more follows.
			name: "hidpos first of two", layout: LayoutHIDPOS,
			in:   report(map[int]string{0: "\x02", 1: "\x38", 2: "]Q0", 5: code60[:56], 63: "\x01"}),
			want: HIDReport{Data: []byte(code60[:56]), Symbology: []byte("]Q0"), Continued: true},
		},
		{
			name: "hidpos last of two", layout: LayoutHIDPOS,
			in:   report(map[int]string{0: "\x02", 1: "\x04", 2: "]Q0", 5: code60[56:]}),
			want: HIDReport{Data: []byte(code60[56:]), Symbology: []byte("]Q0")},
		},
		{
			name: "data-first with vendor code", layout: LayoutDataFirst,
			in:   report(map[int]string{0: "\x02", 1: "\x05", 2: "GK-42", 62: "Q"}),
			want: HIDReport{Data: []byte("GK-42"), Symbology: []byte("Q")},
		},
		{
			name: "no symbology", layout: LayoutHIDPOS,
			in:   report(map[int]string{0: "\x02", 1: "\x02", 5: "ok"}),
			want: HIDReport{Data: []byte("ok"), Symbology: []byte{}},
		},
		{
			name: "empty scan", layout: LayoutHIDPOS,
			in:   report(map[int]string{0: "\x02"}),
			want: HIDReport{Data: []byte{}, Symbology: []byte{}},
		},
		{name: "other report id", layout: LayoutHIDPOS,
			in: report(map[int]string{0: "\x04", 1: "\x01"}), err: ErrReportID},
		{name: "count past the data field", layout: LayoutHIDPOS,
			in: report(map[int]string{0: "\x02", 1: "\x39"}), err: ErrReportSize},
		{name: "short report", layout: LayoutHIDPOS, in: []byte{0x02, 0x01, 'x'}, err: ErrReportSize},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseHIDReport(c.in, c.layout)
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("err = %v, want %v", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestParseHIDReportRejectsBadLayout(t *testing.T) {
	bad := LayoutHIDPOS
	bad.DataMax = 70
	if _, err := ParseHIDReport(make([]byte, 64), bad); err == nil {
		t.Fatal("a layout whose data field overruns the report was accepted")
	}
	if _, err := NewHIDAssembler(bad, 0, ""); err == nil {
		t.Fatal("assembler accepted a bad layout")
	}
}

func TestHIDAssembler(t *testing.T) {
	code60 := strings.Repeat("0123456789", 6)
	first := report(map[int]string{0: "\x02", 1: "\x38", 2: "]Q0", 5: code60[:56], 63: "\x01"})
	last := report(map[int]string{0: "\x02", 1: "\x04", 2: "]Q0", 5: code60[56:]})
	single := report(map[int]string{0: "\x02", 1: "\x09", 2: "]C0", 5: "GK-990001"})
	cases := []struct {
		name string
		max  int
		in   [][]byte
		want []event
	}{
		{"two reports make one scan", 0, [][]byte{first, last},
			[]event{{Data: code60, Sym: "qr", AIM: "]Q0"}}},
		{"stream cut mid-report", 0, [][]byte{append(append([]byte{}, first...), last[:10]...), last[10:]},
			[]event{{Data: code60, Sym: "qr", AIM: "]Q0"}}},
		{"noise before a report is skipped and reported", 0, [][]byte{[]byte{0xff, 0x00, 0x13}, single},
			[]event{{Err: ErrGarbage, Len: 3}, {Data: "GK-990001", Sym: "code128", AIM: "]C0"}}},
		{"too long", 40, [][]byte{first, last, single},
			[]event{{Err: ErrLineTooLong, Len: 60}, {Data: "GK-990001", Sym: "code128", AIM: "]C0"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := NewHIDAssembler(LayoutHIDPOS, c.max, "")
			if err != nil {
				t.Fatal(err)
			}
			if got := collect(a, c.in...); !sameEvents(got, c.want) {
				t.Fatalf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

// TestEncodeHIDReportsGolden pins the simulator's report bytes and checks they parse back.
func TestEncodeHIDReportsGolden(t *testing.T) {
	data := []byte("https://example.org/track?code=GK990101000123X&lang=zh-CN&from=kiosk")
	var dump bytes.Buffer
	for _, l := range []HIDLayout{LayoutHIDPOS, LayoutDataFirst} {
		sym := []byte("]Q1")
		if l.SymLen == 1 {
			sym = []byte("Q")
		}
		reps := EncodeHIDReports(l, sym, data)
		if len(reps) != 2 {
			t.Fatalf("%s: %d reports for %d bytes, want 2", l.Name, len(reps), len(data))
		}
		dump.WriteString("# " + l.Name + "\n")
		for _, r := range reps {
			dump.WriteString(hex.Dump(r))
		}
		a, _ := NewHIDAssembler(l, 0, "")
		got := collect(a, reps...)
		if len(got) != 1 || got[0].Data != string(data) {
			t.Fatalf("%s: round trip gave %+v", l.Name, got)
		}
	}
	golden := filepath.Join("testdata", "hidpos_reports.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, dump.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(dump.Bytes(), want) {
		t.Fatalf("reports differ from %s:\n%s", golden, dump.Bytes())
	}
}

func FuzzParseHIDReport(f *testing.F) {
	f.Add(report(map[int]string{0: "\x02", 1: "\x05", 2: "]Q1", 5: "hello"}), false)
	f.Add(report(map[int]string{0: "\x02", 1: "\xff"}), true)
	f.Add([]byte{0x02}, false)
	f.Fuzz(func(t *testing.T, in []byte, dataFirst bool) {
		l := LayoutHIDPOS
		if dataFirst {
			l = LayoutDataFirst
		}
		r, err := ParseHIDReport(in, l)
		if err != nil {
			return
		}
		if len(r.Data) > l.DataMax || len(r.Symbology) > l.SymLen {
			t.Fatalf("fields larger than the layout allows: %+v", r)
		}
	})
}

// FuzzHIDAssembler: any stream, cut anywhere, same events; never a scan past the limit.
func FuzzHIDAssembler(f *testing.F) {
	f.Add(bytes.Join(EncodeHIDReports(LayoutHIDPOS, []byte("]Q1"), []byte(strings.Repeat("z", 100))), nil), uint8(5))
	f.Add([]byte{0xff, 0x02, 0x02, 0x38}, uint8(1))
	f.Fuzz(func(t *testing.T, in []byte, cut uint8) {
		a, _ := NewHIDAssembler(LayoutHIDPOS, 120, "")
		whole := collect(a, in)
		step := int(cut)%70 + 1
		var chunks [][]byte
		for i := 0; i < len(in); i += step {
			chunks = append(chunks, in[i:min(i+step, len(in))])
		}
		b, _ := NewHIDAssembler(LayoutHIDPOS, 120, "")
		if split := collect(b, chunks...); !sameEvents(whole, split) {
			t.Fatalf("split feed differs:\nwhole %+v\nsplit %+v", whole, split)
		}
		for _, e := range whole {
			if e.Err == nil && len(e.Data) > 120 {
				t.Fatalf("scan of %d bytes", len(e.Data))
			}
		}
	})
}

func BenchmarkHIDAssembler(b *testing.B) {
	stream := bytes.Join(EncodeHIDReports(LayoutHIDPOS, []byte("]Q1"),
		[]byte("https://example.org/track?code=GK990101000123X&lang=zh-CN&from=kiosk")), nil)
	a, _ := NewHIDAssembler(LayoutHIDPOS, 0, "")
	n := 0
	emit := func(Scan, error) { n++ }
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		a.Feed(stream, zeroTime, emit)
	}
	if n == 0 {
		b.Fatal("no scans")
	}
}

var zeroTime time.Time
