package pinyin

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

var (
	realOnce     sync.Once
	realDict     *Dict
	realErr      error
	realEssayErr error
	essayDir     string
)

// TestMain removes the essay index the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if essayDir != "" {
		os.RemoveAll(essayDir)
	}
	os.Exit(code)
}

// required: the suite runs as required (make test), where a missing package is a failure.
func required() bool { return os.Getenv("GOVKIOSK_E2E") == "required" }

// installedDict loads the kiosk's dictionary from the Debian packages: pinyin_simp with
// rime-essay's words, the essay index built by the same code as the kiosk's into a
// temporary directory (OpenCC t2s, a few seconds once per test binary).
// scripts/install-deps installs the packages for tests; where pinyin_simp is missing the
// test is skipped, except when run as required. Where only the essay is missing, the
// dictionary is pinyin_simp alone (essayLoaded tells) and required runs fail.
func installedDict(t testing.TB) *Dict {
	t.Helper()
	realOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pinyin-essay-")
		if err != nil {
			realErr = err
			return
		}
		essayDir = dir
		s := Sources{EssaySources: EssaySources{Dict: DefaultDictPath, Essay: DefaultEssayPath, Lexicon: DefaultLexiconPath},
			Index: []string{essayIndexPath()}, Build: true}
		realDict, realEssayErr, realErr = Open(context.Background(), s)
	})
	if errors.Is(realErr, ErrNoDictionary) && !required() {
		t.Skip("rime-data-pinyin-simp not installed (scripts/install-deps test)")
	}
	if realErr != nil {
		t.Fatal(realErr)
	}
	if realEssayErr != nil {
		if required() {
			t.Fatalf("essay words: %v (scripts/install-deps test installs rime-essay and opencc)", realEssayErr)
		}
		t.Logf("without the essay words: %v", realEssayErr)
	} else if !realDict.HasLexicon() {
		if required() {
			t.Fatalf("no words of jieba's lexicon (scripts/install-deps test installs python3-jieba)")
		}
		t.Logf("without jieba's lexicon (python3-jieba)")
	}
	return realDict
}

var (
	simpOnce sync.Once
	simp     *Dict
	simpErr  error
)

// simpDict: pinyin_simp alone, without the essay's words (for comparisons).
func simpDict(t testing.TB) *Dict {
	t.Helper()
	installedDict(t)
	simpOnce.Do(func() { simp, simpErr = Load(DefaultDictPath) })
	if simpErr != nil {
		t.Fatal(simpErr)
	}
	return simp
}

// essayIndexPath is where installedDict built the essay index.
func essayIndexPath() string { return filepath.Join(essayDir, "essay.dict.txt") }

// essayLoaded reports whether installedDict holds the essay's words.
func essayLoaded() bool { return realDict != nil && realEssayErr == nil }

func TestInstalledDictionary(t *testing.T) {
	d := installedDict(t)
	tests := []struct{ in, want string }{
		{"jingyingfanwei", "经营范围"},
		{"jyfw", "经营范围"},
		{"jingyfw", "经营范围"},
		{"riyongbaihuolingshou", "日用百货零售"},
		{"xi'an", "西安"},
		{"youjidizhi", "邮寄地址"},
		{"lvse", "绿色"},
		{"nvxing", "女性"},
		{"zhonghuarenmingongheguo", "中华人民共和国"},
	}
	for _, tt := range tests {
		got := NewSession(d).Candidates(tt.in, 5)
		if len(got) == 0 || got[0].Text != tt.want {
			t.Errorf("%s: got %v, want %s first", tt.in, texts(got), tt.want)
		}
	}
}

// TestFieldKindPrior: with initials only, general frequency buries the word a form's
// field asks for (jd: 觉得, 决定 … 街道 22nd); the field's kind raises its words. Cases
// are not taken from the evaluation list.
func TestFieldKindPrior(t *testing.T) {
	d := installedDict(t)
	tests := []struct {
		in   string
		kind Kind
		want string
		top  int // must be within the first top candidates
	}{
		{"jd", KindAddress, "街道", 2},
		// With rime-essay's words many districts share these initials (西湖区, 新华区,
		// 新会区, 小河区, 宣化区 …, all address words, all more frequent in the essay);
		// on pinyin_simp alone 徐汇区 is first.
		{"xhq", KindAddress, "徐汇区", 8},
		{"fzpf", KindBusinessScope, "服装批发", 1},
		{"yy", KindOrganization, "医院", 1},
		{"zm", KindPurpose, "证明", 1},
	}
	for _, tt := range tests {
		s := NewSession(d)
		s.SetKind(tt.kind)
		if got := texts(s.Candidates(tt.in, tt.top)); !slices.Contains(got, tt.want) {
			t.Errorf("%s in a %s field: got %v, want %s among the first %d", tt.in, tt.kind, got, tt.want, tt.top)
		}
		// The prior lasts until the next field or the end of the visit.
		s.Reset()
		if s.Kind() != KindText {
			t.Errorf("Reset kept the kind %q", s.Kind())
		}
		if got, free := texts(s.Candidates(tt.in, 5)), texts(NewSession(d).Candidates(tt.in, 5)); !slices.Equal(got, free) {
			t.Errorf("%s after Reset: %v, a new session gives %v", tt.in, got, free)
		}
	}
}

// TestKindRule: the kinds' words are derived from the dictionary by their heads and stems.
func TestKindRule(t *testing.T) {
	d := installedDict(t)
	tests := []struct {
		text string
		kind Kind
		want bool
	}{
		{"街道", KindAddress, true},  // ends in 街道
		{"人民", KindAddress, true},  // stem: 人民路 is a word
		{"知道", KindAddress, false}, // 道 alone is not an address head
		{"批发", KindBusinessScope, true},
		{"服装", KindBusinessScope, true}, // stem: 服装店
		{"医院", KindOrganization, true},
		{"申请", KindPurpose, true},
		{"街道", KindName, false}, // names have no prior
		{"街道", KindText, false},
	}
	for _, tt := range tests {
		if got := d.KindOf(tt.text, tt.kind); got != tt.want {
			t.Errorf("KindOf(%s, %q) = %v, want %v", tt.text, tt.kind, got, tt.want)
		}
	}
}
