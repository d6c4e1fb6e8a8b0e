package transport

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// PTY is the device side of a pseudo-terminal pair, for a simulator that plays a serial
// device. The driver under test opens Path() with OpenSerial as it would a real port.
//
// A PTY can be unplugged and plugged back, like a USB-serial adapter: Unplug hangs up the
// line (the driver's reads fail with ErrGone) and removes the stable link; Replug makes a
// new pair and points the link at it, as udev does for /dev/govkiosk-* names.
type PTY struct {
	mu     sync.Mutex
	cond   *sync.Cond
	master *os.File
	slave  *os.File
	link   string
	closed bool
	gen    int
}

// OpenPTY creates a pseudo-terminal in raw mode. If link is not empty, a symbolic link of
// that name is made to the terminal, and Path returns it.
func OpenPTY(link string) (*PTY, error) {
	p := &PTY{link: link}
	p.cond = sync.NewCond(&p.mu)
	if err := p.plug(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *PTY) plug() error {
	m, s, err := pty.Open()
	if err != nil {
		return fmt.Errorf("transport: open pty: %w", err)
	}
	if err := makeRaw(s); err != nil {
		m.Close()
		s.Close()
		return err
	}
	if m, err = pollable(m); err != nil {
		s.Close()
		return err
	}
	if p.link != "" {
		_ = os.Remove(p.link)
		if err := os.MkdirAll(filepath.Dir(p.link), 0o755); err != nil {
			m.Close()
			s.Close()
			return err
		}
		if err := os.Symlink(s.Name(), p.link); err != nil {
			m.Close()
			s.Close()
			return fmt.Errorf("transport: link %s: %w", p.link, err)
		}
	}
	p.master, p.slave = m, s
	p.gen++
	p.cond.Broadcast()
	return nil
}

// pollable returns the master side as a non-blocking, poller-managed file, so that Close
// interrupts a pending Read (the pty package hands it out in blocking mode).
func pollable(m *os.File) (*os.File, error) {
	fd, err := unix.Dup(int(m.Fd()))
	m.Close()
	if err != nil {
		return nil, fmt.Errorf("transport: pty: %w", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("transport: pty: %w", err)
	}
	unix.CloseOnExec(fd)
	return os.NewFile(uintptr(fd), "/dev/ptmx"), nil
}

// makeRaw puts the terminal in raw mode: no echo, no line editing, no CR/LF translation,
// so bytes pass unchanged in both directions.
func makeRaw(f *os.File) error {
	fd := int(f.Fd())
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return fmt.Errorf("transport: pty termios: %w", err)
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, t); err != nil {
		return fmt.Errorf("transport: pty raw mode: %w", err)
	}
	return nil
}

// Path is what a driver opens: the stable link if one was asked for, else the /dev/pts node.
func (p *PTY) Path() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.link != "" {
		return p.link
	}
	if p.slave == nil {
		return ""
	}
	return p.slave.Name()
}

// current waits until the pty is plugged in and returns its master side.
func (p *PTY) current() (*os.File, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.master == nil && !p.closed {
		p.cond.Wait()
	}
	if p.closed {
		return nil, ErrClosed
	}
	return p.master, nil
}

// Read reads what the driver wrote. While unplugged it waits for Replug. A read pending
// at Unplug fails with ErrGone.
func (p *PTY) Read(b []byte) (int, error) {
	m, err := p.current()
	if err != nil {
		return 0, err
	}
	n, err := m.Read(b)
	if err != nil {
		p.mu.Lock()
		closed := p.closed
		p.mu.Unlock()
		if closed {
			return n, ErrClosed
		}
		return n, fmt.Errorf("%w: %v", ErrGone, err)
	}
	return n, nil
}

// Write sends bytes to the driver. While unplugged the bytes go nowhere, as on a wire with
// nothing at the other end, and Write fails with ErrGone.
func (p *PTY) Write(b []byte) (int, error) {
	p.mu.Lock()
	m := p.master
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return 0, ErrClosed
	}
	if m == nil {
		return 0, ErrGone
	}
	n, err := m.Write(b)
	if err != nil {
		return n, fmt.Errorf("%w: %v", ErrGone, err)
	}
	return n, nil
}

// WritePaced writes b as a device at the given baud rate would put it on the wire: in
// small bursts, each no sooner than its wire time, so a driver's timing is tested as on a
// real line. baud 0 writes at once.
func (p *PTY) WritePaced(b []byte, baud int) error {
	if baud <= 0 {
		_, err := p.Write(b)
		return err
	}
	const burst = 64
	start := time.Now()
	for off := 0; off < len(b); off += burst {
		end := min(off+burst, len(b))
		if _, err := p.Write(b[off:end]); err != nil {
			return err
		}
		if wait := time.Until(start.Add(WireTime(end, baud))); wait > 0 {
			time.Sleep(wait)
		}
	}
	return nil
}

// Plugged reports whether the device is plugged in.
func (p *PTY) Plugged() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.master != nil
}

// Unplug hangs up the line as pulling the cable would: the driver's pending and later
// reads fail, the stable link disappears.
func (p *PTY) Unplug() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.master == nil {
		return nil
	}
	if p.link != "" {
		_ = os.Remove(p.link)
	}
	err := errors.Join(p.master.Close(), p.slave.Close())
	p.master, p.slave = nil, nil
	return err
}

// Replug plugs the device back in on a fresh pseudo-terminal behind the same link.
func (p *PTY) Replug() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	if p.master != nil {
		return nil
	}
	return p.plug()
}

// Close unplugs for good; pending and later Reads fail with ErrClosed.
func (p *PTY) Close() error {
	p.mu.Lock()
	p.closed = true
	p.cond.Broadcast()
	p.mu.Unlock()
	return p.Unplug()
}
