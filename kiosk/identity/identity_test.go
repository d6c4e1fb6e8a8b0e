package identity

import (
	"testing"
	"time"
)

// Synthetic numbers only: region 99xxxx does not exist in GB/T 2260.
func TestCheckDigit(t *testing.T) {
	for _, c := range []struct {
		first17 string
		want    byte
		ok      bool
	}{
		{"99010119900101006", 'X', true},
		{"99010119900101001", '9', true},
		{"99010519491231002", '3', true},
		{"9901011990010100", 0, false},  // 16 characters
		{"9901011990010100A", 0, false}, // not a digit
	} {
		got, ok := CheckDigit(c.first17)
		if ok != c.ok || got != c.want {
			t.Errorf("CheckDigit(%q) = %q, %v; want %q, %v", c.first17, got, ok, c.want, c.ok)
		}
	}
}

func TestValidNumber(t *testing.T) {
	for _, c := range []struct {
		n    string
		want bool
	}{
		{"990101199001010019", true},
		{"990101199001010018", false}, // one digit off
		{"990101199001100019", false}, // adjacent digits swapped
		{"99010119900101006x", true},  // lower-case x accepted
		{"99010119900101001", false},  // 17 characters
		{"", false},
	} {
		if got := ValidNumber(c.n); got != c.want {
			t.Errorf("ValidNumber(%q) = %v, want %v", c.n, got, c.want)
		}
	}
}

func TestMasking(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"990101199001010019", "9901**********0019"},
		{"H1234567", "*******7"},
		{"", ""},
	} {
		if got := MaskNumber(c.in); got != c.want {
			t.Errorf("MaskNumber(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := MaskedName("测试甲"); got != "测**" {
		t.Errorf("MaskedName = %q", got)
	}
	if got := MaskedName("甲"); got != "甲" {
		t.Errorf("MaskedName of one character = %q", got)
	}
}

func TestDatesAndNumberFacts(t *testing.T) {
	if d, ok := ParseDate("19900101"); !ok || d.String() != "1990-01-01" {
		t.Errorf("ParseDate = %v, %v", d, ok)
	}
	if _, ok := ParseDate("19900230"); ok {
		t.Error("30 February parsed")
	}
	if d, ok := BirthFromNumber("990101199001010019"); !ok || d.String() != "1990-01-01" {
		t.Errorf("BirthFromNumber = %v, %v", d, ok)
	}
	if g, ok := GenderFromNumber("990101199001010019"); !ok || g.Code != "1" || g.Name != "男" {
		t.Errorf("GenderFromNumber = %v, %v", g, ok) // sequence 001: odd is male
	}
	if g, _ := GenderFromNumber("990101199001010027"); g.Code != "2" {
		t.Errorf("even sequence: %v", g)
	}
}

func TestNations(t *testing.T) {
	if n := Nations(); n != 58 {
		t.Fatalf("%d nation codes, want 56 groups plus 97 and 98", n)
	}
	if n, ok := NationByCode("01"); !ok || n.Name != "汉" {
		t.Errorf("01 = %v", n)
	}
	if n, ok := NationByCode("57"); ok || n.Code != "57" {
		t.Errorf("unknown code: %v, %v (the code must be kept)", n, ok)
	}
}

func TestExpiryAgeAndWipe(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	id := &Identity{Birth: Date{1990, 11, 26}, ValidTo: Date{2026, 11, 24}, Photo: []byte{1, 2, 3}, Name: "测试甲"}
	if !id.Expired(now) {
		t.Error("a card valid to yesterday is not expired")
	}
	if id.Age(now) != 35 {
		t.Errorf("age %d, want 35 (birthday tomorrow)", id.Age(now))
	}
	id.LongTerm = true
	if id.Expired(now) {
		t.Error("a long-term card expired")
	}
	photo := id.Photo
	id.Wipe()
	if id.Name != "" || id.Photo != nil || photo[0] != 0 || photo[2] != 0 {
		t.Errorf("wipe left %q, photo bytes %v", id.Name, photo)
	}
}
