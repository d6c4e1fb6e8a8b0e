package devices

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/govkiosk/govkiosk/drivers/transport"
)

// Prober recognises one kind of device on a serial port.
type Prober struct {
	// Kind is what a positive answer means (config.KindIDCard, config.KindPrinter, ...).
	Kind string
	// Bauds are tried in order; none means 115200 then 9600.
	Bauds []int
	// Probe sends a harmless status command on p and returns a description of what
	// answered, or an error when nothing of its kind did. It must honour ctx (the port is
	// also closed under it when ctx ends).
	Probe func(ctx context.Context, p transport.Port) (string, error)
}

// DefaultPortGlobs are the serial ports Discover looks at: the stable names the packaging's
// udev rules give the kiosk's devices (first, so a named device is reported by its name),
// USB-serial adapters, USB CDC devices and on-board UARTs.
var DefaultPortGlobs = []string{"/dev/govkiosk-*", "/dev/ttyUSB*", "/dev/ttyACM*", "/dev/ttyS*"}

// DiscoverOptions say where and how to look; zero values mean the defaults in brackets.
type DiscoverOptions struct {
	// Probers recognise devices on serial ports, tried in order.
	Probers []Prober
	// Ports are probed in addition to those the globs find.
	Ports []string
	// Globs find serial ports [DefaultPortGlobs]; an empty non-nil slice finds none.
	Globs []string
	// InUse are devices the caller already runs on their ports. Those ports are not
	// probed, under any name (a link and its target are one port): a probe there would
	// compete with the running driver for every answer and reset the line speed under
	// it. Each is reported as given, in place of what a probe would have found, and a
	// USB device among them is not listed a second time.
	InUse []Found
	// Timeout bounds one probe at one baud rate [800 ms].
	Timeout time.Duration
	// Concurrency is how many ports are probed at once [4].
	Concurrency int
	// NoUSB skips the USB bus.
	NoUSB bool
	// USBTable names USB devices [DefaultUSBTable].
	USBTable []USBEntry
	// Open opens a serial port [transport.OpenSerial].
	Open func(path string, baud int) (transport.Port, error)
	// ListUSB lists the bus [transport.ListUSB].
	ListUSB func() ([]transport.USBDevice, error)
	// Log gets debug lines [discard].
	Log *slog.Logger
}

// Found is one thing discovery saw.
type Found struct {
	// Transport is "serial" or "usb".
	Transport string `json:"transport"`
	Path      string `json:"path,omitempty"`
	Baud      int    `json:"baud,omitempty"`
	// USB is "vvvv:pppp" for USB devices.
	USB string `json:"usb,omitempty"`
	// Kind is what answered or matched; "" when nothing did.
	Kind string `json:"kind,omitempty"`
	// Description is the prober's answer or the USB table's name.
	Description string `json:"description,omitempty"`
	// Note says why nothing was found here ("no answer", "no USB on this machine").
	Note string `json:"note,omitempty"`
}

// Discover probes serial ports and lists USB devices. Ports are probed concurrently (at
// most Concurrency at once), each port with one prober and baud rate at a time, each
// probe within Timeout, and every port is closed after each probe. A port that does not
// open (an on-board UART with no chip behind it) is left out; a port that opens but where
// nothing answers is listed with a note. No USB on the machine is a note, not an error.
// The error is only ctx's.
func Discover(ctx context.Context, o DiscoverOptions) ([]Found, error) {
	o = o.withDefaults()
	ports := o.ports()
	var (
		mu    sync.Mutex
		found []Found
		wg    sync.WaitGroup
		sem   = make(chan struct{}, o.Concurrency)
	)
	for _, p := range ports {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			if f, ok := o.probePort(ctx, p); ok {
				mu.Lock()
				found = append(found, f)
				mu.Unlock()
			}
		}()
	}
	var usb []Found
	if !o.NoUSB {
		usb = o.usb()
	}
	wg.Wait()
	found = append(found, usb...)
	found = append(found, o.InUse...)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sort.SliceStable(found, func(i, j int) bool {
		a, b := found[i], found[j]
		if ra, rb := transportRank(a.Transport), transportRank(b.Transport); ra != rb {
			return ra < rb
		}
		return a.Path+a.USB < b.Path+b.USB
	})
	return found, nil
}

// transportRank orders the list: serial ports, then USB, then anything else (a network
// scanner the caller runs).
func transportRank(t string) int {
	switch t {
	case "serial":
		return 0
	case "usb":
		return 1
	}
	return 2
}

// samePort is the name a port is compared by: its target when it is a link.
func samePort(p string) string {
	if real, err := filepath.EvalSymlinks(p); err == nil {
		return real
	}
	return filepath.Clean(p)
}

func (o DiscoverOptions) withDefaults() DiscoverOptions {
	if o.Globs == nil {
		o.Globs = DefaultPortGlobs
	}
	if o.Timeout <= 0 {
		o.Timeout = 800 * time.Millisecond
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.USBTable == nil {
		o.USBTable = DefaultUSBTable
	}
	if o.Open == nil {
		o.Open = func(path string, baud int) (transport.Port, error) {
			return transport.OpenSerial(transport.SerialConfig{Path: path, Baud: baud})
		}
	}
	if o.ListUSB == nil {
		o.ListUSB = transport.ListUSB
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o
}

// ports lists the ports to probe, once each even when a link and its target are both
// named, and none that is in use.
func (o DiscoverOptions) ports() []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range o.InUse {
		if f.Transport == "serial" && f.Path != "" {
			seen[samePort(f.Path)] = true
		}
	}
	add := func(p string) {
		real := samePort(p)
		if !seen[real] {
			seen[real] = true
			out = append(out, p)
		}
	}
	// Named ports first, so a stable name given by the technician is the one reported.
	for _, p := range o.Ports {
		add(p)
	}
	for _, g := range o.Globs {
		m, _ := filepath.Glob(g)
		for _, p := range m {
			add(p)
		}
	}
	return out
}

// probePort tries each prober at each of its baud rates; ok is false for a port that
// would not open.
func (o DiscoverOptions) probePort(ctx context.Context, path string) (Found, bool) {
	var tried []string
	opened := false
	for _, pr := range o.Probers {
		bauds := pr.Bauds
		if len(bauds) == 0 {
			bauds = []int{115200, 9600}
		}
		for _, baud := range bauds {
			if ctx.Err() != nil {
				return Found{}, false
			}
			desc, err := o.probeOnce(ctx, path, baud, pr)
			var openErr *openError
			if errors.As(err, &openErr) {
				o.Log.Debug("devices: port does not open", "port", path, "err", openErr.err)
				if !opened {
					return Found{}, false
				}
				continue
			}
			opened = true
			if err == nil {
				return Found{Transport: "serial", Path: path, Baud: baud, Kind: pr.Kind, Description: desc}, true
			}
			o.Log.Debug("devices: no answer", "port", path, "kind", pr.Kind, "baud", baud, "err", err)
			tried = append(tried, fmt.Sprintf("%s@%d", pr.Kind, baud))
		}
	}
	if len(o.Probers) == 0 {
		return Found{Transport: "serial", Path: path, Note: "not probed"}, true
	}
	if !opened {
		return Found{}, false
	}
	return Found{Transport: "serial", Path: path, Note: "no answer (" + strings.Join(tried, ", ") + ")"}, true
}

type openError struct{ err error }

func (e *openError) Error() string { return e.err.Error() }

// probeOnce opens the port, probes, and closes it whatever happens.
func (o DiscoverOptions) probeOnce(ctx context.Context, path string, baud int, pr Prober) (string, error) {
	p, err := o.Open(path, baud)
	if err != nil {
		return "", &openError{err}
	}
	defer p.Close()
	pctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	// A probe stuck in a read without a deadline is freed by closing its port.
	stop := context.AfterFunc(pctx, func() { p.Close() })
	defer stop()
	if err := p.SetReadDeadline(time.Now().Add(o.Timeout)); err != nil {
		return "", err
	}
	if err := p.SetWriteDeadline(time.Now().Add(o.Timeout)); err != nil {
		return "", err
	}
	return pr.Probe(pctx, p)
}

// usb lists the bus against the table.
func (o DiscoverOptions) usb() []Found {
	devs, err := o.ListUSB()
	if errors.Is(err, transport.ErrNoUSB) {
		return []Found{{Transport: "usb", Note: "no USB on this machine"}}
	}
	if err != nil {
		return []Found{{Transport: "usb", Note: "cannot list USB: " + err.Error()}}
	}
	var out []Found
	for _, d := range devs {
		if slices.ContainsFunc(o.InUse, func(f Found) bool { return f.Transport == "usb" && f.USB == d.ID.String() }) {
			continue
		}
		f := Found{Transport: "usb", USB: d.ID.String(), Path: fmt.Sprintf("bus %03d device %03d", d.Bus, d.Address)}
		if i := slices.IndexFunc(o.USBTable, func(e USBEntry) bool { return e.ID == d.ID }); i >= 0 {
			f.Kind, f.Description = o.USBTable[i].Kind, o.USBTable[i].Name
		} else if slices.Contains(d.Classes, 7) {
			f.Kind, f.Description = "printer", "USB printer class device"
		} else {
			continue
		}
		out = append(out, f)
	}
	return out
}
