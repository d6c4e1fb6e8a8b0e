package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPortMistakesSaidPlainly: a technician who points a command at something that is not
// a serial port, or gives a rate no port takes, is told so in words and given the valid
// rates. Before, the first came out as "inappropriate ioctl for device" and the second as
// "Unrecognized baud rate", and scanner listen waited forever on a regular file.
func TestPortMistakesSaidPlainly(t *testing.T) {
	reader, prn, _ := devBench(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	const rates = "1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600"
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"idcard", "probe", "--port", file}, file + " is not a serial port (it is a regular file)"},
		{[]string{"idcard", "read", "--port", "/dev/null", "--timeout", "2s"}, "/dev/null is not a serial port (it is a character device that is not a terminal)"},
		{[]string{"printer", "status", "--port", file}, file + " is not a serial port (it is a regular file)"},
		{[]string{"scanner", "listen", "--port", dir}, dir + " is not a serial port (it is a directory)"},
		{[]string{"idcard", "probe", "--port", reader, "--baud", "12345"}, "12345 is not a baud rate a serial port can be set to; use one of " + rates},
		{[]string{"printer", "status", "--port", prn, "--baud", "12345"}, "12345 is not a baud rate a serial port can be set to; use one of " + rates},
		{[]string{"scanner", "listen", "--port", prn, "--baud", "1234"}, "1234 is not a baud rate a serial port can be set to; use one of " + rates},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args[:2], " "), func(t *testing.T) {
			// A command that waits for its device instead of failing is stopped, and
			// fails the test, after a while.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var o, e bytes.Buffer
			code := run(ctx, testEnv(&o, &e), c.args)
			stderr := e.String()
			if code != 1 || !strings.Contains(stderr, c.want) {
				t.Errorf("%v: exit %d, %q; want exit 1 and %q", c.args, code, stderr, c.want)
			}
			if strings.Contains(stderr, "ioctl") || strings.Contains(stderr, "Unrecognized") {
				t.Errorf("%v: %q", c.args, stderr)
			}
		})
	}
}

// TestWrongDeviceOnThePortSaysSo: a printer command pointed at the ID-card reader, and a
// reader command pointed at the printer, say that nothing of the kind answered there and
// what to check. Before, the printer commands ended in "i/o timeout".
func TestWrongDeviceOnThePortSaysSo(t *testing.T) {
	reader, prn, _ := devBench(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"printer", "status", "--port", reader}, "no ESC/POS answer on " + reader + " within 2s at 9600 baud; is it the printer?"},
		{[]string{"printer", "test", "--port", reader}, "no ESC/POS answer on " + reader + " within 2s at 9600 baud; is it the printer?"},
		{[]string{"idcard", "probe", "--port", prn}, "is it the ID-card reader?"},
		{[]string{"idcard", "read", "--port", prn, "--timeout", "3s"}, "is it the ID-card reader?"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args[:2], " "), func(t *testing.T) {
			code, _, stderr := runCmd(c.args...)
			if code != 1 || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, "kioskctl devices scan") {
				t.Errorf("%v: exit %d, %q; want exit 1 and %q", c.args, code, stderr, c.want)
			}
		})
	}
}
