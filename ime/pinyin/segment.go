package pinyin

import (
	"sort"
	"strings"
)

// MaxInput is the most letters the engine looks at; longer input is cut here so a
// stuck key cannot make a keystroke slow.
const MaxInput = 48

// Normalize keeps what pinyin input is made of: lower-case letters and the apostrophe.
// ü (and u:) become v, capitals become lower case, spaces become apostrophes, anything else
// is dropped; the result is at most MaxInput bytes.
func Normalize(s string) string {
	var b strings.Builder
	prev := rune(0)
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
		case r == 'ü' || r == 'Ü':
			b.WriteByte('v')
		case r == ':' && (prev == 'u' || prev == 'U'):
			// u: is ü
			str := b.String()
			b.Reset()
			b.WriteString(str[:len(str)-1])
			b.WriteByte('v')
		case r == '\'' || r == ' ' || r == '’':
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "'") {
				b.WriteByte('\'')
			}
		}
		prev = r
		if b.Len() >= MaxInput {
			break
		}
	}
	out := b.String()
	if len(out) > MaxInput {
		out = out[:MaxInput]
	}
	return out
}

// token is one syllable's worth of input: a whole syllable, or a prefix of one
// (an initial such as "j" or "zh", or the unfinished last syllable).
type token struct {
	start, end int    // bytes of the normalised input
	text       string // the letters
	id         int    // syllable id when the letters spell a whole syllable, else -1
	open       bool   // last token: matches any syllable it begins
	set        sylSet // syllables it can stand for when not exact
}

func (t *token) matches(id uint16) (ok, exact bool) {
	if t.id >= 0 && uint16(t.id) == id {
		return true, true
	}
	if t.id >= 0 && !t.open {
		return false, false
	}
	return t.set.has(id), false
}

// segmentation is one way to cut the input into tokens, with its cost (lower is better).
type segmentation struct {
	tokens []token
	cost   float64
}

// Costs of a token. A whole syllable is cheapest; an initial standing for a syllable
// (jyfw) costs more so that "xian" stays one syllable; a partial syllable that is not an
// initial is allowed only at the end, where the resident is still typing it.
const (
	costFull    = 1.0
	costInitial = 1.6
	costTail    = 1.3
	maxSegs     = 4
)

func isInitial(s string) bool {
	if len(s) == 1 {
		return s[0] != 'a' && s[0] != 'e' && s[0] != 'o' && s[0] != 'i' && s[0] != 'u' && s[0] != 'v'
	}
	return s == "zh" || s == "ch" || s == "sh"
}

// segment returns up to maxSegs cheapest segmentations of the normalised input s, best
// first. None means the input cannot be pinyin (an impossible syllable).
func (d *Dict) segment(s string) []segmentation {
	n := len(s)
	if n == 0 {
		return nil
	}
	best := make([][]segPath, n+1)
	best[0] = []segPath{{from: -1}}
	for i := 0; i < n; i++ {
		if len(best[i]) == 0 {
			continue
		}
		if s[i] == '\'' {
			for k, p := range best[i] {
				addPath(&best[i+1], segPath{cost: p.cost, prev: k, from: i, tok: token{id: -2}})
			}
			continue
		}
		for j := i + 1; j <= n && j-i <= maxSyllableLn && s[j-1] != '\''; j++ {
			text := s[i:j]
			set, isPrefix := d.prefix[text]
			if !isPrefix {
				break
			}
			last := j == n || s[j] == '\''
			tok := token{start: i, end: j, text: text, id: -1, set: set}
			var cost float64
			if id, ok := d.spell[text]; ok {
				tok.id, cost = id, costFull
			} else if isInitial(text) {
				cost = costInitial
			} else if last {
				cost = costTail
			} else {
				continue
			}
			for k, p := range best[i] {
				addPath(&best[j], segPath{cost: p.cost + cost, prev: k, from: i, tok: tok})
			}
			// m and n are syllables (呒, 嗯) and also initials: inside the input, "mg" is
			// more often 面馆 than 呒个, so they also stand for any syllable they begin.
			if tok.id >= 0 && !last && isInitial(text) {
				ini := tok
				ini.id = -1
				for k, p := range best[i] {
					addPath(&best[j], segPath{cost: p.cost + costInitial, prev: k, from: i, tok: ini})
				}
			}
		}
	}
	var out []segmentation
	for _, p := range best[n] {
		var toks []token
		cur := p
		for cur.from >= 0 {
			if cur.tok.id != -2 {
				toks = append(toks, cur.tok)
			}
			prev := best[cur.from][cur.prev]
			cur = prev
		}
		for a, b := 0, len(toks)-1; a < b; a, b = a+1, b-1 {
			toks[a], toks[b] = toks[b], toks[a]
		}
		if len(toks) == 0 {
			continue
		}
		// The last token is open: while typing "jingyin" the resident may mean jingying.
		if last := &toks[len(toks)-1]; last.end == n || strings.Trim(s[last.end:], "'") == "" {
			last.open = true
		}
		out = append(out, segmentation{tokens: toks, cost: p.cost})
	}
	return out
}

// segPath is the cheapest way found into one position of the input.
type segPath struct {
	cost float64
	prev int // index into the paths of position from
	from int // -1 at the start
	tok  token
}

// addPath keeps the maxSegs cheapest paths into a position.
func addPath(list *[]segPath, p segPath) {
	*list = append(*list, p)
	sort.SliceStable(*list, func(a, b int) bool { return (*list)[a].cost < (*list)[b].cost })
	if len(*list) > maxSegs {
		*list = (*list)[:maxSegs]
	}
}
