package transport

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
