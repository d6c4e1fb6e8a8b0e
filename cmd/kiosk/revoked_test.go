package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/govkiosk/govkiosk/sync/client"
)

// TestRevocationRememberedAcrossRestarts: once the hub has refused the terminal as
// revoked, a kiosk started again still treats it as revoked while the hub cannot be
// reached (it would otherwise take applications until the hub refused it again), until
// the hub welcomes it.
func TestRevocationRememberedAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	offline, online, refused := client.State{}, client.State{Online: true}, client.State{Revoked: true}
	steps := []struct {
		name    string
		restart bool
		st      client.State
		want    bool
	}{
		{"first start, offline", false, offline, false},
		{"online", false, online, false},
		{"refused as revoked", false, refused, true},
		{"still down", false, offline, true},
		{"restarted, the hub out of reach", true, offline, true},
		{"restarted again, the hub out of reach", true, offline, true},
		{"refused again", false, refused, true},
		{"reinstated: welcomed", false, online, false},
		{"restarted, offline", true, offline, false},
	}
	m := newRevokedMark(dir, log)
	for _, s := range steps {
		if s.restart {
			m = newRevokedMark(dir, log)
		}
		if got := m.revoked(s.st); got != s.want {
			t.Errorf("%s: revoked %v, want %v", s.name, got, s.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, revokedFile)); err == nil {
		t.Error("the mark is left after the terminal was welcomed")
	}
}
