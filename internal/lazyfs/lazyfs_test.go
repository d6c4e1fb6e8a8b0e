package lazyfs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestCutKeepsOnlyWhatWasSynced: after a cut, a file written and fsynced in a directory
// that was fsynced keeps its data; one fsynced in a directory that was not loses its
// name; one never fsynced goes back to what it held at its last fsync; a truncation not
// synced is undone.
func TestCutKeepsOnlyWhatWasSynced(t *testing.T) {
	backing, mnt := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(backing, "old"), []byte("synced long ago"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := Start(backing, mnt)
	if errors.Is(err, ErrUnavailable) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, data string, sync bool) {
		t.Helper()
		f, err := os.OpenFile(filepath.Join(mnt, name), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := f.Truncate(0); err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt([]byte(data), 0); err != nil {
			t.Fatal(err)
		}
		if sync {
			if err := f.Sync(); err != nil {
				t.Fatal(err)
			}
		}
	}
	syncDir := func() {
		t.Helper()
		d, err := os.Open(mnt)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if err := d.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	write("durable", "kept", true)
	syncDir()
	write("name-not-synced", "data synced, name not", true)
	write("old", "overwritten, not synced", false)
	if _, _, err := p.Cut(); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"durable": "kept", "old": "synced long ago", "name-not-synced": ""} {
		b, err := os.ReadFile(filepath.Join(backing, name))
		if want == "" {
			if !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s after the cut: %q, %v; want it gone", name, b, err)
			}
			continue
		}
		if string(b) != want {
			t.Errorf("%s after the cut: %q, %v; want %q", name, b, err, want)
		}
	}
}
