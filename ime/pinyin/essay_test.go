package pinyin

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseEssayLine(t *testing.T) {
	tests := []struct {
		line   string
		word   string
		weight float64
		ok     bool
	}{
		{"经营\t981", "经营", 981, true},
		{"經營\t0", "經營", 0, true},
		{"经营\t 12 ", "经营", 12, true},
		{"经营\t1.5", "经营", 1.5, true},
		{"", "", 0, false},
		{"# 经营\t1", "", 0, false},
		{"经营", "", 0, false},                             // no weight
		{"经营\t", "", 0, false},                           // empty weight
		{"\t5", "", 0, false},                            // no word
		{"经营\t-1", "", 0, false},                         // negative
		{"经营\tNaN", "", 0, false},                        // not a number
		{"经营\t1e400", "", 0, false},                      // infinite
		{"经营\t1\t2", "", 0, false},                       // extra field
		{"abc\t5", "", 0, false},                         // not Chinese: no reading could be found
		{"经 营\t5", "", 0, false},                         // space inside
		{"\xff\xfe\t5", "", 0, false},                    // not UTF-8
		{"〇一\t488", "〇一", 488, true},                     // 〇 is of the Han script
		{strings.Repeat("经", 200) + "\t1", "", 0, false}, // too long
	}
	for _, tt := range tests {
		w, f, ok := parseEssayLine(tt.line)
		if ok != tt.ok || w != tt.word || f != tt.weight {
			t.Errorf("%q: got %q %v %v, want %q %v %v", tt.line, w, f, ok, tt.word, tt.weight, tt.ok)
		}
	}
}

// miniBuilder reads testdata/mini.dict.yaml as the main dictionary of a merge.
func miniBuilder(t testing.TB) *builder {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "mini.dict.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := newBuilder()
	if err := b.read(f, true); err != nil {
		t.Fatal(err)
	}
	return b
}

// miniEssay: simplified lines as OpenCC leaves them. 经营 and 范围 are in the mini
// dictionary with weights 1000 and 800, here 2000 and 1600: the scale is one half.
const miniEssay = "经营\t2000\n范围\t1600\n" +
	"经营饭\t600\n经营饭\t400\n" + // a duplicate (two traditional spellings): 1000 in all
	"为范围\t700\n" + // 为 alone, then the word 范围, read longest first from the left
	"营营\t100\n" + // below the threshold
	"经龘\t5000\n" + // a character with no reading
	"经\t9000\n" + // one character: never added
	"就业经营范围应为\t9000\n" + // longer than six characters
	"bad line\n"

func TestEssayWordsReadingsAndScale(t *testing.T) {
	b := miniBuilder(t)
	words, st, err := essayWords(b, strings.NewReader(miniEssay), 500)
	if err != nil {
		t.Fatal(err)
	}
	if st.Scale != 0.5 || st.Shared != 2 || st.Added != 2 || st.Lines != 9 {
		t.Fatalf("stats %+v, want scale 0.5, 2 shared, 2 added, 9 lines", st)
	}
	got := map[string]string{}
	weight := map[string]float64{}
	for _, w := range words {
		var sp []string
		for _, id := range w.syl {
			sp = append(sp, b.d.syl[id])
		}
		got[w.text] = strings.Join(sp, " ")
		weight[w.text] = w.weight
	}
	want := map[string]string{"经营饭": "jing ying fan", "为范围": "wei fan wei"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s read %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("added %v, want only %v", got, want)
	}
	if weight["经营饭"] != 500 || weight["为范围"] != 350 {
		t.Errorf("weights %v, want 经营饭 500 (duplicates summed, halved) and 为范围 350", weight)
	}
	b.words = append(b.words, words...)
	d, err := b.finish()
	if err != nil {
		t.Fatal(err)
	}
	if c := NewSession(d).Candidates("jingyingfan", 3); len(c) == 0 || c[0].Text != "经营饭" {
		t.Errorf("jingyingfan: %v, want the essay word first", texts(c))
	}
}

func TestEssayWordsBadInput(t *testing.T) {
	for name, in := range map[string]string{
		"empty":     "",
		"garbage":   "\x00\x01\xff\n\t\t\n",
		"no shared": "营营\t9000\n",
		"only low":  "经营\t2000\n营营\t10\n",
	} {
		if _, _, err := essayWords(miniBuilder(t), strings.NewReader(in), 500); !errors.Is(err, ErrBadEssay) {
			t.Errorf("%s: %v, want ErrBadEssay", name, err)
		}
	}
}

// writeIndex writes an essay index for s by hand: the header BuildEssayIndex would
// write, then body.
func writeIndex(t *testing.T, s EssaySources, path, body string) {
	t.Helper()
	h, err := s.header()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(h+body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// miniSources: the mini dictionary and an essay file (its content does not matter unless
// the index is built) in a temporary directory.
func miniSources(t *testing.T) (Sources, string) {
	t.Helper()
	dir := t.TempDir()
	essay := filepath.Join(dir, "essay.txt")
	if err := os.WriteFile(essay, []byte("經營\t2000\n範圍\t1600\n經營飯\t1000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	index := filepath.Join(dir, "cache", "essay.dict.txt")
	return Sources{EssaySources: EssaySources{Dict: filepath.Join("testdata", "mini.dict.yaml"), Essay: essay},
		Index: []string{index}}, index
}

// A missing or broken essay never costs the dictionary: the engine works on the main
// dictionary alone and says why, for the technician.
func TestOpenWithoutTheEssay(t *testing.T) {
	mini := miniDict(t).Len()
	s, index := miniSources(t)

	t.Run("essay not installed", func(t *testing.T) {
		s := s
		s.Essay = filepath.Join(t.TempDir(), "none.txt")
		s.Build = true
		d, essayErr, err := Open(context.Background(), s)
		if err != nil || d.Len() != mini || !errors.Is(essayErr, ErrNoEssay) {
			t.Fatalf("got %v words, essay %v, err %v; want %d words and ErrNoEssay", d.Len(), essayErr, err, mini)
		}
	})
	t.Run("no index, no build", func(t *testing.T) {
		d, essayErr, err := Open(context.Background(), s)
		if err != nil || d.Len() != mini || !errors.Is(essayErr, os.ErrNotExist) {
			t.Fatalf("got %v words, essay %v, err %v", d.Len(), essayErr, err)
		}
	})
	t.Run("index with no usable word", func(t *testing.T) {
		os.MkdirAll(filepath.Dir(index), 0o755)
		// 经营饭 spelled with a syllable the dictionary does not know is refused too: an
		// index may not teach the segmenter new syllables.
		writeIndex(t, s.EssaySources, index, "# nothing\nabc\n经营饭\tjing ying fxn\t5\n\xff\t\t\n")
		d, essayErr, err := Open(context.Background(), s)
		if err != nil || d.Len() != mini || !errors.Is(essayErr, ErrBadEssay) {
			t.Fatalf("got %v words, essay %v, err %v; want %d words and ErrBadEssay", d.Len(), essayErr, err, mini)
		}
		if _, ok := d.spell["fxn"]; ok {
			t.Fatal("fxn became a syllable")
		}
	})
	t.Run("stale index", func(t *testing.T) {
		writeIndex(t, s.EssaySources, index, "经营饭\tjing ying fan\t5\n")
		later := time.Now().Add(time.Hour)
		if err := os.Chtimes(s.Essay, later, later); err != nil { // rime-essay upgraded
			t.Fatal(err)
		}
		d, essayErr, err := Open(context.Background(), s)
		if err != nil || d.Len() != mini || !errors.Is(essayErr, ErrStaleEssayIndex) {
			t.Fatalf("got %v words, essay %v, err %v; want %d words and ErrStaleEssayIndex", d.Len(), essayErr, err, mini)
		}
	})
	t.Run("fresh index", func(t *testing.T) {
		writeIndex(t, s.EssaySources, index, "经营饭\tjing ying fan\t5\n")
		d, essayErr, err := Open(context.Background(), s)
		if err != nil || essayErr != nil || d.Len() != mini+1 {
			t.Fatalf("got %v words, essay %v, err %v; want %d", d.Len(), essayErr, err, mini+1)
		}
	})
	t.Run("dictionary missing", func(t *testing.T) {
		s := s
		s.Dict = filepath.Join(t.TempDir(), "none.dict.yaml")
		if _, _, err := Open(context.Background(), s); !errors.Is(err, ErrNoDictionary) {
			t.Fatalf("err %v, want ErrNoDictionary", err)
		}
	})
}

// TestBuildEssayIndex builds an index with the real OpenCC from a traditional essay:
// converted, merged, written with its sources, found fresh, and rebuilt (Build) once the
// essay changes.
func TestBuildEssayIndex(t *testing.T) {
	if _, err := exec.LookPath("opencc"); err != nil {
		if required() {
			t.Fatal("opencc not installed (scripts/install-deps test)")
		}
		t.Skip("opencc not installed (scripts/install-deps test)")
	}
	s, index := miniSources(t)
	st, err := BuildEssayIndex(context.Background(), s.EssaySources, index)
	if err != nil {
		t.Fatal(err)
	}
	if st.Added != 1 || st.Shared != 2 || st.Scale != 0.5 {
		t.Fatalf("stats %+v, want 1 added (经营饭 from 經營飯), 2 shared, scale 0.5", st)
	}
	body, _ := os.ReadFile(index)
	if !strings.Contains(string(body), "\n经营饭\tjing ying fan\t500\n") {
		t.Fatalf("index:\n%s", body)
	}
	if err := checkEssayIndex(index, s.EssaySources); err != nil {
		t.Fatalf("fresh index refused: %v", err)
	}
	// The essay changes: the next Open with Build rebuilds.
	if err := os.WriteFile(s.Essay, []byte("經營\t2000\n範圍\t1600\n經營飯\t1000\n為範圍\t700\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	os.Chtimes(s.Essay, later, later)
	s.Build = true
	d, essayErr, err := Open(context.Background(), s)
	if err != nil || essayErr != nil {
		t.Fatalf("open: %v, essay %v", err, essayErr)
	}
	c := NewSession(d).Candidates("weifanwei", 3)
	if len(c) == 0 || c[0].Text != "为范围" {
		t.Fatalf("weifanwei: %v, want the rebuilt index's 为范围 first", texts(c))
	}
	// No temporary files are left beside it.
	left, _ := os.ReadDir(filepath.Dir(index))
	if len(left) != 1 {
		var names []string
		for _, e := range left {
			names = append(names, e.Name())
		}
		t.Fatalf("left in the index directory: %v", names)
	}
}

// FuzzEssay: essay.txt comes from outside. Any bytes give words or an error, never a
// panic; every word kept has 2–6 characters, one known syllable per character, a finite
// weight, and is absent from the main dictionary.
func FuzzEssay(f *testing.F) {
	f.Add([]byte(miniEssay))
	f.Add([]byte("经营\t2000\n经营饭\t1e3\n"))
	f.Add([]byte("经营\t1\n饭饭饭饭饭饭饭\t900\n\t\t\n"))
	f.Add([]byte("\xff\t1\n经营\t-0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b := miniBuilder(t)
		main := map[string]bool{}
		for _, w := range b.words {
			main[w.text] = true
		}
		words, _, err := essayWords(b, strings.NewReader(string(data)), 500)
		if err != nil {
			return
		}
		for _, w := range words {
			n := utf8.RuneCountInString(w.text)
			if n < essayMinRunes || n > essayMaxRunes || len(w.syl) != n || main[w.text] {
				t.Fatalf("word %q with %d syllables", w.text, len(w.syl))
			}
			if w.weight < 0 || w.weight != w.weight || w.weight > 1e308 {
				t.Fatalf("word %q weight %v", w.text, w.weight)
			}
			for _, id := range w.syl {
				if int(id) >= len(b.d.syl) {
					t.Fatalf("word %q unknown syllable %d", w.text, id)
				}
			}
		}
		b.words = append(b.words, words...)
		d, err := b.finish()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(words, func(w rawWord) bool { return w.text == "" }) {
			NewSession(d).Candidates("jingying", 5)
		}
	})
}
