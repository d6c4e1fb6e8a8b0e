package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/govkiosk/govkiosk/kiosk/form"
	"github.com/govkiosk/govkiosk/kiosk/licence"
)

// MaxSize is the largest catalog accepted, in bytes. Real catalogs are tens of
// kilobytes; the limit keeps a broken push from filling memory.
const MaxSize = 8 << 20

// ErrInvalid is what a *ValidationError matches with errors.Is.
var ErrInvalid = errors.New("catalog: invalid")

// ValidationError lists every problem found in a catalog. The catalog is refused whole.
type ValidationError struct {
	Problems []Problem
}

// Error lists the first ten problems.
func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "catalog: %d problem(s): ", len(e.Problems))
	for i, p := range e.Problems {
		if i == 10 {
			fmt.Fprintf(&b, "; and %d more", len(e.Problems)-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Parse reads a catalog from JSON and checks it. Unknown fields are refused (a newer
// platform must raise the format). On any problem it returns a *ValidationError listing
// them all and no catalog.
func Parse(data []byte) (*Catalog, error) {
	if len(data) > MaxSize {
		return nil, &ValidationError{[]Problem{{Message: fmt.Sprintf("catalog is %d bytes; the limit is %d", len(data), MaxSize)}}}
	}
	var c Catalog
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, &ValidationError{[]Problem{decodeProblem(data, err)}}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &ValidationError{[]Problem{{Message: "unexpected data after the catalog object"}}}
	}
	if ps := c.check(); len(ps) > 0 {
		return nil, &ValidationError{ps}
	}
	return &c, nil
}

// Read parses a catalog from r (see Parse).
func Read(r io.Reader) (*Catalog, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("catalog: read: %w", err)
	}
	return Parse(data)
}

// Load parses the catalog file name in fsys (see Parse).
func Load(fsys fs.FS, name string) (*Catalog, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	defer f.Close()
	c, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// decodeProblem turns a JSON error into a problem with a path or a line and column.
func decodeProblem(data []byte, err error) Problem {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := lineCol(data, syn.Offset)
		return Problem{Path: fmt.Sprintf("line %d column %d", line, col), Message: syn.Error()}
	case errors.As(err, &typ):
		return Problem{Path: typ.Field, Message: fmt.Sprintf("is JSON %s; want %s", typ.Value, typ.Type)}
	case errors.Is(err, io.ErrUnexpectedEOF):
		line, col := lineCol(data, int64(len(data)))
		return Problem{Path: fmt.Sprintf("line %d column %d", line, col), Message: "the catalog ends too early: a } or ] is missing"}
	case errors.Is(err, io.EOF):
		return Problem{Message: "empty catalog"}
	}
	return Problem{Message: err.Error()}
}

func lineCol(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

var (
	idRe     = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,63}$`)
	pinyinRe = regexp.MustCompile(`^[a-z]+( [a-z]+)*$`)
	// documentRe is a document type the platform issues ("ss_record").
	documentRe = regexp.MustCompile(`^[a-z0-9_]{1,64}$`)
)

// checker collects problems with their paths.
type checker struct{ ps []Problem }

func (k *checker) add(path, format string, args ...any) {
	k.ps = append(k.ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (k *checker) text(path string, t Text, required bool) {
	if required && strings.TrimSpace(t.Zh) == "" {
		k.add(path+".zh", "missing")
	}
	for _, s := range []string{t.Zh, t.En} {
		if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' }) {
			k.add(path, "contains control characters or invalid UTF-8")
			return
		}
	}
}

func (k *checker) id(path, id string) {
	if !idRe.MatchString(id) {
		k.add(path, "%q: use 2 to 64 lower-case letters, digits and -", id)
	}
}

func (k *checker) pinyin(path, p, zh string) {
	if p == "" {
		return
	}
	if !pinyinRe.MatchString(p) {
		k.add(path, "%q: write lower-case syllables without tones, separated by single spaces", p)
		return
	}
	if n, h := len(strings.Fields(p)), countHan(zh); n != h {
		k.add(path, "has %d syllables but the Chinese title has %d Han characters", n, h)
	}
}

func (k *checker) keywords(path string, kws []string) {
	for i, w := range kws {
		if strings.TrimSpace(w) == "" {
			k.add(fmt.Sprintf("%s[%d]", path, i), "empty keyword")
		}
	}
}

// check validates the whole catalog and, when it is sound, builds its services and
// search keys. It returns every problem found.
func (c *Catalog) check() []Problem {
	k := &checker{}
	switch {
	case c.Format == 0:
		k.add("format", "missing; this kiosk reads format %d", Format)
	case c.Format > Format:
		k.add("format", "%d is newer than this kiosk reads (%d): update the kiosk software first", c.Format, Format)
	case c.Format < 0:
		k.add("format", "%d is not a format", c.Format)
	}
	if v := strings.TrimSpace(c.Version); v == "" {
		k.add("version", "missing")
	} else if len(v) > 64 || strings.ContainsFunc(v, unicode.IsControl) {
		k.add("version", "must be at most 64 printable characters")
	}

	cats := map[string]bool{}
	if len(c.Categories) == 0 {
		k.add("categories", "at least one category is needed")
	}
	for i, cat := range c.Categories {
		p := fmt.Sprintf("categories[%d]", i)
		k.id(p+".id", cat.ID)
		if cats[cat.ID] {
			k.add(p+".id", "%q appears twice", cat.ID)
		}
		cats[cat.ID] = true
		k.text(p+".title", cat.Title, true)
	}

	ids := map[string]string{} // service ID -> path of its first use
	if len(c.Items) == 0 {
		k.add("items", "at least one item is needed")
	}
	for i, it := range c.Items {
		p := fmt.Sprintf("items[%d]", i)
		if it == nil {
			k.add(p, "null item")
			continue
		}
		c.checkItem(k, p, it, cats, ids)
	}
	byItem := map[string]*Item{}
	for _, it := range c.Items {
		if it != nil {
			byItem[it.ID] = it
		}
	}
	for i, b := range c.Bundles {
		p := fmt.Sprintf("bundles[%d]", i)
		if b == nil {
			k.add(p, "null bundle")
			continue
		}
		c.checkBundle(k, p, b, cats, ids, byItem)
	}
	if len(k.ps) > 0 {
		return k.ps
	}
	c.build()
	return nil
}

func (c *Catalog) claim(k *checker, path, id string, ids map[string]string) {
	k.id(path, id)
	if first, dup := ids[id]; dup {
		k.add(path, "%q is already used by %s (items and bundles share IDs)", id, first)
		return
	}
	ids[id] = path
}

func (c *Catalog) checkItem(k *checker, p string, it *Item, cats map[string]bool, ids map[string]string) {
	c.claim(k, p+".id", it.ID, ids)
	if r := it.Rating; r != nil && (r.Average < 1 || r.Average > 5 || r.Count < 1) {
		k.add(p+".rating", "average %v of %d ratings: want an average of 1-5 over at least one rating", r.Average, r.Count)
	}
	k.text(p+".title", it.Title, true)
	k.pinyin(p+".pinyin", it.Pinyin, it.Title.Zh)
	k.keywords(p+".keywords", it.Keywords)
	if !cats[it.Category] {
		k.add(p+".category", "%q is not a category of this catalog", it.Category)
	}
	k.text(p+".department", it.Department, true)
	k.text(p+".summary", it.Summary, false)
	for j, cond := range it.Conditions {
		k.text(fmt.Sprintf("%s.conditions[%d]", p, j), cond, true)
	}
	mats := map[string]bool{}
	for j, m := range it.Materials {
		mp := fmt.Sprintf("%s.materials[%d]", p, j)
		k.id(mp+".id", m.ID)
		if mats[m.ID] {
			k.add(mp+".id", "%q appears twice in this item", m.ID)
		}
		mats[m.ID] = true
		k.text(mp+".title", m.Title, true)
		k.text(mp+".description", m.Description, false)
		if m.Licence != "" {
			if err := licence.Check(m.Licence); err != nil {
				k.add(mp+".licence", "%v", err)
			}
		}
		if m.Pages < 0 || m.Pages > 50 {
			k.add(mp+".pages", "%d: use 1 to 50 (0 means 1)", m.Pages)
		}
		if !m.Scannable && m.Pages > 0 {
			k.add(mp+".pages", "only scannable materials have pages to scan")
		}
		if m.MinPages < 0 || m.MinPages > m.PageCount() {
			k.add(mp+".min_pages", "%d: use 1 to pages (%d), or 0 when every page is needed", m.MinPages, m.PageCount())
		} else if !m.Scannable && m.MinPages > 0 {
			k.add(mp+".min_pages", "only scannable materials have pages to scan")
		}
	}
	if is := it.Issues; is != nil {
		if !documentRe.MatchString(is.Document) {
			k.add(p+".issues.document", "%q: use 1-64 of a-z 0-9 _", is.Document)
		}
		k.text(p+".issues.title", is.Title, true)
		k.text(p+".issues.collect", is.Collect, true)
	}
	if it.TimeLimitDays < 0 || it.TimeLimitDays > 365 {
		k.add(p+".time_limit_days", "%d: use 0 (on the spot) to 365 working days", it.TimeLimitDays)
	}
	for j, f := range it.Fees {
		fp := fmt.Sprintf("%s.fees[%d]", p, j)
		k.text(fp+".title", f.Title, true)
		if f.AmountFen < 0 || f.AmountFen > 100_000_000 {
			k.add(fp+".amount_fen", "%d: an amount in fen, 0 to 100000000", f.AmountFen)
		}
	}
	if !it.Channels.Kiosk && !it.Channels.Online && !it.Channels.Counter {
		k.add(p+".channels", "no channel: say at least where the service can be applied for")
	}
	switch it.Identity {
	case "", IdentityRequired, IdentityOptional:
	default:
		k.add(p+".identity", "%q: use required or optional", it.Identity)
	}
	k.eligibility(p, it.Eligibility)
	for _, fp := range it.Form.Check() {
		k.add(p+".form."+fp.Path, "%s", fp.Message)
	}
	k.text(p+".guide", it.Guide, true)
}

func (c *Catalog) checkBundle(k *checker, p string, b *Bundle, cats map[string]bool, ids map[string]string, byItem map[string]*Item) {
	c.claim(k, p+".id", b.ID, ids)
	k.text(p+".title", b.Title, true)
	k.pinyin(p+".pinyin", b.Pinyin, b.Title.Zh)
	k.keywords(p+".keywords", b.Keywords)
	if !cats[b.Category] {
		k.add(p+".category", "%q is not a category of this catalog", b.Category)
	}
	k.text(p+".summary", b.Summary, false)
	k.text(p+".guide", b.Guide, true)
	if len(b.ItemIDs) < 2 {
		k.add(p+".items", "a bundle combines at least two items")
	}
	b.items = b.items[:0]
	seen := map[string]bool{}
	for j, id := range b.ItemIDs {
		ip := fmt.Sprintf("%s.items[%d]", p, j)
		it := byItem[id]
		switch {
		case it == nil:
			k.add(ip, "%q is not an item of this catalog", id)
			continue
		case seen[id]:
			k.add(ip, "%q appears twice", id)
			continue
		}
		seen[id] = true
		b.items = append(b.items, it)
	}
	k.eligibility(p, b.Eligibility)
	rules := []*Eligibility{b.Eligibility}
	for _, it := range b.items {
		rules = append(rules, it.Eligibility)
	}
	if _, ok := mergeEligibility(rules...); !ok {
		k.add(p+".eligibility", "the bundle's and its items' eligibility rules together exclude everyone")
	}
	schemas := make([]form.Schema, len(b.items))
	for j, it := range b.items {
		schemas[j] = it.Form
	}
	if _, ps := form.Merge(schemas...); len(ps) > 0 {
		for _, mp := range ps {
			// form.Merge names schemas by index; here they are the bundle's items' forms.
			path := strings.Replace(mp.Path, "schemas[", "items[", 1)
			path = strings.Replace(path, "].fields[", "].form.fields[", 1)
			k.add(p+"."+path, "%s", mp.Message)
		}
	}
	mats := map[string]struct {
		m    Material
		item string
	}{}
	for _, it := range b.items {
		for _, m := range it.Materials {
			prev, ok := mats[m.ID]
			if !ok {
				mats[m.ID] = struct {
					m    Material
					item string
				}{m, it.ID}
				continue
			}
			if prev.m.Title.Zh != m.Title.Zh || prev.m.Scannable != m.Scannable {
				k.add(p+".items", "material %q is declared differently in items %q and %q; a shared material must have the same title and scannability", m.ID, prev.item, it.ID)
			}
		}
	}
}
