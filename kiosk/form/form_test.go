package form

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/internal/golden"
	"github.com/govkiosk/govkiosk/kiosk/identity"
)

// now is the fixed day every test validates on.
var now = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return now }

// synthID returns a synthetic ID number in region 990101 (no such region exists) with a
// correct check character.
func synthID(t testing.TB, birth, seq string) string {
	t.Helper()
	first := "990101" + birth + seq
	c, ok := identity.CheckDigit(first)
	if !ok {
		t.Fatalf("bad synthetic number %q", first)
	}
	return first + string(c)
}

// synthIDWithX returns a synthetic ID number whose check character is X.
func synthIDWithX(t testing.TB) string {
	for seq := 100; seq < 1000; seq++ {
		if n := synthID(t, "19900101", fmt.Sprint(seq)); n[17] == 'X' {
			return n
		}
	}
	t.Fatal("no sequence gives check character X")
	return ""
}

func fptr(v float64) *float64 { return &v }

func TestValidate(t *testing.T) {
	id := synthID(t, "19900101", "123")
	badCheck := id[:17] + map[bool]string{true: "0", false: "1"}[id[17] != '0']
	text := Field{ID: "name", Label: Text{"姓名", "Name"}, Type: TypeText, Required: true, MaxLength: 4}
	tests := []struct {
		name  string
		field Field
		value string
		want  Code // "" for accepted
	}{
		{"text ok", text, "测试甲", ""},
		{"text empty required", text, "", CodeRequired},
		{"text empty optional", Field{ID: "x", Label: Text{Zh: "备注"}, Type: TypeText}, "", ""},
		{"text too long", text, "测试甲乙丙", CodeTooLong},
		{"text min", Field{ID: "x", Label: Text{Zh: "内容"}, Type: TypeText, MinLength: 10}, "太短", CodeTooShort},
		{"text exact length", Field{ID: "x", Label: Text{Zh: "代码"}, Type: TypeText, Length: 3}, "ab", CodeLength},
		{"text control char", text, "测\x07试", CodeBadChars},
		{"multiline newline ok", Field{ID: "x", Label: Text{Zh: "内容"}, Type: TypeText, Multiline: true}, "第一行\n第二行", ""},
		{"pattern ok", Field{ID: "x", Label: Text{Zh: "卡号"}, Type: TypeText, Pattern: "[0-9]{16,19}", PatternMessage: Text{Zh: "卡号是16到19位数字"}}, "6222020202020202", ""},
		{"pattern whole value", Field{ID: "x", Label: Text{Zh: "卡号"}, Type: TypeText, Pattern: "[0-9]{16,19}", PatternMessage: Text{Zh: "卡号是16到19位数字"}}, "6222020202020202x", CodePattern},
		{"address ok", Field{ID: "a", Label: Text{Zh: "地址"}, Type: TypeAddress}, "测试区样例路12号", ""},
		{"address short", Field{ID: "a", Label: Text{Zh: "地址"}, Type: TypeAddress}, "样例路", CodeAddressShort},
		{"number ok", Field{ID: "n", Label: Text{Zh: "人数"}, Type: TypeNumber, Min: fptr(1), Max: fptr(20)}, "3", ""},
		{"number not a number", Field{ID: "n", Label: Text{Zh: "人数"}, Type: TypeNumber}, "三", CodeNotNumber},
		{"number decimals", Field{ID: "n", Label: Text{Zh: "人数"}, Type: TypeNumber}, "2.5", CodeDecimals},
		{"number two decimals ok", Field{ID: "n", Label: Text{Zh: "金额"}, Type: TypeNumber, Decimals: 2}, "1200.50", ""},
		{"number too many decimals", Field{ID: "n", Label: Text{Zh: "金额"}, Type: TypeNumber, Decimals: 2}, "1.005", CodeDecimals},
		{"number too small", Field{ID: "n", Label: Text{Zh: "人数"}, Type: TypeNumber, Min: fptr(1)}, "0", CodeTooSmall},
		{"number too large", Field{ID: "n", Label: Text{Zh: "人数"}, Type: TypeNumber, Max: fptr(20)}, "21", CodeTooLarge},
		{"mobile ok", Field{ID: "p", Label: Text{Zh: "手机号码"}, Type: TypeMobile}, "13912345678", ""},
		{"mobile short", Field{ID: "p", Label: Text{Zh: "手机号码"}, Type: TypeMobile}, "1391234567", CodeMobile},
		{"mobile prefix", Field{ID: "p", Label: Text{Zh: "手机号码"}, Type: TypeMobile}, "12912345678", CodeMobile},
		{"mobile letters", Field{ID: "p", Label: Text{Zh: "手机号码"}, Type: TypeMobile}, "1391234567a", CodeMobile},
		{"mobile landline refused", Field{ID: "p", Label: Text{Zh: "手机号码"}, Type: TypeMobile}, "01012345678", CodeMobile},
		{"phone mobile", Field{ID: "p", Label: Text{Zh: "电话"}, Type: TypePhone}, "18812345678", ""},
		{"phone landline", Field{ID: "p", Label: Text{Zh: "电话"}, Type: TypePhone}, "010-12345678", ""},
		{"phone landline no hyphen", Field{ID: "p", Label: Text{Zh: "电话"}, Type: TypePhone}, "07551234567", ""},
		{"phone extension", Field{ID: "p", Label: Text{Zh: "电话"}, Type: TypePhone}, "0755-1234567-801", ""},
		{"phone no area code", Field{ID: "p", Label: Text{Zh: "电话"}, Type: TypePhone}, "12345678", CodePhone},
		{"phone short mobile", Field{ID: "p", Label: Text{Zh: "电话"}, Type: TypePhone}, "1391234", CodeMobile},
		{"id ok", Field{ID: "i", Label: Text{Zh: "身份证号码"}, Type: TypeIDNumber}, id, ""},
		{"id lower x normalized", Field{ID: "i", Label: Text{Zh: "身份证号码"}, Type: TypeIDNumber}, strings.ToLower(synthIDWithX(t)), ""},
		{"id short", Field{ID: "i", Label: Text{Zh: "身份证号码"}, Type: TypeIDNumber}, id[:15], CodeIDLength},
		{"id letters", Field{ID: "i", Label: Text{Zh: "身份证号码"}, Type: TypeIDNumber}, "99010119900101A23" + "4", CodeIDChars},
		{"id check digit", Field{ID: "i", Label: Text{Zh: "身份证号码"}, Type: TypeIDNumber}, badCheck, CodeIDCheck},
		{"id impossible birth", Field{ID: "i", Label: Text{Zh: "身份证号码"}, Type: TypeIDNumber}, synthID(t, "19901301", "123"), CodeIDCheck},
		{"date ok", Field{ID: "d", Label: Text{Zh: "日期"}, Type: TypeDate, MaxDate: "today"}, "2026-03-02", ""},
		{"date late", Field{ID: "d", Label: Text{Zh: "日期"}, Type: TypeDate, MaxDate: "today"}, "2026-03-03", CodeDateLate},
		{"date early", Field{ID: "d", Label: Text{Zh: "日期"}, Type: TypeDate, MinDate: "today+1d"}, "2026-03-02", CodeDateEarly},
		{"date window ok", Field{ID: "d", Label: Text{Zh: "日期"}, Type: TypeDate, MinDate: "today+1d", MaxDate: "today+30d"}, "2026-04-01", ""},
		{"date window late", Field{ID: "d", Label: Text{Zh: "日期"}, Type: TypeDate, MinDate: "today+1d", MaxDate: "today+30d"}, "2026-04-02", CodeDateLate},
		{"date invalid", Field{ID: "d", Label: Text{Zh: "日期"}, Type: TypeDate}, "2026-02-30", CodeDate},
		{"date format", Field{ID: "d", Label: Text{Zh: "日期"}, Type: TypeDate}, "2026/03/02", CodeDate},
		{"choice ok", Field{ID: "c", Label: Text{Zh: "性别"}, Type: TypeChoice, Options: []Option{{"1", Text{Zh: "男"}}, {"2", Text{Zh: "女"}}}}, "2", ""},
		{"choice unknown", Field{ID: "c", Label: Text{Zh: "性别"}, Type: TypeChoice, Options: []Option{{"1", Text{Zh: "男"}}}}, "男", CodeNotAnOption},
		{"choice required", Field{ID: "c", Label: Text{Zh: "性别"}, Type: TypeChoice, Required: true, Options: []Option{{"1", Text{Zh: "男"}}}}, "", CodeRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.field
			m := f.Validate(f.Normalize(tt.value), now)
			switch {
			case tt.want == "" && m != nil:
				t.Errorf("refused: %s", m)
			case tt.want != "" && m == nil:
				t.Errorf("accepted; want %s", tt.want)
			case tt.want != "" && m.Code != tt.want:
				t.Errorf("code %s (%s); want %s", m.Code, m, tt.want)
			}
			if m != nil && (m.Text.Zh == "" || m.Text.En == "") {
				t.Errorf("message missing a language: %+v", m.Text)
			}
		})
	}
}

// TestMessagesGolden records the words residents read, so a change to them is reviewed
// as wording. Run with -update to accept a change.
func TestMessagesGolden(t *testing.T) {
	fields := []struct {
		f Field
		v string
	}{
		{Field{Label: Text{"手机号码", "Mobile number"}, Type: TypeMobile, Required: true}, ""},
		{Field{Label: Text{"手机号码", "Mobile number"}, Type: TypeMobile}, "1391234567"},
		{Field{Label: Text{"手机号码", "Mobile number"}, Type: TypeMobile}, "12912345678"},
		{Field{Label: Text{"联系电话", "Contact phone"}, Type: TypePhone, Required: true}, ""},
		{Field{Label: Text{"联系电话", "Contact phone"}, Type: TypePhone}, "12345678"},
		{Field{Label: Text{"身份证号码", "ID number"}, Type: TypeIDNumber, Required: true}, ""},
		{Field{Label: Text{"身份证号码", "ID number"}, Type: TypeIDNumber}, "99010119900101123"},
		{Field{Label: Text{"身份证号码", "ID number"}, Type: TypeIDNumber}, "990101199001011231"},
		{Field{Label: Text{"性别", "Sex"}, Type: TypeChoice, Required: true, Options: []Option{{"1", Text{Zh: "男"}}}}, ""},
		{Field{Label: Text{"预约日期", "Appointment date"}, Type: TypeDate, MinDate: "today+1d"}, "2026-03-01"},
		{Field{Label: Text{"出生日期", "Date of birth"}, Type: TypeDate, MaxDate: "today"}, "2027-01-01"},
		{Field{Label: Text{"人数", "People"}, Type: TypeNumber, Min: fptr(1)}, "0"},
		{Field{Label: Text{"金额", "Amount"}, Type: TypeNumber, Decimals: 2}, "1.234"},
		{Field{Label: Text{"现居住地址", "Current address"}, Type: TypeAddress, Required: true}, ""},
		{Field{Label: Text{"现居住地址", "Current address"}, Type: TypeAddress}, "样例路"},
		{Field{Label: Text{"具体内容", "Details"}, Type: TypeText, MinLength: 10}, "太短了"},
		{Field{Label: Text{"姓名", "Name"}, Type: TypeText, MaxLength: 4}, "测试甲乙丙"},
	}
	var b strings.Builder
	for _, c := range fields {
		m := c.f.Validate(c.f.Normalize(c.v), now)
		if m == nil {
			t.Fatalf("%s %q accepted", c.f.Label.Zh, c.v)
		}
		fmt.Fprintf(&b, "%-14s %-20q %s\n%36s %s\n", m.Code, c.v, m.Text.Zh, "", m.Text.En)
	}
	golden.Check(t, "messages.golden", []byte(b.String()))
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		typ   Type
		multi bool
		in    string
		want  string
	}{
		{TypeMobile, false, " 139 1234 5678 ", "13912345678"},
		{TypeMobile, false, "+86 139-1234-5678", "13912345678"},
		{TypeMobile, false, "１３９１２３４５６７８", "13912345678"},
		{TypePhone, false, "0755 - 1234567", "0755-1234567"},
		{TypePhone, false, "+86-13912345678", "13912345678"},
		{TypeIDNumber, false, "990101 19900101 123x", "99010119900101123X"},
		{TypeNumber, false, " 1 200 ", "1200"},
		{TypeText, false, "  测试甲\n ", "测试甲"},
		{TypeText, false, "一行\n二行", "一行 二行"},
		{TypeText, true, "一行\n二行", "一行\n二行"},
		{TypeChoice, false, " 1 ", "1"},
		{TypeDate, false, "２０２６-０３-０２", "2026-03-02"},
	}
	for _, tt := range tests {
		f := Field{Type: tt.typ, Multiline: tt.multi}
		if got := f.Normalize(tt.in); got != tt.want {
			t.Errorf("%s Normalize(%q) = %q; want %q", tt.typ, tt.in, got, tt.want)
		}
	}
}

func TestDateBound(t *testing.T) {
	tests := []struct {
		spec string
		want string // "" for refused
	}{
		{"today", "2026-03-02"},
		{"today+1d", "2026-03-03"},
		{"today-18y", "2008-03-02"},
		{"today+6m", "2026-09-02"},
		{"today-6m", "2025-09-02"},
		{"2024-02-29", "2024-02-29"},
		{"tomorrow", ""},
		{"today+", ""},
		{"today+1w", ""},
		{"today+-1d", ""},
		{"today+99999d", ""},
		{"2024-02-30", ""},
	}
	for _, tt := range tests {
		got, ok := DateBound(tt.spec, now)
		if tt.want == "" {
			if ok {
				t.Errorf("DateBound(%q) accepted as %v", tt.spec, got)
			}
			continue
		}
		if !ok || got.Format(DateLayout) != tt.want {
			t.Errorf("DateBound(%q) = %v, %v; want %s", tt.spec, got, ok, tt.want)
		}
	}
}

func TestInput(t *testing.T) {
	tests := []struct {
		f    Field
		want Input
	}{
		{Field{Type: TypeText}, InputKeyboard},
		{Field{Type: TypeAddress}, InputKeyboard},
		{Field{Type: TypeText, Keypad: InputDigits}, InputDigits},
		{Field{Type: TypeNumber}, InputDigits},
		{Field{Type: TypeNumber, Decimals: 2}, InputDecimal},
		{Field{Type: TypeMobile}, InputDigits},
		{Field{Type: TypePhone}, InputPhone},
		{Field{Type: TypeIDNumber}, InputIDNumber},
		{Field{Type: TypeChoice}, InputChoice},
		{Field{Type: TypeDate}, InputDate},
		{Field{Type: TypeDate, Keypad: InputDigits}, InputDate},
	}
	for _, tt := range tests {
		if got := tt.f.Input(); got != tt.want {
			t.Errorf("%s (keypad %q): %s; want %s", tt.f.Type, tt.f.Keypad, got, tt.want)
		}
	}
}

// TestFieldKind: what a field asks for, as the Chinese input is told: declared by the
// catalog, else from the type, id and label (the default catalog's free-text fields).
func TestFieldKind(t *testing.T) {
	tests := []struct {
		f    Field
		want TextKind
	}{
		{Field{ID: "shop_scope", Label: Text{Zh: "经营范围"}, Type: TypeText, Multiline: true}, KindBusinessScope},
		{Field{ID: "shop_name", Label: Text{Zh: "个体工商户名称"}, Type: TypeText}, KindOrganization},
		{Field{ID: "shop_address", Label: Text{Zh: "经营场所地址"}, Type: TypeAddress}, KindAddress},
		{Field{ID: "mailing", Label: Text{Zh: "邮寄地址"}, Type: TypeText}, KindAddress},
		{Field{ID: "applicant_name", Label: Text{Zh: "申请人姓名"}, Type: TypeText}, KindName},
		{Field{ID: "contact", Label: Text{Zh: "联系人"}, Type: TypeText}, KindName},
		{Field{ID: "employer", Label: Text{Zh: "工作单位或学校"}, Type: TypeText}, KindOrganization},
		{Field{ID: "birth_hospital", Label: Text{Zh: "分娩医院"}, Type: TypeText}, KindOrganization},
		{Field{ID: "purpose_text", Label: Text{Zh: "用途"}, Type: TypeText}, KindPurpose},
		{Field{ID: "reason", Label: Text{Zh: "申请理由"}, Type: TypeText}, KindPurpose},
		{Field{ID: "community", Label: Text{Zh: "具体内容"}, Type: TypeText}, KindFreeText},
		{Field{ID: "content", Label: Text{Zh: "具体内容"}, Type: TypeText, TextKind: KindPurpose}, KindPurpose},
		{Field{ID: "bank_account", Label: Text{Zh: "本人银行卡号"}, Type: TypeText, Keypad: InputDigits}, KindFreeText},
		{Field{ID: "purpose", Label: Text{Zh: "用途"}, Type: TypeChoice}, KindFreeText},
	}
	for _, tt := range tests {
		if got := tt.f.Kind(); got != tt.want {
			t.Errorf("%s (%s): %q; want %q", tt.f.ID, tt.f.Label.Zh, got, tt.want)
		}
	}
}

func TestSchemaCheck(t *testing.T) {
	ok := Field{ID: "phone", Label: Text{Zh: "电话"}, Type: TypeMobile}
	tests := []struct {
		name   string
		fields []Field
		paths  []string
	}{
		{"fine", []Field{ok}, nil},
		{"bad id", []Field{{ID: "Phone", Label: Text{Zh: "电话"}, Type: TypeMobile}}, []string{"fields[0].id"}},
		{"duplicate", []Field{ok, ok}, []string{"fields[1].id"}},
		{"no label", []Field{{ID: "a", Type: TypeText}}, []string{"fields[0].label.zh"}},
		{"lengths on mobile", []Field{{ID: "a", Label: Text{Zh: "x"}, Type: TypeMobile, MaxLength: 3}}, []string{"fields[0]"}},
		{"min over max", []Field{{ID: "a", Label: Text{Zh: "x"}, Type: TypeNumber, Min: fptr(5), Max: fptr(1)}}, []string{"fields[0].min"}},
		{"keypad on date", []Field{{ID: "a", Label: Text{Zh: "x"}, Type: TypeDate, Keypad: InputDigits}}, []string{"fields[0].keypad"}},
		{"unknown keypad", []Field{{ID: "a", Label: Text{Zh: "x"}, Type: TypeText, Keypad: "abacus"}}, []string{"fields[0].keypad"}},
		{"text kind", []Field{{ID: "a", Label: Text{Zh: "x"}, Type: TypeText, TextKind: KindAddress}}, nil},
		{"unknown text kind", []Field{{ID: "a", Label: Text{Zh: "x"}, Type: TypeText, TextKind: "street"}}, []string{"fields[0].text_kind"}},
		{"text kind on date", []Field{{ID: "a", Label: Text{Zh: "x"}, Type: TypeDate, TextKind: KindName}}, []string{"fields[0].text_kind"}},
		{"options on text", []Field{{ID: "a", Label: Text{Zh: "x"}, Type: TypeText, Options: []Option{{"1", Text{Zh: "一"}}}}}, []string{"fields[0].options"}},
		{"duplicate option", []Field{{ID: "a", Label: Text{Zh: "x"}, Type: TypeChoice, Options: []Option{{"1", Text{Zh: "一"}}, {"1", Text{Zh: "二"}}}}}, []string{"fields[0].options[1].value"}},
		{"unknown prefill", []Field{{ID: "a", Label: Text{Zh: "x"}, Type: TypeText, Prefill: "email"}}, []string{"fields[0].prefill"}},
		{"bad default choice", []Field{{ID: "a", Label: Text{Zh: "x"}, Type: TypeChoice, Default: "3", Options: []Option{{"1", Text{Zh: "一"}}}}}, []string{"fields[0].default"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Schema{Fields: tt.fields}
			var got []string
			for _, p := range s.Check() {
				got = append(got, p.Path)
			}
			if !slices.Equal(got, tt.paths) {
				t.Errorf("problems at %q; want %q", got, tt.paths)
			}
		})
	}
}

func TestMerge(t *testing.T) {
	name := Field{ID: "name", Label: Text{Zh: "姓名"}, Type: TypeText, Prefill: AttrName, Locked: true}
	phoneOpt := Field{ID: "phone", Label: Text{Zh: "电话"}, Type: TypeMobile}
	phoneReq := phoneOpt
	phoneReq.Required = true
	phoneReq.Hint = Text{Zh: "用于接收短信"}
	a := Schema{Fields: []Field{name, phoneOpt}}
	b := Schema{Fields: []Field{phoneReq, {ID: "addr", Label: Text{Zh: "地址"}, Type: TypeAddress}}}
	m, ps := Merge(a, b)
	if len(ps) != 0 {
		t.Fatalf("problems: %v", ps)
	}
	var ids []string
	for _, f := range m.Fields {
		ids = append(ids, f.ID)
	}
	if !slices.Equal(ids, []string{"name", "phone", "addr"}) {
		t.Errorf("merged %q", ids)
	}
	if p := m.Field("phone"); !p.Required || p.Hint.Zh != "用于接收短信" {
		t.Errorf("merged phone %+v: want required with the longer hint", p)
	}
	if a.Fields[1].Required {
		t.Error("merging changed an input schema")
	}
	conflict := phoneOpt
	conflict.Type = TypePhone
	if _, ps := Merge(a, Schema{Fields: []Field{conflict}}); len(ps) != 1 || ps[0].Path != "schemas[1].fields[0]" {
		t.Errorf("type conflict problems %v", ps)
	}
	rules := phoneOpt
	rules.Pattern = "1.*"
	if _, ps := Merge(a, Schema{Fields: []Field{rules}}); len(ps) != 1 {
		t.Errorf("rules conflict problems %v", ps)
	}
}

// synthIdentity is a fictional resident of the non-existent region 990101.
func synthIdentity(t testing.TB) *identity.Identity {
	n := synthID(t, "19850607", "124")
	return &identity.Identity{
		CardType: identity.Resident, Name: "测试甲", Gender: identity.GenderByCode("2"),
		Nation: identity.Nation{Code: "01", Name: "汉"}, Birth: identity.Date{Year: 1985, Month: 6, Day: 7},
		Address: "测试省样例市示范路1号", IDNumber: n, IDNumberValid: true,
		Photo: []byte{1, 2, 3},
	}
}

func prefillSchema() Schema {
	return Schema{Fields: []Field{
		{ID: "name", Label: Text{Zh: "姓名"}, Type: TypeText, Required: true, Prefill: AttrName, Locked: true},
		{ID: "id", Label: Text{Zh: "身份证号码"}, Type: TypeIDNumber, Required: true, Prefill: AttrIDNumber, Locked: true},
		{ID: "gender", Label: Text{Zh: "性别"}, Type: TypeChoice, Prefill: AttrGender, Locked: true,
			Options: []Option{{"1", Text{Zh: "男"}}, {"2", Text{Zh: "女"}}}},
		{ID: "gender_text", Label: Text{Zh: "性别"}, Type: TypeText, Prefill: AttrGender},
		{ID: "nation", Label: Text{Zh: "民族"}, Type: TypeText, Prefill: AttrNation, Locked: true},
		{ID: "birth", Label: Text{Zh: "出生日期"}, Type: TypeDate, Prefill: AttrBirth, Locked: true},
		{ID: "address", Label: Text{Zh: "住址"}, Type: TypeAddress, Prefill: AttrAddress},
		{ID: "phone", Label: Text{Zh: "手机号码"}, Type: TypeMobile, Required: true},
		{ID: "topic", Label: Text{Zh: "类型"}, Type: TypeChoice, Default: "b",
			Options: []Option{{"a", Text{Zh: "投诉", En: "Complaint"}}, {"b", Text{Zh: "建议", En: "Suggestion"}}}},
	}}
}

func TestPrefill(t *testing.T) {
	s := prefillSchema()
	if ps := s.Check(); len(ps) > 0 {
		t.Fatal(ps)
	}
	f := New(s, fixedNow)
	id := synthIdentity(t)
	if n := f.Prefill(id); n != 7 {
		t.Errorf("prefilled %d fields; want 7", n)
	}
	want := map[string]string{
		"name": "测试甲", "id": id.IDNumber, "gender": "2", "gender_text": "女", "nation": "汉",
		"birth": "1985-06-07", "address": "测试省样例市示范路1号", "topic": "b",
	}
	for k, v := range want {
		if got := f.Value(k); got != v {
			t.Errorf("%s = %q; want %q", k, got, v)
		}
	}
	if f.Dirty() {
		t.Error("prefill and defaults made the form dirty")
	}
	if !f.Locked("name") || f.Locked("address") || f.Locked("phone") {
		t.Error("locks: want name locked, address and phone editable")
	}
	if err := f.Set("name", "样例乙"); !errors.Is(err, ErrLocked) {
		t.Errorf("Set locked = %v; want ErrLocked", err)
	}
	if err := f.Set("address", "测试省样例市示范路2号"); err != nil || f.Prefilled("address") {
		t.Errorf("editing an unlocked prefilled field: %v, still prefilled %v", err, f.Prefilled("address"))
	}
	if !f.Dirty() {
		t.Error("an edit did not make the form dirty")
	}
	if f.Display("gender", Zh) != "女" || f.Display("topic", En) != "Suggestion" {
		t.Errorf("Display gender %q topic %q", f.Display("gender", Zh), f.Display("topic", En))
	}

	// A foreigner's card: no nation, a permit number that is no citizen ID. Those fields
	// become empty and editable rather than keeping the first card's values.
	other := &identity.Identity{CardType: identity.ForeignerPermanent2017, Name: "样例乙",
		IDNumber: "ABC990101850607", Gender: identity.GenderByCode("1")}
	f.Prefill(other)
	if f.Value("name") != "样例乙" || f.Value("id") != "" || f.Locked("id") || f.Value("nation") != "" || f.Locked("nation") {
		t.Errorf("second card: name %q id %q (locked %v) nation %q (locked %v)",
			f.Value("name"), f.Value("id"), f.Locked("id"), f.Value("nation"), f.Locked("nation"))
	}
	if f.Value("gender") != "1" {
		t.Errorf("gender after second card %q", f.Value("gender"))
	}
}

func TestFormValidateAndWipe(t *testing.T) {
	f := New(prefillSchema(), fixedNow)
	err := f.Validate()
	var ie *InvalidError
	if !errors.As(err, &ie) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("Validate = %v; want *InvalidError", err)
	}
	if !slices.Equal(ie.Fields, []string{"name", "id", "phone"}) {
		t.Errorf("invalid fields %q; want name, id, phone in display order", ie.Fields)
	}
	if m := f.Error("phone"); m == nil || m.Code != CodeRequired {
		t.Errorf("phone message %v", m)
	}
	// Fixing a field clears its message at once.
	if err := f.Set("phone", "139 1234 5678"); err != nil {
		t.Fatal(err)
	}
	if f.Error("phone") != nil || f.Value("phone") != "13912345678" {
		t.Errorf("after fix: message %v value %q", f.Error("phone"), f.Value("phone"))
	}
	// A wrong value on a field without a message waits for Check.
	if err := f.Set("address", "短"); err != nil {
		t.Fatal(err)
	}
	if f.Error("address") != nil {
		t.Error("message shown while typing")
	}
	if m := f.Check("address"); m == nil || m.Code != CodeAddressShort {
		t.Errorf("Check(address) = %v", m)
	}
	if err := f.Set("nope", "x"); !errors.Is(err, ErrUnknownField) {
		t.Errorf("Set unknown = %v", err)
	}
	f.Prefill(synthIdentity(t))
	if err := f.Set("address", ""); err != nil {
		t.Fatal(err)
	}
	if err := f.Validate(); err != nil {
		t.Fatalf("complete form: %v", err)
	}
	if len(f.Errors()) != 0 {
		t.Errorf("errors left: %v", f.Errors())
	}

	f.Wipe()
	if len(f.Values()) != 0 || f.Dirty() || f.Locked("name") {
		t.Error("values or state survived Wipe")
	}
	if err := f.Set("phone", "13912345678"); !errors.Is(err, ErrWiped) {
		t.Errorf("Set after Wipe = %v; want ErrWiped", err)
	}
	if err := f.Validate(); !errors.Is(err, ErrWiped) {
		t.Errorf("Validate after Wipe = %v; want ErrWiped", err)
	}
	if f.Prefill(synthIdentity(t)) != 0 {
		t.Error("Prefill after Wipe filled fields")
	}
}

// The UI types while a session timer may wipe: the race detector checks the locking.
func TestFormConcurrentWipe(t *testing.T) {
	f := New(prefillSchema(), fixedNow)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 100 {
				_ = f.Set("phone", fmt.Sprintf("139%08d", i*1000+j))
				_ = f.Validate()
				_ = f.Values()
			}
		}()
	}
	f.Wipe()
	wg.Wait()
	if len(f.Values()) != 0 {
		t.Error("values after wipe")
	}
}

// FuzzValidate feeds arbitrary input to every field type: no panic, normalizing twice
// changes nothing, and every refusal has words in both languages.
func FuzzValidate(f *testing.F) {
	f.Add("13912345678")
	f.Add("0755-1234567-801")
	f.Add("99010119900101123X")
	f.Add("2026-02-30")
	f.Add("１２.５")
	f.Add("测试\x00甲")
	fields := []Field{
		{Label: Text{Zh: "文本"}, Type: TypeText, MinLength: 2, MaxLength: 10, Pattern: "[0-9a-z测试甲]+", PatternMessage: Text{Zh: "格式"}},
		{Label: Text{Zh: "数字"}, Type: TypeNumber, Min: fptr(-5), Max: fptr(1e6), Decimals: 2},
		{Label: Text{Zh: "电话"}, Type: TypePhone},
		{Label: Text{Zh: "手机"}, Type: TypeMobile},
		{Label: Text{Zh: "日期"}, Type: TypeDate, MinDate: "today-100y", MaxDate: "today"},
		{Label: Text{Zh: "选择"}, Type: TypeChoice, Options: []Option{{"1", Text{Zh: "一"}}}},
		{Label: Text{Zh: "身份证"}, Type: TypeIDNumber},
		{Label: Text{Zh: "地址"}, Type: TypeAddress, Multiline: true},
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, fd := range fields {
			v := fd.Normalize(in)
			if again := fd.Normalize(v); again != v {
				t.Fatalf("%s: Normalize not idempotent: %q -> %q -> %q", fd.Type, in, v, again)
			}
			if m := fd.Validate(v, now); m != nil && (m.Text.Zh == "" || m.Text.En == "") {
				t.Fatalf("%s: message without words for %q", fd.Type, v)
			}
		}
	})
}
