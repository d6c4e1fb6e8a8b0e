package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/govkiosk/govkiosk/drivers/devices"
	"github.com/govkiosk/govkiosk/drivers/idcard"
	"github.com/govkiosk/govkiosk/drivers/printer"
	"github.com/govkiosk/govkiosk/kiosk/config"
)

func init() {
	register(command{
		name:    "devices scan",
		summary: "find ID-card readers and receipt printers on serial ports, and known USB devices",
		usage:   "[--config FILE] [--data DIR] [--ports a,b] [--json] [--timeout D] [--no-usb] [--usb-table FILE]",
		setup:   setupDevicesScan,
	})
}

// probers are the harmless status commands discovery sends: the ID-card reader's SAM
// status (readers default to 115200 baud, some are set to 9600) and the printer's
// DLE EOT 1 (printers ship at 9600 to 115200 depending on the make).
func probers() []devices.Prober {
	return []devices.Prober{
		{Kind: config.KindIDCard, Bauds: []int{115200, 9600}, Probe: idcard.Probe},
		{Kind: config.KindPrinter, Bauds: []int{9600, 19200, 38400, 115200}, Probe: printer.Probe},
	}
}

func setupDevicesScan(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	ports := fs.String("ports", "", "comma-separated serial ports to probe instead of the configured ports and /dev/govkiosk-*, /dev/ttyUSB*, /dev/ttyACM*, /dev/ttyS*")
	cfgPath := fs.String("config", defaultConfigPath, "the kiosk's configuration: its devices' ports are probed too, or, while the kiosk runs, reported as in use and left alone (\"\" for none)")
	data := fs.String("data", "", "the kiosk's data directory, to tell whether the kiosk runs and which ports it holds (default: the configuration's data_dir, else /var/lib/govkiosk; a kiosk run with -simulate keeps it in ~/.cache/govkiosk)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	timeout := fs.Duration("timeout", 1500*time.Millisecond, "time allowed for one probe at one baud rate")
	noUSB := fs.Bool("no-usb", false, "do not list USB devices")
	table := fs.String("usb-table", "", "file of known USB ids (VVVV:PPPP KIND NAME per line) replacing the built-in table")
	return func(ctx context.Context, e *env, args []string) error {
		if len(args) > 0 {
			return usagef("no arguments are taken")
		}
		if *timeout <= 0 {
			return usagef("--timeout must be positive")
		}
		o := devices.DiscoverOptions{Probers: probers(), Timeout: *timeout, NoUSB: *noUSB, Log: e.log}
		conf, err := configuredDevices(e, *cfgPath, *data, fs)
		if err != nil {
			return err
		}
		o.InUse = conf.inUse
		if *ports != "" {
			o.Globs = []string{}
			for _, p := range strings.Split(*ports, ",") {
				if p = strings.TrimSpace(p); p != "" {
					o.Ports = append(o.Ports, p)
				}
			}
		} else {
			o.Ports = conf.ports
		}
		if *table != "" {
			f, err := os.Open(*table)
			if err != nil {
				return err
			}
			o.USBTable, err = devices.ParseUSBTable(f)
			f.Close()
			if err != nil {
				return err
			}
		}
		found, err := devices.Discover(ctx, o)
		if err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(e.stdout)
			enc.SetIndent("", "  ")
			if found == nil {
				found = []devices.Found{}
			}
			return enc.Encode(found)
		}
		w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "TRANSPORT\tWHERE\tKIND\tBAUD\tWHAT")
		for _, f := range found {
			where := f.Path
			if f.USB != "" {
				where = f.USB + " (" + f.Path + ")"
			}
			baud := ""
			if f.Baud > 0 {
				baud = strconv.Itoa(f.Baud)
			}
			what := f.Description
			if what == "" {
				what = f.Note
			}
			if f.Transport == "serial" && f.Kind == "" && conf.kinds[f.Path] == config.KindBarcode {
				what += "; configured as a barcode scanner, which says nothing until it scans: try kioskctl scanner listen --port " + f.Path
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", f.Transport, orDash(where), orDash(f.Kind), orDash(baud), what)
		}
		return w.Flush()
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// defaultConfigPath is where the installed kiosk's configuration lives.
const defaultConfigPath = "/etc/govkiosk/kiosk.toml"

// configured is what the kiosk's configuration adds to a scan.
type configured struct {
	// ports are the configured serial ports to probe (the kiosk is not running).
	ports []string
	// inUse are the configured devices of a running kiosk: not probed.
	inUse []devices.Found
	// kinds are the configured serial ports' kinds.
	kinds map[string]string
}

// configuredDevices reads the kiosk's configuration, when there is one, so that a scan
// looks at the ports the kiosk's devices are configured on (a stable name, a simulator's
// terminal) as well as the default names. While the kiosk runs (the data directory's
// lock is held), its drivers hold those ports: probing them would steal their answers and
// reset their line speed, so they are reported as in use instead, from the list the
// running kiosk wrote of what it opened (with -simulate, the only place the simulators'
// terminals are named), or else from the configuration. A configuration that was not
// asked for by name and does not exist is no error.
func configuredDevices(e *env, path, data string, fs *flag.FlagSet) (configured, error) {
	var out configured
	var devs []config.Device
	if path != "" {
		named := false
		fs.Visit(func(f *flag.Flag) { named = named || f.Name == "config" })
		cfg, err := config.Load(path)
		var invalid *config.ValidationError
		switch {
		case errors.As(err, &invalid) && cfg != nil:
			// A scan often comes before the configuration is complete: its devices
			// are what matters here.
		case errors.Is(err, os.ErrNotExist) && !named:
			cfg = nil
		case err != nil && named:
			return out, err
		case err != nil:
			fmt.Fprintf(e.stderr, "kioskctl devices scan: not using the configuration: %s\n", oneLine(err))
			cfg = nil
		}
		if cfg != nil {
			devs = cfg.Devices
			if data == "" {
				data = cfg.DataDir
			}
		}
	}
	if data == "" {
		data = config.DefaultDataDir
	}
	pid, running := kioskRunning(data)
	if running {
		if b, err := os.ReadFile(filepath.Join(data, kioskDevicesFile)); err == nil {
			var held []config.Device
			if json.Unmarshal(b, &held) == nil {
				devs = held
			}
		}
	}
	out.kinds = map[string]string{}
	who := "the running kiosk"
	if pid > 0 {
		who = fmt.Sprintf("the running kiosk (process %d)", pid)
	}
	for _, d := range devs {
		serial := d.Transport == config.TransportSerial && d.Path != ""
		if serial {
			out.kinds[d.Path] = d.Kind
		}
		switch {
		case serial && !running:
			out.ports = append(out.ports, d.Path)
		case running && (d.Path != "" || d.Address != "" || d.USB != ""):
			// Network and USB devices too: a USB one is then not listed twice.
			f := devices.Found{Transport: d.Transport, Path: d.Path, Baud: d.Baud, USB: d.USB, Kind: d.Kind,
				Description: "configured as " + d.Name + "; in use by " + who + ", not probed (its health is on the technician screen)"}
			if f.Path == "" {
				f.Path = d.Address
			}
			out.inUse = append(out.inUse, f)
		}
	}
	return out, nil
}

// kioskDevicesFile, in the data directory, is where the running kiosk lists the devices
// it opened (cmd/kiosk writes it at start).
const kioskDevicesFile = "devices.json"
