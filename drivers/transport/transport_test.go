package transport

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/config"
)

func openPair(t *testing.T) (*PTY, Port) {
	t.Helper()
	p, err := OpenPTY(filepath.Join(t.TempDir(), "dev"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	s, err := OpenSerial(SerialConfig{Path: p.Path(), Baud: 115200})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return p, s
}

func TestSerialOverPTYBothWays(t *testing.T) {
	p, s := openPair(t)
	// Every byte value must pass unchanged: the line is raw in both directions.
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	if _, err := s.Write(all); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(all))
	if _, err := io.ReadFull(p, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, all) {
		t.Fatalf("device got %x", got)
	}
	if _, err := p.Write(all); err != nil {
		t.Fatal(err)
	}
	if err := ReadFull(s, got, time.Now().Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, all) {
		t.Fatalf("driver got %x", got)
	}
}

func TestSerialReadDeadline(t *testing.T) {
	_, s := openPair(t)
	start := time.Now()
	if err := s.SetReadDeadline(start.Add(250 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	_, err := s.Read(make([]byte, 8))
	if !IsTimeout(err) {
		t.Fatalf("want timeout, got %v", err)
	}
	if el := time.Since(start); el < 250*time.Millisecond {
		t.Fatalf("returned before its deadline, after %v", el)
	}
	// The port stays usable after a timeout.
	if err := s.SetReadDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
}

func TestSerialUnplugIsGoneAndReplugReopens(t *testing.T) {
	p, s := openPair(t)
	errc := make(chan error, 1)
	go func() {
		_, err := s.Read(make([]byte, 1))
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := p.Unplug(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, ErrGone) {
			t.Fatalf("want ErrGone, got %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("read did not notice the unplug")
	}
	s.Close()
	if _, err := OpenSerial(SerialConfig{Path: p.Path()}); !errors.Is(err, ErrNoDevice) {
		t.Fatalf("open while unplugged: want ErrNoDevice, got %v", err)
	}
	if err := p.Replug(); err != nil {
		t.Fatal(err)
	}
	s2, err := OpenSerial(SerialConfig{Path: p.Path()})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := p.Write([]byte("ok")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2)
	if err := ReadFull(s2, buf, time.Now().Add(2*time.Second)); err != nil || string(buf) != "ok" {
		t.Fatalf("after replug: %q %v", buf, err)
	}
}

func TestSerialCloseUnblocksRead(t *testing.T) {
	_, s := openPair(t)
	errc := make(chan error, 1)
	go func() {
		_, err := s.Read(make([]byte, 1))
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond)
	s.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("want ErrClosed, got %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not unblock Read")
	}
}

func TestPTYCloseUnblocksDeviceRead(t *testing.T) {
	p, _ := openPair(t)
	errc := make(chan error, 1)
	go func() {
		_, err := p.Read(make([]byte, 1))
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond)
	p.Close()
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("read after close succeeded")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not unblock the simulator's Read")
	}
}

func TestOpenSerialMissing(t *testing.T) {
	_, err := OpenSerial(SerialConfig{Path: filepath.Join(t.TempDir(), "nothing")})
	if !errors.Is(err, ErrNoDevice) {
		t.Fatalf("want ErrNoDevice, got %v", err)
	}
}

// TestOpenSerialSaysWhatIsWrong: a path that is no serial port and a rate no port takes
// are said in words a technician can act on. Before, they came out as the system call's
// "inappropriate ioctl for device" and the serial library's "Unrecognized baud rate".
func TestOpenSerialSaysWhatIsWrong(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "ttyUSB0.txt")
	if err := os.WriteFile(file, []byte("not a port"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	p, err := OpenPTY(filepath.Join(dir, "dev"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	cases := []struct {
		name, path string
		baud       int
		want       []string
	}{
		{"regular file", file, 9600, []string{file + " is not a serial port (it is a regular file)", "/dev/ttyUSB0"}},
		{"link to a file", link, 9600, []string{link + " is not a serial port (it is a regular file)"}},
		{"directory", dir, 9600, []string{dir + " is not a serial port (it is a directory)"}},
		{"not a terminal", "/dev/null", 9600, []string{"/dev/null is not a serial port (it is a character device that is not a terminal)"}},
		{"bad baud", p.Path(), 12345, []string{"12345 is not a baud rate", "1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := OpenSerial(SerialConfig{Path: c.path, Baud: c.baud})
			if err == nil {
				s.Close()
				t.Fatal("opened")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "ioctl") || strings.Contains(err.Error(), "Unrecognized") {
				t.Errorf("error %q still speaks of the system call", err)
			}
			var ns *NotSerialError
			var be *BaudError
			if !errors.As(err, &ns) && !errors.As(err, &be) {
				t.Errorf("error %T is neither a NotSerialError nor a BaudError", err)
			}
		})
	}
	// A rate the driver takes, though not a standard one, still opens.
	s, err := OpenSerial(SerialConfig{Path: p.Path(), Baud: 500000})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

func TestWireTime(t *testing.T) {
	for _, c := range []struct {
		n, baud int
		want    time.Duration
	}{
		{1295, 115200, 112413194 * time.Nanosecond},
		{960, 9600, time.Second},
		{10, 0, 0},
	} {
		if got := WireTime(c.n, c.baud); got != c.want {
			t.Errorf("WireTime(%d, %d) = %v, want %v", c.n, c.baud, got, c.want)
		}
	}
}

func TestUSBWithoutBusIsAClearError(t *testing.T) {
	if _, err := ListUSB(); err != nil && !errors.Is(err, ErrNoUSB) {
		t.Fatalf("ListUSB: want nil or ErrNoUSB, got %v", err)
	}
	_, err := OpenUSB(USBConfig{ID: USBID{VID: 0xffff, PID: 0xfffe}})
	if !errors.Is(err, ErrNoUSB) && !errors.Is(err, ErrNoDevice) {
		t.Fatalf("OpenUSB of an absent device: want ErrNoUSB or ErrNoDevice, got %v", err)
	}
}

func TestParseUSBID(t *testing.T) {
	for _, c := range []struct {
		in   string
		want USBID
		ok   bool
	}{
		{"1a86:7523", USBID{0x1a86, 0x7523}, true},
		{"04B8:0E15", USBID{0x04b8, 0x0e15}, true},
		{"1a86-7523", USBID{}, false},
		{"1a86:752", USBID{}, false},
		{"", USBID{}, false},
	} {
		got, err := ParseUSBID(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseUSBID(%q) = %v, %v", c.in, got, err)
		}
		if c.ok && got.String() != strings.ToLower(c.in) {
			t.Errorf("String() = %q", got.String())
		}
	}
}

// TestStandardBaudsMatchTheConfiguration: the rates the port's message lists are those
// the configuration accepts, so the two never give a technician different lists.
func TestStandardBaudsMatchTheConfiguration(t *testing.T) {
	if !slices.Equal(StandardBauds, config.BaudRates) {
		t.Fatalf("transport lists %v, the configuration accepts %v", StandardBauds, config.BaudRates)
	}
}
