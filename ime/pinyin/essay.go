package pinyin

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// rime-essay (Debian rime-essay, LGPL-3.0) is Rime's word list with corpus frequencies:
// 313k words, traditional characters, no readings. pinyin_simp lacks many words residents
// write on forms (proper names, compounds such as 个体工商户), so the kiosk adds the essay's
// frequent words it lacks. Because the essay is traditional, it is converted once with
// OpenCC t2s (Debian opencc) into an essay index: a Rime dictionary of the added words
// with readings and weights, kept beside the sources and rebuilt when they change.

// jieba's lexicon (Debian python3-jieba, MIT) is the word list of the jieba segmenter:
// 349k simplified-Chinese words with corpus counts and parts of speech. Forms ask for
// things and places, and many of their names (通讯器材, 五金交电, 宅基地) are in neither
// pinyin_simp nor the essay's frequent words; the index also adds jieba's nouns the two
// lack. Only nouns: the fields that take Chinese hold names of things, places, trades
// and organisations, and a verb or adverb more would only crowd the candidates.

// DefaultLexiconPath is where Debian's python3-jieba installs its lexicon.
const DefaultLexiconPath = "/usr/lib/python3/dist-packages/jieba/dict.txt"

// lexiconTags are the parts of speech (jieba's tag set, from the ICTCLAS one) whose words
// are added: nouns (n), place names (ns), organisation names (nt), other proper nouns
// (nz) and verbal nouns (vn, 维修 in 家电维修). Chosen by what form fields hold, before
// measuring.
var lexiconTags = map[string]bool{"n": true, "ns": true, "nt": true, "nz": true, "vn": true}

// DefaultEssayPath is where Debian's rime-essay installs the word list.
const DefaultEssayPath = "/usr/share/rime-data/essay.txt"

// SystemEssayIndex is where the package's postinst (and its dpkg trigger, when the data
// packages change) builds the essay index for every user of the machine.
const SystemEssayIndex = "/var/cache/govkiosk-ime/essay.dict.txt"

// The essay words added and how. Set before measuring, not fitted to the evaluation
// list: words of 2 to 6 characters whose weight is at least EssayMinWeight (57k words,
// +7 MB of dictionary; a lower threshold adds little accuracy for three times the memory).
const (
	EssayMinWeight = 500
	essayMinRunes  = 2
	essayMaxRunes  = 6
	// essayIndexVersion changes whenever the index's content rules change, so an index
	// built by an older version is rebuilt.
	essayIndexVersion = "govkiosk-essay-index v2"
)

// ErrNoEssay means rime-essay is not installed: pinyin works on pinyin_simp alone.
var ErrNoEssay = errors.New("pinyin: rime-essay not installed")

// ErrNoOpenCC means the opencc command (Debian opencc) is missing, so the essay cannot be
// converted to simplified characters.
var ErrNoOpenCC = errors.New("pinyin: opencc not installed")

// ErrBadEssay means the essay (or its index) holds no usable word.
var ErrBadEssay = errors.New("pinyin: essay word list has no usable words")

// parseEssayLine reads one line of essay.txt: "WORD<TAB>WEIGHT". The word must be Chinese
// characters only (no reading could be found for anything else) and the weight a finite
// number ≥ 0.
func parseEssayLine(line string) (word string, weight float64, ok bool) {
	if len(line) > maxLineBytes || line == "" || line[0] == '#' {
		return "", 0, false
	}
	word, w, found := strings.Cut(line, "\t")
	if !found || word == "" || strings.IndexByte(w, '\t') >= 0 || !utf8.ValidString(word) {
		return "", 0, false
	}
	for _, r := range word {
		if !unicode.Is(unicode.Han, r) {
			return "", 0, false
		}
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(w), 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return "", 0, false
	}
	return word, f, true
}

// ReadEssay calls fn for each well-formed line of an essay word list, in order, and
// returns how many there were. Malformed lines are skipped: the file comes from outside.
func ReadEssay(r io.Reader, fn func(word string, weight float64)) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 64*1024)
	n := 0
	for sc.Scan() {
		if word, w, ok := parseEssayLine(sc.Text()); ok {
			fn(word, w)
			n++
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, bufio.ErrTooLong) {
		return n, fmt.Errorf("pinyin: read essay: %w", err)
	}
	return n, nil
}

// parseLexiconLine reads one line of jieba's dict.txt: "WORD COUNT TAG", separated by
// single spaces. The word must be Chinese characters only, the count a finite number ≥ 0.
func parseLexiconLine(line string) (word string, count float64, tag string, ok bool) {
	if len(line) > maxLineBytes || line == "" || line[0] == '#' {
		return "", 0, "", false
	}
	word, rest, found := strings.Cut(line, " ")
	if !found {
		return "", 0, "", false
	}
	c, tag, found := strings.Cut(rest, " ")
	if !found || tag == "" || strings.ContainsAny(tag, " \t") {
		return "", 0, "", false
	}
	word, count, ok = parseEssayLine(word + "\t" + c)
	if !ok {
		return "", 0, "", false
	}
	return word, count, tag, true
}

// ReadLexicon calls fn for each well-formed line of jieba's lexicon whose part of speech
// is one of lexiconTags, in order, and returns how many such lines there were.
func ReadLexicon(r io.Reader, fn func(word string, count float64)) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 64*1024)
	n := 0
	for sc.Scan() {
		if word, c, tag, ok := parseLexiconLine(sc.Text()); ok && lexiconTags[tag] {
			fn(word, c)
			n++
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, bufio.ErrTooLong) {
		return n, fmt.Errorf("pinyin: read lexicon: %w", err)
	}
	return n, nil
}

// EssayStats describes a built essay index.
type EssayStats struct {
	Lines  int     // well-formed essay lines read
	Shared int     // words of 2–6 characters both lists hold
	Added  int     // words added (in the index)
	Scale  float64 // essay weight × Scale = weight on pinyin_simp's scale
	// Lexicon: the same for jieba's nouns, which are added when neither pinyin_simp nor
	// the essay has them. LexiconErr says why none were (not installed, unreadable).
	Lexicon    WordStats
	LexiconErr error
}

// WordStats describes the words one list added.
type WordStats struct {
	Lines, Shared, Added int
	Scale                float64
}

// essayWords returns the words of essay (already simplified) to add to the words b read
// from pinyin_simp: of 2 to 6 characters, absent from pinyin_simp, with a weight (summed
// over duplicates, which t2s makes of variant spellings) of at least minWeight.
//   - Reading: pinyin_simp's words, longest first from the left (so 银行 reads yin hang),
//     else the character's most frequent reading; a word with a character pinyin_simp
//     does not know is dropped.
//   - Weight: scaled by the ratio of the two lists' totals over the words both hold, so
//     an essay word weighs what pinyin_simp would have given it.
func essayWords(b *builder, essay io.Reader, minWeight float64) ([]rawWord, EssayStats, error) {
	words, ws, err := addedWords(b, func(fn func(string, float64)) (int, error) { return ReadEssay(essay, fn) },
		minWeight, nil)
	return words, EssayStats{Lines: ws.Lines, Shared: ws.Shared, Added: ws.Added, Scale: ws.Scale}, err
}

// lexiconWords returns jieba's nouns (lexiconTags) to add: as essayWords does for the
// essay, skipping the words in skip too (the essay's, added already).
func lexiconWords(b *builder, lexicon io.Reader, skip map[string]bool) ([]rawWord, WordStats, error) {
	return addedWords(b, func(fn func(string, float64)) (int, error) {
		return ReadLexicon(lexicon, func(word string, c float64) {
			if c <= lexiconNominalCount {
				c = 0 // a list entry, not a count: as rare as a word can be
			}
			fn(word, c)
		})
	}, 0, skip)
}

// lexiconNominalCount: jieba counts 159k of its 349k words at exactly 3 (and 40k at 2):
// words taken from word lists, not counted in its corpus. Such a word is added at the
// weight of a word never seen, so it is offered where nothing else fits but does not push
// back words pieced from counted ones (服装 + 批发 before the listed 焚舟破釜).
const lexiconNominalCount = 3

// addedWords returns the words read (by read) that b's words and skip lack: of 2 to 6
// characters, with a weight of at least minWeight; see essayWords.
func addedWords(b *builder, read func(fn func(word string, w float64)) (int, error), minWeight float64,
	skip map[string]bool) ([]rawWord, WordStats, error) {
	var st WordStats
	type known struct {
		syl    []uint16 // the reading with the highest weight
		best   float64  // its weight
		total  float64  // all readings' weights
		shared bool     // counted in the scale already
	}
	simp := make(map[string]*known, len(b.words))
	maxLen := 1
	for i := range b.words {
		w := &b.words[i]
		k := simp[w.text]
		if k == nil {
			k = &known{syl: w.syl, best: w.weight}
			simp[w.text] = k
		} else if w.weight > k.best {
			k.syl, k.best = w.syl, w.weight
		}
		k.total += w.weight
		maxLen = max(maxLen, len(w.syl))
	}
	cand := map[string]float64{}
	var simpShared, essayShared float64
	n, err := read(func(word string, w float64) {
		runes := utf8.RuneCountInString(word)
		if runes < essayMinRunes || runes > essayMaxRunes || skip[word] {
			return
		}
		if k := simp[word]; k != nil {
			essayShared += w
			if !k.shared {
				k.shared = true
				simpShared += k.total
				st.Shared++
			}
			return
		}
		cand[word] += w
	})
	st.Lines = n
	if err != nil {
		return nil, st, err
	}
	if essayShared <= 0 || simpShared <= 0 {
		return nil, st, fmt.Errorf("%w: no word in common with the dictionary", ErrBadEssay)
	}
	st.Scale = simpShared / essayShared
	var out []rawWord
	for word, w := range cand {
		if w < minWeight {
			continue
		}
		syl := readingOf(word, maxLen, func(s string) []uint16 {
			if k := simp[s]; k != nil {
				return k.syl
			}
			return nil
		})
		if syl == nil {
			continue
		}
		scaled := w * st.Scale
		if math.IsInf(scaled, 0) || math.IsNaN(scaled) {
			continue // absurd weights from a damaged file
		}
		out = append(out, rawWord{text: word, syl: syl, weight: scaled})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].text < out[j].text })
	st.Added = len(out)
	if len(out) == 0 {
		return nil, st, ErrBadEssay
	}
	return out, st, nil
}

// readingOf finds word's syllables from known readings: from the left, the longest known
// word of two or more characters, else the character alone. nil if a character has none.
func readingOf(word string, maxLen int, known func(string) []uint16) []uint16 {
	runes := []rune(word)
	syl := make([]uint16, 0, len(runes))
	for i := 0; i < len(runes); {
		took := 0
		for l := min(maxLen, len(runes)-i); l >= 2; l-- {
			if s := known(string(runes[i : i+l])); len(s) == l {
				syl = append(syl, s...)
				took = l
				break
			}
		}
		if took == 0 {
			s := known(string(runes[i]))
			if len(s) != 1 {
				return nil
			}
			syl = append(syl, s[0])
			took = 1
		}
		i += took
	}
	return syl
}

// EssaySources are the files the essay index is built from.
type EssaySources struct {
	Dict  string // pinyin_simp.dict.yaml
	Essay string // essay.txt (traditional)
	// Lexicon is jieba's dict.txt. Optional: without it (empty, or not installed) only the
	// essay's words are added, and the index is rebuilt once it is there.
	Lexicon string
}

// header is the index's first lines: what it was built from, so a change of either source
// (a package upgrade) or of the rules makes it stale.
func (s EssaySources) header() (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n# min-weight %d\n", essayIndexVersion, EssayMinWeight)
	for _, p := range []string{s.Essay, s.Dict} {
		fi, err := os.Stat(p)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "# source %s %d %d\n", p, fi.Size(), fi.ModTime().UnixNano())
	}
	if s.Lexicon != "" {
		if fi, err := os.Stat(s.Lexicon); err == nil {
			fmt.Fprintf(&b, "# lexicon %s %d %d\n", s.Lexicon, fi.Size(), fi.ModTime().UnixNano())
		} else {
			fmt.Fprintf(&b, "# lexicon %s absent\n", s.Lexicon)
		}
	}
	return b.String(), nil
}

// ErrStaleEssayIndex means an index exists but was built from other sources or rules.
var ErrStaleEssayIndex = errors.New("pinyin: essay index is out of date")

// checkEssayIndex returns nil when the index at path was built from s as they are now.
func checkEssayIndex(path string, s EssaySources) error {
	want, err := s.header()
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: %v", ErrNoEssay, err)
		}
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	got := make([]byte, len(want))
	if _, err := io.ReadFull(f, got); err != nil || string(got) != want {
		return fmt.Errorf("%w: %s", ErrStaleEssayIndex, path)
	}
	return nil
}

// BuildEssayIndex converts s.Essay to simplified characters with OpenCC t2s and writes to
// out the words to add to s.Dict (see essayWords), as a Rime dictionary whose first lines
// name the sources. The file is replaced atomically; a failed build leaves the old one.
func BuildEssayIndex(ctx context.Context, s EssaySources, out string) (EssayStats, error) {
	var st EssayStats
	if _, err := os.Stat(s.Essay); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return st, fmt.Errorf("%w: %s", ErrNoEssay, s.Essay)
		}
		return st, fmt.Errorf("pinyin: essay: %w", err)
	}
	opencc, err := exec.LookPath("opencc")
	if err != nil {
		return st, fmt.Errorf("%w: %v", ErrNoOpenCC, err)
	}
	header, err := s.header()
	if err != nil {
		return st, fmt.Errorf("pinyin: essay index sources: %w", err)
	}
	b := newBuilder()
	df, err := os.Open(s.Dict)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return st, fmt.Errorf("%w: %s", ErrNoDictionary, s.Dict)
		}
		return st, fmt.Errorf("pinyin: open dictionary: %w", err)
	}
	err = b.read(df, true)
	df.Close()
	if err != nil {
		return st, err
	}
	dir := filepath.Dir(out)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return st, fmt.Errorf("pinyin: essay index: %w", err)
	}
	// opencc writes a file: through a pipe it flushes every line and takes seconds more.
	conv, err := os.CreateTemp(dir, ".essay-t2s-*.txt")
	if err != nil {
		return st, fmt.Errorf("pinyin: essay index: %w", err)
	}
	conv.Close()
	defer os.Remove(conv.Name())
	cmd := exec.CommandContext(ctx, opencc, "-c", "t2s.json", "-i", s.Essay, "-o", conv.Name())
	if msg, err := cmd.CombinedOutput(); err != nil {
		return st, fmt.Errorf("pinyin: opencc t2s: %w: %s", err, strings.TrimSpace(string(msg)))
	}
	cf, err := os.Open(conv.Name())
	if err != nil {
		return st, fmt.Errorf("pinyin: essay index: %w", err)
	}
	words, st, err := essayWords(b, cf, EssayMinWeight)
	cf.Close()
	if err != nil {
		return st, err
	}
	var lexWords []rawWord
	if s.Lexicon != "" {
		lexWords, st.Lexicon, st.LexiconErr = readLexiconWords(s.Lexicon, b, words)
	}
	tmp, err := os.CreateTemp(dir, ".essay-index-*.txt")
	if err != nil {
		return st, fmt.Errorf("pinyin: essay index: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing left to remove
	w := bufio.NewWriter(tmp)
	w.WriteString(header)
	fmt.Fprintf(w, "# Words of rime-essay (LGPL-3.0, Rime) converted to simplified characters by OpenCC t2s\n"+
		"# that %s lacks; readings and weight scale (%.6g) from it. Built by kioskctl ime build-index.\n",
		filepath.Base(s.Dict), st.Scale)
	if st.Lexicon.Added > 0 {
		fmt.Fprintf(w, "# And %d nouns of jieba's lexicon (MIT) that both lack; weight scale %.6g.\n",
			st.Lexicon.Added, st.Lexicon.Scale)
	}
	var line []byte
	if len(lexWords) > 0 {
		words = append(words, rawWord{text: lexiconMarker}) // written as the marker line
		words = append(words, lexWords...)
	}
	for _, rw := range words {
		if rw.text == lexiconMarker {
			w.WriteString(lexiconMarker + "\n")
			continue
		}
		line = append(line[:0], rw.text...)
		line = append(line, '\t')
		for i, id := range rw.syl {
			if i > 0 {
				line = append(line, ' ')
			}
			line = append(line, b.d.syl[id]...)
		}
		line = append(line, '\t')
		line = strconv.AppendFloat(line, rw.weight, 'g', 6, 64)
		line = append(line, '\n')
		w.Write(line)
	}
	err = w.Flush()
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), out)
	}
	if err != nil {
		return st, fmt.Errorf("pinyin: write essay index: %w", err)
	}
	return st, nil
}

// readLexiconWords reads jieba's nouns that b's words and added lack (lexiconWords).
func readLexiconWords(path string, b *builder, added []rawWord) ([]rawWord, WordStats, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, WordStats{}, fmt.Errorf("%w: %s", ErrNoLexicon, path)
		}
		return nil, WordStats{}, fmt.Errorf("pinyin: lexicon: %w", err)
	}
	defer f.Close()
	skip := make(map[string]bool, len(added))
	for _, w := range added {
		skip[w.text] = true
	}
	return lexiconWords(b, f, skip)
}

// lexiconMarker is the comment line of an index after which its words are jieba's
// (rawWord.lexicon).
const lexiconMarker = "# govkiosk: the words below are jieba's lexicon's"

// ErrNoLexicon means python3-jieba is not installed: the index has the essay's words only.
var ErrNoLexicon = errors.New("pinyin: jieba's lexicon not installed")

// Sources are where the kiosk's dictionary comes from.
type Sources struct {
	EssaySources
	// Index lists where a built essay index may be, preferred first; the first fresh one
	// is used. When none is fresh and Build is set, it is built at the last place (one the
	// process can write: the user's cache).
	Index []string
	Build bool
}

// DefaultSources returns the Debian packages' files, the system index built by the package, then
// one in the user's cache (make run, tests, or a kiosk whose system index went stale).
func DefaultSources() Sources {
	s := Sources{EssaySources: EssaySources{Dict: DefaultDictPath, Essay: DefaultEssayPath, Lexicon: DefaultLexiconPath},
		Index: []string{SystemEssayIndex}, Build: true}
	if dir, err := os.UserCacheDir(); err == nil {
		s.Index = append(s.Index, filepath.Join(dir, "govkiosk-ime", "essay.dict.txt"))
	}
	return s
}

// Open loads pinyin_simp and the essay's words. The essay is an improvement, not a need:
// when its words cannot be had (rime-essay or opencc missing, a damaged or unbuildable
// index), d holds pinyin_simp's words alone and essayErr says why, for the technician.
// err is set only when the dictionary itself cannot be loaded (ErrNoDictionary,
// ErrBadDictionary).
func Open(ctx context.Context, s Sources) (d *Dict, essayErr error, err error) {
	f, err := os.Open(s.Dict)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("%w: %s", ErrNoDictionary, s.Dict)
		}
		return nil, nil, fmt.Errorf("pinyin: open dictionary: %w", err)
	}
	b := newBuilder()
	err = b.read(f, true)
	f.Close()
	if err != nil {
		return nil, nil, err
	}
	if s.Essay == "" || len(s.Index) == 0 {
		d, err := b.finish()
		return d, nil, err
	}
	index := ""
	for _, p := range s.Index {
		if essayErr = checkEssayIndex(p, s.EssaySources); essayErr == nil {
			index = p
			break
		}
		if errors.Is(essayErr, ErrNoEssay) {
			break // no source: nothing is fresh, nothing can be built
		}
	}
	if index == "" && s.Build && !errors.Is(essayErr, ErrNoEssay) {
		last := s.Index[len(s.Index)-1]
		if _, essayErr = BuildEssayIndex(ctx, s.EssaySources, last); essayErr == nil {
			index = last
		}
	}
	if index != "" {
		essayErr = b.readExtra(index)
	}
	d, err = b.finish()
	return d, essayErr, err
}

// EssayRemedy says, for the technician, what brings the essay's words back after Open
// reported essayErr.
func EssayRemedy(essayErr error) string {
	switch {
	case errors.Is(essayErr, ErrNoEssay):
		return "install rime-essay"
	case errors.Is(essayErr, ErrNoOpenCC):
		return "install opencc"
	default:
		return "run kioskctl ime build-index"
	}
}

// readExtra adds the words of an essay index; on any failure the words read stay out.
func (b *builder) readExtra(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("pinyin: essay index: %w", err)
	}
	defer f.Close()
	before := len(b.words)
	if err := b.read(f, false); err != nil {
		b.words = b.words[:before]
		return err
	}
	if len(b.words) == before {
		return fmt.Errorf("%w: %s", ErrBadEssay, path)
	}
	return nil
}
