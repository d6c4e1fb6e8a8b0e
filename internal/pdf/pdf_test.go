package pdf

import (
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
