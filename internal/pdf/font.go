package pdf

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
)

// Font is a TrueType font a document embeds a subset of: only the glyphs its text uses,
// under their own glyph ids. Its tables are read here (golang.org/x/image/font/sfnt
// refuses tables not 4-byte aligned, as WenQuanYi Zen Hei's are). A Font is read-only
// once loaded and safe for concurrent use by several documents.
type Font struct {
	// Name is the face's PostScript name ("WenQuanYiZenHei").
	Name string
	cmap cmap
	t    map[string][]byte

	unitsPerEm int
	numGlyphs  int
	loca       []uint32 // numGlyphs+1 offsets into glyf
	advance    []uint16 // per glyph, font units
	lsb        []int16  // per glyph

	ascent, descent int
	bbox            [4]int // font units
}

// LoadFont reads the TrueType font or collection at path. In a collection, face is the
// PostScript name of the face to use; "" (and any name, for a single font) takes the first.
func LoadFont(path, face string) (*Font, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("pdf: font: %w", err)
	}
	f, err := ParseFont(data, face)
	if err != nil {
		return nil, fmt.Errorf("pdf: font %s: %w", path, err)
	}
	return f, nil
}

// ParseFont reads a TrueType font or collection from data (kept, not copied); face as for
// LoadFont.
func ParseFont(data []byte, face string) (*Font, error) {
	n, err := faceCount(data)
	if err != nil {
		return nil, err
	}
	if n == 1 || face == "" {
		return parseFace(data, 0)
	}
	var names []string
	for i := range n {
		t, err := readTables(data, i)
		if err != nil {
			return nil, err
		}
		name := postScriptName(t["name"])
		if name == face {
			return parseFace(data, i)
		}
		names = append(names, name)
	}
	return nil, badFont("no face %q (faces: %s)", face, strings.Join(names, ", "))
}

func parseFace(data []byte, index int) (*Font, error) {
	t, err := readTables(data, index)
	if err != nil {
		return nil, err
	}
	for _, tag := range []string{"cmap", "head", "hhea", "hmtx", "loca", "glyf", "maxp"} {
		if t[tag] == nil {
			return nil, badFont("no %q table", tag)
		}
	}
	cm, err := readCmap(t["cmap"])
	if err != nil {
		return nil, err
	}
	f := &Font{cmap: cm, t: t, Name: postScriptName(t["name"])}
	head, hhea, maxp := t["head"], t["hhea"], t["maxp"]
	if len(head) < 54 || len(hhea) < 36 || len(maxp) < 6 {
		return nil, badFont("head %d, hhea %d, maxp %d bytes", len(head), len(hhea), len(maxp))
	}
	f.unitsPerEm = int(binary.BigEndian.Uint16(head[18:]))
	if f.unitsPerEm < 16 || f.unitsPerEm > 16384 {
		return nil, badFont("%d units per em", f.unitsPerEm)
	}
	for i := range 4 {
		f.bbox[i] = int(int16(binary.BigEndian.Uint16(head[36+2*i:])))
	}
	f.ascent = int(int16(binary.BigEndian.Uint16(hhea[4:])))
	f.descent = int(int16(binary.BigEndian.Uint16(hhea[6:])))
	f.numGlyphs = int(binary.BigEndian.Uint16(maxp[4:]))
	if f.numGlyphs == 0 {
		return nil, badFont("no glyphs")
	}
	// loca: numGlyphs+1 offsets, short (halved, 16-bit) or long.
	loca, glyf := t["loca"], t["glyf"]
	f.loca = make([]uint32, f.numGlyphs+1)
	long := binary.BigEndian.Uint16(head[50:]) != 0
	for i := range f.loca {
		switch {
		case long && 4*i+4 <= len(loca):
			f.loca[i] = binary.BigEndian.Uint32(loca[4*i:])
		case !long && 2*i+2 <= len(loca):
			f.loca[i] = 2 * uint32(binary.BigEndian.Uint16(loca[2*i:]))
		default:
			return nil, badFont("loca of %d bytes for %d glyphs", len(loca), f.numGlyphs)
		}
		if f.loca[i] > uint32(len(glyf)) || i > 0 && f.loca[i] < f.loca[i-1] {
			return nil, badFont("glyph %d at %d in a glyf of %d bytes", i, f.loca[i], len(glyf))
		}
	}
	// hmtx: numberOfHMetrics (advance, lsb) pairs, the last advance repeating for the
	// glyphs after them, which have their lsb only.
	hmtx := t["hmtx"]
	nh := int(binary.BigEndian.Uint16(hhea[34:]))
	if nh == 0 || nh > f.numGlyphs || len(hmtx) < 4*nh+2*(f.numGlyphs-nh) {
		return nil, badFont("hmtx of %d bytes for %d metrics and %d glyphs", len(hmtx), nh, f.numGlyphs)
	}
	f.advance = make([]uint16, f.numGlyphs)
	f.lsb = make([]int16, f.numGlyphs)
	for g := range f.numGlyphs {
		if g < nh {
			f.advance[g] = binary.BigEndian.Uint16(hmtx[4*g:])
			f.lsb[g] = int16(binary.BigEndian.Uint16(hmtx[4*g+2:]))
		} else {
			f.advance[g] = f.advance[nh-1]
			f.lsb[g] = int16(binary.BigEndian.Uint16(hmtx[4*nh+2*(g-nh):]))
		}
	}
	return f, nil
}

// glyph is the glyph id that draws r, 0 (.notdef) where the font has none.
func (f *Font) glyph(r rune) uint16 {
	g := f.cmap.lookup(r)
	if g >= uint32(f.numGlyphs) {
		return 0
	}
	return uint16(g)
}

// width is a glyph's advance in thousandths of the font size.
func (f *Font) width(g uint16) int {
	return int(math.Round(float64(f.advance[g]) * 1000 / float64(f.unitsPerEm)))
}

// scale turns font units into thousandths of the font size.
func (f *Font) scale(v int) int {
	return int(math.Round(float64(v) * 1000 / float64(f.unitsPerEm)))
}

// glyphData is a glyph's bytes in glyf.
func (f *Font) glyphData(g uint16) []byte {
	return f.t["glyf"][f.loca[g]:f.loca[g+1]]
}

// closure adds to used every glyph a composite glyph in it is built from, and .notdef.
func (f *Font) closure(used map[uint16]bool) error {
	used[0] = true
	todo := make([]uint16, 0, len(used))
	for g := range used {
		todo = append(todo, g)
	}
	for len(todo) > 0 {
		g := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		parts, err := components(f.glyphData(g))
		if err != nil {
			return fmt.Errorf("glyph %d: %w", g, err)
		}
		for _, c := range parts {
			if int(c) >= f.numGlyphs {
				return badFont("glyph %d's component %d of %d glyphs", g, c, f.numGlyphs)
			}
			if !used[c] {
				used[c] = true
				todo = append(todo, c)
			}
		}
	}
	return nil
}

// subset writes a TrueType font with the glyphs in used (after closure) under their own
// ids, and every other glyph id up to the largest used one empty: glyf holds the used
// glyphs' bytes unaltered, loca gives the others zero length, hmtx gives
// them no advance. Only the tables a PDF reader needs to draw a CIDFontType2 are kept
// (no cmap: the document's CIDs are glyph ids).
func (f *Font) subset(used map[uint16]bool) ([]byte, error) {
	if err := f.closure(used); err != nil {
		return nil, err
	}
	n := 0
	for g := range used {
		n = max(n, int(g)+1)
	}
	keep := make([]bool, n)
	for g := range used {
		keep[g] = true
	}
	var glyf []byte
	at := make([]uint32, n+1) // each glyph's offset in glyf
	hmtx := make([]byte, 4*n)
	for g := range n {
		at[g] = uint32(len(glyf))
		if !keep[g] {
			continue
		}
		glyf = append(glyf, f.glyphData(uint16(g))...)
		for len(glyf)%4 != 0 {
			glyf = append(glyf, 0)
		}
		binary.BigEndian.PutUint16(hmtx[4*g:], f.advance[g])
		binary.BigEndian.PutUint16(hmtx[4*g+2:], uint16(f.lsb[g]))
	}
	at[n] = uint32(len(glyf))
	// Short offsets (halved, 16-bit) while glyf stays under 128 KiB, as a
	// certificate's does: half the loca.
	short := len(glyf) < 1<<17
	var loca []byte
	for _, o := range at {
		if short {
			loca = binary.BigEndian.AppendUint16(loca, uint16(o/2))
		} else {
			loca = binary.BigEndian.AppendUint32(loca, o)
		}
	}
	head := append([]byte(nil), f.t["head"][:54]...)
	binary.BigEndian.PutUint32(head[8:], 0) // checkSumAdjustment, set below
	binary.BigEndian.PutUint16(head[50:], 1)
	if short {
		binary.BigEndian.PutUint16(head[50:], 0)
	}
	hhea := append([]byte(nil), f.t["hhea"][:36]...)
	binary.BigEndian.PutUint16(hhea[34:], uint16(n))
	maxp := append([]byte(nil), f.t["maxp"]...)
	binary.BigEndian.PutUint16(maxp[4:], uint16(n))
	tables := map[string][]byte{"glyf": glyf, "head": head, "hhea": hhea, "hmtx": hmtx, "loca": loca, "maxp": maxp}
	for _, tag := range []string{"cvt ", "fpgm", "prep"} {
		if b := f.t[tag]; b != nil {
			tables[tag] = b
		}
	}
	out := writeSFNT(tables)
	// checkSumAdjustment makes the whole file sum to 0xB1B0AFBA.
	adj := 0xB1B0AFBA - checksum(out)
	headAt := tableOffset(out, "head")
	binary.BigEndian.PutUint32(out[headAt+8:], adj)
	return out, nil
}

// checksum is the OpenType table checksum: the sum of big-endian uint32s, zero-padded.
func checksum(b []byte) uint32 {
	var s uint32
	for i := 0; i < len(b); i += 4 {
		var w [4]byte
		copy(w[:], b[i:])
		s += binary.BigEndian.Uint32(w[:])
	}
	return s
}

// writeSFNT lays tables out as a TrueType file: the offset table, the directory sorted
// by tag, then each table 4-byte aligned.
func writeSFNT(tables map[string][]byte) []byte {
	tags := make([]string, 0, len(tables))
	for tag := range tables {
		tags = append(tags, tag)
	}
	sort.Strings(tags)
	n := len(tags)
	pow := 1
	sel := 0
	for pow*2 <= n {
		pow *= 2
		sel++
	}
	out := make([]byte, 12+16*n)
	binary.BigEndian.PutUint32(out, 0x00010000)
	binary.BigEndian.PutUint16(out[4:], uint16(n))
	binary.BigEndian.PutUint16(out[6:], uint16(16*pow))
	binary.BigEndian.PutUint16(out[8:], uint16(sel))
	binary.BigEndian.PutUint16(out[10:], uint16(16*(n-pow)))
	for i, tag := range tags {
		b := tables[tag]
		rec := out[12+16*i:]
		copy(rec, tag)
		binary.BigEndian.PutUint32(rec[4:], checksum(b))
		binary.BigEndian.PutUint32(rec[8:], uint32(len(out)))
		binary.BigEndian.PutUint32(rec[12:], uint32(len(b)))
		out = append(out, b...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	return out
}

// tableOffset finds a table in a file writeSFNT made.
func tableOffset(font []byte, tag string) int {
	n := int(binary.BigEndian.Uint16(font[4:]))
	for i := range n {
		rec := font[12+16*i:]
		if string(rec[:4]) == tag {
			return int(binary.BigEndian.Uint32(rec[8:]))
		}
	}
	return -1
}
