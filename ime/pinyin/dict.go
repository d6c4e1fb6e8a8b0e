package pinyin

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// DefaultDictPath is where Debian's rime-data-pinyin-simp installs the dictionary.
const DefaultDictPath = "/usr/share/rime-data/pinyin_simp.dict.yaml"

// ErrNoDictionary means the dictionary file is missing: the install is broken and pinyin
// input is off until the data package is back. Callers compare with errors.Is.
var ErrNoDictionary = errors.New("pinyin: dictionary not installed")

// ErrBadDictionary means the file is there but holds no usable entry.
var ErrBadDictionary = errors.New("pinyin: dictionary has no entries")

// Limits that keep a damaged or hostile file from costing unbounded memory.
const (
	maxWordRunes  = 8   // longest word kept (the data's longest is 4 characters)
	maxSyllableLn = 6   // longest pinyin syllable spelling (zhuang, shuang)
	maxLineBytes  = 512 // longer lines are skipped
)

// entry is one dictionary word: its text is texts[t : t+tl], its syllables
// sylls[off : off+n]. No string per word: with 200k words, a string header and its own
// allocation would be two thirds of the dictionary's memory.
type entry struct {
	t      uint32
	off    uint32
	weight float32 // log probability, already normalised
	n      uint8
	tl     uint8
	// lexicon: the word is only in jieba's lexicon, which counts most of its nouns at a
	// nominal 3 (a word list, not a corpus count), so it is no evidence of how common
	// the word is (see deriveKinds).
	lexicon bool
}

// Dict is a read-only pinyin dictionary with its index. It is safe for concurrent use;
// per-visit state lives in a Session.
type Dict struct {
	syl     []string          // syllable id -> canonical spelling (as in the data: lv, lue)
	texts   string            // every word's text, one after another (entry.t, entry.tl)
	spell   map[string]int    // spelling (including v/u aliases) -> syllable id
	prefix  map[string]sylSet // any prefix of a spelling -> syllables it can begin
	entries []entry
	sylls   []uint16
	// index: first letters of a word's syllables (letterKey) -> entries, best first.
	index postings
	// exact: all entries sorted by their syllable ids, best first among the same ids; for
	// spans of whole syllables, which are most keystrokes, instead of scanning the
	// initials' list. A sorted array rather than a map: a quarter of the memory is saved.
	exact []int32
	// follow: first character of a word of two or more -> those words, best first.
	follow  postings
	maxLen  int
	floorLP float64 // log probability given to a word of weight 0
	// kinds: per entry, the field kinds it belongs to (kindBits); kindIndex: per kind, per
	// key of index, the positions in that list of the kind's words. Derived on first use.
	kinds     []uint8
	kindIndex map[uint8]postings
	kindOnce  sync.Once
}

// sylSet is a set of syllable ids (the data has ~415 syllables).
type sylSet [8]uint64

func (s *sylSet) add(id int)              { s[id>>6] |= 1 << (id & 63) }
func (s *sylSet) has(id uint16) bool      { return s[id>>6]&(1<<(id&63)) != 0 }
func (d *Dict) word(i int32) *entry       { return &d.entries[i] }
func (d *Dict) wordSyl(e *entry) []uint16 { return d.sylls[e.off : e.off+uint32(e.n)] }
func (d *Dict) text(e *entry) string      { return d.texts[e.t : e.t+uint32(e.tl)] }

// Load reads the dictionary at path. A missing file gives ErrNoDictionary.
func Load(path string) (*Dict, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", ErrNoDictionary, path)
		}
		return nil, fmt.Errorf("pinyin: open dictionary: %w", err)
	}
	defer f.Close()
	return Parse(f)
}

// Parse reads a Rime dictionary: an optional YAML header ending in a line "...", then lines
// "TEXT<TAB>PINYIN SYLLABLES[<TAB>WEIGHT]". Comment lines (#), malformed lines, words whose
// character count differs from their syllable count, and non-letter readings are skipped:
// the file comes from outside the program.
func Parse(r io.Reader) (*Dict, error) {
	b := newBuilder()
	if err := b.read(r, true); err != nil {
		return nil, err
	}
	return b.finish()
}

// rawWord is one line of a dictionary before indexing.
type rawWord struct {
	text    string
	syl     []uint16
	weight  float64
	lexicon bool // from jieba's lexicon (entry.lexicon)
}

// builder collects the words of one or more dictionaries, then indexes them.
type builder struct {
	d     *Dict
	words []rawWord
}

func newBuilder() *builder {
	return &builder{d: &Dict{spell: map[string]int{}}}
}

// read adds the words of a Rime dictionary. With newSyllables false, a word spelled with a
// syllable not read before is skipped: an extra word list may not teach the segmenter
// syllables the main dictionary lacks (a damaged file could otherwise make "xyz" one).
func (b *builder) read(r io.Reader, newSyllables bool) error {
	d := b.d
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 64*1024)
	inBody := false
	sawHeader := false
	lexicon := false
	var fields [3]string
	for sc.Scan() {
		line := sc.Text()
		if len(line) > maxLineBytes || !utf8.ValidString(line) {
			continue
		}
		if !inBody {
			switch {
			case line == "---":
				sawHeader = true
				continue
			case line == "...":
				inBody = true
				continue
			case sawHeader:
				continue
			}
			// A file without a header starts with entries.
			inBody = true
		}
		if line == lexiconMarker {
			lexicon = true
		}
		if line == "" || line[0] == '#' {
			continue
		}
		n := splitTab(line, fields[:])
		if n < 2 || n > 3 {
			continue
		}
		text, code := fields[0], fields[1]
		runes := utf8.RuneCountInString(text)
		if runes == 0 || runes > maxWordRunes {
			continue
		}
		parts := strings.Fields(code)
		if len(parts) != runes {
			continue
		}
		w := 0.0
		if n == 3 {
			f, err := strconv.ParseFloat(strings.TrimSpace(fields[2]), 64)
			if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
				continue
			}
			w = f
		}
		ids := make([]uint16, 0, len(parts))
		ok := true
		for _, p := range parts {
			if !validSpelling(p) {
				ok = false
				break
			}
			id, seen := d.spell[p]
			if !seen {
				if !newSyllables || len(d.syl) >= 64*len(sylSet{}) {
					ok = false
					break
				}
				id = len(d.syl)
				d.syl = append(d.syl, p)
				d.spell[p] = id
			}
			ids = append(ids, uint16(id))
		}
		if !ok {
			continue
		}
		b.words = append(b.words, rawWord{text, ids, w, lexicon})
	}
	if err := sc.Err(); err != nil && !errors.Is(err, bufio.ErrTooLong) {
		return fmt.Errorf("pinyin: read dictionary: %w", err)
	}
	return nil
}

// finish indexes the words read.
func (b *builder) finish() (*Dict, error) {
	d, words := b.d, b.words
	b.words = nil
	if len(words) == 0 {
		return nil, ErrBadDictionary
	}
	// v stands for ü: the data spells lü "lv" and lüe "lue"; accept "lve"/"nve" too.
	for i, s := range d.syl {
		if (strings.HasPrefix(s, "lu") || strings.HasPrefix(s, "nu")) && strings.HasSuffix(s, "ue") {
			alias := s[:1] + "v" + s[2:]
			if _, ok := d.spell[alias]; !ok {
				d.spell[alias] = i
			}
		}
	}
	d.prefix = map[string]sylSet{}
	for sp, id := range d.spell {
		for k := 1; k <= len(sp); k++ {
			set := d.prefix[sp[:k]]
			set.add(id)
			d.prefix[sp[:k]] = set
		}
	}
	// Merge duplicates (same text and reading) by adding weights, then normalise.
	sort.SliceStable(words, func(i, j int) bool {
		if words[i].text != words[j].text {
			return words[i].text < words[j].text
		}
		return lessSyl(words[i].syl, words[j].syl)
	})
	total := 0.0
	merged := words[:0]
	for _, w := range words {
		if k := len(merged) - 1; k >= 0 && merged[k].text == w.text && equalSyl(merged[k].syl, w.syl) {
			merged[k].weight += w.weight
			merged[k].lexicon = merged[k].lexicon && w.lexicon
		} else {
			merged = append(merged, w)
		}
		total += w.weight
	}
	total += float64(len(merged)) // every word counts at least once
	logTotal := math.Log(total)
	d.floorLP = -logTotal
	d.entries = make([]entry, 0, len(merged))
	size := 0
	for _, w := range merged {
		size += len(w.text)
	}
	var texts strings.Builder
	texts.Grow(size)
	for _, w := range merged {
		e := entry{t: uint32(texts.Len()), tl: uint8(len(w.text)), off: uint32(len(d.sylls)), n: uint8(len(w.syl)),
			weight: float32(math.Log(w.weight+1) - logTotal), lexicon: w.lexicon}
		texts.WriteString(w.text)
		d.sylls = append(d.sylls, w.syl...)
		d.entries = append(d.entries, e)
		if len(w.syl) > d.maxLen {
			d.maxLen = len(w.syl)
		}
	}
	d.texts = texts.String()
	byWeight := func(a, b int32) bool { return d.entries[a].weight > d.entries[b].weight }
	pairs := make([]posting, len(d.entries))
	for i := range d.entries {
		pairs[i] = posting{letterKey(d.initials(d.wordSyl(&d.entries[i]))), int32(i)}
	}
	d.index = newPostings(pairs, byWeight)
	d.exact = make([]int32, len(d.entries))
	for i := range d.exact {
		d.exact[i] = int32(i)
	}
	sort.SliceStable(d.exact, func(a, b int) bool {
		x, y := &d.entries[d.exact[a]], &d.entries[d.exact[b]]
		if c := compareSyl(d.wordSyl(x), d.wordSyl(y)); c != 0 {
			return c < 0
		}
		return x.weight > y.weight
	})
	pairs = pairs[:0]
	for i := range d.entries {
		if d.entries[i].n > 1 {
			r, _ := utf8.DecodeRuneInString(d.text(&d.entries[i]))
			pairs = append(pairs, posting{uint64(r), int32(i)})
		}
	}
	d.follow = newPostings(pairs, byWeight)
	return d, nil
}

// Associations returns up to n continuations of text (usually one handwritten
// character) that make a dictionary word, most frequent first: after 经 it offers 营, 济,
// 过… A continuation is the rest of the word after text, so it can be several characters.
func (d *Dict) Associations(text string, n int) []string {
	r, size := utf8.DecodeRuneInString(text)
	if size == 0 || r == utf8.RuneError || n <= 0 {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, i := range d.follow.get(uint64(r)) {
		t := d.text(&d.entries[i])
		if len(t) <= len(text) || !strings.HasPrefix(t, text) {
			continue
		}
		rest := t[len(text):]
		if seen[rest] {
			continue
		}
		seen[rest] = true
		out = append(out, rest)
		if len(out) == n {
			break
		}
	}
	return out
}

// HasLexicon reports whether the dictionary holds words of jieba's lexicon (an essay
// index built while python3-jieba was installed).
func (d *Dict) HasLexicon() bool {
	for i := range d.entries {
		if d.entries[i].lexicon {
			return true
		}
	}
	return false
}

// Len is the number of words in the dictionary.
func (d *Dict) Len() int { return len(d.entries) }

func (d *Dict) initials(ids []uint16) string {
	b := make([]byte, len(ids))
	for i, id := range ids {
		b[i] = d.syl[id][0]
	}
	return string(b)
}

// validSpelling: lower-case ASCII letters, at most maxSyllableLn of them.
func validSpelling(s string) bool {
	if s == "" || len(s) > maxSyllableLn {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

// splitTab splits line at tabs into out and returns how many fields there were (which may
// exceed len(out)).
func splitTab(line string, out []string) int {
	n := 0
	for {
		i := strings.IndexByte(line, '\t')
		if n < len(out) {
			if i < 0 {
				out[n] = line
			} else {
				out[n] = line[:i]
			}
		}
		n++
		if i < 0 {
			return n
		}
		line = line[i+1:]
	}
}

// exactWords returns the entries read exactly as ids, best first.
func (d *Dict) exactWords(ids []uint16) []int32 {
	lo := sort.Search(len(d.exact), func(i int) bool {
		return compareSyl(d.wordSyl(&d.entries[d.exact[i]]), ids) >= 0
	})
	hi := lo
	for hi < len(d.exact) && equalSyl(d.wordSyl(&d.entries[d.exact[hi]]), ids) {
		hi++
	}
	return d.exact[lo:hi:hi]
}

// compareSyl orders syllable id lists: by ids, then shorter first.
func compareSyl(a, b []uint16) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return len(a) - len(b)
}

func equalSyl(a, b []uint16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func lessSyl(a, b []uint16) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}
