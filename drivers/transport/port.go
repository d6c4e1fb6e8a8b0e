// Package transport is the byte pipe between a device driver and its device: a serial port
// (tarm/serial), a USB bulk interface (gousb), a raw TCP socket, or the device side of a
// pseudo-terminal where a simulator plays the device.
//
// Drivers are written against Port and never import tarm/serial or gousb; only this package
// does. Nothing here knows any device protocol. A Recorder writes down what goes over a
// port, for package transporttest to play back as the device in a test.
package transport

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// Port is an open connection to a device.
//
// Read and Write honour the deadlines set with SetReadDeadline and SetWriteDeadline; a zero
// time means no deadline. An expired deadline makes the call fail with an error for which
// IsTimeout reports true; the port stays usable. Close unblocks pending calls, which then
// fail with ErrClosed.
type Port interface {
	io.ReadWriteCloser
	SetReadDeadline(t time.Time) error
	SetWriteDeadline(t time.Time) error
	// Name is the device path or address, for messages to technicians.
	Name() string
}

var (
	// ErrClosed is returned by calls on a port after Close.
	ErrClosed = errors.New("transport: port closed")
	// ErrGone means the device went away under an open port (unplugged, hung up). The
	// port must be closed and opened again once the device is back.
	ErrGone = errors.New("transport: device gone")
	// ErrNoDevice means no device was found at the given path or USB id.
	ErrNoDevice = errors.New("transport: no such device")
	// ErrNoUSB means this machine has no usable USB subsystem (no bus, no permission to
	// it, or libusb failed to start).
	ErrNoUSB = errors.New("transport: USB not available")
)

// IsTimeout reports whether err is an expired deadline.
func IsTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// WireTime is how long n bytes take on an asynchronous serial line at the given baud rate
// with 8N1 framing (10 bits a byte).
func WireTime(n, baud int) time.Duration {
	if baud <= 0 {
		return 0
	}
	return time.Duration(n) * 10 * time.Second / time.Duration(baud)
}

// ReadFull reads exactly len(buf) bytes before the deadline d, setting it on p.
func ReadFull(p Port, buf []byte, d time.Time) error {
	if err := p.SetReadDeadline(d); err != nil {
		return err
	}
	_, err := io.ReadFull(p, buf)
	return err
}

// tcpPort adapts a TCP connection (a network printer's raw port 9100) to Port.
type tcpPort struct {
	net.Conn
	name string
}

func (t *tcpPort) Name() string { return t.name }

func (t *tcpPort) Read(b []byte) (int, error) {
	n, err := t.Conn.Read(b)
	return n, mapNetErr(err)
}

func (t *tcpPort) Write(b []byte) (int, error) {
	n, err := t.Conn.Write(b)
	return n, mapNetErr(err)
}

func mapNetErr(err error) error {
	switch {
	case err == nil, IsTimeout(err):
		return err
	case errors.Is(err, net.ErrClosed):
		return ErrClosed
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%w: connection closed by peer", ErrGone)
	default:
		return fmt.Errorf("%w: %v", ErrGone, err)
	}
}

// DialTCP connects to a device listening on a raw TCP port, e.g. "192.168.1.50:9100".
func DialTCP(addr string, timeout time.Duration) (Port, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, fmt.Errorf("transport: dial %s: %w", addr, errors.Join(ErrNoDevice, err))
	}
	return &tcpPort{Conn: c, name: "tcp://" + addr}, nil
}
