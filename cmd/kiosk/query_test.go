package main

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/assets"
	"github.com/govkiosk/govkiosk/drivers/devices"
	"github.com/govkiosk/govkiosk/kiosk/catalog"
	"github.com/govkiosk/govkiosk/sync/hub"
	"github.com/govkiosk/govkiosk/sync/protocol"
	"github.com/govkiosk/govkiosk/ui"
)

// TestSubmitterLookupAtThePlatform runs two terminals against a real hub on loopback,
// wired as the kiosk wires them. A resident who applied at terminal A finds the
// application, with the status and note the business system gave it, at terminal B:
// by card (the code masked) and by the code. With the hub gone, B answers from its own
// receipts and says so; a burst of lookups the hub refuses also falls back, saying the
// platform is busy. The ID number is in no log line.
func TestSubmitterLookupAtThePlatform(t *testing.T) {
	ctx := context.Background()
	logs := &logSink{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, _, c, terminal := loopbackPlatform(t, log)
	online := func(m *submitter, want bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for m.s.client().State().Online != want {
			if time.Now().After(deadline) {
				t.Fatalf("terminal online = %v after 10s, want %v", !want, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	a, b := terminal(), terminal()
	id := testIDNumber(t, 31)
	codeA, err := a.Enqueue(ctx, draft("hukou-cert", resident("测试甲", id), map[string]string{"purpose": "housing"}))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		subs, err := h.Submissions(hub.SubmissionQuery{TrackingCode: codeA})
		if err == nil && len(subs) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("A's submission never reached the hub (%v)", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	const note = "请补充户口簿原件，到3号窗口办理"
	if _, err := h.PostStatus(codeA, "needs_correction", note); err != nil {
		t.Fatal(err)
	}
	online(b, true)

	got, err := b.Lookup(ctx, ui.Query{IDNumber: id})
	if err != nil || got.Local != "" || len(got.Items) != 1 {
		t.Fatalf("at B by card: %+v, %v; want A's one application from the platform", got, err)
	}
	p := got.Items[0]
	if p.Status != ui.StatusCorrection || p.Note.Zh != note || p.Service.Zh != c.Service("hukou-cert").Title.Zh {
		t.Errorf("at B by card: %+v; want 补正 with the note and the catalog's title", p)
	}
	if p.Code == codeA || !strings.HasPrefix(p.Code, codeA[:4]) {
		t.Errorf("at B by card the code is %q; want %s masked", p.Code, codeA)
	}
	got, err = b.Lookup(ctx, ui.Query{Code: codeA})
	if err != nil || got.Local != "" || len(got.Items) != 1 || got.Items[0].Code != codeA || got.Items[0].Status != ui.StatusCorrection {
		t.Fatalf("at B by code: %+v, %v", got, err)
	}
	if got, err := b.Lookup(ctx, ui.Query{IDNumber: testIDNumber(t, 32)}); err != nil || got.Local != "" || len(got.Items) != 0 {
		t.Errorf("a card nobody used: %+v, %v; want nothing, from the platform", got, err)
	}

	// B's own application the platform does not have (refused before it left B: a form
	// value longer than the protocol carries) is listed beside the platform's answer.
	long := strings.Repeat("长", protocol.MaxFieldValue)
	refused, err := b.Enqueue(ctx, draft("hukou-cert", resident("测试甲", id), map[string]string{"purpose": long}))
	if err != nil {
		t.Fatal(err)
	}
	qb, _ := b.s.queue()
	deadline = time.Now().Add(10 * time.Second)
	for st, _ := qb.Stats(); st.Failed != 1; st, _ = qb.Stats() {
		if time.Now().After(deadline) {
			t.Fatalf("B's oversized submission was not refused: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
	got, err = b.Lookup(ctx, ui.Query{IDNumber: id})
	if err != nil || got.Local != "" || len(got.Items) != 2 || got.Items[1].Code != refused || got.Items[1].Status != ui.StatusRejected {
		t.Fatalf("at B by card with a refused one of its own: %+v, %v; want A's from the platform and B's own refused one", got, err)
	}

	// Asked too often, the hub refuses: the answer is B's own, saying the platform is busy.
	busy := false
	for range 20 {
		got, err := b.Lookup(ctx, ui.Query{Code: codeA})
		if err != nil {
			t.Fatal(err)
		}
		if got.Local == ui.LocalBusy {
			busy = len(got.Items) == 0 // B has no receipt of A's code
			break
		}
	}
	if !busy {
		t.Error("a burst of lookups never fell back to this terminal's receipts as busy")
	}

	// The hub goes away: B lists only its own, and says so.
	h.Close()
	online(b, false)
	codeB, err := b.Enqueue(ctx, draft("hukou-cert", resident("测试甲", id), map[string]string{"purpose": "work"}))
	if err != nil {
		t.Fatal(err)
	}
	got, err = b.Lookup(ctx, ui.Query{IDNumber: id})
	if err != nil || got.Local != ui.LocalOffline || len(got.Items) != 2 || got.Items[0].Code != codeB || got.Items[0].Status != ui.StatusQueued ||
		got.Items[1].Code != refused {
		t.Errorf("offline at B by card: %+v, %v; want only B's own receipts (one waiting, one refused), marked local", got, err)
	}
	if got, err := b.Lookup(ctx, ui.Query{Code: codeA}); err != nil || got.Local != ui.LocalOffline || len(got.Items) != 0 {
		t.Errorf("offline at B by A's code: %+v, %v; want nothing, marked local", got, err)
	}
	if strings.Contains(logs.String(), id) {
		t.Error("the ID number is in the log")
	}
}

// loopbackPlatform starts a real hub on loopback and returns it, its address, the shipped
// catalog, and a way to enroll a terminal wired as the kiosk wires it (a syncer with its
// own data directory, behind a submitter).
func loopbackPlatform(t *testing.T, log *slog.Logger) (*hub.Hub, string, *catalog.Catalog, func() *submitter) {
	t.Helper()
	h, err := hub.New(hub.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go h.Serve(ln)
	c, err := catalog.Parse(assets.DefaultCatalog())
	if err != nil {
		t.Fatal(err)
	}
	catalogs := catalog.NewStore(c, nil)
	addr := ln.Addr().String()
	terminal := func() *submitter {
		t.Helper()
		code, _, err := h.CreateEnrollCode(time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		root := t.TempDir()
		sy := &syncer{dataDir: filepath.Join(root, "data"), keyPath: filepath.Join(root, "keys", "queue.key"), log: log,
			registry: devices.NewRegistry(log, devices.Options{}), catalogs: catalogs,
			state: ui.NewValue(ui.SyncState{}), bulletins: ui.NewValue(ui.Bulletin{})}
		if err := sy.enroll(context.Background(), "ws://"+addr, code); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(sy.close)
		return &submitter{s: sy, catalogs: catalogs}
	}
	return h, addr, c, terminal
}
