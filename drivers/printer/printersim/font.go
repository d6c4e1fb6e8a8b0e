package printersim

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/go-text/typesetting/font"
	ot "github.com/go-text/typesetting/font/opentype"
)

// Font draws characters the way a thermal head prints them: one bit a dot, in the
// printer's 12×24 (single-byte) and 24×24 (double-byte) cells. Glyph outlines come from
// a CJK OpenType font on the system (Noto Sans CJK, as Debian's fonts-noto-cjk installs
// it); a nil *Font, or a character the font lacks, draws as an empty box.
type Font struct {
	file   *os.File
	face   *font.Face
	family string

	mu    sync.Mutex
	cache map[glyphKey]*cell
}

type glyphKey struct {
	r    rune
	w, h int
}

// cell is a rendered character: w×h dots, row-major, true = black.
type cell struct {
	w, h int
	dots []bool
}

func (c *cell) at(x, y int) bool { return c.dots[y*c.w+x] }

// fontDirs are searched by FindFont.
var fontDirs = []string{"/usr/share/fonts", "/usr/local/share/fonts"}

// FindFont returns the path of a CJK font file on this system, preferring Noto Sans
// CJK (whose monospaced SC face matches the printer's cells), then any other file with
// CJK in its name, then WenQuanYi. It returns fs.ErrNotExist when there is none.
func FindFont() (string, error) {
	var found []string
	for _, dir := range fontDirs {
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			n := strings.ToLower(d.Name())
			ext := filepath.Ext(n)
			if ext != ".ttc" && ext != ".otf" && ext != ".ttf" {
				return nil
			}
			if strings.Contains(n, "cjk") || strings.Contains(n, "wqy") {
				found = append(found, p)
			}
			return nil
		})
	}
	rank := func(p string) int {
		n := strings.ToLower(filepath.Base(p))
		switch {
		case strings.Contains(n, "notosanscjk-regular"):
			return 0
		case strings.Contains(n, "sanscjk") && !strings.Contains(n, "bold"):
			return 1
		case strings.Contains(n, "cjk") && !strings.Contains(n, "bold"):
			return 2
		case strings.Contains(n, "cjk"):
			return 3
		}
		return 4
	}
	slices.SortStableFunc(found, func(a, b string) int { return rank(a) - rank(b) })
	if len(found) == 0 {
		return "", fmt.Errorf("printersim: no CJK font under %s: %w", strings.Join(fontDirs, ", "), fs.ErrNotExist)
	}
	return found[0], nil
}

// LoadFont opens a font file (a collection is searched for its monospaced Simplified
// Chinese face, then any Simplified Chinese face, then its first face). Close it when
// done.
func LoadFont(path string) (*Font, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("printersim: font: %w", err)
	}
	lds, err := ot.NewLoaders(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("printersim: font %s: %w", path, err)
	}
	best, bestRank, family := 0, 9, ""
	for i, ld := range lds {
		d, _ := font.Describe(ld, nil)
		fam := strings.ToLower(d.Family)
		r := 3
		switch {
		case strings.Contains(fam, "mono") && strings.Contains(fam, " sc"):
			r = 0
		case strings.Contains(fam, " sc"):
			r = 1
		}
		if r < bestRank {
			best, bestRank, family = i, r, d.Family
		}
	}
	ft, err := font.NewFont(lds[best])
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("printersim: font %s: %w", path, err)
	}
	return &Font{file: f, face: font.NewFace(ft), family: family, cache: map[glyphKey]*cell{}}, nil
}

// Family is the name of the face in use, or "" for the box fallback.
func (f *Font) Family() string {
	if f == nil {
		return ""
	}
	return f.family
}

// Close releases the font file.
func (f *Font) Close() error {
	if f == nil || f.file == nil {
		return nil
	}
	return f.file.Close()
}

// glyph returns r drawn in a w×h cell at the font's natural size for a 24-dot em.
func (f *Font) glyph(r rune, w, h int) *cell {
	key := glyphKey{r, w, h}
	if f != nil {
		f.mu.Lock()
		defer f.mu.Unlock()
		if c, ok := f.cache[key]; ok {
			return c
		}
	}
	c := f.render(r, w, h)
	if f != nil {
		f.cache[key] = c
	}
	return c
}

var errNoGlyph = errors.New("no glyph")

func (f *Font) render(r rune, w, h int) *cell {
	c := &cell{w: w, h: h, dots: make([]bool, w*h)}
	if r == ' ' || r == '\u3000' {
		return c
	}
	if f == nil || f.face == nil {
		box(c)
		return c
	}
	if err := f.outline(c, r); err != nil {
		box(c)
	}
	return c
}

// box draws the fallback for a character that cannot be drawn: an empty rectangle.
func box(c *cell) {
	for y := 2; y < c.h-2; y++ {
		for x := 1; x < c.w-1; x++ {
			if y == 2 || y == c.h-3 || x == 1 || x == c.w-2 {
				c.dots[y*c.w+x] = true
			}
		}
	}
}

// outline fills the glyph's outline into the cell, sampling each dot at its centre with
// the non-zero winding rule, as a 1-bit head would print it.
func (f *Font) outline(c *cell, r rune) error {
	gid, ok := f.face.NominalGlyph(r)
	if !ok {
		return errNoGlyph
	}
	data, ok := f.face.GlyphData(gid).(font.GlyphOutline)
	if !ok {
		return errNoGlyph
	}
	upem := float32(f.face.Upem())
	scale := float32(c.h) / upem
	// Noto CJK's em box runs from the descender (-120) to the ascender (880); placing
	// the baseline at 88 % of the cell height keeps it inside, for other fonts too.
	base := float32(c.h) * 0.88
	adv := f.face.HorizontalAdvance(gid) * scale
	ox := (float32(c.w) - adv) / 2
	var edges []edge
	var start, cur pt
	tr := func(p ot.SegmentPoint) pt { return pt{ox + p.X*scale, base - p.Y*scale} }
	for _, s := range data.Segments {
		switch s.Op {
		case ot.SegmentOpMoveTo:
			if cur != start {
				edges = append(edges, edge{cur, start})
			}
			start = tr(s.Args[0])
			cur = start
		case ot.SegmentOpLineTo:
			p := tr(s.Args[0])
			edges = append(edges, edge{cur, p})
			cur = p
		case ot.SegmentOpQuadTo:
			p1, p2 := tr(s.Args[0]), tr(s.Args[1])
			const n = 6
			for i := 1; i <= n; i++ {
				t := float32(i) / n
				q := lerp(lerp(cur, p1, t), lerp(p1, p2, t), t)
				edges = append(edges, edge{cur, q})
				cur = q
			}
			cur = p2
		case ot.SegmentOpCubeTo:
			p1, p2, p3 := tr(s.Args[0]), tr(s.Args[1]), tr(s.Args[2])
			p0 := cur
			const n = 8
			for i := 1; i <= n; i++ {
				t := float32(i) / n
				a, b, d := lerp(p0, p1, t), lerp(p1, p2, t), lerp(p2, p3, t)
				q := lerp(lerp(a, b, t), lerp(b, d, t), t)
				edges = append(edges, edge{cur, q})
				cur = q
			}
			cur = p3
		}
	}
	if cur != start {
		edges = append(edges, edge{cur, start})
	}
	fill(c, edges)
	return nil
}

type pt struct{ x, y float32 }

type edge struct{ a, b pt }

func lerp(a, b pt, t float32) pt { return pt{a.x + (b.x-a.x)*t, a.y + (b.y-a.y)*t} }

type crossing struct {
	x   float32
	dir int
}

// fill sets every dot whose centre is inside the outline (non-zero winding).
func fill(c *cell, edges []edge) {
	var xs []crossing
	for y := 0; y < c.h; y++ {
		yc := float32(y) + 0.5
		xs = xs[:0]
		for _, e := range edges {
			a, b, dir := e.a, e.b, 1
			if a.y > b.y {
				a, b, dir = b, a, -1
			}
			if yc < a.y || yc >= b.y {
				continue
			}
			x := a.x + (yc-a.y)*(b.x-a.x)/(b.y-a.y)
			xs = append(xs, crossing{x, dir})
		}
		slices.SortFunc(xs, func(p, q crossing) int {
			switch {
			case p.x < q.x:
				return -1
			case p.x > q.x:
				return 1
			}
			return 0
		})
		wind, k := 0, 0
		for x := 0; x < c.w; x++ {
			xc := float32(x) + 0.5
			for k < len(xs) && xs[k].x <= xc {
				wind += xs[k].dir
				k++
			}
			if wind != 0 {
				c.dots[y*c.w+x] = true
			}
		}
	}
}
