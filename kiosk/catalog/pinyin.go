package catalog

import (
	"strings"
	"unicode"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// GB 2312 orders its 3755 level-1 Han characters by pinyin, so the first character of each
// initial letter marks where that letter's run begins. These are those characters, for
// the letters that begin syllables (no i, u, v).
const (
	initialLetters = "abcdefghjklmnopqrstwxyz"
	initialFirsts  = "啊芭擦搭蛾发噶哈击喀垃妈拿哦啪期然撒塌挖昔压匝"
	// level1End is the last level-1 code, 座 (zuo); level 2 that follows is ordered by radical.
	level1End = 0xD7F9
)

// initialTable holds the GB 2312 code where each letter's run begins, in letter order.
type initialTable [len(initialLetters)]uint16

func newInitialTable() initialTable {
	var t initialTable
	i := 0
	for _, r := range initialFirsts {
		t[i] = gbCode(r)
		i++
	}
	return t
}

// gbCode returns the character's two-byte GB 2312 code, or 0 outside GB 2312.
func gbCode(r rune) uint16 {
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(string(r)))
	if err != nil || len(b) != 2 {
		return 0
	}
	return uint16(b[0])<<8 | uint16(b[1])
}

// initial returns the pinyin initial letter of a level-1 Han character, or 0 for other
// characters (rare ones and non-Han).
func (t *initialTable) initial(r rune) byte {
	if !isHan(r) {
		return 0
	}
	c := gbCode(r)
	if c < t[0] || c > level1End {
		return 0
	}
	letter := byte(0)
	for i, start := range t {
		if c >= start {
			letter = initialLetters[i]
		}
	}
	return letter
}

// initials returns one single-letter syllable per Han character of s; a character
// without a known initial gets "?" so syllables stay aligned with characters. Runs of
// Latin letters and digits are kept as one syllable each.
func (t *initialTable) initials(s string) []string {
	var out []string
	var word strings.Builder
	flush := func() {
		if word.Len() > 0 {
			out = append(out, word.String())
			word.Reset()
		}
	}
	for _, r := range strings.ToLower(s) {
		switch {
		case isHan(r):
			flush()
			if l := t.initial(r); l != 0 {
				out = append(out, string(l))
			} else {
				out = append(out, "?")
			}
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			word.WriteRune(r)
		default:
			flush()
		}
	}
	flush()
	return out
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

func countHan(s string) int {
	n := 0
	for _, r := range s {
		if isHan(r) {
			n++
		}
	}
	return n
}

// matchSyllables reports whether q (lower-case letters) can be read as non-empty prefixes
// of consecutive syllables of syl, starting at some syllable, and at which. "hj", "huji"
// and "hji" all match [hu ji]. It is dynamic programming over (query offset, syllable),
// so a hostile catalog cannot make it slow.
func matchSyllables(q string, syl []string) (start int, ok bool) {
	if q == "" || len(syl) == 0 {
		return 0, false
	}
	// can[i][j]: q[i:] can be consumed starting at syllable j.
	n, m := len(q), len(syl)
	can := make([]bool, (n+1)*(m+1))
	at := func(i, j int) *bool { return &can[i*(m+1)+j] }
	for j := 0; j <= m; j++ {
		*at(n, j) = true
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			s := syl[j]
			for k := 1; k <= len(s) && i+k <= n; k++ {
				if q[i+k-1] != s[k-1] {
					break
				}
				if *at(i+k, j+1) {
					*at(i, j) = true
					break
				}
			}
		}
	}
	for j := 0; j < m; j++ {
		if *at(0, j) {
			return j, true
		}
	}
	return 0, false
}
