package transport

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tarm/serial"
)

// SerialConfig selects a serial port. Framing is always 8N1, which every device this kiosk
// drives uses.
type SerialConfig struct {
	// Path is the device node, e.g. /dev/ttyUSB0 or a stable udev name.
	Path string
	// Baud is the line speed; 0 means 115200.
	Baud int
}

// pollInterval is how long one read waits on the line before the port re-checks its
// deadline and whether it was closed. It is also the VTIME the driver asks of the tty
// (VTIME counts tenths of a second, so 100 ms is its finest step).
const pollInterval = 100 * time.Millisecond

// hangupGuess: a read that returns no bytes and no error much sooner than pollInterval did
// not time out: the tty was hung up (a USB-serial adapter pulled out returns EOF at once).
const hangupGuess = pollInterval / 4

// serialPort is a tarm/serial port with deadlines.
//
// tarm/serial puts the descriptor in blocking mode with VMIN=0 and VTIME set, so a read
// returns after at most VTIME with whatever arrived. Deadlines are kept here and checked
// between such reads; Close takes effect within one pollInterval.
type serialPort struct {
	p    *serial.Port
	name string

	mu     sync.Mutex
	rdl    time.Time
	wdl    time.Time
	closed atomic.Bool
	once   sync.Once
	rmu    sync.Mutex // one reader at a time
	wmu    sync.Mutex // one writer at a time
}

// StandardBauds are the line speeds serial devices use, for messages that say which
// rates a port takes.
var StandardBauds = []int{1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600}

// otherBauds are the further rates the serial driver can set.
var otherBauds = []int{50, 75, 110, 134, 150, 200, 300, 600, 1800, 500000, 576000, 1000000,
	1152000, 1500000, 2000000, 2500000, 3000000, 3500000, 4000000}

// BaudError is a line speed a serial port cannot be set to.
type BaudError struct{ Baud int }

func (e *BaudError) Error() string {
	rates := make([]string, len(StandardBauds))
	for i, b := range StandardBauds {
		rates[i] = strconv.Itoa(b)
	}
	return fmt.Sprintf("%d is not a baud rate a serial port can be set to; use one of %s", e.Baud, strings.Join(rates, ", "))
}

// NotSerialError is a path that is not a serial port: a regular file, a directory, or a
// device that is no terminal (/dev/null). Opening one as a port fails in the system
// call that sets the line ("inappropriate ioctl for device"), which says nothing to a
// technician who mistyped a path.
type NotSerialError struct {
	Path string
	// What the path is instead: "a regular file", "a directory", ...
	What string
}

func (e *NotSerialError) Error() string {
	return fmt.Sprintf("transport: %s is not a serial port (it is %s); give the device node of the port, e.g. /dev/ttyUSB0 or a /dev/govkiosk-* name", e.Path, e.What)
}

// Is makes a NotSerialError match ErrNoDevice: there is no device at the path.
func (e *NotSerialError) Is(target error) bool { return target == ErrNoDevice }

// kindOf says in words what a non-device file is.
func kindOf(m os.FileMode) string {
	switch {
	case m.IsRegular():
		return "a regular file"
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0 && m&os.ModeCharDevice == 0:
		return "a block device"
	case m&os.ModeCharDevice != 0:
		return "a character device that is not a terminal"
	}
	return "not a device"
}

// CheckSerial says, without opening it, what is wrong with a port that cannot work: a
// rate no port takes (*BaudError), nothing at the path (ErrNoDevice), or a path that is
// no device (*NotSerialError). A character device may still turn out not to be a
// terminal when opened.
func CheckSerial(cfg SerialConfig) error {
	_, err := checkSerial(cfg)
	return err
}

func checkSerial(cfg SerialConfig) (os.FileInfo, error) {
	if cfg.Baud == 0 {
		cfg.Baud = 115200
	}
	if !slices.Contains(StandardBauds, cfg.Baud) && !slices.Contains(otherBauds, cfg.Baud) {
		return nil, fmt.Errorf("transport: open serial %s: %w", cfg.Path, &BaudError{Baud: cfg.Baud})
	}
	st, err := os.Stat(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("transport: open serial %s: %w", cfg.Path, errors.Join(ErrNoDevice, err))
	}
	if st.Mode()&os.ModeCharDevice == 0 {
		return nil, &NotSerialError{Path: cfg.Path, What: kindOf(st.Mode())}
	}
	return st, nil
}

// OpenSerial opens a serial port at the configured baud rate, 8N1, raw mode. A path that
// is no serial port fails with a *NotSerialError, a rate no port takes with a *BaudError.
func OpenSerial(cfg SerialConfig) (Port, error) {
	if cfg.Baud == 0 {
		cfg.Baud = 115200
	}
	st, err := checkSerial(cfg)
	if err != nil {
		return nil, err
	}
	p, err := serial.OpenPort(&serial.Config{
		Name:        cfg.Path,
		Baud:        cfg.Baud,
		Size:        8,
		Parity:      serial.ParityNone,
		StopBits:    serial.Stop1,
		ReadTimeout: pollInterval,
	})
	if errors.Is(err, syscall.ENOTTY) {
		return nil, &NotSerialError{Path: cfg.Path, What: kindOf(st.Mode())}
	}
	if err != nil {
		return nil, fmt.Errorf("transport: open serial %s at %d baud: %w", cfg.Path, cfg.Baud, err)
	}
	// Drop whatever the device said before we were listening.
	_ = p.Flush()
	return &serialPort{p: p, name: cfg.Path}, nil
}

func (s *serialPort) Name() string { return s.name }

func (s *serialPort) SetReadDeadline(t time.Time) error {
	if s.closed.Load() {
		return ErrClosed
	}
	s.mu.Lock()
	s.rdl = t
	s.mu.Unlock()
	return nil
}

func (s *serialPort) SetWriteDeadline(t time.Time) error {
	if s.closed.Load() {
		return ErrClosed
	}
	s.mu.Lock()
	s.wdl = t
	s.mu.Unlock()
	return nil
}

func (s *serialPort) deadline(read bool) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if read {
		return s.rdl
	}
	return s.wdl
}

func (s *serialPort) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	s.rmu.Lock()
	defer s.rmu.Unlock()
	quick := 0
	for {
		if s.closed.Load() {
			return 0, ErrClosed
		}
		if d := s.deadline(true); !d.IsZero() && !time.Now().Before(d) {
			return 0, fmt.Errorf("transport: read %s: %w", s.name, os.ErrDeadlineExceeded)
		}
		start := time.Now()
		n, err := s.p.Read(b)
		if n > 0 {
			return n, nil
		}
		if s.closed.Load() {
			return 0, ErrClosed
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, fmt.Errorf("transport: read %s: %w: %v", s.name, ErrGone, err)
		}
		if time.Since(start) < hangupGuess {
			// Twice in a row, to not mistake a signal-interrupted read for a hangup.
			if quick++; quick >= 2 {
				return 0, fmt.Errorf("transport: read %s: %w: hung up", s.name, ErrGone)
			}
			continue
		}
		quick = 0
	}
}

// writeChunk bounds how much one blocking write may hand the tty before the deadline is
// checked again; at 9600 baud it is about 0.27 s of wire time.
const writeChunk = 256

func (s *serialPort) Write(b []byte) (int, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	written := 0
	for written < len(b) {
		if s.closed.Load() {
			return written, ErrClosed
		}
		if d := s.deadline(false); !d.IsZero() && !time.Now().Before(d) {
			return written, fmt.Errorf("transport: write %s: %w", s.name, os.ErrDeadlineExceeded)
		}
		end := min(written+writeChunk, len(b))
		n, err := s.p.Write(b[written:end])
		written += n
		if err != nil {
			if s.closed.Load() {
				return written, ErrClosed
			}
			return written, fmt.Errorf("transport: write %s: %w: %v", s.name, ErrGone, err)
		}
	}
	return written, nil
}

func (s *serialPort) Close() error {
	var err error
	s.once.Do(func() {
		s.closed.Store(true)
		err = s.p.Close()
	})
	return err
}
