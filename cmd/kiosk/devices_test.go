package main

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/config"
)

// lockedBuffer is a bytes.Buffer the device goroutines can log into while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Each driver names its device in its log lines; the registry must not name it a second
// time (the lines read "device=printer device=printer").
func TestDeviceLogLinesNameTheDeviceOnce(t *testing.T) {
	var buf lockedBuffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r := newRegistry(log)
	missing := filepath.Join(t.TempDir(), "no-such-tty")
	cfgs := []config.Device{
		{Name: "idcard", Kind: config.KindIDCard, Transport: config.TransportSerial, Path: missing},
		{Name: "printer", Kind: config.KindPrinter, Transport: config.TransportSerial, Path: missing},
		{Name: "barcode", Kind: config.KindBarcode, Transport: config.TransportSerial, Path: missing},
		{Name: "docscan", Kind: config.KindDocScanner, Transport: config.TransportESCL, Address: "http://127.0.0.1:1/eSCL"},
	}
	if err := r.Load(cfgs); err != nil {
		t.Fatalf("load: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(ctx) }()
	defer func() { cancel(); <-done }()

	seen := func() map[string]bool {
		m := map[string]bool{}
		for _, line := range strings.Split(buf.String(), "\n") {
			for _, c := range cfgs {
				if strings.Contains(line, "device="+c.Name) {
					m[c.Name] = true
				}
			}
		}
		return m
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(seen()) < len(cfgs) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := seen(); len(got) < len(cfgs) {
		t.Fatalf("only %v logged a line naming its device within 20 s:\n%s", got, buf.String())
	}
	for _, line := range strings.Split(buf.String(), "\n") {
		if n := strings.Count(line, "device="); n > 1 {
			t.Errorf("the device is named %d times: %s", n, line)
		}
	}
}
