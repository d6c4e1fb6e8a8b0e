package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/sync/hub"
)

// fleetHub runs a real hub with an operator token and returns its address and a token
// file.
func fleetHub(t *testing.T) (*hub.Hub, string, string) {
	t.Helper()
	const token = "kioskctl-fleet-test-token"
	h, err := hub.New(hub.Options{Dir: t.TempDir(), OperatorToken: token})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.Close()
		t.Fatal(err)
	}
	go h.Serve(ln)
	t.Cleanup(func() { h.Close() })
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return h, "ws://" + ln.Addr().String(), tokenFile
}

func TestSimFleetJSON(t *testing.T) {
	h, url, tokenFile := fleetHub(t)
	code, out, errs := runCmd("sim", "fleet", "--hub", url, "--kiosks", "2", "--submissions", "3",
		"--attachment-size", "100K", "--operator-token-file", tokenFile, "--json", "--timeout", "1m")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r struct {
		Kiosks    int `json:"kiosks"`
		Enqueued  int `json:"enqueued"`
		Delivered int `json:"delivered"`
		Verified  int `json:"verified"`
		Bytes     int `json:"delivered_bytes"`
		Deliver   struct {
			N     int     `json:"n"`
			P99MS float64 `json:"p99_ms"`
		} `json:"time_to_deliver"`
		Committed int `json:"hub_committed"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v in %q", err, out)
	}
	if r.Kiosks != 2 || r.Enqueued != 6 || r.Delivered != 6 || r.Verified != 6 || r.Committed != 6 ||
		r.Bytes != 6*100<<10 || r.Deliver.N != 6 || r.Deliver.P99MS <= 0 {
		t.Errorf("report %+v", r)
	}
	if n := h.Stats().Submissions; n != 6 {
		t.Errorf("hub holds %d submissions", n)
	}
}

// With --data the terminals keep their identities: a second run with given codes left
// over enrolls nobody new, and the text report says what arrived.
func TestSimFleetTextAndCodes(t *testing.T) {
	h, url, _ := fleetHub(t)
	c1, _, _ := h.CreateEnrollCode(time.Hour)
	c2, _, _ := h.CreateEnrollCode(time.Hour)
	data := t.TempDir()
	for run := range 2 {
		code, out, errs := runCmd("sim", "fleet", "--hub", url, "--kiosks", "2", "--submissions", "2",
			"--attachment-size", "0", "--enroll-code", c1+","+c2, "--data", data, "--timeout", "1m")
		if code != 0 {
			t.Fatalf("run %d: exit %d: %s", run, code, errs)
		}
		for _, want := range []string{"4 enqueued, 4 delivered, 0 failed", "verified at hub  4 of 4", "time to deliver"} {
			if !strings.Contains(out, want) {
				t.Errorf("run %d: no %q in\n%s", run, want, out)
			}
		}
	}
	if n := len(h.Terminals()); n != 2 {
		t.Errorf("%d terminals enrolled, want 2", n)
	}
}

func TestSimFleetUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"no hub", []string{"--enroll-code", "ABCD-EFGH"}, 2},
		{"no way to enroll", []string{"--hub", "ws://127.0.0.1:1"}, 2},
		{"bad size", []string{"--hub", "ws://127.0.0.1:1", "--enroll-code", "X", "--attachment-size", "lots"}, 2},
		{"too large", []string{"--hub", "ws://127.0.0.1:1", "--enroll-code", "X", "--attachment-size", "65M"}, 2},
		{"no terminals", []string{"--hub", "ws://127.0.0.1:1", "--enroll-code", "X", "--kiosks", "0"}, 2},
		{"stray argument", []string{"--hub", "ws://127.0.0.1:1", "--enroll-code", "X", "extra"}, 2},
		{"hub unreachable", []string{"--hub", "ws://127.0.0.1:1", "--enroll-code", "ABCD-EFGH", "--kiosks", "1"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := runCmd(append([]string{"sim", "fleet"}, tc.args...)...)
			if code != tc.want {
				t.Errorf("exit %d, want %d (%s)", code, tc.want, errs)
			}
			if errs == "" {
				t.Error("nothing on stderr")
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"0", 0, true}, {"200000", 200000, true}, {"200K", 200 << 10, true}, {"200kb", 200 << 10, true},
		{"5M", 5 << 20, true}, {"5MiB", 5 << 20, true}, {"64M", 64 << 20, true}, {"12B", 12, true},
		{"65M", 0, false}, {"-1", 0, false}, {"", 0, false}, {"5G", 0, false},
	} {
		got, err := parseSize(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("parseSize(%q) = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
