package archtest

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// checkPackageDocs wants, in every directory of Go files under root, exactly one file
// whose package clause carries a doc comment; it starts "Package <name>" (or "Command
// <name>" for a program), and it sits in a non-test file unless the directory has only
// tests. Directories named testdata, hidden ones and nested modules are not the module's.
func checkPackageDocs(root string) ([]string, error) {
	type pkgDir struct {
		docs    []string // files with a package doc
		names   []string // package names seen (without _test)
		nonTest bool
		first   string // the first doc's text
	}
	dirs := map[string]*pkgDir{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			if path != root {
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		pd := dirs[rel]
		if pd == nil {
			pd = &pkgDir{}
			dirs[rel] = pd
		}
		test := strings.HasSuffix(path, "_test.go")
		if !test {
			pd.nonTest = true
		}
		name := strings.TrimSuffix(f.Name.Name, "_test")
		if !slices.Contains(pd.names, name) {
			pd.names = append(pd.names, name)
		}
		if f.Doc != nil {
			base := filepath.Base(path)
			if test {
				base += " (a test file)"
			}
			pd.docs = append(pd.docs, base)
			if pd.first == "" {
				pd.first = f.Doc.Text()
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var msgs []string
	for rel, pd := range dirs {
		name := pd.names[0]
		want := "Package " + name + " "
		if name == "main" {
			want = "Command " + filepath.Base(rel) + " "
			if rel == "." {
				want = "Command "
			}
		}
		switch {
		case len(pd.docs) == 0:
			msgs = append(msgs, fmt.Sprintf("%s: no package doc: add a doc.go (or a comment above the package clause of the main file) starting %q, saying what the package is for and what it must never do", rel, want))
		case len(pd.docs) > 1:
			msgs = append(msgs, fmt.Sprintf("%s: package doc in %d files (%s): keep one, in doc.go or the main file", rel, len(pd.docs), strings.Join(pd.docs, ", ")))
		case pd.nonTest && strings.HasSuffix(pd.docs[0], "(a test file)"):
			msgs = append(msgs, fmt.Sprintf("%s: the package doc is in %s: move it to a non-test file, where go doc finds it", rel, pd.docs[0]))
		case !strings.HasPrefix(pd.first, want):
			msgs = append(msgs, fmt.Sprintf("%s: the package doc in %s starts %q: start it %q", rel, pd.docs[0], firstWords(pd.first), want))
		}
	}
	sort.Strings(msgs)
	return msgs, nil
}

func firstWords(s string) string {
	w := strings.Fields(s)
	if len(w) > 3 {
		w = w[:3]
	}
	return strings.Join(w, " ")
}

// TestPackageDocs wants one package doc comment per directory, so `go doc` says what every
// package is for and a second, contradicting doc cannot creep in.
func TestPackageDocs(t *testing.T) {
	msgs, err := checkPackageDocs(moduleRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		t.Error("package doc: " + m)
	}
}

// TestPackageDocsCatchViolations runs the check over directories under testdata that each
// get the rule wrong in one way.
func TestPackageDocsCatchViolations(t *testing.T) {
	msgs, err := checkPackageDocs(filepath.Join(moduleRoot(t), "internal", "archtest", "testdata", "pkgdoc"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"cmd/tool: the package doc in main.go starts \"Package main is\": start it \"Command tool \"",
		"missing: no package doc",
		"testfile: the package doc is in a_test.go (a test file)",
		"twice: package doc in 2 files (a.go, b.go)",
		"wrongname: the package doc in doc.go starts \"Package right is\": start it \"Package wrongname \"",
	}
	if len(msgs) != len(want) {
		t.Errorf("got %d messages, want %d:\n%s", len(msgs), len(want), strings.Join(msgs, "\n"))
	}
	for _, w := range want {
		if !slices.ContainsFunc(msgs, func(m string) bool { return strings.HasPrefix(m, w) }) {
			t.Errorf("no message starting %s", w)
		}
	}
}
