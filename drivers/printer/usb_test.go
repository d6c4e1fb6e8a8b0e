package printer_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/drivers/printer"
	"github.com/govkiosk/govkiosk/drivers/transport"
	"github.com/govkiosk/govkiosk/kiosk/config"
)

// fakeUSB is a unidirectional USB printer: it swallows bulk data, never answers on a
// bulk IN endpoint, and answers the printer-class control requests.
type fakeUSB struct {
	iface    int
	deviceID []byte
	port     byte
	// requests and indexes record each control request and its wIndex.
	requests []uint16
	indexes  []uint16
	written  int
	readDL   time.Time
}

func (f *fakeUSB) Read(b []byte) (int, error) {
	if d := time.Until(f.readDL); d > 0 {
		time.Sleep(d)
	}
	return 0, os.ErrDeadlineExceeded
}
func (f *fakeUSB) Write(b []byte) (int, error)        { f.written += len(b); return len(b), nil }
func (f *fakeUSB) Close() error                       { return nil }
func (f *fakeUSB) SetReadDeadline(t time.Time) error  { f.readDL = t; return nil }
func (f *fakeUSB) SetWriteDeadline(t time.Time) error { return nil }
func (f *fakeUSB) Name() string                       { return "usb:0fe6:811e" }
func (f *fakeUSB) Interface() int                     { return f.iface }
func (f *fakeUSB) ControlIn(req uint8, value, index uint16, buf []byte) (int, error) {
	f.requests = append(f.requests, uint16(req))
	f.indexes = append(f.indexes, index)
	switch req {
	case 0:
		return copy(buf, f.deviceID), nil
	case 1:
		buf[0] = f.port
		return 1, nil
	}
	return 0, errors.New("stall")
}

var _ transport.ControlPort = (*fakeUSB)(nil)

func withLen(s string) []byte {
	n := len(s) + 2
	return append([]byte{byte(n >> 8), byte(n)}, s...)
}

func TestParseDeviceID(t *testing.T) {
	const id = "MFG:Test Maker;MDL:TP-80;CMD:ESC/POS;CLS:PRINTER;DES:Thermal receipt printer;"
	le := withLen(id)
	le[0], le[1] = le[1], le[0]
	for _, c := range []struct {
		name     string
		in       []byte
		mfg, mdl string
		escpos   bool
		err      bool
	}{
		{"big-endian length counting itself", withLen(id), "Test Maker", "TP-80", true, false},
		{"little-endian length", le, "Test Maker", "TP-80", true, false},
		{"length without its own two bytes", append([]byte{0, byte(len(id))}, id...), "Test Maker", "TP-80", true, false},
		{"long keys and padding", append(withLen("MANUFACTURER:M;MODEL:X;COMMAND SET:PCL,ESC/POS;"), 0, 0), "M", "X", true, false},
		{"not ESC/POS", withLen("MFG:HP;MDL:LaserJet;CMD:PCL,PJL;"), "HP", "LaserJet", false, false},
		{"too short", []byte{0}, "", "", false, true},
		{"no fields", withLen("garbage"), "", "", false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := printer.ParseDeviceID(c.in)
			if c.err {
				if !errors.Is(err, printer.ErrDeviceID) {
					t.Fatalf("err = %v, want ErrDeviceID", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Manufacturer != c.mfg || got.Model != c.mdl || got.ESCPOS() != c.escpos {
				t.Fatalf("got %+v (ESCPOS %v)", got, got.ESCPOS())
			}
		})
	}
}

func TestParsePortStatus(t *testing.T) {
	for _, c := range []struct {
		b       byte
		want    printer.PortStatus
		offline bool
		out     bool
	}{
		{0x18, printer.PortStatus{Selected: true, NoError: true}, false, false},
		{0x38, printer.PortStatus{PaperEmpty: true, Selected: true, NoError: true}, true, true},
		{0x10, printer.PortStatus{Selected: true}, true, false},
		{0x08, printer.PortStatus{NoError: true}, true, false},
		{0xc7, printer.PortStatus{}, true, false}, // reserved bits only
	} {
		got := printer.ParsePortStatus(c.b)
		if got != c.want {
			t.Errorf("ParsePortStatus(%#02x) = %+v", c.b, got)
		}
		st := got.Status()
		if st.Offline != c.offline || st.PaperOut != c.out {
			t.Errorf("%#02x: status %v", c.b, st)
		}
	}
}

func TestUSBControlRequests(t *testing.T) {
	f := &fakeUSB{iface: 1, deviceID: withLen("MFG:Test;MDL:T1;CMD:ESC/POS;"), port: 0x18}
	id, err := printer.ReadDeviceID(f)
	if err != nil || id.Model != "T1" {
		t.Fatalf("ReadDeviceID = %+v, %v", id, err)
	}
	ps, err := printer.ReadPortStatus(f)
	if err != nil || !ps.Selected {
		t.Fatalf("ReadPortStatus = %+v, %v", ps, err)
	}
	// GET_DEVICE_ID puts the interface in the high byte of wIndex; GET_PORT_STATUS
	// takes it as is.
	if f.requests[0] != 0 || f.indexes[0] != 0x0100 || f.requests[1] != 1 || f.indexes[1] != 1 {
		t.Fatalf("requests %v indexes %#x", f.requests, f.indexes)
	}
}

// A printer that cannot answer DLE EOT (no IN endpoint) is judged by its port status.
func TestUnidirectionalUSBPrinterUsesPortStatus(t *testing.T) {
	f := &fakeUSB{port: 0x38} // paper empty
	prn, err := printer.New(printer.Config{
		Open:         func(context.Context) (transport.Port, error) { return f, nil },
		ReplyTimeout: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err = prn.Print(ctx, sampleDoc())
	var se *printer.StatusError
	if !errors.As(err, &se) || !se.PaperOut {
		t.Fatalf("Print = %v, want paper out", err)
	}
	if f.written != 12 { // only the four DLE EOT requests went out
		t.Fatalf("%d bytes written before refusing", f.written)
	}
	if h := prn.Health(); h.State != health.UserError || h.Details["port"] != "usb:0fe6:811e" {
		t.Errorf("health %+v", h)
	}
	f.port = 0x18
	st, err := prn.Status(ctx)
	if err != nil || st.Err() != nil {
		t.Fatalf("Status = %v, %v", st, err)
	}
}

func FuzzParseDeviceID(f *testing.F) {
	f.Add(withLen("MFG:Test;MDL:T1;CMD:ESC/POS;"))
	f.Add([]byte{0xff, 0xff, 'a', ':'})
	f.Add([]byte{0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := printer.ParseDeviceID(b)
		if err != nil {
			return
		}
		if len(id.Fields) == 0 {
			t.Fatal("parsed without fields")
		}
		_ = id.ESCPOS()
		_ = id.String()
	})
}

func TestFromConfig(t *testing.T) {
	for _, c := range []struct {
		d     config.Device
		ok    bool
		paper printer.Paper
	}{
		{config.Device{Name: "printer", Kind: config.KindPrinter, Transport: config.TransportSerial, Path: "/dev/ttyS0", PaperWidthMM: 58}, true, printer.Paper58},
		{config.Device{Name: "p2", Transport: config.TransportTCP, Address: "127.0.0.1:9100"}, true, printer.Paper80},
		{config.Device{Name: "p3", Transport: config.TransportUSB, USB: "0fe6:811e"}, true, printer.Paper80},
		{config.Device{Name: "p4", Transport: config.TransportUSB, USB: "0fe6"}, false, printer.Paper{}},
		{config.Device{Name: "p5", Transport: config.TransportSerial}, false, printer.Paper{}},
		{config.Device{Name: "p6", Transport: config.TransportSerial, Path: "/dev/x", PaperWidthMM: 76}, false, printer.Paper{}},
		{config.Device{Name: "p7", Transport: config.TransportSim}, false, printer.Paper{}},
		{config.Device{Name: "p8", Kind: config.KindIDCard, Transport: config.TransportSerial, Path: "/dev/x"}, false, printer.Paper{}},
	} {
		p, err := printer.FromConfig(c.d, nil)
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v", c.d.Name, err)
			continue
		}
		if err == nil && (p.Paper() != c.paper || p.Name() != c.d.Name || p.Health().State != health.Unknown) {
			t.Errorf("%s: paper %v name %q health %v", c.d.Name, p.Paper(), p.Name(), p.Health().State)
		}
	}
}
