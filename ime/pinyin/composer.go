package pinyin

import "strings"

// Composer is the state of one composition on the keyboard: the letters typed, the parts
// already chosen, and the page of candidates shown. The keyboard feeds it keys and shows
// Preedit in the field and Candidates in the bar; Choose returns the text to insert once
// the whole input is converted.
type Composer struct {
	s        *Session
	pageSize int
	limit    int // most letters accepted

	input  string  // normalised letters still to convert
	pieces []piece // chosen so far, in order
	cands  []Candidate
	page   int
}

type piece struct {
	cand  Candidate
	input string // the letters it consumed, restored by Backspace
}

// NewComposer makes a composer on session s showing pageSize candidates at a time.
func NewComposer(s *Session, pageSize int) *Composer {
	if pageSize <= 0 {
		pageSize = 5
	}
	return &Composer{s: s, pageSize: pageSize, limit: MaxInput}
}

// SetLimit caps the letters a composition may hold (the field's room, at most MaxInput).
func (c *Composer) SetLimit(n int) {
	if n <= 0 || n > MaxInput {
		n = MaxInput
	}
	c.limit = n
}

// Active reports whether a composition is under way.
func (c *Composer) Active() bool { return c.input != "" || len(c.pieces) > 0 }

// Input returns the letters still to convert.
func (c *Composer) Input() string { return c.input }

// Type adds a key: a letter, ü/v, or the apostrophe. It reports whether the key was taken
// (false for other keys, and when the composition is full).
func (c *Composer) Type(r rune) bool {
	k := Normalize(string(r))
	if r == '\'' {
		if c.input == "" || strings.HasSuffix(c.input, "'") {
			return c.input != "" // a second apostrophe is swallowed, a leading one ignored
		}
		k = "'"
	}
	if k == "" || len(c.input)+len(k) > c.limit {
		return false
	}
	c.input += k
	c.refresh()
	return true
}

// Backspace deletes the last syllable typed (delete by syllable), or, when every letter is
// converted, un-chooses the last chosen part.
func (c *Composer) Backspace() {
	switch {
	case c.input != "":
		c.input = strings.TrimRight(c.input, "'")
		segs := c.s.d.segment(c.input)
		if len(segs) == 0 {
			c.input = c.input[:len(c.input)-1]
		} else {
			toks := segs[0].tokens
			c.input = strings.TrimRight(c.input[:toks[len(toks)-1].start], "'")
		}
	case len(c.pieces) > 0:
		last := c.pieces[len(c.pieces)-1]
		c.pieces = c.pieces[:len(c.pieces)-1]
		c.input = last.input + c.input
	}
	c.refresh()
}

// Cancel drops the composition.
func (c *Composer) Cancel() {
	c.input, c.pieces, c.cands, c.page = "", nil, nil, 0
}

// Preedit is what the field shows while composing: the chosen parts, then the remaining
// letters cut into syllables ("经营fan'wei").
func (c *Composer) Preedit() string {
	var b strings.Builder
	for _, p := range c.pieces {
		b.WriteString(p.cand.Text)
	}
	if c.input != "" {
		if segs := c.s.d.Segments(c.input); segs != nil {
			b.WriteString(strings.Join(segs, "'"))
		} else {
			b.WriteString(c.input)
		}
	}
	return b.String()
}

// Candidates returns the current page of candidates.
func (c *Composer) Candidates() []Candidate {
	p, _ := Page(c.cands, c.page, c.pageSize)
	return p
}

// HasNext and HasPrev tell whether paging further is possible.
func (c *Composer) HasNext() bool { return (c.page+1)*c.pageSize < len(c.cands) }
func (c *Composer) HasPrev() bool { return c.page > 0 }

// NextPage and PrevPage turn the candidate page.
func (c *Composer) NextPage() {
	if c.HasNext() {
		c.page++
	}
}
func (c *Composer) PrevPage() {
	if c.page > 0 {
		c.page--
	}
}

// Choose takes candidate i of the current page. When the whole input is converted it
// returns the text to insert and done; otherwise the composition goes on with the rest.
func (c *Composer) Choose(i int) (text string, done bool) {
	page := c.Candidates()
	if i < 0 || i >= len(page) {
		return "", false
	}
	cand := page[i]
	c.pieces = append(c.pieces, piece{cand: cand, input: c.input[:cand.Consumed]})
	c.input = c.input[cand.Consumed:]
	c.s.Learn(cand)
	if strings.Trim(c.input, "'") != "" {
		c.refresh()
		return "", false
	}
	var b strings.Builder
	var whole Candidate
	for _, p := range c.pieces {
		b.WriteString(p.cand.Text)
		whole.syl = append(whole.syl, p.cand.syl...)
	}
	whole.Text = b.String()
	if len(c.pieces) > 1 {
		c.s.Learn(whole)
	}
	c.Cancel()
	return whole.Text, true
}

// CommitLetters ends the composition writing the letters as typed (the Enter key), after
// any parts already chosen.
func (c *Composer) CommitLetters() string {
	var b strings.Builder
	for _, p := range c.pieces {
		b.WriteString(p.cand.Text)
	}
	b.WriteString(strings.ReplaceAll(c.input, "'", ""))
	c.Cancel()
	return b.String()
}

func (c *Composer) refresh() {
	c.page = 0
	if c.input == "" {
		c.cands = nil
		return
	}
	c.cands = c.s.Candidates(c.input, 0)
}
