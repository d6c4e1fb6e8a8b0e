package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/govkiosk/govkiosk/kiosk/config"
	"github.com/govkiosk/govkiosk/sync/queue"
)

// TestQueueKeyMovedOutOfDataDir: a kiosk upgraded from the version that kept the queue
// key in its data directory moves the key to its own place, durably, and still reads
// every queued form; the data directory then holds no key, so a copy of it decrypts
// nothing.
func TestQueueKeyMovedOutOfDataDir(t *testing.T) {
	dataDir, keyDir := t.TempDir(), t.TempDir()
	s := &syncer{dataDir: dataDir, keyPath: filepath.Join(keyDir, "govkiosk", "queue.key"), log: slog.New(slog.DiscardHandler)}
	os.MkdirAll(filepath.Dir(s.legacyKeyFile()), 0o700)
	q, err := queue.Open(s.queueDir(), queue.Options{TerminalCode: "T3ST", KeyFile: s.legacyKeyFile(), CreateKey: true, MinFreeBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := q.Enqueue(context.Background(), queue.NewSubmission{Item: "hukou.move",
		Fields: map[string]string{"name": "测试甲", "id_number": "990101199003071237"}})
	if err != nil {
		t.Fatal(err)
	}
	q.Close()
	oldKey, _ := os.ReadFile(s.legacyKeyFile())

	if err := s.moveLegacyKey(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.legacyKeyFile()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the key is still in the data directory: %v", err)
	}
	got, err := os.ReadFile(s.keyPath)
	if err != nil || !bytes.Equal(got, oldKey) {
		t.Fatalf("moved key: %v", err)
	}
	if fi, _ := os.Stat(s.keyPath); fi.Mode().Perm() != 0o600 {
		t.Errorf("moved key mode %v", fi.Mode().Perm())
	}
	q, err = queue.Open(s.queueDir(), queue.Options{TerminalCode: "T3ST", KeyFile: s.keyPath, MinFreeBytes: -1})
	if err != nil {
		t.Fatalf("the queue does not open with the moved key: %v", err)
	}
	defer q.Close()
	back, err := q.Get(sub.ID)
	if err != nil || back.Submission == nil || back.Submission.Fields["id_number"] != "990101199003071237" {
		t.Errorf("queued form after the move: %v", err)
	}
	// Nothing in the data directory is a key any more.
	filepath.WalkDir(dataDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(p); bytes.Equal(b, oldKey) {
				t.Errorf("%s holds the key", p)
			}
		}
		return nil
	})
	// A second start finds the key in place and leaves it.
	if err := s.moveLegacyKey(); err != nil {
		t.Errorf("second start: %v", err)
	}
}

// TestQueueKeyInDataDirRefused: a configuration (or -data) that puts the queue key in
// the data directory is refused unless it says allow_key_in_data_dir.
func TestQueueKeyInDataDirRefused(t *testing.T) {
	c := config.Default()
	c.DataDir = "/var/lib/govkiosk"
	if p, _ := c.QueueKey(""); c.CheckKeyPlacement(p, c.DataDir) != nil {
		t.Errorf("the default key %s is refused", p)
	}
	if err := c.CheckKeyPlacement("/var/lib/govkiosk/keys/queue.key", c.DataDir); !errors.Is(err, config.ErrKeyInDataDir) {
		t.Errorf("key in the data directory: %v", err)
	}
}
