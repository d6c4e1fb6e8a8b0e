package transport

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/google/gousb"
)

// USBID is a USB vendor:product pair.
type USBID struct {
	VID uint16 `json:"vid" toml:"vid"`
	PID uint16 `json:"pid" toml:"pid"`
}

// String formats the id as lsusb does, "1a86:7523".
func (id USBID) String() string { return fmt.Sprintf("%04x:%04x", id.VID, id.PID) }

// ParseUSBID reads "VVVV:PPPP" (hexadecimal).
func ParseUSBID(s string) (USBID, error) {
	var id USBID
	if _, err := fmt.Sscanf(s, "%04x:%04x", &id.VID, &id.PID); err != nil || len(s) != 9 {
		return USBID{}, fmt.Errorf("transport: USB id %q: want VVVV:PPPP in hexadecimal", s)
	}
	return id, nil
}

// USBConfig selects a USB interface and its bulk endpoints.
type USBConfig struct {
	ID USBID
	// Config is the configuration number; 0 means the device's active one.
	Config int
	// Interface and Alt select the interface; most devices use 0 and 0.
	Interface int
	Alt       int
	// In and Out are the bulk endpoint numbers (without the direction bit); 0 means the
	// interface's first bulk endpoint of that direction. Out-only devices (some
	// printers) set In to -1.
	In, Out int
}

// USBDevice is what discovery sees of a device on the bus.
type USBDevice struct {
	ID      USBID
	Bus     int
	Address int
	Class   int
	// Classes lists the interface classes of the active configuration (7 = printer,
	// 3 = HID, 2 = CDC serial).
	Classes []int
}

var (
	usbOnce sync.Once
	usbCtx  *gousb.Context
	usbErr  error
)

// usbContext starts libusb once per process. gousb panics when libusb cannot start (no
// usbfs, as in containers and on these CI machines); that becomes ErrNoUSB.
func usbContext() (*gousb.Context, error) {
	usbOnce.Do(func() {
		if _, err := os.Stat("/dev/bus/usb"); err != nil {
			usbErr = fmt.Errorf("%w: no /dev/bus/usb on this machine", ErrNoUSB)
			return
		}
		defer func() {
			if r := recover(); r != nil {
				usbErr = fmt.Errorf("%w: libusb: %v", ErrNoUSB, r)
			}
		}()
		usbCtx = gousb.NewContext()
	})
	return usbCtx, usbErr
}

// ListUSB lists the devices on the bus. Where there is no USB it returns ErrNoUSB.
func ListUSB() ([]USBDevice, error) {
	ctx, err := usbContext()
	if err != nil {
		return nil, err
	}
	var out []USBDevice
	_, err = ctx.OpenDevices(func(d *gousb.DeviceDesc) bool {
		dev := USBDevice{
			ID:      USBID{VID: uint16(d.Vendor), PID: uint16(d.Product)},
			Bus:     d.Bus,
			Address: d.Address,
			Class:   int(d.Class),
		}
		for _, c := range d.Configs {
			for _, in := range c.Interfaces {
				for _, alt := range in.AltSettings {
					dev.Classes = append(dev.Classes, int(alt.Class))
				}
			}
			break
		}
		out = append(out, dev)
		return false // describe only; opening needs permissions discovery should not need
	})
	if err != nil && len(out) == 0 {
		return nil, fmt.Errorf("transport: list USB: %w", err)
	}
	return out, nil
}

// USBPort is a claimed USB interface used as a byte pipe over its bulk endpoints. It also
// answers class-specific control requests on that interface (see ControlIn).
type USBPort struct {
	cfg  USBConfig
	dev  *gousb.Device
	conf *gousb.Config
	intf *gousb.Interface
	in   *gousb.InEndpoint
	out  *gousb.OutEndpoint

	mu       sync.Mutex
	rdl, wdl time.Time
	ctx      context.Context
	cancel   context.CancelFunc
}

// OpenUSB finds the device, detaches any kernel driver from the interface (usblp for
// printers, usbhid for scanners) and claims it.
func OpenUSB(cfg USBConfig) (*USBPort, error) {
	uctx, err := usbContext()
	if err != nil {
		return nil, err
	}
	dev, err := uctx.OpenDeviceWithVIDPID(gousb.ID(cfg.ID.VID), gousb.ID(cfg.ID.PID))
	if err != nil && dev == nil {
		return nil, fmt.Errorf("transport: open USB %s: %w", cfg.ID, err)
	}
	if dev == nil {
		return nil, fmt.Errorf("transport: USB %s: %w", cfg.ID, ErrNoDevice)
	}
	p := &USBPort{cfg: cfg, dev: dev}
	if err := p.claim(); err != nil {
		p.Close()
		return nil, err
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	return p, nil
}

func (p *USBPort) claim() error {
	if err := p.dev.SetAutoDetach(true); err != nil {
		return fmt.Errorf("transport: USB %s: detach kernel driver: %w", p.cfg.ID, err)
	}
	num := p.cfg.Config
	if num == 0 {
		n, err := p.dev.ActiveConfigNum()
		if err != nil {
			return fmt.Errorf("transport: USB %s: active config: %w", p.cfg.ID, err)
		}
		num = n
	}
	conf, err := p.dev.Config(num)
	if err != nil {
		return fmt.Errorf("transport: USB %s: config %d: %w", p.cfg.ID, num, err)
	}
	p.conf = conf
	intf, err := conf.Interface(p.cfg.Interface, p.cfg.Alt)
	if err != nil {
		return fmt.Errorf("transport: USB %s: claim interface %d: %w", p.cfg.ID, p.cfg.Interface, err)
	}
	p.intf = intf
	inNum, outNum := p.cfg.In, p.cfg.Out
	for _, ep := range intf.Setting.Endpoints {
		if ep.TransferType != gousb.TransferTypeBulk {
			continue
		}
		if ep.Direction == gousb.EndpointDirectionIn && inNum == 0 {
			inNum = ep.Number
		}
		if ep.Direction == gousb.EndpointDirectionOut && outNum == 0 {
			outNum = ep.Number
		}
	}
	if inNum > 0 {
		if p.in, err = intf.InEndpoint(inNum); err != nil {
			return fmt.Errorf("transport: USB %s: in endpoint %d: %w", p.cfg.ID, inNum, err)
		}
	}
	if outNum > 0 {
		if p.out, err = intf.OutEndpoint(outNum); err != nil {
			return fmt.Errorf("transport: USB %s: out endpoint %d: %w", p.cfg.ID, outNum, err)
		}
	}
	return nil
}

// Name is "usb:VVVV:PPPP".
func (p *USBPort) Name() string { return "usb:" + p.cfg.ID.String() }

func (p *USBPort) SetReadDeadline(t time.Time) error {
	p.mu.Lock()
	p.rdl = t
	p.mu.Unlock()
	return nil
}

func (p *USBPort) SetWriteDeadline(t time.Time) error {
	p.mu.Lock()
	p.wdl = t
	p.mu.Unlock()
	return nil
}

func (p *USBPort) opCtx(read bool) (context.Context, context.CancelFunc) {
	p.mu.Lock()
	d := p.wdl
	if read {
		d = p.rdl
	}
	p.mu.Unlock()
	if d.IsZero() {
		return context.WithCancel(p.ctx)
	}
	return context.WithDeadline(p.ctx, d)
}

func (p *USBPort) mapErr(op string, ctx context.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case p.ctx.Err() != nil:
		return ErrClosed
	case errors.Is(ctx.Err(), context.DeadlineExceeded), errors.Is(err, gousb.TransferTimedOut):
		return fmt.Errorf("transport: %s %s: %w", op, p.Name(), os.ErrDeadlineExceeded)
	case errors.Is(err, gousb.ErrorNoDevice), errors.Is(err, gousb.TransferNoDevice):
		return fmt.Errorf("transport: %s %s: %w", op, p.Name(), ErrGone)
	default:
		return fmt.Errorf("transport: %s %s: %w", op, p.Name(), err)
	}
}

// Read reads from the bulk IN endpoint.
func (p *USBPort) Read(b []byte) (int, error) {
	if p.in == nil {
		return 0, fmt.Errorf("transport: %s has no IN endpoint", p.Name())
	}
	ctx, cancel := p.opCtx(true)
	defer cancel()
	n, err := p.in.ReadContext(ctx, b)
	return n, p.mapErr("read", ctx, err)
}

// Write writes to the bulk OUT endpoint.
func (p *USBPort) Write(b []byte) (int, error) {
	if p.out == nil {
		return 0, fmt.Errorf("transport: %s has no OUT endpoint", p.Name())
	}
	ctx, cancel := p.opCtx(false)
	defer cancel()
	n, err := p.out.WriteContext(ctx, b)
	return n, p.mapErr("write", ctx, err)
}

// ControlIn performs a class-specific IN control request addressed to the claimed
// interface (bmRequestType 0xA1), e.g. the printer class GET_DEVICE_ID (request 0,
// value = config, index = interface<<8 | alt) and GET_PORT_STATUS (request 1).
func (p *USBPort) ControlIn(request uint8, value, index uint16, buf []byte) (int, error) {
	n, err := p.dev.Control(0xA1, request, value, index, buf)
	if err != nil {
		return n, p.mapErr("control", context.Background(), err)
	}
	return n, nil
}

// Interface is the claimed interface number, for building control request indexes.
func (p *USBPort) Interface() int { return p.cfg.Interface }

// Close releases the interface and the device.
func (p *USBPort) Close() error {
	if p.cancel != nil {
		p.cancel()
	}
	if p.intf != nil {
		p.intf.Close()
	}
	var err error
	if p.conf != nil {
		err = p.conf.Close()
	}
	if p.dev != nil {
		err = errors.Join(err, p.dev.Close())
	}
	return err
}

// ControlPort is implemented by transports that can carry class control requests (USB).
type ControlPort interface {
	Port
	ControlIn(request uint8, value, index uint16, buf []byte) (int, error)
	Interface() int
}

var _ ControlPort = (*USBPort)(nil)
