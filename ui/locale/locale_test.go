package locale

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	i18nfiles "github.com/govkiosk/govkiosk/assets/i18n"
)

func testFS() fs.FS {
	return fstest.MapFS{
		"zh-CN.json": {Data: []byte(`{"hello": "你好", "queued": "已保存 {{.Count}} 件", "only.zh": "仅中文", "who": "您好，{{.Name}}"}`)},
		"en.json":    {Data: []byte(`{"hello": "Hello", "queued": {"one": "{{.Count}} saved", "other": "{{.Count}} saved in all"}, "who": "Hello, {{.Name}}"}`)},
	}
}

func TestTranslate(t *testing.T) {
	tr, err := Load(testFS(), Chinese)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		lang, key string
		count     int // <0: T, else N
		data      map[string]any
		want      string
	}{
		{Chinese, "hello", -1, nil, "你好"},
		{English, "hello", -1, nil, "Hello"},
		{English, "only.zh", -1, nil, "仅中文"},
		{English, "missing.key", -1, nil, "missing.key"},
		{Chinese, "queued", 1, nil, "已保存 1 件"},
		{English, "queued", 1, nil, "1 saved"},
		{English, "queued", 3, nil, "3 saved in all"},
		{English, "queued", 0, nil, "0 saved in all"},
		{Chinese, "who", -1, map[string]any{"Name": "样例乙"}, "您好，样例乙"},
		{English, "who", -1, nil, "Hello, "},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.key, func(t *testing.T) {
			if err := tr.SetLanguage(tt.lang); err != nil {
				t.Fatal(err)
			}
			var got string
			if tt.count < 0 {
				got = tr.T(tt.key, tt.data)
			} else {
				got = tr.N(tt.key, tt.count, tt.data)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSwitching(t *testing.T) {
	tr, err := Load(testFS(), Chinese)
	if err != nil {
		t.Fatal(err)
	}
	if got := tr.Languages(); strings.Join(got, ",") != "zh-CN,en" {
		t.Errorf("Languages = %v, want Chinese first", got)
	}
	if tr.Language() != Chinese || tr.Next() != English {
		t.Errorf("start %q next %q, want zh-CN then en", tr.Language(), tr.Next())
	}
	if err := tr.SetLanguage(tr.Next()); err != nil {
		t.Fatal(err)
	}
	if tr.Next() != Chinese {
		t.Errorf("after English comes %q, want zh-CN", tr.Next())
	}
	if err := tr.SetLanguage("fr"); !errors.Is(err, ErrUnknownLanguage) {
		t.Errorf("SetLanguage(fr) = %v, want ErrUnknownLanguage", err)
	}
	if tr.Language() != English {
		t.Errorf("a refused switch changed the language to %q", tr.Language())
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		fs   fstest.MapFS
	}{
		{"no fallback", fstest.MapFS{"en.json": {Data: []byte(`{}`)}}},
		{"bad json", fstest.MapFS{"zh-CN.json": {Data: []byte(`{"a": `)}}},
		{"plural without other", fstest.MapFS{"zh-CN.json": {Data: []byte(`{"a": {"one": "x"}}`)}}},
		{"number value", fstest.MapFS{"zh-CN.json": {Data: []byte(`{"a": 3}`)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Load(tt.fs, Chinese); err == nil {
				t.Error("Load succeeded")
			}
		})
	}
}

// TestShippedTranslations checks the kiosk's files: both languages have the same keys,
// every key the UI code asks for exists, every template parses with the same fields in
// both languages, and no English text is left in Chinese or the other way round.
func TestShippedTranslations(t *testing.T) {
	tr, err := Load(i18nfiles.Files, Chinese)
	if err != nil {
		t.Fatal(err)
	}
	zh, en := tr.Keys(Chinese), tr.Keys(English)
	if len(tr.Languages()) != 2 {
		t.Fatalf("languages %v, want zh-CN and en", tr.Languages())
	}
	inZh := map[string]bool{}
	for _, k := range zh {
		inZh[k] = true
		if !tr.Has(English, k) {
			t.Errorf("key %q has no English translation", k)
		}
	}
	for _, k := range en {
		if !inZh[k] {
			t.Errorf("key %q is in en.json only", k)
		}
	}
	field := regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)
	han := regexp.MustCompile(`\p{Han}`)
	latin := regexp.MustCompile(`[A-Za-z]{3,}`)
	for _, k := range zh {
		var fz, fe []string
		_ = tr.SetLanguage(Chinese)
		z := tr.N(k, 2)
		_ = tr.SetLanguage(English)
		e := tr.N(k, 2)
		for _, m := range field.FindAllStringSubmatch(rawText(t, Chinese, k), -1) {
			if !slices.Contains(fz, m[1]) {
				fz = append(fz, m[1])
			}
		}
		for _, m := range field.FindAllStringSubmatch(rawText(t, English, k), -1) {
			if !slices.Contains(fe, m[1]) {
				fe = append(fe, m[1])
			}
		}
		slices.Sort(fz)
		slices.Sort(fe)
		if strings.Join(fz, ",") != strings.Join(fe, ",") {
			t.Errorf("key %q: template fields %v in Chinese, %v in English", k, fz, fe)
		}
		if han.MatchString(e) && !strings.Contains(k, "lang") {
			t.Errorf("key %q: English text %q contains Chinese", k, e)
		}
		if z == e && latin.MatchString(z) && !latinOK[k] {
			t.Errorf("key %q: Chinese text %q is the English one", k, z)
		}
	}
	_ = tr.SetLanguage(Chinese)
	for _, k := range usedKeys(t) {
		if !tr.Has(Chinese, k) {
			t.Errorf("the UI asks for key %q, which zh-CN.json lacks", k)
		}
	}
}

// latinOK are keys whose Chinese text is rightly the same Latin text as the English.
var latinOK = map[string]bool{}

func rawText(t *testing.T, lang, key string) string {
	t.Helper()
	// The raw file is enough to find template fields: look for the key's line(s), in the
	// shared files first, as the translator does.
	var s string
	i := -1
	for _, fsys := range []fs.FS{i18nfiles.Files} {
		b, err := fs.ReadFile(fsys, lang+".json")
		if err != nil {
			t.Fatal(err)
		}
		s = string(b)
		if i = strings.Index(s, strconv.Quote(key)+":"); i >= 0 {
			break
		}
	}
	if i < 0 {
		t.Fatalf("%s: key %q not found", lang, key)
	}
	end := strings.Index(s[i:], "\n \"")
	if end < 0 {
		end = len(s) - i
	}
	return s[i : i+end]
}

// usedKeys finds the message keys the ui package passes to T and N as string literals.
func usedKeys(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "T" && sel.Sel.Name != "N") {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			k, err := strconv.Unquote(lit.Value)
			if err == nil {
				keys = append(keys, k)
			}
			return true
		})
	}
	if len(keys) < 10 {
		t.Fatalf("found only %d translation keys in the ui package: the scan is broken", len(keys))
	}
	return keys
}

// TestIn: a text in a language other than the current one, with the usual fallback to
// the fallback language, leaves the current language as it was.
func TestIn(t *testing.T) {
	tr, err := Load(i18nfiles.Files, Chinese)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ lang, want string }{
		{English, "Apply"},
		{Chinese, "我要办事"},
		{"fr", "我要办事"},
	}
	for _, tt := range tests {
		if got := tr.In(tt.lang, "home.apply"); got != tt.want {
			t.Errorf("In(%q): %q, want %q", tt.lang, got, tt.want)
		}
	}
	if tr.Language() != Chinese || tr.T("home.apply") != "我要办事" {
		t.Errorf("the current language changed to %s", tr.Language())
	}
}
