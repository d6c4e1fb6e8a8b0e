package pdf

import (
	"encoding/binary"
	"errors"
	"testing"
	"unicode/utf16"
)

// tinyGlyphs are the outlines of a synthetic font: .notdef empty, glyph 1 a simple glyph
// (one contour: a header and bytes the reader does not look into), glyph 2 a composite of
// glyph 1 twice (word arguments, then byte arguments with a scale).
var tinyGlyphs = [][]byte{
	nil,
	{0, 1, 0, 0, 0, 0, 0, 100, 0, 100, 0, 3, 0, 0, 1, 0, 0, 0, 0, 0},
	{0xFF, 0xFF, 0, 0, 0, 0, 0, 100, 0, 100,
		0, argsAreWords | moreComponents, 0, 1, 0, 0, 0, 0,
		0, haveScale, 0, 1, 5, 5, 0x40, 0},
}

// tinyFont builds a TrueType font of glyphs (each a glyph's glyf bytes, padded here) with
// a format 4 cmap from chars and the PostScript name name.
func tinyFont(name string, glyphs [][]byte, chars map[rune]uint16) []byte {
	n := len(glyphs)
	var glyf []byte
	loca := make([]byte, 4*(n+1))
	hmtx := make([]byte, 4*n)
	for g, b := range glyphs {
		binary.BigEndian.PutUint32(loca[4*g:], uint32(len(glyf)))
		glyf = append(glyf, b...)
		for len(glyf)%4 != 0 {
			glyf = append(glyf, 0)
		}
		binary.BigEndian.PutUint16(hmtx[4*g:], 500)
	}
	binary.BigEndian.PutUint32(loca[4*n:], uint32(len(glyf)))
	head := make([]byte, 54)
	binary.BigEndian.PutUint32(head, 0x00010000)
	binary.BigEndian.PutUint32(head[12:], 0x5F0F3CF5)
	binary.BigEndian.PutUint16(head[18:], 1000)
	binary.BigEndian.PutUint16(head[40:], 1000)
	binary.BigEndian.PutUint16(head[42:], 1000)
	binary.BigEndian.PutUint16(head[50:], 1)
	hhea := make([]byte, 36)
	binary.BigEndian.PutUint16(hhea[4:], 880)
	binary.BigEndian.PutUint16(hhea[6:], 0xFF88) // -120
	binary.BigEndian.PutUint16(hhea[34:], uint16(n))
	maxp := make([]byte, 6)
	binary.BigEndian.PutUint32(maxp, 0x00005000)
	binary.BigEndian.PutUint16(maxp[4:], uint16(n))
	return writeSFNT(map[string][]byte{"cmap": cmap4(chars), "glyf": glyf, "head": head, "hhea": hhea,
		"hmtx": hmtx, "loca": loca, "maxp": maxp, "name": nameTable(name)})
}

// cmap4 is a cmap with one format 4 subtable (platform 3, encoding 1): a segment per
// character, in order, then the closing 0xFFFF one.
func cmap4(chars map[rune]uint16) []byte {
	var rs []rune
	for r := rune(0); r <= 0xFFFF; r++ {
		if _, ok := chars[r]; ok {
			rs = append(rs, r)
		}
	}
	segs := len(rs) + 1
	sub := make([]byte, 16+8*segs)
	binary.BigEndian.PutUint16(sub, 4)
	binary.BigEndian.PutUint16(sub[2:], uint16(len(sub)))
	binary.BigEndian.PutUint16(sub[6:], uint16(2*segs))
	put := func(i int, start, end rune, delta uint16) {
		binary.BigEndian.PutUint16(sub[14+2*i:], uint16(end))
		binary.BigEndian.PutUint16(sub[16+2*segs+2*i:], uint16(start))
		binary.BigEndian.PutUint16(sub[16+4*segs+2*i:], delta)
	}
	for i, r := range rs {
		put(i, r, r, chars[r]-uint16(r))
	}
	put(segs-1, 0xFFFF, 0xFFFF, 1)
	t := make([]byte, 12)
	binary.BigEndian.PutUint16(t[2:], 1)
	binary.BigEndian.PutUint16(t[4:], 3)
	binary.BigEndian.PutUint16(t[6:], 1)
	binary.BigEndian.PutUint32(t[8:], 12)
	return append(t, sub...)
}

// nameTable holds one name: the PostScript name, in UTF-16BE for Windows.
func nameTable(name string) []byte {
	s := utf16.Encode([]rune(name))
	t := make([]byte, 18, 18+2*len(s))
	binary.BigEndian.PutUint16(t[2:], 1)
	binary.BigEndian.PutUint16(t[4:], 18)
	binary.BigEndian.PutUint16(t[6:], 3)
	binary.BigEndian.PutUint16(t[8:], 1)
	binary.BigEndian.PutUint16(t[10:], 0x409)
	binary.BigEndian.PutUint16(t[12:], 6)
	binary.BigEndian.PutUint16(t[14:], uint16(2*len(s)))
	for _, u := range s {
		t = binary.BigEndian.AppendUint16(t, u)
	}
	return t
}

// collection puts single fonts into one TrueType collection (tables not shared).
func collection(faces ...[]byte) []byte {
	out := make([]byte, 12+4*len(faces))
	copy(out, "ttcf")
	binary.BigEndian.PutUint32(out[4:], 0x00010000)
	binary.BigEndian.PutUint32(out[8:], uint32(len(faces)))
	for i, f := range faces {
		base := uint32(len(out))
		binary.BigEndian.PutUint32(out[12+4*i:], base)
		f = append([]byte(nil), f...)
		n := int(binary.BigEndian.Uint16(f[4:]))
		for j := range n {
			rec := f[12+16*j:]
			binary.BigEndian.PutUint32(rec[8:], binary.BigEndian.Uint32(rec[8:])+base)
		}
		out = append(out, f...)
	}
	return out
}

var tinyChars = map[rune]uint16{'A': 1, '中': 2}

// TestParseFont: faces of a single font and of a collection are found by PostScript name,
// characters map to their glyphs, and damaged files are refused with ErrBadFont or
// ErrNotTrueType, never a panic.
func TestParseFont(t *testing.T) {
	one := tinyFont("Tiny", tinyGlyphs, tinyChars)
	other := tinyFont("Other", tinyGlyphs[:2], map[rune]uint16{'B': 1})
	ttc := collection(other, one)
	otto := append([]byte("OTTO"), one[4:]...)
	cut := one[:len(one)-40] // the last table (name) runs past the end
	badFace := append([]byte(nil), ttc...)
	binary.BigEndian.PutUint32(badFace[16:], uint32(len(ttc)))
	badLoca := tinyFont("Tiny", tinyGlyphs, tinyChars)
	binary.BigEndian.PutUint32(badLoca[tableOffset(badLoca, "loca")+4:], 1<<20)
	tests := []struct {
		name  string
		data  []byte
		face  string
		want  rune
		glyph uint16
		err   error
	}{
		{"single font", one, "", '中', 2, nil},
		{"single font ignores the face", one, "Other", 'A', 1, nil},
		{"collection, first face", ttc, "", 'B', 1, nil},
		{"collection, named face", ttc, "Tiny", '中', 2, nil},
		{"collection, no such face", ttc, "Nope", 0, 0, ErrBadFont},
		{"collection, face past the end", badFace, "Tiny", 0, 0, ErrBadFont},
		{"not mapped", one, "", 'Z', 0, nil},
		{"CFF outlines", otto, "", 0, 0, ErrNotTrueType},
		{"not a font", []byte("%PDF-1.4 not a font at all"), "", 0, 0, ErrNotTrueType},
		{"too short", one[:8], "", 0, 0, ErrBadFont},
		{"table past the end", cut, "", 0, 0, ErrBadFont},
		{"loca past glyf", badLoca, "", 0, 0, ErrBadFont},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFont(tt.data, tt.face)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if g := f.glyph(tt.want); g != tt.glyph {
				t.Errorf("glyph of %q: %d, want %d", tt.want, g, tt.glyph)
			}
		})
	}
}

// TestComponents: a composite glyph's parts in every argument and scale layout; cut
// short anywhere, it is refused.
func TestComponents(t *testing.T) {
	head := []byte{0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0}
	comp := func(flags uint16, id uint16, rest int) []byte {
		b := binary.BigEndian.AppendUint16(nil, flags)
		b = binary.BigEndian.AppendUint16(b, id)
		return append(b, make([]byte, rest)...)
	}
	all := append(append([]byte(nil), head...), comp(argsAreWords|moreComponents, 7, 4)...)
	all = append(all, comp(haveScale|moreComponents, 8, 2+2)...)
	all = append(all, comp(haveXYScale|moreComponents, 9, 2+4)...)
	all = append(all, comp(haveTwoByTwo, 10, 2+8)...)
	got, err := components(all)
	if err != nil || len(got) != 4 || got[0] != 7 || got[3] != 10 {
		t.Fatalf("components %v, %v", got, err)
	}
	for n := 10; n < len(all); n++ {
		if _, err := components(all[:n]); !errors.Is(err, ErrBadFont) {
			t.Errorf("cut at %d of %d: %v", n, len(all), err)
		}
	}
	for _, simple := range [][]byte{nil, tinyGlyphs[1]} {
		if got, err := components(simple); err != nil || got != nil {
			t.Errorf("simple glyph: %v, %v", got, err)
		}
	}
}

// FuzzParseFont: any bytes as a font file: parsing, mapping characters and subsetting
// never panic, and a subset made is a font file the reader reads back.
func FuzzParseFont(f *testing.F) {
	one := tinyFont("Tiny", tinyGlyphs, tinyChars)
	f.Add(one, "")
	f.Add(collection(tinyFont("Other", tinyGlyphs[:2], map[rune]uint16{'B': 1}), one), "Tiny")
	f.Add([]byte("ttcf\x00\x01\x00\x00\x00\x00\x00\x02\x00\x00\x00\x14\x00\x00\x00\x20"), "X")
	f.Fuzz(func(t *testing.T, data []byte, face string) {
		font, err := ParseFont(data, face)
		if err != nil {
			if !errors.Is(err, ErrBadFont) && !errors.Is(err, ErrNotTrueType) {
				t.Fatalf("error of another kind: %v", err)
			}
			return
		}
		used := map[uint16]bool{}
		for _, r := range []rune{'A', 'B', '中', 0x1F600, 0xFFFF, -1} {
			used[font.glyph(r)] = true
		}
		used[uint16(font.numGlyphs-1)] = true
		sub, err := font.subset(used)
		if err != nil {
			return
		}
		if _, err := readTables(sub, 0); err != nil {
			t.Fatalf("the subset does not read back: %v", err)
		}
	})
}
