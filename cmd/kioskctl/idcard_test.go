package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/drivers/idcard"
	"github.com/govkiosk/govkiosk/drivers/transport"
)

// idcCards is the directory of the synthetic sample cards.
var idcCards = filepath.Join("..", "..", "assets", "cards")

// idcSim runs a simulator with the sample cards for a test.
func idcSim(t *testing.T) *idcard.Simulator {
	t.Helper()
	cards, err := idcard.LoadCards(os.DirFS(idcCards), ".")
	if err != nil {
		t.Fatal(err)
	}
	sim, err := idcard.NewSimulator(idcard.SimConfig{Link: filepath.Join(t.TempDir(), "idcard"), Cards: cards})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sim.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return sim
}

// readAnswer is the read-card answer frame of a sample card.
func readAnswer(t *testing.T, name string, fingerprint bool) []byte {
	t.Helper()
	cards, err := idcard.LoadCards(os.DirFS(idcCards), ".")
	if err != nil {
		t.Fatal(err)
	}
	id, err := cards[name].Identity()
	if err != nil {
		t.Fatal(err)
	}
	data, err := idcard.AppendRead(nil, id, fingerprint)
	if err != nil {
		t.Fatal(err)
	}
	frame, err := idcard.Response{Status: idcard.StatusOK, Data: data}.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return frame
}

var residentJSON = map[string]any{
	"card_type": "resident", "name": "测试甲", "gender": "男", "nation": "汉", "birth": "1990-01-01",
	"address": "测试省样例市虚构区演示路1号", "id_number": "990101199001010019", "id_number_valid": true,
	"authority": "样例市公安局虚构分局", "valid_from": "2020-01-01", "valid_to": "2040-01-01",
}

func decodeJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("%v in %q", err, s)
	}
	return m
}

func TestIDCardCommandsHelp(t *testing.T) {
	for _, c := range []string{"idcard read", "idcard decode", "idcard probe", "sim idcard"} {
		code, out, _ := runCmd(append(strings.Fields(c), "--help")...)
		if code != 0 || !strings.Contains(out, "usage: kioskctl "+c) {
			t.Errorf("%s --help: exit %d, %q", c, code, out)
		}
	}
}

func TestIDCardUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"idcard", "read"},
		{"idcard", "read", "--port", "/dev/null", "extra"},
		{"idcard", "read", "--port", "/dev/null", "--timeout", "0s"},
		{"idcard", "decode"},
		{"idcard", "decode", "a", "b"},
		{"idcard", "probe"},
		{"sim", "idcard", "extra"},
		{"sim", "idcard", "--cards", idcCards, "--card", "nobody"},
	} {
		code, _, stderr := runCmd(args...)
		if code != 2 || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

func TestIDCardDecode(t *testing.T) {
	dir := t.TempDir()
	frame := readAnswer(t, "resident", false)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	spaced := func(b []byte) []byte {
		h := strings.ToUpper(hex.EncodeToString(b))
		var out strings.Builder
		for i := 0; i < len(h); i += 2 {
			out.WriteString(h[i : i+2])
			if i%64 == 62 {
				out.WriteString("\n")
			} else {
				out.WriteString(" ")
			}
		}
		return []byte(out.String())
	}
	longTerm := readAnswer(t, "resident-longterm", false)
	permit := readAnswer(t, "hkmt-permit", true)
	damaged := bytes.Clone(frame)
	damaged[len(damaged)-1] ^= 1
	noCard, _ := idcard.Response{Status: idcard.StatusReadFailed}.MarshalBinary()

	cases := []struct {
		name string
		file string
		want map[string]any // keys that must match; nil: an error
		keys []string       // the exact key set, if given
	}{
		{"binary", write("r.bin", frame), residentJSON, keysOf(residentJSON)},
		{"hex text", write("r.hex", spaced(frame)), residentJSON, keysOf(residentJSON)},
		{"binary with noise and trailing bytes", write("n.bin", append(append([]byte{1, 2, 3}, frame...), 9, 9)), residentJSON, nil},
		{"long-term", write("l.hex", spaced(longTerm)), map[string]any{"valid_to": "长期", "nation": "回", "gender": "女"}, keysOf(residentJSON)},
		{"permit with fingerprint form", write("p.bin", permit), map[string]any{"card_type": "hk_macau_taiwan",
			"pass_number": "Z99000001", "issue_count": 1.0, "nation": ""}, nil},
		{"bad checksum", write("d.bin", damaged), nil, nil},
		{"truncated", write("t.bin", frame[:700]), nil, nil},
		{"not hex", write("x.txt", []byte("AA AA AA 96 6")), nil, nil},
		{"a status, not a card", write("s.bin", noCard), nil, nil},
		{"missing file", filepath.Join(dir, "none"), nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, stderr := runCmd("idcard", "decode", c.file)
			if c.want == nil {
				if code != 1 || strings.Count(stderr, "\n") != 1 || out != "" {
					t.Fatalf("exit %d, stdout %q, stderr %q", code, out, stderr)
				}
				return
			}
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			got := decodeJSON(t, out)
			for k, v := range c.want {
				if !reflect.DeepEqual(got[k], v) {
					t.Errorf("%s = %#v, want %#v", k, got[k], v)
				}
			}
			if c.keys != nil && !reflect.DeepEqual(keysOf(got), c.keys) {
				t.Errorf("keys %v, want exactly %v", keysOf(got), c.keys)
			}
		})
	}
}

func keysOf(m map[string]any) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	sort.Strings(k)
	return k
}

func TestIDCardReadAgainstSim(t *testing.T) {
	sim := idcSim(t)
	out, _, stop := startCmd(t, "idcard", "read", "--port", sim.Path(), "--timeout", "20s")
	time.Sleep(100 * time.Millisecond) // the command looks for a card a few times first
	if err := sim.Place("resident"); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, stop, out); code != 0 {
		t.Fatalf("exit %d", code)
	}
	got := decodeJSON(t, strings.Join(out.lines(), "\n"))
	for k, v := range residentJSON {
		if !reflect.DeepEqual(got[k], v) {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	if got["additional_address"] != "测试省样例市虚构区新址路8号" {
		t.Errorf("additional address %v", got["additional_address"])
	}
}

// waitExit waits for a background command that ends by itself.
func waitExit(t *testing.T, stop func() int, out *liveOut) int {
	t.Helper()
	// stop cancels too; give the command time to finish on its own first.
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if l := out.lines(); len(l) > 0 && l[len(l)-1] == "}" {
			break
		}
	}
	return stop()
}

func TestIDCardReadErrors(t *testing.T) {
	sim := idcSim(t)
	code, _, stderr := runCmd("idcard", "read", "--port", sim.Path(), "--timeout", "300ms")
	if code != 1 || !strings.Contains(stderr, "no card placed within 300ms") {
		t.Fatalf("no card: exit %d, %q", code, stderr)
	}
	sim.Inject(idcard.FaultSAM)
	code, _, stderr = runCmd("idcard", "read", "--port", sim.Path(), "--timeout", "2s")
	if code != 1 || !strings.Contains(stderr, "security module self-test failed") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("SAM fault: exit %d, %q", code, stderr)
	}
	code, _, stderr = runCmd("idcard", "read", "--port", filepath.Join(t.TempDir(), "none"))
	if code != 1 || !strings.Contains(stderr, "no such device") {
		t.Fatalf("no port: exit %d, %q", code, stderr)
	}
}

func TestIDCardProbe(t *testing.T) {
	sim := idcSim(t)
	code, out, stderr := runCmd("idcard", "probe", "--port", sim.Path())
	if code != 0 || !strings.HasPrefix(out, "SAM ok") {
		t.Fatalf("exit %d, %q %q", code, out, stderr)
	}
	sim.Inject(idcard.FaultSilence)
	code, _, stderr = runCmd("idcard", "probe", "--port", sim.Path())
	if code != 1 || !strings.Contains(stderr, "no answer") {
		t.Fatalf("silent: exit %d, %q", code, stderr)
	}
}

func TestSimIDCardCommand(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "control")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "idcard")
	out, _, stop := startCmd(t, "sim", "idcard", "--cards", idcCards, "--link", link, "--control", fifo)
	if got := out.waitLine(t, 1); got != link {
		t.Fatalf("first line %q, want the device path %q", got, link)
	}
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	port, err := transport.OpenSerial(transport.SerialConfig{Path: link})
	if err != nil {
		t.Fatal(err)
	}
	defer port.Close()
	c := idcard.NewConn(port, 0)
	c.SetProcessing(300 * time.Millisecond)
	ctx := context.Background()

	line := 1
	send := func(cmd, want string) {
		t.Helper()
		if _, err := io.WriteString(w, cmd+"\n"); err != nil {
			t.Fatal(err)
		}
		line++
		if got := out.waitLine(t, line); !strings.HasPrefix(got, want) {
			t.Fatalf("%q answered %q, want %q", cmd, got, want)
		}
	}
	if err := c.FindCard(ctx); err == nil {
		t.Fatal("a card before any was placed")
	}
	send("cards", "ok foreigner-2017 foreigner-2023 hkmt-permit resident resident-longterm")
	send("place foreigner-2023", "ok")
	if err := c.FindCard(ctx); err != nil {
		t.Fatal(err)
	}
	id, err := c.ReadIdentity(ctx, idcard.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if id.EnglishName != "SAMPLE, DELTA EXAMPLE LONGNAME EXTENDED PART" {
		t.Fatal("wrong card read")
	}
	send("fault read", "ok")
	send("status", "ok card=foreigner-2023 fault=read baud=115200")
	if err := c.FindCard(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadIdentity(ctx, idcard.ReadOptions{}); err == nil {
		t.Fatal("read despite the fault")
	}
	send("fault slow 10ms", "ok")
	send("fault none", "ok")
	send("fault fire", "error: ")
	send("place nobody", "error: ")
	send("dance", "error: unknown command")
	send("remove", "ok")
	send("unplug", "ok")
	if _, err := os.Lstat(link); err == nil {
		t.Fatal("link still there while unplugged")
	}
	send("replug", "ok")
	if _, err := os.Lstat(link); err != nil {
		t.Fatalf("link gone after replug: %v", err)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

// Without --cards the simulator offers the sample cards built into the binary.
func TestSimIDCardBuiltInCards(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "control")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "idcard")
	out, _, stop := startCmd(t, "sim", "idcard", "--link", link, "--card", "resident", "--control", fifo)
	if got := out.waitLine(t, 1); got != link {
		t.Fatalf("first line %q", got)
	}
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := io.WriteString(w, "status\ncards\n"); err != nil {
		t.Fatal(err)
	}
	if got := out.waitLine(t, 2); got != "ok card=resident fault=none baud=115200" {
		t.Fatalf("status %q", got)
	}
	if got := out.waitLine(t, 3); got != "ok foreigner-2017 foreigner-2023 hkmt-permit resident resident-longterm" {
		t.Fatalf("cards %q", got)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}
