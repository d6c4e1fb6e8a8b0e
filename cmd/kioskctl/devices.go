package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
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
		usage:   "[--ports a,b] [--json] [--timeout D] [--no-usb] [--usb-table FILE]",
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
	ports := fs.String("ports", "", "comma-separated serial ports to probe instead of /dev/ttyUSB*, /dev/ttyACM*, /dev/ttyS*")
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
		if *ports != "" {
			o.Globs = []string{}
			for _, p := range strings.Split(*ports, ",") {
				if p = strings.TrimSpace(p); p != "" {
					o.Ports = append(o.Ports, p)
				}
			}
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
