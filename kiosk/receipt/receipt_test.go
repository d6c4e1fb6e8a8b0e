package receipt

import (
	"errors"
	"image"
	"strings"
	"testing"

	"github.com/govkiosk/govkiosk/internal/golden"
	"github.com/govkiosk/govkiosk/kiosk/identity"
)

// Synthetic numbers: region codes 99xxxx do not exist, check digits are correct.
const (
	synthID  = "990101199003071237"
	synthID2 = "991234200102154563"
)

func TestSyntheticNumbersAreValid(t *testing.T) {
	for _, n := range []string{synthID, synthID2} {
		if !identity.ValidNumber(n) {
			t.Fatalf("%s: test number has a wrong check digit", n)
		}
	}
}

// sample is a typical service receipt.
func sample() *Document {
	return New().
		Title("居住证申领回执").
		Separator().
		Field("事项", "居住证申领（首次）").
		Field("申请人", identity.MaskedName("测试甲")).
		ID("证件号码", synthID).
		Field("受理时间", "2026-03-01 09:30").
		Field("办理地点", "测试市政务服务中心一楼综合窗口 A12 号").
		Separator().
		Tracking("查询码", "K7Q2-0042-8").
		QR("https://gov.example/track?c=K7Q2-0042-8", "扫码查询办理进度").
		Separator().
		Styled("请于5个工作日后凭本回执领取。", Style{Bold: true}).
		Footer("服务热线 12345 · 工作日 9:00-17:00").
		Feed(2).
		Cut(true)
}

func TestPlainTextGolden(t *testing.T) {
	for _, c := range []struct {
		name string
		cols int
	}{{"58mm", Cols58}, {"80mm", Cols80}} {
		t.Run(c.name, func(t *testing.T) {
			got := sample().PlainText(c.cols)
			golden.Check(t, "sample-"+c.name+".txt", []byte(got))
			for i, l := range sample().Layout(c.cols) {
				w, _ := l.Style.Size.Scale()
				if l.Kind() == "text" && Width(l.Text)*w > c.cols {
					t.Errorf("line %d %q is %d columns wide at size %d, paper has %d", i, l.Text, Width(l.Text), w, c.cols)
				}
			}
		})
	}
}

func TestWidth(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
	}{
		{"", 0},
		{"abc 123", 7},
		{"事项", 4},
		{"A12号", 5},
		{"：", 2},
		{"·", 2}, // encoded in two bytes in GB18030, so printed from the double-byte font
		{"a\x1b@b", 3},
		{"\u200b", 0},
	} {
		if got := Width(c.in); got != c.want {
			t.Errorf("Width(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestWrap(t *testing.T) {
	for _, c := range []struct {
		name string
		in   string
		cols int
		want []string
	}{
		{"fits", "办理完成", 8, []string{"办理完成"}},
		{"empty", "", 8, []string{""}},
		{"cjk breaks anywhere", "一二三四五六七八九十", 8, []string{"一二三四", "五六七八", "九十"}},
		{"odd width never splits a wide char", "一二三四五", 7, []string{"一二三", "四五"}},
		{"latin words kept", "hello brave new world", 11, []string{"hello brave", "new world"}},
		{"word longer than line is split", "abcdefghijkl", 5, []string{"abcde", "fghij", "kl"}},
		{"closing punctuation pulled down with its char", "一二三四。五", 8, []string{"一二三", "四。五"}},
		{"newline starts a line", "第一行\n第二行", 16, []string{"第一行", "第二行"}},
		{"control bytes dropped", "A\x1b@\x1d!\x11B", 8, []string{"A@!B"}},
		{"mixed", "窗口 A12 号", 6, []string{"窗口", "A12 号"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Wrap(c.in, c.cols)
			if strings.Join(got, "|") != strings.Join(c.want, "|") {
				t.Errorf("Wrap(%q, %d) = %q, want %q", c.in, c.cols, got, c.want)
			}
			for _, l := range got {
				if Width(l) > c.cols {
					t.Errorf("line %q wider than %d", l, c.cols)
				}
			}
		})
	}
}

func TestFieldsAlign(t *testing.T) {
	d := New().Field("事项", "居住证").Field("受理时间", "09:30").Field("地点", "一楼综合窗口A12号")
	got := d.Layout(24)
	want := []string{
		"事项：    居住证",
		"受理时间：09:30",
		"地点：    一楼综合窗口",
		"          A12号",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d lines %v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i].Text != want[i] {
			t.Errorf("line %d = %q, want %q", i, got[i].Text, want[i])
		}
	}
}

func TestFieldsWithLongKeysWrapOnTheirOwn(t *testing.T) {
	d := New().Field("一个非常非常长的字段名称", "值")
	got := d.Layout(16)
	if got[0].Text != "一个非常非常长的" || got[1].Text != "字段名称：值" {
		t.Fatalf("got %+v", got)
	}
}

func TestTrackingCodeFallsBackToTallWhenTooWide(t *testing.T) {
	for _, c := range []struct {
		code string
		want Size
	}{{"K7Q2-0042-8", Large}, {"K7Q2-0042-8-ABCDEFGHIJ", Tall}} {
		lines := New().Tracking("", c.code).Layout(Cols58)
		if len(lines) != 1 || lines[0].Style.Size != c.want || !lines[0].Style.Bold {
			t.Errorf("%s: got %+v, want one bold line of size %d", c.code, lines, c.want)
		}
	}
}

func TestSeparatorFillsTheLine(t *testing.T) {
	for _, c := range []struct {
		char rune
		want string
	}{{0, strings.Repeat("-", 32)}, {'=', strings.Repeat("=", 32)}, {'─', strings.Repeat("─", 16)}} {
		l := New().Add(Separator{Char: c.char}).Layout(Cols58)
		if l[0].Text != c.want {
			t.Errorf("separator %q = %q", c.char, l[0].Text)
		}
	}
}

func TestLayoutKinds(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 40, 10))
	lines := New().Add(Image{Image: img}).QR("x", "").Feed(3).Feed(0).Cut(false).Layout(Cols80)
	var kinds []string
	for _, l := range lines {
		kinds = append(kinds, l.Kind())
	}
	if got := strings.Join(kinds, ","); got != "image,qr,feed,cut" {
		t.Fatalf("kinds = %s", got)
	}
}

func TestMaskIDNeverKeepsTheNumber(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{synthID, "9901**********1237"},
		{" 99123420010215456x ", "9912**********456X"},
		{"12345", "****5"},
		{"", ""},
	} {
		m := MaskID(c.in)
		if m.String() != c.want || ContainsIDNumber(m.String()) {
			t.Errorf("MaskID(%q) = %q, want %q", c.in, m, c.want)
		}
	}
	text := sample().PlainText(Cols80)
	if strings.Contains(text, synthID) || !strings.Contains(text, "9901**********1237") {
		t.Errorf("receipt text does not show the masked number only:\n%s", text)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		doc  *Document
		want error
	}{
		{"sample is fine", sample(), nil},
		{"number in a field", New().Field("证件", synthID), ErrUnmaskedID},
		{"lower-case x", New().Text("号码 " + synthID2[:17] + "3"), ErrUnmaskedID},
		{"number in a title", New().Title("ID" + synthID), ErrUnmaskedID},
		{"number in QR payload", New().QR("https://x/?id="+synthID, ""), ErrUnmaskedID},
		{"longer digit run is no number", New().Text("1" + synthID), nil},
		{"wrong check digit is no number", New().Text(synthID[:17] + "0"), nil},
		{"empty QR", New().QR("", "cap"), ErrEmptyQR},
		{"huge QR", New().QR(strings.Repeat("a", MaxQRPayload+1), ""), ErrQRTooLong},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.doc.Validate()
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("Validate() = %v, want %v", err, c.want)
			}
		})
	}
}

func FuzzWrap(f *testing.F) {
	f.Add("居住证申领 hello world，测试。", 8)
	f.Add("\x1b@\x00abc", 3)
	f.Fuzz(func(t *testing.T, s string, cols int) {
		cols = 2 + abs(cols)%60
		lines := Wrap(s, cols)
		if len(lines) == 0 {
			t.Fatal("no lines")
		}
		for _, l := range lines {
			if Width(l) > cols {
				t.Fatalf("line %q wider than %d", l, cols)
			}
			if strings.ContainsAny(l, "\x1b\x1d\x10\n") {
				t.Fatalf("control byte left in %q", l)
			}
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// FuzzContainsIDNumber checks the scanner against the plain definition: some 18
// characters, not inside a longer run of digits, that form a valid number.
func FuzzContainsIDNumber(f *testing.F) {
	f.Add("号码" + synthID + "，")
	f.Add("1" + synthID)
	f.Add(synthID[:17] + "x1")
	f.Fuzz(func(t *testing.T, s string) {
		want := false
		for i := 0; i+18 <= len(s) && !want; i++ {
			before := i > 0 && isDigit(s[i-1])
			after := i+18 < len(s) && (isDigit(s[i+18]) || s[i+18] == 'X' || s[i+18] == 'x')
			want = !before && !after && identity.ValidNumber(s[i:i+18])
		}
		if got := ContainsIDNumber(s); got != want {
			t.Fatalf("ContainsIDNumber(%q) = %v, want %v", s, got, want)
		}
	})
}

func TestIDNumberDefaultLabel(t *testing.T) {
	got := New().Add(IDNumber{Number: MaskID(synthID)}).Layout(Cols58)
	if len(got) != 1 || got[0].Text != "证件号码：9901**********1237" {
		t.Fatalf("got %+v", got)
	}
}
