package escpos

import (
	"errors"
	"testing"
)

// Reply bytes as the reference tables give them: 0x12 is "nothing set" (bits 1 and 4
// fixed on), the rest add the documented bits.
func TestDecodeStatus(t *testing.T) {
	for _, c := range []struct {
		name  string
		reply [4]byte
		want  Status
		err   bool // Err() returns a StatusError
	}{
		{"ready", [4]byte{0x12, 0x12, 0x12, 0x12}, Status{}, false},
		{"paper near end still prints", [4]byte{0x12, 0x12, 0x12, 0x1e}, Status{PaperNearEnd: true}, false},
		{"paper out", [4]byte{0x1a, 0x32, 0x12, 0x7e},
			Status{Offline: true, PaperEndStop: true, PaperOut: true, PaperNearEnd: true}, true},
		{"cover open", [4]byte{0x1a, 0x16, 0x12, 0x12}, Status{Offline: true, CoverOpen: true}, true},
		{"feed button", [4]byte{0x5a, 0x1a, 0x12, 0x12}, Status{Offline: true, FeedButton: true, FeedingPaper: true}, true},
		{"cutter error", [4]byte{0x3a, 0x52, 0x1a, 0x12},
			Status{Offline: true, WaitingRecovery: true, ErrorOccurred: true, CutterError: true}, true},
		{"unrecoverable", [4]byte{0x1a, 0x52, 0x32, 0x12}, Status{Offline: true, ErrorOccurred: true, UnrecoverableError: true}, true},
		{"head too hot", [4]byte{0x1a, 0x52, 0x52, 0x12}, Status{Offline: true, ErrorOccurred: true, AutoRecoverableError: true}, true},
		{"mechanical", [4]byte{0x1a, 0x52, 0x16, 0x12}, Status{Offline: true, ErrorOccurred: true, MechanicalError: true}, true},
		{"drawer pin high is no error", [4]byte{0x16, 0x12, 0x12, 0x12}, Status{DrawerPin3High: true}, false},
		{"one bit of a sensor pair counts", [4]byte{0x12, 0x12, 0x12, 0x32}, Status{PaperOut: true}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := DecodeStatus(c.reply)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("got %+v\nwant %+v", got, c.want)
			}
			var se *StatusError
			if isErr := errors.As(got.Err(), &se); isErr != c.err {
				t.Fatalf("Err() = %v, want a StatusError: %v", got.Err(), c.err)
			}
		})
	}
}

func TestStatusErrorFields(t *testing.T) {
	st, _ := DecodeStatus([4]byte{0x1a, 0x36, 0x12, 0x7e})
	var se *StatusError
	if !errors.As(st.Err(), &se) || !se.PaperOut || !se.CoverOpen || se.Hardware() {
		t.Fatalf("got %#v", st.Err())
	}
	if got := se.Error(); got != "printer: paper out, cover open" {
		t.Errorf("Error() = %q", got)
	}
	hw := &StatusError{CutterError: true}
	if !hw.Hardware() {
		t.Error("a cutter error is hardware")
	}
	if got := (&StatusError{Offline: true}).Error(); got != "printer: offline" {
		t.Errorf("Error() = %q", got)
	}
}

func TestStatusByteRoundTrip(t *testing.T) {
	// Every combination of every field survives Byte → Apply.
	for bits := 0; bits < 1<<14; bits++ {
		f := func(i int) bool { return bits&(1<<i) != 0 }
		s := Status{f(0), f(1), f(2), f(3), f(4), f(5), f(6), f(7), f(8), f(9), f(10), f(11), f(12), f(13)}
		var got Status
		for _, n := range StatusKinds {
			b := s.Byte(n)
			if !IsStatusByte(b) {
				t.Fatalf("%+v: DLE EOT %d answer %#02x lacks the fixed bits", s, n, b)
			}
			if err := got.Apply(n, b); err != nil {
				t.Fatal(err)
			}
		}
		if got != s {
			t.Fatalf("round trip of %+v gave %+v", s, got)
		}
	}
}

func TestBadStatusBytes(t *testing.T) {
	for _, b := range []byte{0x00, 0x02, 0x10, 0x13, 0x92, 0xaa, 0xff} {
		var s Status
		if err := s.Apply(PrinterStatus, b); !errors.Is(err, ErrBadStatus) {
			t.Errorf("Apply(%#02x) = %v, want ErrBadStatus", b, err)
		}
	}
	var s Status
	if err := s.Apply(9, 0x12); err == nil {
		t.Error("DLE EOT 9 accepted")
	}
}

func TestPaperStatus(t *testing.T) {
	for _, c := range []struct {
		b    byte
		want PaperStatus
		ok   bool
	}{
		{0x00, PaperStatus{}, true},
		{0x03, PaperStatus{NearEnd: true}, true},
		{0x0c, PaperStatus{Out: true}, true},
		{0x0f, PaperStatus{NearEnd: true, Out: true}, true},
		{0x12, PaperStatus{}, false}, // a DLE EOT answer, bit 4 set
		{0x80, PaperStatus{}, false},
	} {
		got, err := DecodePaperStatus(c.b)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("DecodePaperStatus(%#02x) = %+v, %v", c.b, got, err)
		}
		if c.ok && got.Byte() != c.b {
			t.Errorf("Byte() = %#02x, want %#02x", got.Byte(), c.b)
		}
	}
}

func TestQueryBytes(t *testing.T) {
	if got := Query(OfflineCause); string(got) != "\x10\x04\x02" {
		t.Errorf("Query(2) = % x", got)
	}
	if got := QueryAll(); string(got) != "\x10\x04\x01\x10\x04\x02\x10\x04\x03\x10\x04\x04" {
		t.Errorf("QueryAll = % x", got)
	}
	if string(TransmitPaperStatus) != "\x1d\x72\x01" {
		t.Errorf("GS r 1 = % x", TransmitPaperStatus)
	}
}

func FuzzDecodeStatus(f *testing.F) {
	f.Add([]byte{0x12, 0x12, 0x12, 0x12})
	f.Add([]byte{0x1a, 0x32, 0x12, 0x7e})
	f.Add([]byte{0xff, 0x00, 0x13, 0x92})
	f.Fuzz(func(t *testing.T, b []byte) {
		var r [4]byte
		copy(r[:], b)
		s, err := DecodeStatus(r)
		if err != nil {
			if !errors.Is(err, ErrBadStatus) {
				t.Fatalf("unexpected error kind %v", err)
			}
			return
		}
		for i, n := range StatusKinds {
			// Only the documented bits may differ from the reply (bits 5/6 of n=1
			// and the two-bit sensor pairs are read as "either").
			if IsStatusByte(r[i]) && s.Byte(n)&^r[i]&^0x6c != 0 {
				t.Fatalf("DLE EOT %d: %#02x decoded to %+v, re-encoded %#02x", n, r[i], s, s.Byte(n))
			}
		}
		_ = s.String()
		if e := s.Err(); e != nil {
			_ = e.Error()
		}
		ps, err := DecodePaperStatus(r[0])
		if err == nil && ps.Byte()&^r[0] != 0 {
			t.Fatalf("GS r answer %#02x re-encoded %#02x", r[0], ps.Byte())
		}
	})
}
