package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/govkiosk/govkiosk/ui/uitest"
)

// TestStartupFailureOpensSafeMode starts the simulated kiosk once (enrolling it and
// creating its queue), damages what the next start needs, and starts it again: the
// kiosk must come up in safe mode on the technician's PIN pad and log, in words, what
// broke and what to do. Before the fix, assemble's deferred cleanup dereferenced the
// nil kiosk its own "return nil, err" had set, and the kiosk crash-looped.
func TestStartupFailureOpensSafeMode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the simulated kiosk")
	}
	tests := []struct {
		name   string
		damage func(t *testing.T, dataDir string)
		want   []string // in the log, and on the technician screen
	}{
		{"queue key missing", func(t *testing.T, dataDir string) {
			if err := os.Remove(filepath.Join(dataDir, "keys", "queue.key")); err != nil {
				t.Fatal(err)
			}
		}, []string{"step=\"offline queue\"", "Restore the queue key"}},
		{"queue database damaged", func(t *testing.T, dataDir string) {
			// Both meta pages: bbolt can fall back on neither.
			f, err := os.OpenFile(filepath.Join(dataDir, "queue", "queue.db"), os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			junk := make([]byte, 64)
			for i := range junk {
				junk[i] = 0xA5
			}
			for _, off := range []int64{0, 4096} {
				if _, err := f.WriteAt(junk, off+16); err != nil {
					t.Fatal(err)
				}
			}
		}, []string{"kioskctl queue salvage"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			test.NewTempApp(t)
			dataDir := t.TempDir()
			start := func() (*assembled, *logSink, *uitest.Loop, error) {
				loop := &uitest.Loop{}
				ctx, cancel := context.WithCancel(context.Background())
				t.Cleanup(cancel)
				o := &options{simulate: true, dataDir: dataDir, hubListen: "127.0.0.1:0"}
				logs := &logSink{}
				w := test.NewTempWindow(t, nil)
				k, err := assemble(ctx, o, host{app: fyne.CurrentApp(), window: w, do: loop.Do, logOut: logs})
				return k, logs, loop, err
			}
			k, _, loop, err := start()
			var logs *logSink
			if err != nil {
				t.Fatal(err)
			}
			if k.safeMode || len(k.problems) > 0 {
				t.Fatalf("healthy start in safe mode: %v", k.problems)
			}
			k.close()
			loop.Drain()

			tt.damage(t, dataDir)
			k, logs, loop, err = start()
			if err != nil {
				t.Fatalf("start-up error not turned into safe mode: %v", err)
			}
			t.Cleanup(func() { k.close(); loop.Drain() })
			loop.Drain()
			if !k.safeMode {
				t.Fatal("kiosk not in safe mode after a start-up failure")
			}
			if got := k.ui.ScreenName(); got != "tech_pin" {
				t.Errorf("screen %q, want the technician PIN pad", got)
			}
			reason := k.problems.text().En
			for _, want := range tt.want {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("log lacks %q:\n%s", want, logs.String())
				}
				if !strings.HasPrefix(want, "step=") && !strings.Contains(reason, want) {
					t.Errorf("technician text lacks %q: %s", want, reason)
				}
			}
		})
	}
}
