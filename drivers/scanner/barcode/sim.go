package barcode

import (
	"bytes"
	"errors"
	"sync"

	"github.com/govkiosk/govkiosk/drivers/transport"
)

// SimConfig configures a simulated serial scanner.
type SimConfig struct {
	// Link is an optional stable path for the device (a symbolic link to the pty).
	Link string
	// Terminator ends every scan; TermAny sends CR LF.
	Terminator Terminator
	// Prefix and Suffix wrap every scan, as a scanner set to add them does.
	Prefix, Suffix []byte
	// AIM is put before every scan when not empty, e.g. "]Q1".
	AIM string
	// Trigger and Stop make the scanner wait for its serial trigger command before it
	// sends a scan (serial trigger mode). A triggered scanner sends one scan and stops,
	// as after a good read; Stop cancels a trigger.
	Trigger, Stop []byte
	// Baud paces the output as a real line would (0: at once).
	Baud int
}

// simQueue bounds how many scans wait for a trigger.
const simQueue = 64

// Sim is a serial barcode scanner played on a pseudo-terminal. The driver under test
// opens Path with transport.OpenSerial.
type Sim struct {
	cfg SimConfig
	pty *transport.PTY

	mu       sync.Mutex
	armed    bool
	pending  [][]byte
	triggers int
	done     chan struct{}
}

// NewSim starts a simulated scanner.
func NewSim(cfg SimConfig) (*Sim, error) {
	p, err := transport.OpenPTY(cfg.Link)
	if err != nil {
		return nil, err
	}
	s := &Sim{cfg: cfg, pty: p, done: make(chan struct{})}
	go s.listen()
	return s, nil
}

// Path is what a driver opens.
func (s *Sim) Path() string { return s.pty.Path() }

// Frame is the exact bytes the scanner sends for data.
func (s *Sim) Frame(data string) []byte {
	var b bytes.Buffer
	b.Write(s.cfg.Prefix)
	b.WriteString(s.cfg.AIM)
	b.WriteString(data)
	b.Write(s.cfg.Suffix)
	b.Write(s.cfg.Terminator.Bytes())
	return b.Bytes()
}

// ErrQueueFull is returned by Scan when too many scans are waiting for a trigger.
var ErrQueueFull = errors.New("barcode sim: too many scans wait for a trigger")

// Scan "scans" data: sends it at once, or, in trigger mode, when the next trigger
// command arrives.
func (s *Sim) Scan(data string) error {
	frame := s.Frame(data)
	s.mu.Lock()
	if len(s.cfg.Trigger) > 0 && !s.armed {
		defer s.mu.Unlock()
		if len(s.pending) >= simQueue {
			return ErrQueueFull
		}
		s.pending = append(s.pending, frame)
		return nil
	}
	s.armed = false
	s.mu.Unlock()
	return s.pty.WritePaced(frame, s.cfg.Baud)
}

// WriteRaw puts bytes on the line as they are: line noise, split frames.
func (s *Sim) WriteRaw(b []byte) error { return s.pty.WritePaced(b, s.cfg.Baud) }

// Triggers counts the trigger commands received.
func (s *Sim) Triggers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.triggers
}

// Pending counts scans waiting for a trigger.
func (s *Sim) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

// Unplug pulls the cable; Replug plugs it back in behind the same Link.
func (s *Sim) Unplug() error { return s.pty.Unplug() }

// Replug plugs the scanner back in.
func (s *Sim) Replug() error { return s.pty.Replug() }

// Close switches the scanner off for good.
func (s *Sim) Close() error {
	err := s.pty.Close()
	<-s.done
	return err
}

// listen reads what the host sends and acts on trigger commands.
func (s *Sim) listen() {
	defer close(s.done)
	keep := max(len(s.cfg.Trigger), len(s.cfg.Stop))
	var tail []byte
	buf := make([]byte, 256)
	for {
		n, err := s.pty.Read(buf)
		if errors.Is(err, transport.ErrClosed) {
			return
		}
		if err != nil {
			tail = tail[:0] // unplugged: a half command is lost with the line
			continue
		}
		if keep == 0 {
			continue
		}
		tail = append(tail, buf[:n]...)
		for {
			ti := indexOf(tail, s.cfg.Trigger)
			si := indexOf(tail, s.cfg.Stop)
			if ti < 0 && si < 0 {
				break
			}
			if ti >= 0 && (si < 0 || ti < si) {
				tail = tail[ti+len(s.cfg.Trigger):]
				s.triggered()
			} else {
				tail = tail[si+len(s.cfg.Stop):]
				s.mu.Lock()
				s.armed = false
				s.mu.Unlock()
			}
		}
		if len(tail) > keep {
			tail = append(tail[:0], tail[len(tail)-keep:]...)
		}
	}
}

func indexOf(b, sep []byte) int {
	if len(sep) == 0 {
		return -1
	}
	return bytes.Index(b, sep)
}

// triggered arms the scanner, or sends the oldest waiting scan at once.
func (s *Sim) triggered() {
	s.mu.Lock()
	s.triggers++
	if len(s.pending) == 0 {
		s.armed = true
		s.mu.Unlock()
		return
	}
	frame := s.pending[0]
	s.pending = s.pending[1:]
	s.armed = false
	s.mu.Unlock()
	_ = s.pty.WritePaced(frame, s.cfg.Baud)
}
