package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
)

// Every command answers --help on standard output, once, with nothing on standard error,
// and exits 0 — scripts and technicians pipe it.
func TestEveryCommandHelp(t *testing.T) {
	if len(commands) == 0 {
		t.Fatal("no commands registered")
	}
	for _, c := range commands {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			e := &env{stdout: &out, stderr: &errb, log: discardLogger()}
			args := append(strings.Fields(c.name), "--help")
			if code := run(context.Background(), e, args); code != 0 {
				t.Fatalf("exit %d", code)
			}
			if errb.Len() != 0 {
				t.Errorf("help wrote to stderr: %q", errb.String())
			}
			if n := strings.Count(out.String(), "usage: kioskctl "+c.name); n != 1 {
				t.Errorf("usage line appears %d times in:\n%s", n, out.String())
			}
		})
	}
}

func TestUnknownCommandAndFlag(t *testing.T) {
	for _, args := range [][]string{{"nosuch"}, {"idcard", "nosuch"}, {"queue", "stats", "--nosuchflag"}} {
		var out, errb bytes.Buffer
		e := &env{stdout: &out, stderr: &errb, log: discardLogger()}
		if code := run(context.Background(), e, args); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		if errb.Len() == 0 {
			t.Errorf("%v: no message on stderr", args)
		}
		if args[len(args)-1] == "nosuch" && !strings.Contains(errb.String(), "unknown command") {
			t.Errorf("%v: stderr does not say the command is unknown:\n%s", args, errb.String())
		}
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
