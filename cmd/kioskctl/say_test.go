package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/drivers/audio"
)

func TestSayWritesWAV(t *testing.T) {
	dir := t.TempDir()
	var rms [3]float64
	for i, tc := range []struct {
		args []string
		min  time.Duration
	}{
		{[]string{"say", "--out", filepath.Join(dir, "zh.wav"), "请将身份证放在读卡区"}, time.Second},
		{[]string{"say", "--lang", "en", "--out", filepath.Join(dir, "en.wav"), "Please", "take", "your", "receipt"}, time.Second},
		{[]string{"say", "--lang", "en", "--volume", "1", "--out", filepath.Join(dir, "quiet.wav"), "Please take your receipt"}, time.Second},
	} {
		var out, errb bytes.Buffer
		e := &env{stdout: &out, stderr: &errb, log: discardLogger()}
		if code := run(context.Background(), e, tc.args); code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.args, code, errb.String())
		}
		if !strings.HasPrefix(out.String(), "wrote ") {
			t.Errorf("output %q", out.String())
		}
		b, err := os.ReadFile(tc.args[len(tc.args)-1-lenText(tc.args)])
		if err != nil {
			t.Fatal(err)
		}
		c, err := audio.DecodeWAV(b)
		if err != nil {
			t.Fatal(err)
		}
		if c.Duration() < tc.min || c.RMS() < 200 {
			t.Errorf("%v: %v of audio at RMS %.0f: want speech", tc.args, c.Duration(), c.RMS())
		}
		rms[i] = c.RMS()
	}
	if rms[2] >= rms[1]*0.5 {
		t.Errorf("--volume 1 RMS %.0f not quieter than volume 3's %.0f", rms[2], rms[1])
	}
}

// lenText is how many trailing arguments are the text (everything after the --out file).
func lenText(args []string) int {
	for i, a := range args {
		if a == "--out" {
			return len(args) - i - 2
		}
	}
	return 0
}

func TestSayRefusesBadUse(t *testing.T) {
	for _, args := range [][]string{
		{"say"},
		{"say", "--lang", "fr", "bonjour"},
		{"say", "--volume", "7", "hello"},
	} {
		var out, errb bytes.Buffer
		e := &env{stdout: &out, stderr: &errb, log: discardLogger()}
		if code := run(context.Background(), e, args); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// Without a sound card and without --out, say fails with a message that says what to do.
func TestSayWithoutSoundCard(t *testing.T) {
	if audio.HaveSoundCard() {
		t.Skip("this machine has a sound card")
	}
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, log: discardLogger()}
	if code := run(context.Background(), e, []string{"say", "hello"}); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(errb.String(), "no audio device") || !strings.Contains(errb.String(), "--out") {
		t.Errorf("stderr %q", errb.String())
	}
}
