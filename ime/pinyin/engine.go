package pinyin

import (
	"math"
	"sort"
	"strings"
)

// Candidate is one choice for (the beginning of) the input.
type Candidate struct {
	// Text is what choosing it writes.
	Text string
	// Consumed is how many bytes of the normalised input it covers; the rest stays to be
	// converted after it is chosen.
	Consumed int
	syl      []uint16 // the readings chosen, for learning
	score    float64
}

// Session is one visit's use of the dictionary: it ranks candidates and learns what the
// resident chooses, until Reset. Not safe for concurrent use (one keyboard, one resident).
type Session struct {
	d *Dict
	// boost: extra log weight of a text chosen in this visit.
	boost map[string]float64
	// user: phrases chosen in this visit that the dictionary lacks, by initials.
	user    map[string][]userWord
	userMax int
	// kind: what the field being filled asks for (SetKind); its words rank higher.
	kind    Kind
	kindBit uint8
}

type userWord struct {
	text string
	syl  []uint16
}

// learnBoost is how much one choice lifts a text: about the gap between a common and a
// rare word, so a chosen candidate moves to the front for the same input.
const learnBoost = 12.0

// perStart caps the words of one length offered from the start of the input.
const perStart = 100

// innerKeep: words kept per span inside the input, which only feed the composed sentences.
const innerKeep = 3

// maxCandidates caps the list so a one-letter input stays fast; paging goes up to here.
const maxCandidates = 300

// NewSession starts a visit's session on d.
func NewSession(d *Dict) *Session {
	return &Session{d: d, boost: map[string]float64{}, user: map[string][]userWord{}}
}

// Dict returns the dictionary the session reads.
func (s *Session) Dict() *Dict { return s.d }

// Reset forgets everything learned: called at the end of a visit, so nothing the last
// resident wrote can surface for the next one.
func (s *Session) Reset() {
	clear(s.boost)
	clear(s.user)
	s.userMax = 0
	s.SetKind(KindText)
}

// Learn records that the resident chose c, so it ranks higher for the rest of the visit.
func (s *Session) Learn(c Candidate) {
	if c.Text == "" || len(c.syl) == 0 {
		return
	}
	s.boost[c.Text] += learnBoost
	if len(c.syl) > 1 && !s.d.has(c.Text, c.syl) {
		key := s.d.initials(c.syl)
		for _, u := range s.user[key] {
			if u.text == c.Text && equalSyl(u.syl, c.syl) {
				return
			}
		}
		s.user[key] = append(s.user[key], userWord{c.Text, append([]uint16(nil), c.syl...)})
		if len(c.syl) > s.userMax {
			s.userMax = len(c.syl)
		}
	}
}

func (d *Dict) has(text string, syl []uint16) bool {
	for _, i := range d.index.get(letterKey(d.initials(syl))) {
		e := d.word(i)
		if d.text(e) == text && equalSyl(d.wordSyl(e), syl) {
			return true
		}
	}
	return false
}

// match is a word found over tokens [from, from+n) of one segmentation.
type match struct {
	from, n int
	text    string
	syl     []uint16
	score   float64
}

// Candidates returns the choices for input (normalised first), best first, at most limit
// (0: the engine's cap). An input that cannot be pinyin gives none.
func (s *Session) Candidates(input string, limit int) []Candidate {
	in := Normalize(input)
	segs := s.d.segment(in)
	if len(segs) == 0 {
		return nil
	}
	if limit <= 0 || limit > maxCandidates {
		limit = maxCandidates
	}
	type ranked struct {
		Candidate
		group int // 0 sentence, 1 whole-input word, 2 prefix word
		n     int // tokens covered
	}
	var all []*ranked
	for si, seg := range segs {
		penalty := (seg.cost - segs[0].cost) * 4
		lat := s.lattice(seg.tokens)
		n := len(seg.tokens)
		// Best conversion of the whole input (Viterbi from the end).
		best := make([]float64, n+1)
		next := make([]*match, n+1)
		for i := range best[:n] {
			best[i] = math.Inf(-1)
		}
		for i := n - 1; i >= 0; i-- {
			for k := range lat[i] {
				m := &lat[i][k]
				if v := m.score + best[i+m.n] - wordPenalty; v > best[i] {
					best[i], next[i] = v, m
				}
			}
		}
		end := consumedEnd(in, seg.tokens[n-1].end)
		// Composed sentences only from the cheapest cuts (fang'an and fan'gan tie): one from
		// a worse cut is mostly noise such as 敬意嗯范围. Besides the best, a few runners-up:
		// with initials (jycs) the most frequent words often make the wrong phrase (建议测试
		// before 经营场所), and the resident needs the others on the first page.
		if seg.cost == segs[0].cost && !math.IsInf(best[0], -1) && next[0] != nil {
			for k, p := range s.sentences(lat, n) {
				sc := p.score - penalty + float64(si)*0.01
				if k > 0 {
					sc -= altPenalty
				}
				all = append(all, &ranked{Candidate{Text: p.text, Consumed: end, syl: p.syl, score: sc}, 0, n})
			}
		}
		for _, m := range lat[0] {
			if m.n < n && math.IsInf(best[m.n], -1) {
				continue // choosing it would leave letters nothing converts
			}
			c := Candidate{Text: m.text, syl: m.syl, score: m.score - penalty}
			g := 2
			if m.n == n {
				g, c.Consumed = 1, end
				// A single word covering everything competes with the composed sentence.
				c.score -= wordPenalty
			} else {
				c.Consumed = consumedEnd(in, seg.tokens[m.n-1].end)
			}
			all = append(all, &ranked{c, g, m.n})
		}
	}
	sort.SliceStable(all, func(a, b int) bool {
		x, y := all[a], all[b]
		gx, gy := x.group, y.group
		if gx <= 1 {
			gx = 0
		}
		if gy <= 1 {
			gy = 0
		}
		if gx != gy {
			return gx < gy
		}
		if gx == 2 && x.n != y.n {
			return x.n > y.n
		}
		return x.score > y.score
	})
	out := make([]Candidate, 0, min(limit, len(all)))
	seen := map[string]bool{}
	for _, r := range all {
		if len(out) == limit {
			break
		}
		if seen[r.Text] {
			continue
		}
		seen[r.Text] = true
		out = append(out, r.Candidate)
	}
	return out
}

// sentencePaths is one composed conversion of the whole input.
type sentencePath struct {
	text  string
	syl   []uint16
	score float64
}

// Composed sentences: how many are offered, and how much a runner-up is lowered so that a
// whole-input dictionary word of similar weight still comes before it.
const (
	maxSentences = 3
	sentenceBeam = 8
	altPenalty   = 1.0
)

// sentences returns the best conversions of all n tokens from two words up, best first
// and distinct, at most maxSentences: a beam over the lattice from the start.
func (s *Session) sentences(lat [][]match, n int) []sentencePath {
	type path struct {
		score float64
		m     *match
		prev  *path
	}
	beams := make([][]*path, n+1)
	beams[0] = []*path{{}}
	for i := 0; i < n; i++ {
		for _, p := range beams[i] {
			for k := range lat[i] {
				m := &lat[i][k]
				if i == 0 && m.n == n {
					continue // a single word is a whole-input candidate already
				}
				q := &path{score: p.score + m.score - wordPenalty, m: m, prev: p}
				b := beams[i+m.n]
				if len(b) == sentenceBeam && b[len(b)-1].score >= q.score {
					continue
				}
				at := sort.Search(len(b), func(j int) bool { return b[j].score < q.score })
				b = append(b, nil)
				copy(b[at+1:], b[at:])
				b[at] = q
				if len(b) > sentenceBeam {
					b = b[:sentenceBeam]
				}
				beams[i+m.n] = b
			}
		}
	}
	var out []sentencePath
	seen := map[string]bool{}
	for _, p := range beams[n] {
		var parts []*match
		for q := p; q.m != nil; q = q.prev {
			parts = append(parts, q.m)
		}
		var text strings.Builder
		var syl []uint16
		for k := len(parts) - 1; k >= 0; k-- {
			text.WriteString(parts[k].text)
			syl = append(syl, parts[k].syl...)
		}
		t := text.String()
		if seen[t] {
			continue
		}
		seen[t] = true
		out = append(out, sentencePath{t, syl, p.score})
		if len(out) == maxSentences {
			break
		}
	}
	return out
}

// wordPenalty is charged per word of a composed sentence, so one dictionary phrase beats
// the same characters pieced from shorter words.
const wordPenalty = 2.0

// consumedEnd extends a token end over apostrophes that follow it.
func consumedEnd(in string, end int) int {
	for end < len(in) && in[end] == '\'' {
		end++
	}
	return end
}

// lattice lists, for each token index, the words (dictionary and learned) that start there.
func (s *Session) lattice(toks []token) [][]match {
	d := s.d
	n := len(toks)
	lat := make([][]match, n)
	maxLen := max(d.maxLen, s.userMax)
	key := make([]byte, 0, maxLen)
	ekey := make([]uint16, 0, maxLen)
	var top []match
	// The field's kind (SetKind): its words of a span are also looked up in the kind's own
	// list, so one far down the list by weight is found without scanning the whole list.
	var kindIdx postings
	if s.kindBit != 0 {
		kindIdx = d.kindIndex[s.kindBit]
	}
	for i := 0; i < n; i++ {
		key = key[:0]
		var packed uint64
		for l := 1; l <= maxLen && i+l <= n; l++ {
			key = append(key, toks[i+l-1].text[0])
			packed = appendLetter(packed, l-1, toks[i+l-1].text[0])
			span := toks[i : i+l]
			list := d.index.get(packed)
			var kind []int32 // positions in list of the kind's words
			if allExact(span) {
				ekey = ekey[:0]
				for _, t := range span {
					ekey = append(ekey, uint16(t.id))
				}
				// Few words share an exact reading: scanning them finds the kind's too.
				list = d.exactWords(ekey)
			} else {
				kind = kindIdx.get(packed)
			}
			// Words further in only feed the best conversion, which needs the best word per
			// span; words at the start are the candidates the resident pages through.
			keep := perStart
			if i > 0 {
				keep = innerKeep
			}
			top := top[:0]
			// First by weight; then the kind's words the first scan did not reach. The best
			// keep by weight and prior are among the two.
			scanned := len(list)
			for pass := 0; pass < 2; pass++ {
				perLen := 0
				count := len(list)
				if pass == 1 {
					count = len(kind)
				}
				for j := 0; j < count; j++ {
					pos := j
					if pass == 1 {
						if pos = int(kind[j]); pos < scanned {
							continue
						}
					}
					idx := list[pos]
					e := d.word(idx)
					syl := d.wordSyl(e)
					ok, inexact := matchSpan(span, syl)
					if !ok {
						continue
					}
					text := d.text(e)
					sc := float64(e.weight) + s.boost[text] + s.prior(idx) - inexact
					m := match{from: i, n: l, text: text, syl: syl, score: sc}
					perLen++
					if i > 0 {
						// Keep the best few by score (a learned boost, the field's prior or an
						// inexact syllable can reorder the list).
						top = insertTop(top, m, keep)
						// The list is by weight: past a handful only a learned boost could win.
						if perLen >= 64 && len(s.boost) == 0 {
							scanned = min(scanned, pos+1)
							break
						}
						continue
					}
					lat[i] = append(lat[i], m)
					if perLen >= keep {
						scanned = min(scanned, pos+1)
						break
					}
				}
				if kind == nil {
					break
				}
			}
			lat[i] = append(lat[i], top...)
			for _, u := range s.user[string(key)] {
				if ok, inexact := matchSpan(span, u.syl); ok {
					sc := s.learnedScore(u) - inexact
					lat[i] = append(lat[i], match{from: i, n: l, text: u.text, syl: u.syl, score: sc})
				}
			}
		}
	}
	return lat
}

// insertTop puts m into top, kept best first and at most keep long.
func insertTop(top []match, m match, keep int) []match {
	if len(top) == keep && top[len(top)-1].score >= m.score {
		return top
	}
	at := sort.Search(len(top), func(j int) bool { return top[j].score < m.score })
	top = append(top, match{})
	copy(top[at+1:], top[at:])
	top[at] = m
	if len(top) > keep {
		top = top[:keep]
	}
	return top
}

// allExact: every token is a whole syllable that stands only for itself.
func allExact(span []token) bool {
	for i := range span {
		if span[i].id < 0 || span[i].open {
			return false
		}
	}
	return true
}

// learnedScore: a learned phrase scores as a rare word plus its boost.
func (s *Session) learnedScore(u userWord) float64 {
	return s.d.floorLP + 8 + s.boost[u.text]
}

// matchSpan reports whether syllables syl fit tokens span, and the penalty for syllables
// completed from a whole-syllable last token (xian -> xiang).
func matchSpan(span []token, syl []uint16) (bool, float64) {
	if len(span) != len(syl) {
		return false, 0
	}
	pen := 0.0
	for k := range span {
		ok, exact := span[k].matches(syl[k])
		if !ok {
			return false, 0
		}
		if !exact && span[k].id >= 0 {
			pen += 3
		}
	}
	return true, pen
}

// Segments returns the best reading of the input as syllables, for showing the
// composition ("jing'ying'f"). Empty when the input cannot be pinyin.
func (d *Dict) Segments(input string) []string {
	segs := d.segment(Normalize(input))
	if len(segs) == 0 {
		return nil
	}
	out := make([]string, len(segs[0].tokens))
	for i, t := range segs[0].tokens {
		out[i] = t.text
	}
	return out
}

// Page returns page p (from 0) of size size from cands, and whether there are more.
func Page(cands []Candidate, p, size int) ([]Candidate, bool) {
	if size <= 0 || p < 0 {
		return nil, false
	}
	from := p * size
	if from >= len(cands) {
		return nil, false
	}
	to := min(from+size, len(cands))
	return cands[from:to], to < len(cands)
}
