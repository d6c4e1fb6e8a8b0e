package fonts

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"unicode/utf16"
)

// buildFont writes a minimal sfnt: a name table declaring family, and one filler table.
func buildFont(family string, filler []byte) []byte {
	return buildCollection([]string{family}, filler, false)
}

// buildCollection writes fonts (one per family) either as standalone (one family) or as a
// collection. Tables are placed after all directories, with offsets from file start, as in
// a real collection.
func buildCollection(fams []string, filler []byte, ttc bool) []byte {
	type tbl struct {
		tag  string
		data []byte
	}
	var faces [][]tbl
	for _, f := range fams {
		faces = append(faces, []tbl{{"name", nameTable(f)}, {"zzzz", filler}})
	}
	head := 0
	if ttc {
		head = 12 + 4*len(fams)
	}
	dirs := make([]int, len(faces))
	pos := head
	for i, f := range faces {
		dirs[i] = pos
		pos += 12 + 16*len(f)
	}
	var body bytes.Buffer
	out := make([]byte, pos)
	if ttc {
		copy(out, "ttcf")
		binary.BigEndian.PutUint32(out[4:], 0x00010000)
		binary.BigEndian.PutUint32(out[8:], uint32(len(fams)))
		for i, d := range dirs {
			binary.BigEndian.PutUint32(out[12+4*i:], uint32(d))
		}
	}
	for i, f := range faces {
		d := out[dirs[i]:]
		binary.BigEndian.PutUint32(d, tagOTTO)
		binary.BigEndian.PutUint16(d[4:], uint16(len(f)))
		for j, t := range f {
			r := d[12+16*j:]
			copy(r, t.tag)
			binary.BigEndian.PutUint32(r[8:], uint32(pos+body.Len()))
			binary.BigEndian.PutUint32(r[12:], uint32(len(t.data)))
			body.Write(t.data)
		}
	}
	return append(out, body.Bytes()...)
}

func nameTable(family string) []byte {
	u := utf16.Encode([]rune(family))
	str := make([]byte, 2*len(u))
	for i, c := range u {
		binary.BigEndian.PutUint16(str[2*i:], c)
	}
	t := make([]byte, 6+12)
	binary.BigEndian.PutUint16(t[2:], 1)
	binary.BigEndian.PutUint16(t[4:], 18)
	r := t[6:]
	binary.BigEndian.PutUint16(r, 3)          // Windows
	binary.BigEndian.PutUint16(r[2:], 1)      // Unicode BMP
	binary.BigEndian.PutUint16(r[4:], 0x0804) // zh-CN
	binary.BigEndian.PutUint16(r[6:], 1)      // family
	binary.BigEndian.PutUint16(r[8:], uint16(len(str)))
	return append(t, str...)
}

func TestExtract(t *testing.T) {
	filler := []byte("glyphs of the SC face")
	tests := []struct {
		name    string
		data    []byte
		family  string
		wantErr error
		format  bool
	}{
		{"collection second face", buildCollection([]string{"Test JP", Family, "Test TC"}, filler, true), Family, nil, false},
		{"standalone", buildFont(Family, filler), Family, nil, false},
		{"absent", buildCollection([]string{"Test JP", "Test TC"}, filler, true), Family, ErrFaceNotFound, false},
		{"empty", nil, Family, nil, true},
		{"bad signature", []byte("not a font at all"), Family, nil, true},
		{"collection too many faces", append([]byte("ttcf\x00\x01\x00\x00\xff\xff\xff\xff"), make([]byte, 8)...), Family, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Extract(tt.data, tt.family)
			var fe *FormatError
			switch {
			case tt.format:
				if !errors.As(err, &fe) {
					t.Fatalf("Extract error = %v, want a *FormatError", err)
				}
				return
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Extract error = %v, want %v", err, tt.wantErr)
				}
				return
			case err != nil:
				t.Fatalf("Extract: %v", err)
			}
			fams, err := Families(got)
			if err != nil {
				t.Fatalf("extracted font does not parse: %v", err)
			}
			if len(fams) != 1 || fams[0] != tt.family {
				t.Errorf("extracted families = %q, want [%q]", fams, tt.family)
			}
			f, err := readFace(got, 0)
			if err != nil {
				t.Fatal(err)
			}
			z, ok := f.table(got, 0x7A7A7A7A)
			if !ok || !bytes.Equal(z, filler) {
				t.Errorf("filler table = %q, want %q", z, filler)
			}
			for _, r := range f.tables {
				if r.offset%4 != 0 {
					t.Errorf("table %s at unaligned offset %d", tagString(r.tag), r.offset)
				}
			}
		})
	}
}

func TestLoadMissing(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(Paths{Regular: filepath.Join(dir, "none.ttc")})
	if !errors.Is(err, ErrMissing) {
		t.Fatalf("Load error = %v, want ErrMissing", err)
	}
	if !bytes.Contains([]byte(err.Error()), []byte(Package)) {
		t.Errorf("error %q does not name the package to install", err)
	}
}

func TestLoadBoldFallsBackToRegular(t *testing.T) {
	dir := t.TempDir()
	reg := filepath.Join(dir, "reg.ttc")
	if err := os.WriteFile(reg, buildCollection([]string{"Test JP", Family}, []byte("x"), true), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := Load(Paths{Regular: reg, Bold: filepath.Join(dir, "absent.ttc")})
	if err != nil {
		t.Fatal(err)
	}
	if set.Bold != set.Regular {
		t.Error("bold face should fall back to the regular one when its file is missing")
	}
}

// TestSystemFont checks the real Debian collection when it is installed: the extracted
// face must be the Simplified Chinese one.
func TestSystemFont(t *testing.T) {
	if _, err := os.Stat(DefaultRegular); err != nil {
		t.Skipf("%s not installed: %v", Package, err)
	}
	set, err := Load(DefaultPaths)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct {
		name string
		data []byte
	}{{"regular", set.Regular.Content()}, {"bold", set.Bold.Content()}} {
		fams, err := Families(r.data)
		if err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		if len(fams) != 1 || !slices.Contains(families(mustName(t, r.data)), Family) {
			t.Errorf("%s face families = %q, want %q", r.name, fams, Family)
		}
	}
}

func mustName(t *testing.T, data []byte) []byte {
	t.Helper()
	f, err := readFace(data, 0)
	if err != nil {
		t.Fatal(err)
	}
	n, ok := f.table(data, tagName)
	if !ok {
		t.Fatal("no name table")
	}
	return n
}

func FuzzExtract(f *testing.F) {
	f.Add(buildCollection([]string{"Test JP", Family}, []byte("abc"), true))
	f.Add(buildFont(Family, []byte("abcd")))
	f.Add([]byte("ttcf"))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := Extract(data, Family)
		if err != nil {
			return
		}
		if _, err := Families(out); err != nil {
			t.Fatalf("extracted font does not parse again: %v", err)
		}
	})
}

// TestFaceKeepsNoBytes checks that a loaded face is read from its file when asked, so
// the kiosk never holds the raw face beside what Fyne parsed from it.
func TestFaceKeepsNoBytes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "reg.ttc")
	coll := buildCollection([]string{"Test JP", Family}, []byte("glyphs"), true)
	if err := os.WriteFile(path, coll, 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := Load(Paths{Regular: path})
	if err != nil {
		t.Fatal(err)
	}
	want, err := Extract(coll, Family)
	if err != nil {
		t.Fatal(err)
	}
	a, b := set.Regular.Content(), set.Regular.Content()
	if !bytes.Equal(a, want) || !bytes.Equal(b, want) {
		t.Fatal("content is not the extracted face")
	}
	if &a[0] == &b[0] {
		t.Error("two reads share one buffer: the face is kept")
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if c := set.Regular.Content(); c != nil {
		t.Errorf("content of a removed file: %d bytes, want none", len(c))
	}
}
