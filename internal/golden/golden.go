// Package golden compares what a test produced with a file under the package's testdata/
// and rewrites that file when the tests run with -update, so a deliberate change to a
// receipt, a form's messages or a device's bytes is accepted by looking at the diff.
//
// It is for _test.go files only: it registers the -update flag and imports testing, and
// no binary may import it.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// Check compares got with testdata/name. Under -update it first writes got there (and the
// directories it needs). A missing file stops the test; a difference fails it and, when
// both sides are text, shows them.
func Check(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	if isText(got) && isText(want) {
		t.Errorf("%s differs (run with -update if the change is intended):\n--- got\n%s\n--- want\n%s", path, got, want)
		return
	}
	t.Errorf("%s differs (run with -update if the change is intended)", path)
}

// isText reports whether b reads as text on a terminal: UTF-8 without control bytes
// other than line ends and tabs (ESC/POS commands are not).
func isText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			return false
		}
	}
	return true
}
