package devices

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/drivers/transport"
)

// tinyDevice plays a device on a pty that answers one request line with one reply line
// (both ended by CR), at one baud rate. Silent devices never answer.
type tinyDevice struct {
	pty   *transport.PTY
	baud  int
	ask   string
	reply string
}

func startTiny(t *testing.T, name string, baud int, ask, reply string) *tinyDevice {
	t.Helper()
	p, err := transport.OpenPTY(filepath.Join(t.TempDir(), name))
	if err != nil {
		t.Fatal(err)
	}
	d := &tinyDevice{pty: p, baud: baud, ask: ask, reply: reply}
	done := make(chan struct{})
	go func() {
		defer close(done)
		rd := bufio.NewReader(p)
		for {
			line, err := rd.ReadString('\r')
			if errors.Is(err, transport.ErrClosed) {
				return
			}
			if err != nil {
				continue
			}
			if reply != "" && strings.HasSuffix(line, ask+"\r") {
				_, _ = p.Write([]byte(reply + "\r"))
			}
		}
	}()
	t.Cleanup(func() { p.Close(); <-done })
	return d
}

// linePort makes a pty behave like a serial line at a baud rate: opened at another rate
// than the device's, both directions are mangled, as a UART at the wrong speed reads
// framing garbage.
type linePort struct {
	transport.Port
	garble  bool
	onClose func()
	once    sync.Once
}

func (l *linePort) Read(b []byte) (int, error) {
	n, err := l.Port.Read(b)
	if l.garble {
		for i := range b[:n] {
			b[i] ^= 0x5a
		}
	}
	return n, err
}

func (l *linePort) Write(b []byte) (int, error) {
	if l.garble {
		g := bytes.Clone(b)
		for i := range g {
			g[i] ^= 0x5a
		}
		b = g
	}
	return l.Port.Write(b)
}

func (l *linePort) Close() error {
	l.once.Do(l.onClose)
	return l.Port.Close()
}

// bench opens ports for Discover, knows each device's real baud rate, and counts open
// ports so the test can check none is left open and the concurrency bound holds.
type bench struct {
	mu      sync.Mutex
	bauds   map[string]int // path → device baud
	open    int
	maxOpen int
	opens   int
}

func (b *bench) Open(path string, baud int) (transport.Port, error) {
	p, err := transport.OpenSerial(transport.SerialConfig{Path: path, Baud: baud})
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.open++
	b.opens++
	b.maxOpen = max(b.maxOpen, b.open)
	devBaud := b.bauds[path]
	return &linePort{Port: p, garble: devBaud != 0 && devBaud != baud, onClose: func() {
		b.mu.Lock()
		b.open--
		b.mu.Unlock()
	}}, nil
}

// lineProber asks with ask and expects a reply starting with want.
func lineProber(kind, ask, want string, bauds ...int) Prober {
	return Prober{Kind: kind, Bauds: bauds, Probe: func(ctx context.Context, p transport.Port) (string, error) {
		if _, err := p.Write([]byte(ask + "\r")); err != nil {
			return "", err
		}
		var got []byte
		buf := make([]byte, 64)
		for !bytes.HasSuffix(got, []byte("\r")) {
			if err := ctx.Err(); err != nil {
				return "", err
			}
			n, err := p.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				return "", err
			}
			if len(got) > 256 {
				return "", errors.New("babble")
			}
		}
		reply := strings.TrimSpace(string(got))
		if !strings.HasPrefix(reply, want) {
			return "", fmt.Errorf("unexpected reply %q", reply)
		}
		return reply, nil
	}}
}

func TestDiscoverSerial(t *testing.T) {
	reader := startTiny(t, "reader", 115200, "S?", "SAM OK 05.01")
	printer := startTiny(t, "printer", 9600, "P?", "PRN READY")
	silent := startTiny(t, "silent", 9600, "", "")
	b := &bench{bauds: map[string]int{reader.pty.Path(): 115200, printer.pty.Path(): 9600, silent.pty.Path(): 9600}}
	missing := filepath.Join(t.TempDir(), "ttyUSB9")
	// The reader's node is named twice (link and target): probed once.
	target, err := filepath.EvalSymlinks(reader.pty.Path())
	if err != nil {
		t.Fatal(err)
	}
	found, err := Discover(context.Background(), DiscoverOptions{
		Probers: []Prober{
			lineProber("idcard", "S?", "SAM OK", 115200, 9600),
			lineProber("printer", "P?", "PRN", 115200, 9600),
		},
		Ports:       []string{reader.pty.Path(), printer.pty.Path(), silent.pty.Path(), missing, target},
		Globs:       []string{},
		Timeout:     150 * time.Millisecond,
		Concurrency: 2,
		Open:        b.Open,
		NoUSB:       true,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Found{
		reader.pty.Path():  {Transport: "serial", Path: reader.pty.Path(), Baud: 115200, Kind: "idcard", Description: "SAM OK 05.01"},
		printer.pty.Path(): {Transport: "serial", Path: printer.pty.Path(), Baud: 9600, Kind: "printer", Description: "PRN READY"},
		silent.pty.Path(): {Transport: "serial", Path: silent.pty.Path(),
			Note: "no answer (idcard@115200, idcard@9600, printer@115200, printer@9600)"},
	}
	got := map[string]Found{}
	for _, f := range found {
		got[f.Path] = f
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("found %+v\nwant %+v", found, want)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.open != 0 {
		t.Fatalf("%d ports left open", b.open)
	}
	if b.maxOpen > 2 {
		t.Fatalf("%d ports open at once, bound is 2", b.maxOpen)
	}
	// reader: 1 probe; printer: idcard×2 + printer@115200 + printer@9600; silent: 4.
	if b.opens != 9 {
		t.Fatalf("%d opens, want 9", b.opens)
	}
}

// TestDiscoverLeavesPortsInUseAlone: the ports of devices the caller runs (the kiosk's
// own, on the settings screen) are never opened, under their link or their target, and
// are reported as the caller gave them; the other ports are probed as before. Before,
// the kiosk's auto-detect probed only the default globs: the devices it ran were outside
// them (pseudo-terminals in simulation) or probed under the driver that held them.
func TestDiscoverLeavesPortsInUseAlone(t *testing.T) {
	reader := startTiny(t, "reader", 115200, "S?", "SAM OK 05.01")
	printer := startTiny(t, "printer", 9600, "P?", "PRN READY")
	target, err := filepath.EvalSymlinks(reader.pty.Path())
	if err != nil {
		t.Fatal(err)
	}
	b := &bench{bauds: map[string]int{reader.pty.Path(): 115200, target: 115200, printer.pty.Path(): 9600}}
	var opened []string
	open := func(path string, baud int) (transport.Port, error) {
		b.mu.Lock()
		opened = append(opened, path)
		b.mu.Unlock()
		return b.Open(path, baud)
	}
	inUse := []Found{
		{Transport: "serial", Path: reader.pty.Path(), Baud: 115200, Kind: "idcard", Description: "in use: online"},
		{Transport: "usb", USB: "0483:5720", Kind: "printer", Description: "in use: online"},
		{Transport: "escl", Path: "http://127.0.0.1:1/eSCL", Kind: "docscanner", Description: "in use: online"},
	}
	found, err := Discover(context.Background(), DiscoverOptions{
		Probers: []Prober{
			lineProber("idcard", "S?", "SAM OK", 115200),
			lineProber("printer", "P?", "PRN", 9600),
		},
		// The glob finds the reader's terminal under its other name.
		Ports:   []string{printer.pty.Path()},
		Globs:   []string{target},
		InUse:   inUse,
		Timeout: 150 * time.Millisecond,
		Open:    open,
		ListUSB: func() ([]transport.USBDevice, error) {
			return []transport.USBDevice{
				{ID: transport.USBID{VID: 0x0483, PID: 0x5720}, Bus: 1, Address: 2},
				{ID: transport.USBID{VID: 0x1a86, PID: 0x7523}, Bus: 1, Address: 3},
			}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Serial, USB, then the rest; by place within each.
	want := []Found{
		inUse[0],
		{Transport: "serial", Path: printer.pty.Path(), Baud: 9600, Kind: "printer", Description: "PRN READY"},
		inUse[1],
		{Transport: "usb", USB: "1a86:7523", Path: "bus 001 device 003", Kind: KindUSBSerial, Description: "QinHeng CH340 serial converter"},
		inUse[2],
	}
	if !reflect.DeepEqual(found, want) {
		t.Fatalf("found\n%+v\nwant\n%+v", found, want)
	}
	for _, p := range opened {
		if samePort(p) == target {
			t.Errorf("the port in use was opened as %s", p)
		}
	}
}

func TestDiscoverCancelled(t *testing.T) {
	silent := startTiny(t, "silent", 9600, "", "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Discover(ctx, DiscoverOptions{Probers: []Prober{lineProber("x", "?", "!")},
		Ports: []string{silent.pty.Path()}, Globs: []string{}, NoUSB: true})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
}

func TestDiscoverUSB(t *testing.T) {
	cases := []struct {
		name string
		list func() ([]transport.USBDevice, error)
		want []Found
	}{
		{"no usb", func() ([]transport.USBDevice, error) {
			return nil, fmt.Errorf("%w: no /dev/bus/usb", transport.ErrNoUSB)
		}, []Found{{Transport: "usb", Note: "no USB on this machine"}}},
		{"table and printer class", func() ([]transport.USBDevice, error) {
			return []transport.USBDevice{
				{ID: transport.USBID{VID: 0x1a86, PID: 0x7523}, Bus: 1, Address: 4},
				{ID: transport.USBID{VID: 0x1d6b, PID: 0x0002}, Bus: 1, Address: 1, Classes: []int{9}},
				{ID: transport.USBID{VID: 0x9999, PID: 0x0001}, Bus: 2, Address: 3, Classes: []int{7}},
				{ID: transport.USBID{VID: 0x1eab, PID: 0x1310}, Bus: 2, Address: 5, Classes: []int{3}},
			}, nil
		}, []Found{
			{Transport: "usb", USB: "1a86:7523", Path: "bus 001 device 004", Kind: KindUSBSerial, Description: "QinHeng CH340 serial converter"},
			{Transport: "usb", USB: "9999:0001", Path: "bus 002 device 003", Kind: "printer", Description: "USB printer class device"},
			{Transport: "usb", USB: "1eab:1310", Path: "bus 002 device 005", Kind: "barcode", Description: "Newland EM30xx/EM20xx/HR3260 scanner (HID-POS)"},
		}},
		{"listing fails", func() ([]transport.USBDevice, error) { return nil, errors.New("libusb: access denied") },
			[]Found{{Transport: "usb", Note: "cannot list USB: libusb: access denied"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Discover(context.Background(), DiscoverOptions{Globs: []string{}, ListUSB: c.list})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

// TestDiscoverThisMachine runs discovery with the real USB listing and the real port
// globs: it must finish and, where there is no USB bus, say so.
func TestDiscoverThisMachine(t *testing.T) {
	found, err := Discover(context.Background(), DiscoverOptions{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, lerr := transport.ListUSB(); errors.Is(lerr, transport.ErrNoUSB) {
		for _, f := range found {
			if f.Transport == "usb" && f.Note == "no USB on this machine" {
				return
			}
		}
		t.Fatalf("no USB note in %+v", found)
	}
}

func TestParseUSBTable(t *testing.T) {
	in := "# kiosk hall 3\n\n1a86:7523 usb-serial CH340 on the reader\n04B8:0E15  printer  Epson TM-T20II\n"
	got, err := ParseUSBTable(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []USBEntry{
		{ID: transport.USBID{VID: 0x1a86, PID: 0x7523}, Kind: "usb-serial", Name: "CH340 on the reader"},
		{ID: transport.USBID{VID: 0x04b8, PID: 0x0e15}, Kind: "printer", Name: "Epson TM-T20II"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v", got)
	}
	for _, bad := range []string{"1a86:7523 printer", "1a86-7523 printer X", "zzzz:0000 printer X"} {
		if _, err := ParseUSBTable(strings.NewReader(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestDefaultUSBTable(t *testing.T) {
	seen := map[transport.USBID]bool{}
	for _, e := range DefaultUSBTable {
		if seen[e.ID] {
			t.Errorf("%s listed twice", e.ID)
		}
		seen[e.ID] = true
		if e.Kind == "" || e.Name == "" {
			t.Errorf("%s without kind or name", e.ID)
		}
	}
	for _, id := range []string{"1a86:7523", "067b:2303", "0403:6001", "10c4:ea60"} {
		u, _ := transport.ParseUSBID(id)
		if !seen[u] {
			t.Errorf("bridge %s missing", id)
		}
	}
}

// FuzzParseUSBTable: a technician's file never crashes the parser, and what it accepts
// has an id, a kind and a name.
func FuzzParseUSBTable(f *testing.F) {
	f.Add("1a86:7523 usb-serial CH340\n# note\n\n04b8:0e03 printer TM-T20\n")
	f.Add("zzzz:0000 x y")
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ParseUSBTable(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, e := range got {
			if e.Kind == "" || e.Name == "" || strings.ContainsAny(e.Kind, " \t") {
				t.Fatalf("entry %+v", e)
			}
		}
	})
}
