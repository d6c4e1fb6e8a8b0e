package transport

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// scriptedPort answers reads from a list and accepts every write: the device side of a
// recording test.
type scriptedPort struct {
	reads []any // []byte or error
}

func (s *scriptedPort) Read(b []byte) (int, error) {
	if len(s.reads) == 0 {
		return 0, io.EOF
	}
	r := s.reads[0]
	s.reads = s.reads[1:]
	if err, ok := r.(error); ok {
		return 0, err
	}
	return copy(b, r.([]byte)), nil
}
func (s *scriptedPort) Write(b []byte) (int, error)      { return len(b), nil }
func (s *scriptedPort) Close() error                     { return nil }
func (s *scriptedPort) SetReadDeadline(time.Time) error  { return nil }
func (s *scriptedPort) SetWriteDeadline(time.Time) error { return nil }
func (s *scriptedPort) Name() string                     { return "scripted" }

func TestRecorderRoundTrip(t *testing.T) {
	var out bytes.Buffer
	r := NewRecorder(&out, "kioskctl printer status --port /dev/ttyUSB0")
	long := bytes.Repeat([]byte{0xab}, 70)
	p := r.Wrap(&scriptedPort{reads: []any{[]byte{0x16, 0x12}, os.ErrDeadlineExceeded, long,
		fmt.Errorf("%w: input/output error", ErrGone)}})
	buf := make([]byte, 128)
	p.Write([]byte{0x10, 0x04, 0x01})
	p.Read(buf)
	p.Read(buf)
	p.Read(buf)
	p.Read(buf)
	p2 := r.Wrap(&scriptedPort{reads: []any{ErrClosed}})
	p2.Write([]byte{0x1b, 0x40})
	p2.Read(buf)
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{"# kioskctl printer status --port /dev/ttyUSB0\n", "> 10 04 01\n< 16 12\n< timeout\n",
		"< gone transport: device gone: input/output error\n--- open\n> 1b 40\n< closed\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("recording lacks %q:\n%s", want, text)
		}
	}
	rec, err := ParseRecording(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	want := [][]Event{{
		{Dir: Write, Data: []byte{0x10, 0x04, 0x01}},
		{Dir: Read, Data: []byte{0x16, 0x12}},
		{Dir: Read, Err: "timeout"},
		{Dir: Read, Data: long},
		{Dir: Read, Err: "gone transport: device gone: input/output error"},
	}, {
		{Dir: Write, Data: []byte{0x1b, 0x40}},
		{Dir: Read, Err: "closed"},
	}}
	if !reflect.DeepEqual(rec.Sessions, want) {
		t.Errorf("parsed %+v\nwant %+v", rec.Sessions, want)
	}
	if len(rec.Comments) < 2 || rec.Comments[len(rec.Comments)-1] != "kioskctl printer status --port /dev/ttyUSB0" {
		t.Errorf("comments %q", rec.Comments)
	}
}

func TestParseRecordingRejects(t *testing.T) {
	for _, text := range []string{
		"",
		"# only a comment\n",
		"> zz\n",
		"> 1\n",
		"> \n",
		"* 01\n",
		">01\n",
		"  01\n",
		"< timeout\n  01\n",
		"< timeout now\n",
	} {
		if _, err := ParseRecording(strings.NewReader(text)); !errors.Is(err, ErrRecording) {
			t.Errorf("%q: %v, want ErrRecording", text, err)
		}
	}
}

// FuzzParseRecording: a recording is a file from outside; no input may crash the parser,
// and what it accepts must survive writing out and parsing again unchanged.
func FuzzParseRecording(f *testing.F) {
	f.Add("# c\n> 10 04 01\n< 16\n< timeout\n--- open\n> 01 02\n  03\n< gone x\n")
	f.Add("< error boom\n> closed\n")
	f.Fuzz(func(t *testing.T, text string) {
		rec, err := ParseRecording(strings.NewReader(text))
		if err != nil {
			return
		}
		var b []byte
		for i, s := range rec.Sessions {
			if i > 0 {
				b = append(b, "--- open\n"...)
			}
			for _, ev := range s {
				b = AppendEvent(b, ev)
			}
		}
		again, err := ParseRecording(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("written %q does not parse: %v", b, err)
		}
		if !reflect.DeepEqual(again.Sessions, rec.Sessions) {
			t.Fatalf("round trip changed %+v to %+v", rec.Sessions, again.Sessions)
		}
	})
}

type controlPort struct{ scriptedPort }

func (c *controlPort) ControlIn(request uint8, value, index uint16, buf []byte) (int, error) {
	return copy(buf, []byte{0x18}), nil
}
func (c *controlPort) Interface() int { return 2 }

// A USB printer's port keeps its class requests under the recorder (the printer driver
// asks GET_PORT_STATUS when DLE EOT gets no answer), and they show in the recording.
func TestRecorderKeepsControlPort(t *testing.T) {
	var out bytes.Buffer
	p := NewRecorder(&out).Wrap(&controlPort{})
	cp, ok := p.(ControlPort)
	if !ok {
		t.Fatal("the recorded port lost ControlIn")
	}
	buf := make([]byte, 1)
	if n, err := cp.ControlIn(0x01, 0, 0x0200, buf); n != 1 || err != nil || cp.Interface() != 2 {
		t.Fatalf("ControlIn %d, %v", n, err)
	}
	if !strings.Contains(out.String(), "# control in: request 0x01 value 0 index 512: 18\n") {
		t.Errorf("recording %q", out.String())
	}
}
