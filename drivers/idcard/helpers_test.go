package idcard

import (
	"bytes"
	"context"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/drivers/transport"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

func testCards(t testing.TB) map[string]Card {
	t.Helper()
	cards, err := SampleCards()
	if err != nil {
		t.Fatal(err)
	}
	return cards
}

// golden compares got with testdata/golden/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file:\n got: %s\nwant: %s", name, firstLines(got), firstLines(want))
	}
}

func firstLines(b []byte) string {
	lines := strings.SplitN(string(b), "\n", 4)
	return strings.Join(lines[:min(3, len(lines))], " | ")
}

// hexLines formats b as hex, 32 bytes a line, the form golden frame files use.
func hexLines(b []byte) []byte {
	var out bytes.Buffer
	for i := 0; i < len(b); i += 32 {
		line := b[i:min(i+32, len(b))]
		for j, c := range line {
			if j > 0 {
				out.WriteByte(' ')
			}
			out.WriteString(strings.ToUpper(hex.EncodeToString([]byte{c})))
		}
		out.WriteByte('\n')
	}
	return out.Bytes()
}

// unhex reads hex with any spacing.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// startSim runs a simulator with the sample cards until the test ends.
func startSim(t testing.TB, cfg SimConfig) *Simulator {
	t.Helper()
	if cfg.Cards == nil {
		cfg.Cards = testCards(t)
	}
	if cfg.Link == "" {
		cfg.Link = filepath.Join(t.TempDir(), "idcard")
	}
	sim, err := NewSimulator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sim.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("simulator: %v", err)
		}
	})
	return sim
}

// openPort opens the simulator's terminal with the real serial driver.
func openPort(t testing.TB, sim *Simulator) transport.Port {
	t.Helper()
	p, err := transport.OpenSerial(transport.SerialConfig{Path: sim.Path(), Baud: sim.Baud()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// testProcessing is the processing allowance tests give the simulator, which needs
// none: short enough that faults show quickly, long enough for a loaded CI machine
// running the race detector.
const testProcessing = time.Second

func openConn(t testing.TB, sim *Simulator) *Conn {
	t.Helper()
	c := NewConn(openPort(t, sim), sim.Baud())
	c.SetProcessing(testProcessing)
	return c
}

// testContext is a context that ends with the test, with a generous limit so that a hung
// test fails instead of stalling the suite.
func testContext(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
