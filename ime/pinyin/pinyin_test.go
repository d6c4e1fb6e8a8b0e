package pinyin

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func miniDict(t testing.TB) *Dict {
	t.Helper()
	d, err := Load(filepath.Join("testdata", "mini.dict.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func texts(cs []Candidate) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Text
	}
	return out
}

func TestCandidatesMini(t *testing.T) {
	d := miniDict(t)
	tests := []struct {
		in    string
		first string
		has   []string // must be among the candidates
		not   []string // must not be
	}{
		{in: "jingyingfanwei", first: "经营范围"},
		{in: "jyfw", first: "经营范围", has: []string{"就业服务"}},
		{in: "jingyfw", first: "经营范围", not: []string{"就业服务"}},
		{in: "jingy", first: "经营"},
		{in: "xian", first: "先"},
		{in: "xi'an", first: "西安", not: []string{"先"}},
		{in: "xi an", first: "西安"},
		{in: "lv", first: "绿"},
		{in: "nv", first: "女"},
		{in: "lve", first: "略"},
		{in: "lüe", first: "略"},
		{in: "nu:e", first: "虐"},
		{in: "fangan", has: []string{"方案", "反感"}},
		{in: "riyongbaihuolingshou", first: "日用百货零售"},
		{in: "JINGYING", first: "经营"},
		// m is a syllable (呒) and an initial: inside the input it also stands for mian.
		{in: "mg", has: []string{"面馆"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := texts(NewSession(d).Candidates(tt.in, 0))
			if len(got) == 0 {
				t.Fatalf("no candidates")
			}
			if tt.first != "" && got[0] != tt.first {
				t.Errorf("first = %q, want %q (all %v)", got[0], tt.first, got)
			}
			for _, h := range tt.has {
				if !slices.Contains(got, h) {
					t.Errorf("missing %q in %v", h, got)
				}
			}
			for _, h := range tt.not {
				if slices.Contains(got, h) {
					t.Errorf("unexpected %q in %v", h, got)
				}
			}
		})
	}
}

// With initials the most frequent words make the first composition (经营测试); the
// intended phrase made of rarer words (经营场所) must still be on the first page.
func TestRunnerUpSentencesOnFirstPage(t *testing.T) {
	d := miniDict(t)
	got := texts(NewSession(d).Candidates("jycs", 5))
	if len(got) == 0 || got[0] != "经营测试" {
		t.Fatalf("first of %v, want 经营测试 (the test's premise)", got)
	}
	if !slices.Contains(got, "经营场所") {
		t.Errorf("经营场所 not among the first 5: %v", got)
	}
	// The single whole-input word still comes before the runner-ups of similar weight.
	if got := texts(NewSession(d).Candidates("jyfw", 5)); got[0] != "经营范围" {
		t.Errorf("jyfw: %v, want 经营范围 first", got)
	}
}

func TestImpossibleInputGivesNothing(t *testing.T) {
	d := miniDict(t)
	for _, in := range []string{"", "iii", "u", "vvv", "'", "123", "qx", "jingyingi", "jingying'i"} {
		if got := NewSession(d).Candidates(in, 0); len(got) != 0 {
			t.Errorf("%q: got %v, want none", in, texts(got))
		}
	}
}

func TestNormalizeCapsLength(t *testing.T) {
	long := strings.Repeat("jing", 100)
	if got := Normalize(long); len(got) != MaxInput {
		t.Fatalf("len = %d, want %d", len(got), MaxInput)
	}
	for in, want := range map[string]string{"Lü": "lv", "nu:e": "nve", "xi  an": "xi'an", "'xi'an": "xi'an", "a1b-c": "abc"} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLearningMovesUpAndResetForgets(t *testing.T) {
	d := miniDict(t)
	s := NewSession(d)
	before := texts(s.Candidates("jingying", 0))
	if before[0] != "经营" || !slices.Contains(before, "精英") {
		t.Fatalf("unexpected start %v", before)
	}
	for _, c := range s.Candidates("jingying", 0) {
		if c.Text == "精英" {
			s.Learn(c)
		}
	}
	if got := texts(s.Candidates("jingying", 0)); got[0] != "精英" {
		t.Fatalf("after learning, first = %q (%v)", got[0], got)
	}
	s.Reset()
	if got := texts(s.Candidates("jingying", 0)); got[0] != "经营" {
		t.Fatalf("after reset, first = %q: learning outlived the visit", got[0])
	}
}

func TestLearnedPhraseWithinVisit(t *testing.T) {
	d := miniDict(t)
	s := NewSession(d)
	c := NewComposer(s, 5)
	for _, r := range "fanweiriyong" {
		c.Type(r)
	}
	// Choose piece by piece: 范围 then 日用.
	if text, done := c.Choose(indexOf(t, c, "范围")); done {
		t.Fatalf("done early with %q", text)
	}
	text, done := c.Choose(indexOf(t, c, "日用"))
	if !done || text != "范围日用" {
		t.Fatalf("got %q %v", text, done)
	}
	// The phrase is now known by its initials within the visit, and only then.
	if got := texts(s.Candidates("fwry", 0)); len(got) == 0 || got[0] != "范围日用" {
		t.Fatalf("fwry after learning: %v", got)
	}
	s.Reset()
	// After Reset the session answers as a new one: 范围日用 may still be composed from the
	// dictionary's words, but no longer as a learned word in front.
	got, fresh := texts(s.Candidates("fwry", 0)), texts(NewSession(d).Candidates("fwry", 0))
	if !slices.Equal(got, fresh) {
		t.Fatalf("phrase survived Reset: %v, a new session gives %v", got, fresh)
	}
}

func indexOf(t *testing.T, c *Composer, text string) int {
	t.Helper()
	for i, cand := range c.Candidates() {
		if cand.Text == text {
			return i
		}
	}
	t.Fatalf("%q not on the page %v", text, texts(c.Candidates()))
	return -1
}

func TestComposerBackspaceBySyllable(t *testing.T) {
	d := miniDict(t)
	c := NewComposer(NewSession(d), 5)
	for _, r := range "jingyingfan" {
		c.Type(r)
	}
	if got := c.Preedit(); got != "jing'ying'fan" {
		t.Fatalf("preedit %q", got)
	}
	c.Backspace()
	if got := c.Input(); got != "jingying" {
		t.Fatalf("after backspace input = %q", got)
	}
	c.Choose(indexOf(t, c, "经营"))
	if c.Active() {
		t.Fatalf("still active after the whole input was chosen")
	}
	for _, r := range "jingyingfanwei" {
		c.Type(r)
	}
	c.Choose(indexOf(t, c, "经营"))
	if got := c.Preedit(); got != "经营fan'wei" {
		t.Fatalf("preedit %q", got)
	}
	c.Backspace() // wei
	c.Backspace() // fan
	c.Backspace() // un-choose 经营
	if got := c.Input(); got != "jingying" {
		t.Fatalf("input %q after un-choosing", got)
	}
	if got := c.CommitLetters(); got != "jingying" {
		t.Fatalf("CommitLetters %q", got)
	}
}

func TestComposerLimitAndPaging(t *testing.T) {
	d := miniDict(t)
	c := NewComposer(NewSession(d), 1)
	c.SetLimit(4)
	for _, r := range "jingying" {
		c.Type(r)
	}
	if c.Input() != "jing" {
		t.Fatalf("input %q, want capped at 4 letters", c.Input())
	}
	first := texts(c.Candidates())
	if len(first) != 1 || !c.HasNext() || c.HasPrev() {
		t.Fatalf("page 0: %v next=%v", first, c.HasNext())
	}
	c.NextPage()
	second := texts(c.Candidates())
	if len(second) == 0 || slices.Contains(first, second[0]) || !c.HasPrev() {
		t.Fatalf("page 1 %v after %v", second, first)
	}
	if c.Type('1') {
		t.Fatalf("a digit was taken")
	}
}

func TestLoadErrors(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.dict.yaml"))
	if !errors.Is(err, ErrNoDictionary) {
		t.Fatalf("missing file: %v, want ErrNoDictionary", err)
	}
	p := filepath.Join(t.TempDir(), "bad.dict.yaml")
	if err := os.WriteFile(p, []byte("---\nname: x\n...\n# nothing\nabc\n字\tzi\tnot-a-number\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p); !errors.Is(err, ErrBadDictionary) {
		t.Fatalf("empty dictionary: %v, want ErrBadDictionary", err)
	}
}

func TestParseSkipsMalformedLines(t *testing.T) {
	in := "---\n...\n字\tzi\t5\n两字\tliang\t3\n大\tDA\t1\n好\thao\t-1\n中\tzhong\n\t\t\n"
	d, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 2 { // 字 and 中
		t.Fatalf("Len = %d, want 2", d.Len())
	}
}

func TestAssociations(t *testing.T) {
	d := miniDict(t)
	got := d.Associations("经", 5)
	if len(got) < 2 || got[0] != "营" || !slices.Contains(got, "营范围") {
		t.Fatalf("经: %v", got)
	}
	if got := d.Associations("经营", 5); !slices.Equal(got, []string{"范围"}) {
		t.Fatalf("经营: %v", got)
	}
	for _, in := range []string{"", "\xff", "龘"} {
		if got := d.Associations(in, 5); len(got) != 0 {
			t.Errorf("%q: %v", in, got)
		}
	}
}
