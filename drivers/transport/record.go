package transport

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// A recording is what went over a port, in order: each Write the driver made and each
// Read's answer from the device, read timeouts and failures included. Recorder writes one
// while a real device is used (kioskctl's --record flag); transporttest.Playback plays it
// back in a test as the device, so a session with a real reader or printer becomes a
// regression test.
//
// The text format, one event a line ("#" starts a comment, blank lines are skipped):
//
//	> aa aa aa 96 69 00 03 11 ff ed       the driver wrote these bytes
//	< aa aa aa 96 69 00 04 00 00 90 94    one Read returned these bytes
//	< timeout                             a Read (or "> timeout", a Write) hit its deadline
//	< gone TEXT                           the device went away (ErrGone); "closed": ErrClosed
//	< error TEXT                          any other failure
//	--- open                              the port was opened again: a new session begins
//
// Long byte runs go on indented continuation lines of hex.

// Direction says who sent an event's bytes.
type Direction byte

const (
	// Write is the driver writing to the device.
	Write Direction = '>'
	// Read is the device's answer to a Read.
	Read Direction = '<'
)

// Event is one call on a recorded port.
type Event struct {
	Dir  Direction
	Data []byte // what was written or read (Write: what the port accepted)
	// Err is "" for success, or "timeout", "closed", "gone TEXT" or "error TEXT".
	Err string
}

// Recording is the sessions of one recording, one per opening of the port.
type Recording struct {
	// Comments are the "#" lines before the first event, without "# ".
	Comments []string
	Sessions [][]Event
}

// ErrRecording is what a malformed recording's error matches.
var ErrRecording = errors.New("transport: bad recording")

// bytesPerLine is how many bytes a recording line holds before continuing on the next.
const bytesPerLine = 32

// AppendEvent appends ev in the text format.
func AppendEvent(b []byte, ev Event) []byte {
	b = append(b, byte(ev.Dir), ' ')
	if ev.Err != "" {
		b = append(b, strings.ReplaceAll(ev.Err, "\n", " ")...)
		return append(b, '\n')
	}
	for i, c := range ev.Data {
		if i > 0 && i%bytesPerLine == 0 {
			b = append(b, "\n "...)
		}
		if i > 0 {
			b = append(b, ' ')
		}
		b = hex.AppendEncode(b, []byte{c})
	}
	return append(b, '\n')
}

// ParseRecording reads a recording in the text format.
func ParseRecording(r io.Reader) (*Recording, error) {
	rec := &Recording{Sessions: [][]Event{nil}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	var last *Event
	started := false
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), " \t\r")
		bad := func(why string) error { return fmt.Errorf("%w: line %d: %s", ErrRecording, n, why) }
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "#"):
			if !started {
				rec.Comments = append(rec.Comments, strings.TrimSpace(strings.TrimPrefix(line, "#")))
			}
			continue
		case line == "--- open":
			started = true
			rec.Sessions = append(rec.Sessions, nil)
			last = nil
			continue
		case line[0] == ' ' || line[0] == '\t':
			if last == nil || last.Err != "" {
				return nil, bad("continuation line without bytes before it")
			}
			more, err := parseHex(line)
			if err != nil {
				return nil, bad(err.Error())
			}
			last.Data = append(last.Data, more...)
			continue
		}
		started = true
		dir := Direction(line[0])
		if (dir != Write && dir != Read) || len(line) < 3 || line[1] != ' ' {
			return nil, bad(`want "> ", "< ", "#" or "--- open"`)
		}
		ev := Event{Dir: dir}
		body := line[2:]
		word, _, _ := strings.Cut(body, " ")
		switch word {
		case "timeout", "closed":
			if body != word {
				return nil, bad(word + " takes no text")
			}
			ev.Err = body
		case "gone", "error":
			ev.Err = body
		default:
			data, err := parseHex(body)
			if err != nil {
				return nil, bad(err.Error())
			}
			ev.Data = data
		}
		s := &rec.Sessions[len(rec.Sessions)-1]
		*s = append(*s, ev)
		last = &(*s)[len(*s)-1]
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRecording, err)
	}
	if len(rec.Sessions) == 1 && len(rec.Sessions[0]) == 0 {
		return nil, fmt.Errorf("%w: no events", ErrRecording)
	}
	return rec, nil
}

func parseHex(s string) ([]byte, error) {
	f := strings.Fields(s)
	out := make([]byte, 0, len(f))
	for _, w := range f {
		if len(w) != 2 {
			return nil, fmt.Errorf("%q is not one hex byte", w)
		}
		b, err := hex.DecodeString(w)
		if err != nil {
			return nil, fmt.Errorf("%q is not one hex byte", w)
		}
		out = append(out, b[0])
	}
	if len(out) == 0 {
		return nil, errors.New("no bytes")
	}
	return out, nil
}

// errorText is how a recording names a failed call's error.
func errorText(err error) string {
	switch {
	case IsTimeout(err):
		return "timeout"
	case errors.Is(err, ErrClosed):
		return "closed"
	case errors.Is(err, ErrGone):
		return "gone " + err.Error()
	default:
		return "error " + err.Error()
	}
}

// Recorder writes a recording of the ports it wraps to one writer. It is safe for
// concurrent use. Recordings of an ID-card reader hold what the card holds: record
// synthetic test cards only, and keep a recording like any other personal data.
type Recorder struct {
	mu      sync.Mutex
	w       io.Writer
	opened  int
	err     error // the first write error; the recording stops there
	scratch []byte
}

// NewRecorder starts a recording on w with the given comment lines (what was run, on
// which port), written at the top.
func NewRecorder(w io.Writer, comments ...string) *Recorder {
	r := &Recorder{w: w}
	var b []byte
	b = append(b, "# govkiosk port recording (drivers/transport/record.go describes the format)\n"...)
	b = append(b, "# recorded "+time.Now().UTC().Format(time.RFC3339)+"\n"...)
	for _, c := range comments {
		b = append(b, "# "+strings.ReplaceAll(c, "\n", " ")+"\n"...)
	}
	r.write(b)
	return r
}

// Wrap returns p with every call recorded. A second Wrap starts a new session in the
// recording (the driver opened the port again).
func (r *Recorder) Wrap(p Port) Port {
	r.mu.Lock()
	r.opened++
	if r.opened > 1 {
		r.write([]byte("--- open\n"))
	}
	r.mu.Unlock()
	rp := &recordingPort{Port: p, r: r}
	if cp, ok := p.(ControlPort); ok {
		// A USB printer's class requests (GET_PORT_STATUS) still reach the device; they go
		// into the recording as comments, for a reader, not as events a playback serves.
		return &recordingControlPort{recordingPort: rp, cp: cp}
	}
	return rp
}

// Err reports the first error writing the recording, if any.
func (r *Recorder) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// write writes b; call with mu held (or before r is shared).
func (r *Recorder) write(b []byte) {
	if r.err != nil {
		return
	}
	if _, err := r.w.Write(b); err != nil {
		r.err = fmt.Errorf("transport: recording: %w", err)
	}
}

func (r *Recorder) event(dir Direction, data []byte, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(data) > 0 {
		r.scratch = AppendEvent(r.scratch[:0], Event{Dir: dir, Data: data})
		r.write(r.scratch)
	}
	if err != nil {
		r.scratch = AppendEvent(r.scratch[:0], Event{Dir: dir, Err: errorText(err)})
		r.write(r.scratch)
	}
}

type recordingPort struct {
	Port
	r *Recorder
}

func (p *recordingPort) Read(b []byte) (int, error) {
	n, err := p.Port.Read(b)
	p.r.event(Read, b[:n], err)
	return n, err
}

func (p *recordingPort) Write(b []byte) (int, error) {
	n, err := p.Port.Write(b)
	p.r.event(Write, b[:n], err)
	return n, err
}

type recordingControlPort struct {
	*recordingPort
	cp ControlPort
}

func (p *recordingControlPort) ControlIn(request uint8, value, index uint16, buf []byte) (int, error) {
	n, err := p.cp.ControlIn(request, value, index, buf)
	line := fmt.Sprintf("# control in: request %#02x value %d index %d: % x", request, value, index, buf[:n])
	if err != nil {
		line += " (" + errorText(err) + ")"
	}
	p.r.mu.Lock()
	p.r.write([]byte(strings.ReplaceAll(line, "\n", " ") + "\n"))
	p.r.mu.Unlock()
	return n, err
}

func (p *recordingControlPort) Interface() int { return p.cp.Interface() }
