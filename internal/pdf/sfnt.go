package pdf

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The reader of TrueType files (one font, .ttf) and collections (several faces sharing
// tables, .ttc) that the embedding needs: a face's table directory and its glyphs' raw
// bytes. Everything here reads bytes from outside the program (a font file on disk), so
// every offset and length is checked before it is used.

// ErrNotTrueType means a font file is not a TrueType font or collection, or the face
// has PostScript (CFF) outlines, which this package does not subset.
var ErrNotTrueType = errors.New("pdf: not a TrueType font")

// ErrBadFont means a font file's tables are inconsistent or cut short.
var ErrBadFont = errors.New("pdf: malformed font")

func badFont(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadFont}, args...)...)
}

// faceCount is the number of faces in a font file: the collection's count, or 1.
func faceCount(data []byte) (int, error) {
	if len(data) < 12 {
		return 0, badFont("%d bytes", len(data))
	}
	if string(data[:4]) != "ttcf" {
		return 1, nil
	}
	n := binary.BigEndian.Uint32(data[8:])
	if n == 0 || uint64(n) > uint64(len(data)-12)/4 {
		return 0, badFont("collection of %d faces in %d bytes", n, len(data))
	}
	return int(n), nil
}

// readTables reads the table directory of face (0 for a single font) and returns each
// table's bytes, slices of data.
func readTables(data []byte, face int) (map[string][]byte, error) {
	faces, err := faceCount(data)
	if err != nil {
		return nil, err
	}
	if face < 0 || face >= faces {
		return nil, badFont("face %d of %d", face, faces)
	}
	off := uint64(0)
	if string(data[:4]) == "ttcf" {
		off = uint64(binary.BigEndian.Uint32(data[12+4*face:]))
	}
	if off+12 > uint64(len(data)) {
		return nil, badFont("face %d's offset table at %d past the end (%d bytes)", face, off, len(data))
	}
	switch v := string(data[off : off+4]); v {
	case "\x00\x01\x00\x00", "true":
	case "OTTO":
		return nil, fmt.Errorf("%w: face %d has CFF outlines", ErrNotTrueType, face)
	default:
		return nil, fmt.Errorf("%w: face %d's version %q", ErrNotTrueType, face, v)
	}
	n := uint64(binary.BigEndian.Uint16(data[off+4:]))
	dir := off + 12
	if dir+16*n > uint64(len(data)) {
		return nil, badFont("%d tables' directory past the end", n)
	}
	t := make(map[string][]byte, n)
	for i := range n {
		rec := data[dir+16*i:]
		tag := string(rec[:4])
		at := uint64(binary.BigEndian.Uint32(rec[8:]))
		length := uint64(binary.BigEndian.Uint32(rec[12:]))
		if at+length > uint64(len(data)) {
			return nil, badFont("table %q (%d bytes at %d) past the end (%d bytes)", tag, length, at, len(data))
		}
		if _, dup := t[tag]; dup {
			return nil, badFont("table %q twice", tag)
		}
		t[tag] = data[at : at+length : at+length]
	}
	return t, nil
}

// Composite glyph flags (OpenType 'glyf').
const (
	argsAreWords   = 0x0001
	haveScale      = 0x0008
	moreComponents = 0x0020
	haveXYScale    = 0x0040
	haveTwoByTwo   = 0x0080
)

// components returns the glyph ids a glyph's outline is made of: none for a simple glyph
// (or an empty one), the component glyphs for a composite one.
func components(glyph []byte) ([]uint16, error) {
	if len(glyph) == 0 {
		return nil, nil
	}
	if len(glyph) < 10 {
		return nil, badFont("glyph of %d bytes", len(glyph))
	}
	if int16(binary.BigEndian.Uint16(glyph)) >= 0 {
		return nil, nil
	}
	var ids []uint16
	p := 10
	for {
		if p+4 > len(glyph) {
			return nil, badFont("composite glyph cut short at %d of %d bytes", p, len(glyph))
		}
		flags := binary.BigEndian.Uint16(glyph[p:])
		ids = append(ids, binary.BigEndian.Uint16(glyph[p+2:]))
		p += 4
		if flags&argsAreWords != 0 {
			p += 4
		} else {
			p += 2
		}
		switch {
		case flags&haveScale != 0:
			p += 2
		case flags&haveXYScale != 0:
			p += 4
		case flags&haveTwoByTwo != 0:
			p += 8
		}
		if p > len(glyph) {
			return nil, badFont("composite glyph cut short at %d of %d bytes", p, len(glyph))
		}
		if flags&moreComponents == 0 {
			return ids, nil
		}
	}
}

// cmap is a face's character-to-glyph map: one Unicode subtable, format 4 (the Basic
// Multilingual Plane) or 12 (all of Unicode).
type cmap struct {
	format int
	sub    []byte
}

// readCmap picks the cmap subtable to use: a full-Unicode one (format 12) if the face
// has it, else a BMP one (format 4).
func readCmap(t []byte) (cmap, error) {
	if len(t) < 4 {
		return cmap{}, badFont("cmap of %d bytes", len(t))
	}
	n := int(binary.BigEndian.Uint16(t[2:]))
	if 4+8*n > len(t) {
		return cmap{}, badFont("cmap of %d bytes for %d subtables", len(t), n)
	}
	var best cmap
	for i := range n {
		rec := t[4+8*i:]
		platform, encoding := binary.BigEndian.Uint16(rec), binary.BigEndian.Uint16(rec[2:])
		unicode := platform == 0 || platform == 3 && (encoding == 1 || encoding == 10)
		off := uint64(binary.BigEndian.Uint32(rec[4:]))
		if !unicode || off+2 > uint64(len(t)) {
			continue
		}
		sub := t[off:]
		switch format := int(binary.BigEndian.Uint16(sub)); format {
		case 4:
			if len(sub) < 14 {
				return cmap{}, badFont("cmap format 4 of %d bytes", len(sub))
			}
			segs := int(binary.BigEndian.Uint16(sub[6:])) / 2
			if 16+8*segs > len(sub) {
				return cmap{}, badFont("cmap format 4 of %d bytes for %d segments", len(sub), segs)
			}
			if best.format == 0 {
				best = cmap{format: 4, sub: sub}
			}
		case 12:
			if len(sub) < 16 {
				return cmap{}, badFont("cmap format 12 of %d bytes", len(sub))
			}
			groups := uint64(binary.BigEndian.Uint32(sub[12:]))
			if 16+12*groups > uint64(len(sub)) {
				return cmap{}, badFont("cmap format 12 of %d bytes for %d groups", len(sub), groups)
			}
			best = cmap{format: 12, sub: sub[:16+12*groups]}
		}
	}
	if best.format == 0 {
		return cmap{}, badFont("no Unicode cmap of format 4 or 12")
	}
	return best, nil
}

// lookup is the glyph for r, 0 where there is none.
func (c cmap) lookup(r rune) uint32 {
	if r < 0 {
		return 0
	}
	s := c.sub
	if c.format == 12 {
		// Groups are sorted by their first character: binary search.
		groups := int(binary.BigEndian.Uint32(s[12:]))
		lo, hi := 0, groups
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			g := s[16+12*m:]
			start, end := binary.BigEndian.Uint32(g), binary.BigEndian.Uint32(g[4:])
			switch {
			case uint32(r) < start:
				hi = m
			case uint32(r) > end:
				lo = m + 1
			default:
				return binary.BigEndian.Uint32(g[8:]) + uint32(r) - start
			}
		}
		return 0
	}
	if r > 0xFFFF {
		return 0
	}
	segs := int(binary.BigEndian.Uint16(s[6:])) / 2
	ends, starts := 14, 16+2*segs
	deltas, ranges := starts+2*segs, starts+4*segs
	for i := range segs {
		end := rune(binary.BigEndian.Uint16(s[ends+2*i:]))
		if r > end {
			continue
		}
		start := rune(binary.BigEndian.Uint16(s[starts+2*i:]))
		if r < start {
			return 0
		}
		delta := binary.BigEndian.Uint16(s[deltas+2*i:])
		ro := int(binary.BigEndian.Uint16(s[ranges+2*i:]))
		if ro == 0 {
			return uint32(uint16(r) + delta)
		}
		at := ranges + 2*i + ro + 2*int(r-start)
		if at+2 > len(s) {
			return 0
		}
		g := binary.BigEndian.Uint16(s[at:])
		if g == 0 {
			return 0
		}
		return uint32(g + delta)
	}
	return 0
}

// postScriptName is the face's PostScript name (name id 6), "" if it has none.
func postScriptName(t []byte) string {
	if len(t) < 6 {
		return ""
	}
	n := int(binary.BigEndian.Uint16(t[2:]))
	strs := int(binary.BigEndian.Uint16(t[4:]))
	for i := range n {
		if 6+12*i+12 > len(t) {
			return ""
		}
		rec := t[6+12*i:]
		platform, id := binary.BigEndian.Uint16(rec), binary.BigEndian.Uint16(rec[6:])
		length, off := int(binary.BigEndian.Uint16(rec[8:])), int(binary.BigEndian.Uint16(rec[10:]))
		if id != 6 || strs+off+length > len(t) {
			continue
		}
		b := t[strs+off : strs+off+length]
		switch platform {
		case 1: // Macintosh, Roman: ASCII in practice
			return string(b)
		case 0, 3: // UTF-16BE
			var s []byte
			for j := 0; j+1 < len(b); j += 2 {
				if b[j] == 0 && b[j+1] < 0x80 {
					s = append(s, b[j+1])
				}
			}
			return string(s)
		}
	}
	return ""
}
