package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// listedPackage is the part of `go list -json` the guards read.
type listedPackage struct {
	ImportPath     string
	Dir            string
	Name           string
	Standard       bool
	Module         *struct{ Path string }
	GoFiles        []string
	CgoFiles       []string
	TestGoFiles    []string
	XTestGoFiles   []string
	IgnoredGoFiles []string
	Imports        []string
	Deps           []string
	Error          *struct{ Err string }
}

// fileImport is one import line of one source file.
type fileImport struct {
	file string // relative to the module root, slash-separated
	line int
	path string
	test bool // the file is a _test.go file
}

// tree is the module as the guards see it: every package of the module with each file's
// imports, and the import graph of everything they depend on (for chains).
type tree struct {
	root    string // module root directory
	module  string // module path
	pkgs    []*listedPackage
	imports map[string][]string // import path → its direct (non-test) imports, all packages
	files   map[string][]fileImport
}

// moduleRoot is the directory holding the go.mod above the current directory.
func moduleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("archtest: no go.mod above the test directory")
		}
		dir = parent
	}
}

// loadTree lists the module at root with the go command and parses the imports of every
// file of its packages, those excluded on this platform by build constraints included.
func loadTree(root string) (*tree, error) {
	cmd := exec.Command("go", "list", "-e", "-deps", "-test=false",
		"-json=ImportPath,Dir,Name,Standard,Module,GoFiles,CgoFiles,TestGoFiles,XTestGoFiles,IgnoredGoFiles,Imports,Deps,Error",
		"./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w: %s", err, stderr.String())
	}
	modCmd := exec.Command("go", "list", "-m")
	modCmd.Dir = root
	mod, err := modCmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -m: %w", err)
	}
	tr := &tree{root: root, module: strings.TrimSpace(string(mod)),
		imports: map[string][]string{}, files: map[string][]fileImport{}}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		p := new(listedPackage)
		if err := dec.Decode(p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list output: %w", err)
		}
		tr.imports[p.ImportPath] = p.Imports
		if p.Module == nil || p.Module.Path != tr.module {
			continue
		}
		if p.Error != nil {
			return nil, fmt.Errorf("package %s: %s", p.ImportPath, p.Error.Err)
		}
		tr.pkgs = append(tr.pkgs, p)
		var names []string
		for _, list := range [][]string{p.GoFiles, p.CgoFiles, p.TestGoFiles, p.XTestGoFiles, p.IgnoredGoFiles} {
			names = append(names, list...)
		}
		for _, name := range names {
			imps, err := parseImports(root, filepath.Join(p.Dir, name))
			if err != nil {
				return nil, err
			}
			tr.files[p.ImportPath] = append(tr.files[p.ImportPath], imps...)
		}
	}
	return tr, nil
}

func parseImports(root, path string) ([]fileImport, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
	if err != nil {
		return nil, fmt.Errorf("parse imports: %w", err)
	}
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return nil, err
	}
	rel = filepath.ToSlash(rel)
	var out []fileImport
	for _, spec := range f.Imports {
		p, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			return nil, fmt.Errorf("%s: import %s: %w", rel, spec.Path.Value, err)
		}
		out = append(out, fileImport{file: rel, line: fset.Position(spec.Pos()).Line, path: p,
			test: strings.HasSuffix(path, "_test.go")})
	}
	return out, nil
}

// chain is the shortest import path from one package to another through the graph, both
// ends included, or nil when there is none.
func (tr *tree) chain(from, to string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == to {
			var path []string
			for p := to; p != ""; p = prev[p] {
				path = append([]string{p}, path...)
			}
			return path
		}
		for _, next := range tr.imports[cur] {
			if _, seen := prev[next]; !seen {
				prev[next] = cur
				queue = append(queue, next)
			}
		}
	}
	return nil
}
