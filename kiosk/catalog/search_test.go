package catalog

import (
	"slices"
	"strings"
	"testing"
)

func TestInitials(t *testing.T) {
	tab := newInitialTable()
	tests := []struct {
		in   string
		want string
	}{
		{"户籍", "h j"},
		{"社保卡", "s b k"},
		{"公积金", "g j j"},
		{"居住证", "j z z"},
		{"营业执照", "y y z z"},
		{"驾驶证", "j s z"},
		{"阿", "a"}, // first of level 1
		{"座", "z"}, // last of level 1
		{"不动产登记", "b d c d j"},
		{"鑫", "?"}, // level 2: ordered by radical, no reading known
		{"12345热线", "12345 r x"},
		{"C1 驾照", "c1 j z"},
		{"，、", ""},
	}
	for _, tt := range tests {
		if got := strings.Join(tab.initials(tt.in), " "); got != tt.want {
			t.Errorf("initials(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestMatchSyllables(t *testing.T) {
	syl := strings.Fields("hu ji zheng ming")
	tests := []struct {
		q     string
		start int
		ok    bool
	}{
		{"hj", 0, true},
		{"huji", 0, true},
		{"hjzm", 0, true},
		{"hujizhengming", 0, true},
		{"hji", 0, true},
		{"huj", 0, true},
		{"zm", 2, true},
		{"jizh", 1, true},
		{"h", 0, true},
		{"m", 3, true},
		{"hz", 0, false}, // syllables must be consecutive
		{"jh", 0, false},
		{"hujizhengmingx", 0, false},
		{"", 0, false},
		{"uj", 0, false}, // each group starts a syllable
	}
	for _, tt := range tests {
		start, ok := matchSyllables(tt.q, syl)
		if ok != tt.ok || (ok && start != tt.start) {
			t.Errorf("matchSyllables(%q) = %d, %v; want %d, %v", tt.q, start, ok, tt.start, tt.ok)
		}
	}
	// A hostile catalog (long runs of one letter) stays polynomial.
	long := make([]string, 200)
	for i := range long {
		long[i] = "aaaaaa"
	}
	if _, ok := matchSyllables(strings.Repeat("a", MaxQuery)+"b", long); ok {
		t.Error("matched a query with a letter no syllable has")
	}
}

func TestSearch(t *testing.T) {
	c := loadDefault(t)
	tests := []struct {
		q string
		// first is the ID expected first ("" when no particular order matters).
		first string
		// has are IDs expected among the results.
		has []string
		// none expects no results at all.
		none bool
	}{
		{q: "hj", has: []string{"hukou-cert", "hukou-move", "newborn-hukou", "birth-bundle"}},
		{q: "户籍", has: []string{"hukou-cert", "hukou-move", "newborn-hukou"}},
		{q: "huji", has: []string{"hukou-cert", "hukou-move", "newborn-hukou", "birth-bundle"}},
		{q: "HJ", has: []string{"hukou-cert"}},
		{q: "ｈｊ", has: []string{"hukou-cert"}}, // full-width from a pasted source
		{q: "hu ji", has: []string{"hukou-cert"}},
		{q: "户籍证明开具", first: "hukou-cert"},
		{q: "社保卡", first: "sscard-loss", has: []string{"sscard-apply", "newborn-sscard"}},
		{q: "sbkgs", first: "sscard-loss"},
		{q: "gjj", first: "hpf-withdraw-rent"},
		{q: "公积金", first: "hpf-withdraw-rent"},
		{q: "jzz", first: "residence-permit"},
		{q: "居住证", first: "residence-permit"},
		{q: "csyjs", first: "birth-bundle"},
		{q: "出生", first: "birth-bundle", has: []string{"birth-cert"}},
		{q: "营业执照", has: []string{"license-change", "gtgsh-setup", "open-shop-bundle"}},
		{q: "soc sec", has: []string{"sscard-apply"}},
		{q: "passport", first: "passport"},
		{q: "12345", first: "complaint"},
		{q: "民政局", has: []string{"elderly-allowance", "dibao", "marriage-appt"}},
		{q: "", none: true},
		{q: "   ", none: true},
		{q: "qqqqzzzz", none: true},
		{q: "火星", none: true},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			res := c.Search(tt.q, 0)
			var got []string
			for _, s := range res {
				got = append(got, s.ID)
			}
			if tt.none {
				if len(got) > 0 {
					t.Errorf("found %q; want nothing", got)
				}
				return
			}
			if len(got) == 0 {
				t.Fatal("found nothing")
			}
			if tt.first != "" && got[0] != tt.first {
				t.Errorf("first %q; want %q (all: %q)", got[0], tt.first, got)
			}
			for _, id := range tt.has {
				if !slices.Contains(got, id) {
					t.Errorf("%q not found; got %q", id, got)
				}
			}
		})
	}
	if got := c.Search("hj", 2); len(got) != 2 {
		t.Errorf("limit 2 gave %d results", len(got))
	}
}

// Without a pinyin field, titles are found by initials derived from GB 2312.
func TestSearchDerivedInitials(t *testing.T) {
	c := mustParse(t, strings.Replace(small, `"pinyin": "hu ji zheng ming",`, ``, 1))
	got := c.Search("hjzm", 0)
	if len(got) == 0 || got[0].ID != "item-a" {
		t.Fatalf("hjzm found %v; want item-a first", got)
	}
	if got := c.Search("huji", 0); len(got) != 0 {
		t.Errorf("full pinyin matched without a pinyin field: %v", got)
	}
}

func mustParse(t testing.TB, s string) *Catalog {
	t.Helper()
	c, err := Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func BenchmarkSearch(b *testing.B) {
	c := loadDefault(b)
	for _, q := range []string{"hj", "社保卡", "soc sec", "hujizhengm"} {
		b.Run(q, func(b *testing.B) {
			for b.Loop() {
				c.Search(q, 10)
			}
		})
	}
}

func BenchmarkParseDefault(b *testing.B) {
	data := mustRead(b, defaultDir+"/default.json")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
