package pdf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestPDFReadable: poppler reads the document, counts its pages and finds its Chinese and
// Latin text.
func TestPDFReadable(t *testing.T) {
	for _, tool := range []string{"pdfinfo", "pdftotext"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not installed (scripts/install-deps installs poppler-utils)", tool)
		}
	}
	for _, pages := range []int{1, 3} {
		d := &Doc{Title: "test (1)"}
		for i := range pages {
			p := d.AddPage()
			p.TextCentered(A4Width/2, 760, 20, "社会保险个人参保证明")
			p.Text(60, 700, 12, "Page "+string(rune('1'+i))+" 校验码 AB12-CD34")
			p.Line(60, 690, 535, 690, 1)
			p.Rect(60, 600, 20, 20)
			p.QR(400, 100, 100, [][]bool{{true, false}, {false, true}})
		}
		path := filepath.Join(t.TempDir(), "d.pdf")
		if err := os.WriteFile(path, d.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("pdfinfo", path).CombinedOutput()
		if err != nil {
			t.Fatalf("pdfinfo: %v\n%s", err, out)
		}
		if !regexp.MustCompile(`(?m)^Pages:\s+` + strconv.Itoa(pages) + `$`).Match(out) {
			t.Errorf("pdfinfo for %d pages:\n%s", pages, out)
		}
		if strings.Contains(string(out), "Syntax Error") {
			t.Errorf("pdfinfo found errors:\n%s", out)
		}
		txt, err := exec.Command("pdftotext", path, "-").CombinedOutput()
		if err != nil {
			t.Fatalf("pdftotext: %v\n%s", err, txt)
		}
		for _, want := range []string{"社会保险个人参保证明", "AB12-CD34", "校验码"} {
			if !strings.Contains(string(txt), want) {
				t.Errorf("text lacks %q:\n%s", want, txt)
			}
		}
	}
}

// wqy is the TrueType collection the hub embeds (Debian fonts-wqy-zenhei).
const wqy = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"

func loadWQY(t *testing.T) *Font {
	t.Helper()
	f, err := LoadFont(wqy, "WenQuanYiZenHei")
	if err != nil {
		t.Fatalf("%v (scripts/install-deps installs fonts-wqy-zenhei)", err)
	}
	return f
}

// poppler runs a poppler-utils tool on doc (the file name last; pdftotext writes to
// standard output) and returns its output.
func poppler(t *testing.T, doc []byte, tool string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Fatalf("%s not installed (scripts/install-deps installs poppler-utils)", tool)
	}
	path := filepath.Join(t.TempDir(), "d.pdf")
	if err := os.WriteFile(path, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	args = append(args, path)
	if tool == "pdftotext" {
		args = append(args, "-")
	}
	out, err := exec.Command(tool, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", tool, err, out)
	}
	return string(out)
}

// certificateText is what a test certificate says, line by line.
var certificateText = []string{"社会保险个人参保证明", "姓名 测试甲 公民身份号码 9901**********1237", "核验码 AB12-CD34 比例∷(a)"}

// certificatePage draws certificateText: Chinese, digits, Latin and a composite glyph
// (∷ in WenQuanYi Zen Hei is ∶ twice, itself a composite).
func certificatePage(d *Doc) *Page {
	p := d.AddPage()
	p.TextCentered(A4Width/2, 760, 22, certificateText[0])
	p.Text(72, 700, 12, certificateText[1])
	p.Text(72, 670, 12, certificateText[2])
	p.Line(72, 660, 520, 660, 1)
	return p
}

// checkText: pdftotext finds every line of certificateText.
func checkText(t *testing.T, doc []byte) {
	t.Helper()
	text := poppler(t, doc, "pdftotext")
	for _, want := range certificateText {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
}

// TestFontEmbedded: with a Font the document embeds a subset of it — pdffonts lists one
// CID TrueType font, Identity-H, embedded, subset, with a ToUnicode map — and poppler
// extracts the Chinese text; drawn, the title has ink where the text is and none around.
func TestFontEmbedded(t *testing.T) {
	d := &Doc{Title: "t", Font: loadWQY(t)}
	p := certificatePage(d)
	p.Text(72, 640, 12, "\U0001F600") // no glyph in the font
	doc := d.Bytes()
	if err := d.FontErr(); err != nil {
		t.Fatal(err)
	}
	if d.MissingGlyphs() != 1 {
		t.Errorf("%d missing glyphs, want 1", d.MissingGlyphs())
	}
	fonts := poppler(t, doc, "pdffonts")
	if !regexp.MustCompile(`(?m)^[A-Z]{6}\+WenQuanYiZenHei\s+CID TrueType\s+Identity-H\s+yes yes yes `).MatchString(fonts) ||
		strings.Count(fonts, "\n") != 3 {
		t.Errorf("pdffonts:\n%s", fonts)
	}
	if info := poppler(t, doc, "pdfinfo"); strings.Contains(info, "rror") {
		t.Errorf("pdfinfo:\n%s", info)
	}
	checkText(t, doc)
	// The title's box on a 36 dpi picture of the page (0.5 px a point): 社会保险个人参保证明
	// at 22 pt is 220 pt wide, centred, its baseline 760 pt up.
	dir := t.TempDir()
	src := filepath.Join(dir, "d.pdf")
	if err := os.WriteFile(src, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("pdftoppm", "-r", "36", "-gray", src, filepath.Join(dir, "p")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	img, err := os.ReadFile(filepath.Join(dir, "p-1.pgm"))
	if err != nil {
		t.Fatal(err)
	}
	dark := func(x0, y0, x1, y1 float64) int { // points, from the lower left
		return darkPixels(t, img, x0/2, (A4Height-y1)/2, x1/2, (A4Height-y0)/2)
	}
	if n := dark(A4Width/2-110, 756, A4Width/2+110, 778); n < 200 {
		t.Errorf("the title has %d dark pixels: not drawn", n)
	}
	if n := dark(0, 790, A4Width, A4Height) + dark(0, 730, A4Width, 750); n > 0 {
		t.Errorf("%d dark pixels above or below the title", n)
	}
}

// darkPixels counts the pixels darker than mid grey in a box of a binary PGM (P5).
func darkPixels(t *testing.T, pgm []byte, x0, y0, x1, y1 float64) int {
	t.Helper()
	// Header: P5, width, height, maxval, each after white space, then one white space.
	var fields [4]int
	at := 0
	for f := range fields {
		for at < len(pgm) && (pgm[at] == ' ' || pgm[at] == '\n') {
			at++
		}
		start := at
		for at < len(pgm) && pgm[at] != ' ' && pgm[at] != '\n' {
			at++
		}
		if f > 0 {
			v, err := strconv.Atoi(string(pgm[start:at]))
			if err != nil {
				t.Fatalf("not a PGM: %v", err)
			}
			fields[f] = v
		} else if string(pgm[start:at]) != "P5" {
			t.Fatalf("not a binary PGM: %q", pgm[start:at])
		}
	}
	w, h, maxv := fields[1], fields[2], fields[3]
	hdr := at + 1
	if len(pgm) < hdr+w*h {
		t.Fatalf("PGM of %d bytes for %dx%d", len(pgm), w, h)
	}
	px := pgm[hdr:]
	n := 0
	for y := max(0, int(y0)); y < min(h, int(y1)); y++ {
		for x := max(0, int(x0)); x < min(w, int(x1)); x++ {
			if int(px[y*w+x]) < maxv/2 {
				n++
			}
		}
	}
	return n
}

// TestFontFallback: without a Font, or with one that cannot be subset (a composite glyph
// cut short), the document names STSong-Light, not embedded, says why, and its text is
// still there.
func TestFontFallback(t *testing.T) {
	broken := append([][]byte(nil), tinyGlyphs...)
	broken[2] = broken[2][:14]
	bad, err := ParseFont(tinyFont("Broken", broken, tinyChars), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		font *Font
		err  bool
	}{{"no font", nil, false}, {"font not subset", bad, true}} {
		t.Run(tt.name, func(t *testing.T) {
			d := &Doc{Font: tt.font}
			p := certificatePage(d)
			p.Text(72, 640, 12, "中")
			doc := d.Bytes()
			if err := d.FontErr(); (err != nil) != tt.err || tt.err && !errors.Is(err, ErrBadFont) {
				t.Errorf("FontErr %v", err)
			}
			fonts := poppler(t, doc, "pdffonts")
			if !regexp.MustCompile(`(?m)^STSong-Light\s+CID Type 0\s+UniGB-UCS2-H\s+no `).MatchString(fonts) {
				t.Errorf("pdffonts:\n%s", fonts)
			}
			checkText(t, doc)
		})
	}
}

// TestSubsetKeepsGlyphs: the subset of WenQuanYi Zen Hei for a certificate's text keeps
// each used glyph (and the parts of a composite one) byte for byte under its own id, every
// other id empty; its tables' checksums and the file's checksum adjustment hold.
func TestSubsetKeepsGlyphs(t *testing.T) {
	f := loadWQY(t)
	used := map[uint16]bool{}
	for _, line := range certificateText {
		for _, r := range line {
			used[f.glyph(r)] = true
		}
	}
	want := map[uint16]bool{0: true}
	for g := range used {
		want[g] = true
	}
	// ∷ is ∶ twice, and ∶ is made of another glyph: both must come along.
	outer, err := components(f.glyphData(f.glyph('∷')))
	if err != nil || len(outer) != 2 || outer[0] != f.glyph('∶') {
		t.Fatalf("∷ is not made of ∶ here: %v %v", outer, err)
	}
	inner, err := components(f.glyphData(outer[0]))
	if err != nil || len(inner) == 0 {
		t.Fatalf("∶ is not a composite glyph here: %v %v", inner, err)
	}
	for _, c := range append(outer, inner...) {
		if used[c] {
			t.Fatalf("the text uses glyph %d itself", c)
		}
		want[c] = true
	}
	sub, err := f.subset(used)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := readTables(sub, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := int(binary.BigEndian.Uint16(tables["maxp"][4:]))
	loca := tables["loca"]
	offset := func(g int) uint32 {
		if binary.BigEndian.Uint16(tables["head"][50:]) == 0 {
			return 2 * uint32(binary.BigEndian.Uint16(loca[2*g:]))
		}
		return binary.BigEndian.Uint32(loca[4*g:])
	}
	if len(loca) != 2*(n+1) {
		t.Errorf("loca of %d bytes for %d glyphs: want short offsets for a small subset", len(loca), n)
	}
	for g := range n {
		from, to := offset(g), offset(g+1)
		got := tables["glyf"][from:to]
		if !want[uint16(g)] {
			if len(got) != 0 {
				t.Fatalf("glyph %d (unused) has %d bytes", g, len(got))
			}
			continue
		}
		orig := f.glyphData(uint16(g))
		if !bytes.Equal(got[:len(orig)], orig) || len(got)-len(orig) > 3 {
			t.Errorf("glyph %d differs from the font's", g)
		}
		delete(want, uint16(g))
	}
	if len(want) > 0 {
		t.Errorf("glyphs %v missing from the subset of %d", want, n)
	}
	for i := range int(binary.BigEndian.Uint16(sub[4:])) {
		rec := sub[12+16*i:]
		tag := string(rec[:4])
		b := tables[tag]
		if tag == "head" {
			b = append([]byte(nil), b...)
			binary.BigEndian.PutUint32(b[8:], 0)
		}
		if checksum(b) != binary.BigEndian.Uint32(rec[4:]) {
			t.Errorf("table %q: wrong checksum", tag)
		}
	}
	if s := checksum(sub); s != 0xB1B0AFBA {
		t.Errorf("file checksum %#x, want 0xB1B0AFBA", s)
	}
	t.Logf("subset of %d glyphs: %d bytes", len(used), len(sub))
}

// BenchmarkEmbeddedCertificate: writing a one-page certificate with its font subset (the
// font loaded once, as the hub does).
func BenchmarkEmbeddedCertificate(b *testing.B) {
	f, err := LoadFont(wqy, "WenQuanYiZenHei")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		d := &Doc{Font: f}
		p := certificatePage(d)
		p.Text(72, 600, 12, "参保险种 养老保险、医疗保险、失业保险、工伤保险 参保状态 正常参保（参考实现出具的示例数据）")
		p.Text(72, 580, 12, "样例市人力资源和社会保障局（电子签章） 本证明由自助终端打印，涂改无效 出具日期 2026年12月03日")
		b.ReportMetric(float64(len(d.Bytes())), "bytes/doc")
	}
}
