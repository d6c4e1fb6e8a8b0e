package pinyin

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"
)

func TestParseLexiconLine(t *testing.T) {
	tests := []struct {
		line  string
		word  string
		count float64
		tag   string
		ok    bool
	}{
		{"通讯器材 3 n", "通讯器材", 3, "n", true},
		{"上海市 1910 ns", "上海市", 1910, "ns", true},
		{"B超 3 n", "", 0, "", false},     // not Chinese characters only
		{"通讯器材 3", "", 0, "", false},     // no tag
		{"通讯器材\t3\tn", "", 0, "", false}, // tabs: not the format
		{"通讯器材 -3 n", "", 0, "", false},
		{"通讯器材 NaN n", "", 0, "", false},
		{"通讯器材 3 n x", "", 0, "", false},
		{"# 通讯器材 3 n", "", 0, "", false},
		{"", "", 0, "", false},
		{"\xff\xfe 3 n", "", 0, "", false},
	}
	for _, tt := range tests {
		w, c, tag, ok := parseLexiconLine(tt.line)
		if ok != tt.ok || w != tt.word || c != tt.count || tag != tt.tag {
			t.Errorf("%q: got %q %v %q %v, want %q %v %q %v", tt.line, w, c, tag, ok, tt.word, tt.count, tt.tag, tt.ok)
		}
	}
}

// miniLexicon: jieba's format. 范围 (a noun, 1600 here, 800 in the mini dictionary) sets
// the scale to one half; 经营 is a verb, so it is neither read nor shared.
const miniLexicon = "经营 2000 v\n范围 1600 n\n" +
	"饭范围 10 n\n" + // a noun both lack: added at 10 × 0.5
	"为范围 3 n\n" + // jieba's nominal count: added as a word never seen
	"经营饭 100 n\n" + // the essay added it already
	"应为 50 v\n" + // a verb: not added
	"英饭 20 x\n" + // not a part of speech of lexiconTags
	"为饭英 40 nz\nB超 3 n\nbad\n"

func TestLexiconWords(t *testing.T) {
	b := miniBuilder(t)
	words, st, err := lexiconWords(b, strings.NewReader(miniLexicon), map[string]bool{"经营饭": true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, w := range words {
		got[w.text] = w.weight
	}
	want := map[string]float64{"饭范围": 5, "为范围": 0, "为饭英": 20}
	if len(got) != len(want) {
		t.Fatalf("added %v, want %v", got, want)
	}
	for k, v := range want {
		if w, ok := got[k]; !ok || w != v {
			t.Errorf("%s: weight %v (added %v), want %v", k, w, ok, v)
		}
	}
	if st.Scale != 0.5 || st.Shared != 1 || st.Lines != 5 {
		t.Errorf("stats %+v, want scale 0.5, 1 shared, 5 noun lines", st)
	}
}

// A word only jieba's lexicon lists makes no stem of a kind: 水果店 in the lexicon does
// not make 水果 a business-scope word; in the main dictionary or the essay it does.
func TestKindStemsNotFromLexicon(t *testing.T) {
	for _, tt := range []struct {
		body string
		want bool
	}{
		{"水果\tshui guo\t10\n水果店\tshui guo dian\t5\n", true},
		{"水果\tshui guo\t10\n" + lexiconMarker + "\n水果店\tshui guo dian\t5\n", false},
	} {
		d, err := Parse(strings.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		if got := d.KindOf("水果", KindBusinessScope); got != tt.want {
			t.Errorf("%q: 水果 business scope %v, want %v", tt.body, got, tt.want)
		}
		// The lexicon's own word is still of the kind by its ending.
		if !d.KindOf("水果店", KindBusinessScope) {
			t.Errorf("%q: 水果店 not of the business scope", tt.body)
		}
	}
}

// TestBuildEssayIndexWithLexicon: jieba's nouns go into the index after the marker and
// load as lexicon words; an index built while the lexicon was missing is rebuilt once it
// is installed.
func TestBuildEssayIndexWithLexicon(t *testing.T) {
	if _, err := exec.LookPath("opencc"); err != nil {
		if required() {
			t.Fatal("opencc not installed (scripts/install-deps test)")
		}
		t.Skip("opencc not installed (scripts/install-deps test)")
	}
	s, index := miniSources(t)
	s.Lexicon = filepath.Join(filepath.Dir(s.Essay), "dict.txt")
	st, err := BuildEssayIndex(context.Background(), s.EssaySources, index)
	if err != nil {
		t.Fatal(err)
	}
	if st.Added != 1 || st.Lexicon.Added != 0 || st.LexiconErr == nil {
		t.Fatalf("without the lexicon: stats %+v, want the essay's word and a lexicon error", st)
	}
	body, _ := os.ReadFile(index)
	if !strings.Contains(string(body), "# lexicon "+s.Lexicon+" absent\n") || strings.Contains(string(body), lexiconMarker) {
		t.Fatalf("index without the lexicon:\n%s", body)
	}
	// python3-jieba is installed: the index is stale and the next Open rebuilds it.
	if err := os.WriteFile(s.Lexicon, []byte(miniLexicon), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	os.Chtimes(s.Lexicon, later, later)
	if err := checkEssayIndex(index, s.EssaySources); err == nil {
		t.Fatal("an index built without the lexicon is fresh after it was installed")
	}
	s.Build = true
	d, essayErr, err := Open(context.Background(), s)
	if err != nil || essayErr != nil {
		t.Fatalf("open: %v, essay %v", err, essayErr)
	}
	body, _ = os.ReadFile(index)
	if !strings.Contains(string(body), "\n"+lexiconMarker+"\n") || !strings.Contains(string(body), "\n饭范围\tfan fan wei\t5\n") {
		t.Fatalf("index with the lexicon:\n%s", body)
	}
	for _, w := range []struct {
		text    string
		lexicon bool
	}{{"饭范围", true}, {"为饭英", true}, {"经营饭", false}, {"范围", false}} {
		found := false
		for i := range d.entries {
			if d.text(&d.entries[i]) == w.text {
				found = true
				if d.entries[i].lexicon != w.lexicon {
					t.Errorf("%s: lexicon %v, want %v", w.text, d.entries[i].lexicon, w.lexicon)
				}
			}
		}
		if !found {
			t.Errorf("%s not in the dictionary", w.text)
		}
	}
	if c := NewSession(d).Candidates("fanfanwei", 3); len(c) == 0 || c[0].Text != "饭范围" {
		t.Errorf("fanfanwei: %v, want the lexicon's 饭范围 first", texts(c))
	}
}

// FuzzLexicon: jieba's dict.txt comes from outside. Any bytes give words or nothing,
// never a panic; a word read is Chinese characters only, its count finite and ≥ 0.
func FuzzLexicon(f *testing.F) {
	f.Add([]byte(miniLexicon))
	f.Add([]byte("通讯器材 1e400 n\n上海市 3 ns\n"))
	f.Add([]byte("\xff 3 n\n  \n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := ReadLexicon(strings.NewReader(string(data)), func(word string, c float64) {
			if c < 0 || c != c || c > 1e308 {
				t.Fatalf("count %v", c)
			}
			for _, r := range word {
				if !unicode.Is(unicode.Han, r) {
					t.Fatalf("word %q", word)
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		b := miniBuilder(t)
		words, _, err := lexiconWords(b, strings.NewReader(string(data)), nil)
		if err != nil {
			return
		}
		for _, w := range words {
			if len(w.syl) == 0 || w.weight < 0 {
				t.Fatalf("word %+v", w)
			}
		}
	})
}

func TestLetterKey(t *testing.T) {
	seen := map[uint64]string{}
	for _, s := range []string{"a", "b", "z", "aa", "ab", "ba", "jyfw", "jyfwa", "zzzzzzzzzzzz", "az", "za"} {
		k := letterKey(s)
		if k == 0 {
			t.Fatalf("%q: key 0", s)
		}
		if o, dup := seen[k]; dup {
			t.Fatalf("%q and %q share key %d", s, o, k)
		}
		seen[k] = s
		var inc uint64
		for i := 0; i < len(s); i++ {
			inc = appendLetter(inc, i, s[i])
		}
		if inc != k {
			t.Errorf("%q: letter by letter %d, whole %d", s, inc, k)
		}
	}
	for _, s := range []string{"", "A", "j'y", "zzzzzzzzzzzzz", "中"} {
		if k := letterKey(s); k != 0 {
			t.Errorf("%q: key %d, want 0", s, k)
		}
	}
	if k := appendLetter(appendLetter(0, 0, '\''), 1, 'a'); k != 0 {
		t.Errorf("a key after a non-letter: %d", k)
	}
}

func TestPostings(t *testing.T) {
	p := newPostings([]posting{{3, 30}, {1, 10}, {3, 31}, {2, 20}, {1, 11}}, func(a, b int32) bool { return a > b })
	for _, tt := range []struct {
		key  uint64
		want []int32
	}{{1, []int32{11, 10}}, {2, []int32{20}}, {3, []int32{31, 30}}, {0, nil}, {4, nil}} {
		got := p.get(tt.key)
		if len(got) != len(tt.want) || (len(got) > 0 && (got[0] != tt.want[0] || got[len(got)-1] != tt.want[len(tt.want)-1])) {
			t.Errorf("key %d: %v, want %v", tt.key, got, tt.want)
		}
		if len(got) > 0 && cap(got) != len(got) {
			t.Errorf("key %d: a list with spare capacity %d: an append would overwrite the next list", tt.key, cap(got))
		}
	}
	var keys []uint64
	p.each(func(k uint64, _ []int32) { keys = append(keys, k) })
	if len(keys) != 3 || keys[0] != 1 || keys[2] != 3 {
		t.Errorf("each: %v", keys)
	}
	if empty := newPostings(nil, nil); empty.get(1) != nil {
		t.Error("empty postings has a list")
	}
}
