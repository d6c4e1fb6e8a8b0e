package catalog

import (
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/width"
)

// MaxQuery is the longest query looked at, in characters; the rest is ignored.
const MaxQuery = 32

// searchKeys are a service's texts prepared for search once, at load.
type searchKeys struct {
	zh, en, dept, summary string
	enWords               []string
	syl                   []string
	keywords              []string
	kwSyl                 [][]string
}

func newSearchKeys(s *Service, t *initialTable) searchKeys {
	k := searchKeys{
		zh:      fold(s.Title.Zh),
		en:      fold(s.Title.En),
		dept:    fold(s.Department.Zh) + " " + fold(s.Department.En),
		summary: fold(s.Summary.Zh) + " " + fold(s.Summary.En),
	}
	k.enWords = strings.FieldsFunc(k.en, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if s.Pinyin != "" {
		k.syl = strings.Fields(s.Pinyin)
	} else {
		k.syl = t.initials(s.Title.Zh)
	}
	for _, w := range s.Keywords {
		w = fold(w)
		k.keywords = append(k.keywords, w)
		if countHan(w) > 0 {
			k.kwSyl = append(k.kwSyl, t.initials(w))
		} else {
			k.kwSyl = append(k.kwSyl, strings.Fields(w))
		}
	}
	return k
}

// fold makes text comparable: half-width, lower-case.
func fold(s string) string { return strings.ToLower(width.Fold.String(s)) }

// Search finds services for what a resident typed: Han characters or Latin letters
// (pinyin, initials or English), matched as the package documentation describes. Results
// are best first (title matches before keyword matches before department and summary
// matches), catalog order among equals; at most limit of them when limit > 0. An empty
// query finds nothing.
func (c *Catalog) Search(query string, limit int) []*Service {
	q := fold(strings.TrimSpace(query))
	if r := []rune(q); len(r) > MaxQuery {
		q = string(r[:MaxQuery])
	}
	// Spaces and apostrophes separate pinyin syllables ("hu ji", "xi'an"); ignore them.
	letters := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '\'' {
			return -1
		}
		return r
	}, q)
	if letters == "" {
		return nil
	}
	ascii := isLatin(letters)
	type hit struct {
		s     *Service
		score int
		order int
	}
	var hits []hit
	for i, s := range c.services {
		var score int
		if ascii {
			score = s.search.latinScore(q, letters)
		} else {
			score = s.search.hanScore(letters)
		}
		if score > 0 {
			hits = append(hits, hit{s, score, i})
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return b.score - a.score })
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	out := make([]*Service, len(hits))
	for i, h := range hits {
		out[i] = h.s
	}
	return out
}

func isLatin(s string) bool {
	for _, r := range s {
		if r >= unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return false
		}
	}
	return true
}

// Scores: higher is a better match.
const (
	scoreExact    = 100
	scorePrefix   = 80
	scoreTitle    = 60
	scorePinyin0  = 70 // pinyin from the title's first syllable
	scorePinyin   = 50
	scoreEnglish  = 45
	scoreKeyword  = 40
	scoreKwPinyin = 35
	scoreDept     = 20
	scoreSummary  = 10
)

func (k *searchKeys) hanScore(q string) int {
	switch {
	case k.zh == q:
		return scoreExact
	case strings.HasPrefix(k.zh, q):
		return scorePrefix
	case strings.Contains(k.zh, q):
		return scoreTitle
	}
	for _, w := range k.keywords {
		if strings.Contains(w, q) {
			return scoreKeyword
		}
	}
	switch {
	case strings.Contains(k.dept, q):
		return scoreDept
	case strings.Contains(k.summary, q):
		return scoreSummary
	}
	return 0
}

// latinScore matches a query of Latin letters: q keeps the spaces the resident typed,
// letters has them removed.
func (k *searchKeys) latinScore(q, letters string) int {
	best := 0
	if start, ok := matchSyllables(letters, k.syl); ok {
		if start == 0 {
			best = scorePinyin0
		} else {
			best = scorePinyin
		}
	}
	if best < scoreEnglish && len(letters) >= 2 && k.englishMatch(strings.Fields(q)) {
		best = scoreEnglish
	}
	if best < scoreKeyword {
		for i, w := range k.keywords {
			if strings.Contains(w, letters) {
				return scoreKeyword
			}
			if _, ok := matchSyllables(letters, k.kwSyl[i]); ok {
				best = max(best, scoreKwPinyin)
			}
		}
	}
	return best
}

// englishMatch reports whether every typed word is the prefix of some word of the
// English title ("soc sec" finds "Social security card").
func (k *searchKeys) englishMatch(words []string) bool {
	if len(words) == 0 || len(k.enWords) == 0 {
		return false
	}
	for _, w := range words {
		if !slices.ContainsFunc(k.enWords, func(e string) bool { return strings.HasPrefix(e, w) }) {
			return false
		}
	}
	return true
}
