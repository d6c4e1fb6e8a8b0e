package fonts

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf16"
)

// ErrFaceNotFound is returned when no face of a font file has the requested family name.
var ErrFaceNotFound = errors.New("fonts: no face with that family name")

// FormatError says why bytes are not a well-formed font or font collection.
type FormatError struct {
	// What names the structure that was malformed ("collection header", "table directory").
	What string
	// Detail says how.
	Detail string
}

// Error says what was malformed and how.
func (e *FormatError) Error() string { return "fonts: malformed " + e.What + ": " + e.Detail }

// sfnt versions a standalone font may start with.
const (
	tagTTCF     = 0x74746366 // "ttcf"
	tagOTTO     = 0x4F54544F // "OTTO": CFF outlines
	tagTrueType = 0x00010000
	tagTrue     = 0x74727565 // "true": Apple TrueType
	tagName     = 0x6E616D65 // "name"
)

// maxTables bounds a table directory; real fonts have a few dozen tables.
const maxTables = 256

// tableRecord is one entry of an sfnt table directory.
type tableRecord struct {
	tag, checksum, offset, length uint32
}

// face is one font inside a file: its sfnt version and table directory.
type face struct {
	version uint32
	tables  []tableRecord
}

// faceOffsets returns the offset of every face's table directory: one zero offset for a
// standalone font, one per member for a collection.
func faceOffsets(data []byte) ([]uint32, error) {
	if len(data) < 12 {
		return nil, &FormatError{"header", "file shorter than a font header"}
	}
	switch binary.BigEndian.Uint32(data) {
	case tagOTTO, tagTrueType, tagTrue:
		return []uint32{0}, nil
	case tagTTCF:
	default:
		return nil, &FormatError{"header", fmt.Sprintf("unknown signature %#08x", binary.BigEndian.Uint32(data))}
	}
	n := binary.BigEndian.Uint32(data[8:])
	if n == 0 || uint64(n)*4 > uint64(len(data)-12) {
		return nil, &FormatError{"collection header", fmt.Sprintf("%d faces do not fit in %d bytes", n, len(data))}
	}
	offs := make([]uint32, n)
	for i := range offs {
		offs[i] = binary.BigEndian.Uint32(data[12+4*i:])
	}
	return offs, nil
}

// readFace parses the table directory at off and checks that every table lies in data.
func readFace(data []byte, off uint32) (face, error) {
	if uint64(off)+12 > uint64(len(data)) {
		return face{}, &FormatError{"table directory", fmt.Sprintf("offset %d beyond end of file", off)}
	}
	d := data[off:]
	f := face{version: binary.BigEndian.Uint32(d)}
	switch f.version {
	case tagOTTO, tagTrueType, tagTrue:
	default:
		return face{}, &FormatError{"table directory", fmt.Sprintf("unknown sfnt version %#08x", f.version)}
	}
	n := int(binary.BigEndian.Uint16(d[4:]))
	if n == 0 || n > maxTables || 12+16*n > len(d) {
		return face{}, &FormatError{"table directory", fmt.Sprintf("%d tables do not fit", n)}
	}
	f.tables = make([]tableRecord, n)
	for i := range f.tables {
		r := d[12+16*i:]
		t := tableRecord{
			tag:      binary.BigEndian.Uint32(r),
			checksum: binary.BigEndian.Uint32(r[4:]),
			offset:   binary.BigEndian.Uint32(r[8:]),
			length:   binary.BigEndian.Uint32(r[12:]),
		}
		if uint64(t.offset)+uint64(t.length) > uint64(len(data)) {
			return face{}, &FormatError{"table directory", fmt.Sprintf("table %q runs past end of file", tagString(t.tag))}
		}
		f.tables[i] = t
	}
	return f, nil
}

func (f face) table(data []byte, tag uint32) ([]byte, bool) {
	for _, t := range f.tables {
		if t.tag == tag {
			return data[t.offset : t.offset+t.length], true
		}
	}
	return nil, false
}

func tagString(tag uint32) string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], tag)
	return string(b[:])
}

// Name IDs of the OpenType name table that carry a family name.
const (
	nameFamily            = 1
	nameTypographicFamily = 16
)

// families returns the family names a name table declares (typographic and legacy), in
// the Unicode (platform 0), Windows (3) and Macintosh Roman (1) encodings.
func families(name []byte) []string {
	if len(name) < 6 {
		return nil
	}
	count := int(binary.BigEndian.Uint16(name[2:]))
	storage := int(binary.BigEndian.Uint16(name[4:]))
	var out []string
	for i := range count {
		r := 6 + 12*i
		if r+12 > len(name) {
			break
		}
		platform := binary.BigEndian.Uint16(name[r:])
		id := binary.BigEndian.Uint16(name[r+6:])
		length := int(binary.BigEndian.Uint16(name[r+8:]))
		off := storage + int(binary.BigEndian.Uint16(name[r+10:]))
		if id != nameFamily && id != nameTypographicFamily || off+length > len(name) {
			continue
		}
		raw := name[off : off+length]
		var s string
		switch platform {
		case 0, 3:
			u := make([]uint16, len(raw)/2)
			for j := range u {
				u[j] = binary.BigEndian.Uint16(raw[2*j:])
			}
			s = string(utf16.Decode(u))
		case 1:
			s = string(raw) // Mac Roman; family names of interest are ASCII
		default:
			continue
		}
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Families lists the family names of every face in a font file or collection, in file
// order, for error messages and diagnostics.
func Families(data []byte) ([]string, error) {
	offs, err := faceOffsets(data)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, off := range offs {
		f, err := readFace(data, off)
		if err != nil {
			return nil, err
		}
		name, _ := f.table(data, tagName)
		out = append(out, strings.Join(families(name), " / "))
	}
	return out, nil
}

// Extract returns the face whose family name is family as a standalone OpenType font. data
// may be a standalone font (returned as a copy when its family matches) or a collection.
// It returns ErrFaceNotFound, wrapped, when no face matches, and a *FormatError when data is
// malformed.
func Extract(data []byte, family string) ([]byte, error) {
	offs, err := faceOffsets(data)
	if err != nil {
		return nil, err
	}
	for _, off := range offs {
		f, err := readFace(data, off)
		if err != nil {
			return nil, err
		}
		name, ok := f.table(data, tagName)
		if !ok || !slices.Contains(families(name), family) {
			continue
		}
		return f.standalone(data), nil
	}
	return nil, fmt.Errorf("%w: %q", ErrFaceNotFound, family)
}

// standalone writes the face as a single-font file: the directory, then every table
// 4-byte aligned, as the OpenType specification asks. Table checksums do not depend on
// position and are kept; readers do not check head.checkSumAdjustment.
func (f face) standalone(data []byte) []byte {
	tables := slices.Clone(f.tables)
	slices.SortFunc(tables, func(a, b tableRecord) int { return int(int64(a.tag) - int64(b.tag)) })
	n := len(tables)
	size := 12 + 16*n
	for _, t := range tables {
		size += int(t.length+3) &^ 3
	}
	out := make([]byte, size)
	binary.BigEndian.PutUint32(out, f.version)
	binary.BigEndian.PutUint16(out[4:], uint16(n))
	pow, log := 1, 0
	for pow*2 <= n {
		pow *= 2
		log++
	}
	binary.BigEndian.PutUint16(out[6:], uint16(pow*16))
	binary.BigEndian.PutUint16(out[8:], uint16(log))
	binary.BigEndian.PutUint16(out[10:], uint16(n*16-pow*16))
	pos := 12 + 16*n
	for i, t := range tables {
		r := out[12+16*i:]
		binary.BigEndian.PutUint32(r, t.tag)
		binary.BigEndian.PutUint32(r[4:], t.checksum)
		binary.BigEndian.PutUint32(r[8:], uint32(pos))
		binary.BigEndian.PutUint32(r[12:], t.length)
		copy(out[pos:], data[t.offset:t.offset+t.length])
		pos += int(t.length+3) &^ 3
	}
	return out
}
