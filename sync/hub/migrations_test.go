package hub

import (
	"strings"
	"testing"
	"testing/fstest"
)

// The shipped migrations are numbered 1, 2, 3… once each. Checked without PostgreSQL,
// so a branch landing a number another branch took fails here, not only where the
// database tests run.
func TestShippedMigrationsNumbered(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if schemaVersion() != len(ms) {
		t.Errorf("schema version %d for %d migrations", schemaVersion(), len(ms))
	}
}

func TestMigrationNumbering(t *testing.T) {
	file := &fstest.MapFile{Data: []byte("SELECT 1;")}
	for _, tc := range []struct {
		name  string
		files []string
		want  string // part of the error; empty: accepted
	}{
		{"in order", []string{"0001_a.sql", "0002_b.sql", "0003_c.sql"}, ""},
		{"same version twice", []string{"0001_a.sql", "0002_b.sql", "0002_c.sql"}, "same version"},
		{"gap", []string{"0001_a.sql", "0003_c.sql"}, "version 2 expected"},
		{"not from one", []string{"0002_b.sql"}, "version 1 expected"},
		{"no version", []string{"0001_a.sql", "init.sql"}, "must start with its version"},
		{"none", nil, "no migrations"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for _, f := range tc.files {
				fsys["migrations/"+f] = file
			}
			_, err := readMigrations(fsys)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
}
