package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/govkiosk/govkiosk/ime/handwriting"
	"github.com/govkiosk/govkiosk/ime/pinyin"
)

func needFile(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("GOVKIOSK_E2E") == "required" {
			t.Fatalf("%s missing: scripts/install-deps test", path)
		}
		t.Skipf("%s not installed", path)
	}
}

func TestIMEPinyin(t *testing.T) {
	needFile(t, pinyin.DefaultDictPath)
	// The essay index is built into the user's cache when missing: a temporary one here.
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	code, out, errs := runCmd("ime", "pinyin", "--limit", "3", "jyfw")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || lines[0] != "经营范围" {
		t.Fatalf("got %q", out)
	}
	code, out, _ = runCmd("ime", "pinyin", "--json", "--limit", "2", "xi'an")
	var got []struct {
		Text     string `json:"text"`
		Consumed int    `json:"consumed"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || len(got) != 2 || got[0].Text != "西安" || got[0].Consumed != 5 {
		t.Fatalf("json: %d %q", code, out)
	}
	// In an address field, as the form ranks: jd offers 街道 among the first two.
	code, out, errs = runCmd("ime", "pinyin", "--kind", "address", "--limit", "2", "jd")
	if code != 0 || !slices.Contains(strings.Split(strings.TrimSpace(out), "\n"), "街道") {
		t.Fatalf("--kind address: %d %q %q", code, out, errs)
	}
	// An impossible syllable: no candidates, no error.
	if code, out, errs := runCmd("ime", "pinyin", "iiii"); code != 0 || out != "" || errs != "" {
		t.Fatalf("impossible input: %d %q %q", code, out, errs)
	}
}

// TestIMEEssayIndex: build-index writes the index the kiosk adds to pinyin_simp, and
// ime pinyin uses it (个体工商户 is an essay word pinyin_simp lacks); without it the
// command still answers, from pinyin_simp alone, and says why on standard error.
func TestIMEEssayIndex(t *testing.T) {
	needFile(t, pinyin.DefaultDictPath)
	needFile(t, pinyin.DefaultEssayPath)
	if _, err := exec.LookPath("opencc"); err != nil {
		needFile(t, "/usr/bin/opencc")
	}
	dir := t.TempDir()
	index := filepath.Join(dir, "essay.dict.txt")
	code, out, errs := runCmd("ime", "build-index", "--out", index)
	if code != 0 || !strings.Contains(out, "words added") {
		t.Fatalf("build-index: exit %d %q %q", code, out, errs)
	}
	first := func(args ...string) (string, string) {
		t.Helper()
		code, out, errs := runCmd(append([]string{"ime", "pinyin", "--limit", "1"}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d %q", args, code, errs)
		}
		return strings.TrimSpace(out), errs
	}
	if got, errs := first("--essay-index", index, "getigongshanghu"); got != "个体工商户" || errs != "" {
		t.Errorf("with the index: %q %q, want 个体工商户", got, errs)
	}
	if got, errs := first("--no-essay", "getigongshanghu"); got == "个体工商户" || errs != "" {
		t.Errorf("without the essay: %q %q", got, errs)
	}
	got, errs := first("--essay-index", filepath.Join(dir, "none"), "getigongshanghu")
	if got == "" || got == "个体工商户" || !strings.Contains(errs, "without rime-essay's words") {
		t.Errorf("missing index: %q %q, want pinyin_simp's answer and a note", got, errs)
	}
	code, _, errs = runCmd("ime", "build-index", "--out", index, "--essay", filepath.Join(dir, "none.txt"))
	if code != 1 || !strings.Contains(errs, "install rime-essay") {
		t.Errorf("build-index without the essay: exit %d %q", code, errs)
	}
}

// TestIMELexicon: build-index also adds jieba's nouns (东交民巷, which neither pinyin_simp
// nor the essay's frequent words have); without python3-jieba it builds the essay's words
// alone and says what to install.
func TestIMELexicon(t *testing.T) {
	needFile(t, pinyin.DefaultDictPath)
	needFile(t, pinyin.DefaultEssayPath)
	needFile(t, pinyin.DefaultLexiconPath)
	if _, err := exec.LookPath("opencc"); err != nil {
		needFile(t, "/usr/bin/opencc")
	}
	dir := t.TempDir()
	index := filepath.Join(dir, "essay.dict.txt")
	code, out, errs := runCmd("ime", "build-index", "--out", index)
	if code != 0 || !strings.Contains(out, "nouns of jieba's lexicon added") || errs != "" {
		t.Fatalf("build-index: exit %d %q %q", code, out, errs)
	}
	first := func(index string) string {
		t.Helper()
		code, out, errs := runCmd("ime", "pinyin", "--limit", "1", "--essay-index", index, "dongjiaominxiang")
		if code != 0 {
			t.Fatalf("exit %d %q", code, errs)
		}
		return strings.TrimSpace(out)
	}
	if got := first(index); got != "东交民巷" {
		t.Errorf("with jieba's nouns: %q, want 东交民巷", got)
	}
	bare := filepath.Join(dir, "bare.dict.txt")
	code, out, errs = runCmd("ime", "build-index", "--out", bare, "--lexicon", filepath.Join(dir, "none.txt"))
	if code != 0 || !strings.Contains(out, "words added") || !strings.Contains(errs, "install python3-jieba") {
		t.Fatalf("build-index without the lexicon: exit %d %q %q", code, out, errs)
	}
	body, _ := os.ReadFile(bare)
	if strings.Contains(string(body), "东交民巷") {
		t.Error("an index built without the lexicon has its nouns")
	}
}

func TestIMEErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"ime", "pinyin"}, 2, "PINYIN"},
		{[]string{"ime", "pinyin", "--limit", "0", "a"}, 2, "--limit"},
		{[]string{"ime", "pinyin", "--kind", "street", "a"}, 2, "--kind"},
		{[]string{"ime", "pinyin", "--dict", filepath.Join(dir, "none"), "a"}, 1, "rime-data-pinyin-simp"},
		{[]string{"ime", "recognize", "--model", filepath.Join(dir, "none"), filepath.Join("testdata", "ten.ink.json")}, 1, "tegaki-zinnia"},
		{[]string{"ime", "recognize", filepath.Join(dir, "none.json")}, 1, "read strokes"},
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"width":0}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests = append(tests, struct {
		args []string
		code int
		msg  string
	}{[]string{"ime", "recognize", bad}, 1, "bad ink"})
	for _, tt := range tests {
		code, _, errs := runCmd(tt.args...)
		if code != tt.code || !strings.Contains(errs, tt.msg) {
			t.Errorf("%v: exit %d %q, want %d with %q", tt.args, code, errs, tt.code, tt.msg)
		}
	}
}

func TestIMERecognize(t *testing.T) {
	needFile(t, handwriting.DefaultModelPath)
	code, out, errs := runCmd("ime", "recognize", "--limit", "5", filepath.Join("testdata", "ten.ink.json"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "十\n") {
		t.Fatalf("十 not among %q", out)
	}
}
