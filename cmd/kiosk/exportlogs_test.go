package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/govkiosk/govkiosk/ui"
)

func TestRemovableMounts(t *testing.T) {
	table := filepath.Join(t.TempDir(), "mounts")
	err := os.WriteFile(table, []byte(strings.Join([]string{
		"/dev/sda1 / ext4 rw,relatime 0 0",
		"proc /proc proc rw 0 0",
		"/dev/sdb1 /media/tech/KINGSTON\\040STICK vfat rw,nosuid 0 0",
		"/dev/sdc1 /run/media/tech/LOGS exfat rw 0 0",
		"/dev/sda2 /var/lib/govkiosk ext4 rw 0 0",
		"/dev/sdd1 /mediaX vfat rw 0 0",
		"",
	}, "\n")), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	got := removableMounts(table)
	want := []string{"/media/tech/KINGSTON STICK", "/run/media/tech/LOGS"}
	if !slices.Equal(got, want) {
		t.Errorf("removableMounts = %q, want %q", got, want)
	}
	if got := removableMounts(filepath.Join(t.TempDir(), "none")); got != nil {
		t.Errorf("no mount table: %q, want none", got)
	}
}

// TestExportLogsNeedsAUSBStick: with no stick mounted the export writes nothing and says
// so (it used to write into the data directory while the screen said "insert a USB stick
// first"); with one it writes there.
func TestExportLogsNeedsAUSBStick(t *testing.T) {
	data := t.TempDir()
	tech := &technician{dataDir: data, registry: newRegistry(slog.New(slog.NewTextHandler(io.Discard, nil))),
		media: func() []string { return nil }}
	p, err := tech.ExportLogs(context.Background())
	if !errors.Is(err, ui.ErrNoRemovableMedium) {
		t.Fatalf("no stick: wrote %q, err %v; want ui.ErrNoRemovableMedium", p, err)
	}
	var written []string
	_ = filepath.WalkDir(data, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			written = append(written, path)
		}
		return nil
	})
	if len(written) > 0 {
		t.Errorf("no stick, yet the export wrote %q", written)
	}

	stick := t.TempDir()
	tech.media = func() []string { return []string{stick} }
	p, err = tech.ExportLogs(context.Background())
	if err != nil || filepath.Dir(p) != stick {
		t.Fatalf("with a stick: %q, %v; want a file on %s", p, err, stick)
	}
	if b, err := os.ReadFile(p); err != nil || !strings.Contains(string(b), `"version"`) {
		t.Errorf("the export holds %q (%v)", b, err)
	}
}
