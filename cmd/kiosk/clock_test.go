package main

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/assets"
	"github.com/govkiosk/govkiosk/kiosk/catalog"
	"github.com/govkiosk/govkiosk/kiosk/clock"
	"github.com/govkiosk/govkiosk/sync/queue"
	"github.com/govkiosk/govkiosk/ui"
)

// TestNoReceiptWhileTimeUnknown drives the clock's Now hooks: a kiosk booted at 1970
// (dead clock battery, no hub yet) issues no receipt, so no resident holds a paper dated
// 1970 for a submission the hub would refuse; once a hub has given its time the kiosk
// takes submissions again and stamps them with it, though its wall clock still reads 1970.
func TestNoReceiptWhileTimeUnknown(t *testing.T) {
	wall := time.Unix(0, 0).UTC()
	mono := time.Duration(0)
	clk := clock.New(clock.Options{Wall: func() time.Time { return wall }, Mono: func() time.Duration { return mono }})
	root := t.TempDir()
	q, err := queue.Open(filepath.Join(root, "queue"), queue.Options{
		TerminalCode: "T3ST", KeyFile: filepath.Join(root, "queue.key"), CreateKey: true, MinFreeBytes: -1, Now: clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	c, err := catalog.Parse(assets.DefaultCatalog())
	if err != nil {
		t.Fatal(err)
	}
	m := &submitter{s: &syncer{q: q, clock: clk, log: slog.New(slog.DiscardHandler)}, catalogs: catalog.NewStore(c, nil)}
	d := draft("hukou-cert", resident("测试甲", testIDNumber(t, 21)), map[string]string{"phone": "13800000000"})

	if code, err := m.Enqueue(context.Background(), d); !errors.Is(err, ui.ErrTimeUnknown) {
		t.Fatalf("Enqueue at 1970 = %q, %v; want ErrTimeUnknown", code, err)
	}
	if st, _ := q.Stats(); st.Queued != 0 {
		t.Fatalf("%d items queued while the time was unknown", st.Queued)
	}

	hub := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	if !clk.SetHub(hub) {
		t.Fatal("hub time not taken")
	}
	mono += 30 * time.Second
	code, err := m.Enqueue(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	r, err := q.Lookup(code)
	if err != nil {
		t.Fatal(err)
	}
	if want := hub.Add(30 * time.Second); !r.CreatedAt.Equal(want) {
		t.Errorf("receipt dated %v, want the hub's time carried forward, %v", r.CreatedAt, want)
	}
}
