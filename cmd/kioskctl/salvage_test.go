package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestQueueSalvage damages one record of a real outbox in place and salvages it as a
// technician would: the readable records and their scans are in a fresh queue that
// checks clean, the damaged record is kept in its quarantine, and the damaged original is
// kept beside it, unchanged.
func TestQueueSalvage(t *testing.T) {
	fx := newQueueFixture(t)
	db := filepath.Join(fx.dir, "queue.db")
	b, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	id := []byte(`"id":"sub-birth-cert"`)
	n := 0
	for off := 0; ; {
		i := bytes.Index(b[off:], id)
		if i < 0 {
			break
		}
		i += off
		if s := bytes.LastIndex(b[:i], []byte(`"kind":"submission"`)); s >= 0 && i-s < 64 {
			copy(b[s:], `"kind":"xxxxxxxxxx"`)
			n++
		}
		off = i + len(id)
	}
	if n == 0 {
		t.Fatal("record not found")
	}
	if err := os.WriteFile(db, b, 0o600); err != nil {
		t.Fatal(err)
	}

	code, out, stderr := runCmd("queue", "salvage", "--data", fx.dir, "--key", fx.key, "--terminal", "K7Q2")
	if code != 0 {
		t.Fatalf("salvage: exit %d\n%s\n%s", code, out, stderr)
	}
	t.Log(out)
	for _, want := range []string{"records copied 4, unreadable 1", "files copied 2, missing 0, without a record 1", "damaged queue is kept in"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	fx.assertNothingPersonal(t, out+stderr)
	kept, _ := filepath.Glob(fx.dir + ".damaged-*")
	if len(kept) != 1 {
		t.Fatalf("damaged queue kept as %v", kept)
	}
	if old, _ := os.ReadFile(filepath.Join(kept[0], "queue.db")); !bytes.Equal(old, b) {
		t.Error("the damaged original was changed")
	}
	if code, out, _ := runCmd("queue", "check", "--data", fx.dir, "--key", fx.key); code != 0 {
		t.Errorf("check of the salvaged queue: exit %d\n%s", code, out)
	}
	if code, out, _ := runCmd("queue", "stats", "--data", fx.dir); code != 0 || !strings.Contains(out, "unreadable records") {
		t.Errorf("stats of the salvaged queue: exit %d\n%s", code, out)
	}
}
