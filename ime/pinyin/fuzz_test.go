package pinyin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse: the dictionary is a file from outside; any bytes must give a dictionary or
// an error, never a panic, and every word kept must have one syllable per character.
func FuzzParse(f *testing.F) {
	mini, err := os.ReadFile(filepath.Join("testdata", "mini.dict.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(mini)
	f.Add([]byte("---\n...\n字\tzi\t1\n"))
	f.Add([]byte("字\tzi\n两字\tliang zi\t1e400\n"))
	f.Add([]byte("---\nname: x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		for i := range d.entries {
			e := &d.entries[i]
			if utf8.RuneCountInString(d.text(e)) != int(e.n) {
				t.Fatalf("entry %q has %d syllables", d.text(e), e.n)
			}
		}
		s := NewSession(d)
		for _, in := range []string{"a", "zi", "jyfw", "xi'an"} {
			s.Candidates(in, 5)
		}
	})
}

// FuzzSegment: anything typed (or pasted) into the composer must give candidates whose
// Consumed fits the normalised input, and never panic.
func FuzzSegment(f *testing.F) {
	d := miniDict(f)
	for _, s := range []string{"jingyingfanwei", "jyfw", "xi'an", "lüe", "nu:e", "''", "ng'", "zhzhzh", strings.Repeat("a", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s := NewSession(d)
		norm := Normalize(in)
		if len(norm) > MaxInput {
			t.Fatalf("normalised input %d bytes", len(norm))
		}
		for _, c := range s.Candidates(in, 0) {
			if c.Consumed <= 0 || c.Consumed > len(norm) {
				t.Fatalf("%q: candidate %q consumes %d of %d", in, c.Text, c.Consumed, len(norm))
			}
		}
		c := NewComposer(s, 5)
		for _, r := range in {
			c.Type(r)
		}
		_ = c.Preedit()
		// Choosing the first candidate again and again converts everything: what is left
		// after a choice is always convertible.
		for steps := 0; c.Active(); steps++ {
			if steps > MaxInput+1 {
				t.Fatalf("%q: composition did not finish", in)
			}
			if len(c.Candidates()) == 0 {
				if steps > 0 {
					t.Fatalf("%q: left %q with no candidates after a choice", in, c.Input())
				}
				c.Cancel()
				break
			}
			c.Choose(0)
		}
	})
}
