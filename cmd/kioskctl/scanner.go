package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/drivers/scanner/barcode"
	"github.com/govkiosk/govkiosk/drivers/scanner/escl"
	"github.com/govkiosk/govkiosk/drivers/transport"
)

// Scanner commands: listen to a barcode scanner, scan a page over eSCL, and the two
// scanner simulators.

func init() {
	register(command{
		name:    "scanner listen",
		summary: "print each scan of a serial barcode/QR scanner as a line of JSON until interrupted",
		usage:   "--port PATH [--baud B] [--terminator any|cr|lf|crlf] [--aim] [--trigger HEX [--stop HEX]]",
		setup:   setupScannerListen,
	})
	register(command{
		name:    "scanner scan",
		summary: "scan pages from an eSCL (AirScan) document scanner into files",
		usage:   "--url URL [--dpi 200|300] [--format jpeg|pdf] [--source platen|feeder] [--color rgb|gray] --out FILE",
		setup:   setupScannerScan,
	})
	register(command{
		name:    "sim scanner",
		summary: "play a serial barcode scanner on a pseudo-terminal; each input line is scanned",
		usage:   "[--link PATH] [--terminator any|cr|lf|crlf] [--aim ID] [--trigger HEX [--stop HEX]] [--input FILE]",
		setup:   setupSimScanner,
	})
	register(command{
		name:    "sim docscanner",
		summary: "serve a simulated eSCL document scanner over HTTP",
		usage:   "[--addr HOST:PORT] [--feeder N] [--busy N] [--jam] [--slow DURATION]",
		setup:   setupSimDocScanner,
	})
}

// hexFlag parses an optional hex byte string flag.
func hexFlag(name, s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	b, err := barcode.ParseHex(s)
	if err != nil || len(b) == 0 {
		return nil, usagef("--%s %q: want hex bytes like \"16 54 0D\"", name, s)
	}
	return b, nil
}

// scanLine is what "scanner listen" prints per event.
type scanLine struct {
	Data      string    `json:"data,omitempty"`
	Symbology string    `json:"symbology,omitempty"`
	AIM       string    `json:"aim,omitempty"`
	At        time.Time `json:"at,omitzero"`
	Error     string    `json:"error,omitempty"`
	Len       int       `json:"len,omitempty"`
}

func setupScannerListen(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	port := fs.String("port", "", "serial port of the scanner (required)")
	baud := fs.Int("baud", 9600, "line speed")
	term := fs.String("terminator", "any", "how the scanner ends a scan: any, cr, lf or crlf")
	aim := fs.Bool("aim", false, "the scanner sends an AIM symbology identifier (]Q1) before each scan")
	maxLine := fs.Int("max-line", barcode.DefaultMaxLine, "longest accepted scan in bytes")
	trigger := fs.String("trigger", "", "serial trigger command in hex, sent on connect and after each scan (e.g. \"16 54 0D\")")
	stop := fs.String("stop", "", "serial stop command in hex, sent on exit (e.g. \"16 55 0D\")")
	return func(ctx context.Context, e *env, args []string) error {
		if *port == "" || len(args) > 0 {
			return usagef("--port is required and no arguments are taken")
		}
		t, err := barcode.ParseTerminator(*term)
		if err != nil {
			return usagef("%v", err)
		}
		trig, err := hexFlag("trigger", *trigger)
		if err != nil {
			return err
		}
		stp, err := hexFlag("stop", *stop)
		if err != nil {
			return err
		}
		// A scanner not plugged in yet is waited for; a path that can never be a port
		// or a rate no port takes is said at once.
		var ns *transport.NotSerialError
		var be *transport.BaudError
		if err := transport.CheckSerial(transport.SerialConfig{Path: *port, Baud: *baud}); errors.As(err, &ns) || errors.As(err, &be) {
			return err
		}
		r, err := barcode.New(barcode.Config{Name: "scanner", Open: barcode.SerialOpener(*port, *baud),
			Frame:   barcode.FrameConfig{Terminator: t, AIM: *aim, MaxLine: *maxLine},
			Trigger: trig, Stop: stp, Retrigger: len(trig) > 0}, e.log)
		if err != nil {
			return err
		}
		// The reader runs on its own context so that, once interrupted, the stop command
		// can still go out before the port closes.
		runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- r.Run(runCtx) }()
		hs, unsub := r.Subscribe()
		defer unsub()
		enc := json.NewEncoder(e.stdout)
		for {
			select {
			case <-ctx.Done():
				if len(stp) > 0 {
					_ = r.StopTrigger()
				}
				cancel()
				return <-done
			case st := <-hs:
				if st.State == health.Offline || st.State == health.Online {
					fmt.Fprintln(e.stderr, strings.Join(strings.Fields(fmt.Sprintf("scanner %s: %s %s %s", st.State, st.Reason, st.Details["port"], st.Details["error"])), " "))
				}
			case ev := <-r.Events():
				line := scanLine{Data: ev.Scan.Data, Symbology: ev.Scan.Symbology, AIM: ev.Scan.AIM, At: ev.Scan.At}
				var le *barcode.LineError
				if errors.As(ev.Err, &le) {
					line = scanLine{Error: le.Err.Error(), Len: le.Len}
				}
				if err := enc.Encode(line); err != nil {
					return err
				}
			}
		}
	}
}

func setupScannerScan(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	url := fs.String("url", "", "eSCL root of the scanner, e.g. http://localhost:60000/eSCL (required)")
	dpi := fs.Int("dpi", 300, "resolution: 200 or 300")
	format := fs.String("format", "jpeg", "jpeg or pdf")
	source := fs.String("source", "platen", "platen (glass) or feeder")
	color := fs.String("color", "rgb", "rgb or gray")
	out := fs.String("out", "", "output file; more pages get -2, -3... before the extension (required)")
	timeout := fs.Duration("timeout", 3*time.Minute, "give up after this long")
	return func(ctx context.Context, e *env, args []string) error {
		if *url == "" || *out == "" || len(args) > 0 {
			return usagef("--url and --out are required and no arguments are taken")
		}
		s := escl.Settings{DPI: *dpi}
		switch *dpi {
		case 200, 300:
		default:
			return usagef("--dpi %d: want 200 or 300", *dpi)
		}
		switch *format {
		case "jpeg", "jpg":
			s.Format = escl.FormatJPEG
		case "pdf":
			s.Format = escl.FormatPDF
		default:
			return usagef("--format %q: want jpeg or pdf", *format)
		}
		switch *source {
		case "platen":
			s.Source = escl.Platen
		case "feeder", "adf":
			s.Source = escl.Feeder
		default:
			return usagef("--source %q: want platen or feeder", *source)
		}
		switch *color {
		case "rgb", "color", "colour":
			s.ColorMode = escl.RGB24
		case "gray", "grey":
			s.ColorMode = escl.Grayscale8
		default:
			return usagef("--color %q: want rgb or gray", *color)
		}
		c, err := escl.NewClient(*url, escl.ClientOptions{Log: e.log})
		if err != nil {
			return usagef("%v", err)
		}
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		pages, err := c.Scan(ctx, s)
		if err != nil {
			return err
		}
		ext := filepath.Ext(*out)
		base := strings.TrimSuffix(*out, ext)
		for i, p := range pages {
			name := *out
			if i > 0 {
				name = fmt.Sprintf("%s-%d%s", base, i+1, ext)
			}
			if err := os.WriteFile(name, p.Data, 0o600); err != nil {
				return fmt.Errorf("write page %d: %w", i+1, err)
			}
			fmt.Fprintf(e.stdout, "%s\t%d KB\t%s\t%d dpi\n", name, (len(p.Data)+1023)/1024, p.ContentType, p.DPI)
		}
		return nil
	}
}

func setupSimScanner(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	link := fs.String("link", "", "also make the device reachable at this path (a symbolic link)")
	term := fs.String("terminator", "cr", "how each scan ends: cr, lf or crlf")
	aim := fs.String("aim", "", "AIM identifier to put before each scan, e.g. ]Q1")
	trigger := fs.String("trigger", "", "wait for this serial trigger command (hex) before each scan, e.g. \"16 54 0D\"")
	stop := fs.String("stop", "", "serial stop command (hex) that cancels a trigger, e.g. \"16 55 0D\"")
	input := fs.String("input", "-", "read the codes to scan from this file (- is standard input)")
	return func(ctx context.Context, e *env, args []string) error {
		if len(args) > 0 {
			return usagef("no arguments are taken")
		}
		t, err := barcode.ParseTerminator(*term)
		if err != nil {
			return usagef("%v", err)
		}
		if *aim != "" && barcode.SymbologyName(*aim) == "" {
			return usagef("--aim %q: want an AIM identifier like ]Q1 or ]C0", *aim)
		}
		trig, err := hexFlag("trigger", *trigger)
		if err != nil {
			return err
		}
		stp, err := hexFlag("stop", *stop)
		if err != nil {
			return err
		}
		in := io.Reader(os.Stdin)
		if *input != "-" {
			f, err := os.Open(*input)
			if err != nil {
				return err
			}
			defer f.Close()
			in = f
		}
		sim, err := barcode.NewSim(barcode.SimConfig{Link: *link, Terminator: t, AIM: *aim, Trigger: trig, Stop: stp})
		if err != nil {
			return err
		}
		defer sim.Close()
		fmt.Fprintln(e.stdout, sim.Path())
		lines := make(chan string)
		go func() {
			defer close(lines)
			sendLines(ctx, in, lines)
		}()
		for {
			select {
			case <-ctx.Done():
				return nil
			case l, ok := <-lines:
				if !ok {
					lines = nil // input ended: keep the device plugged in until interrupted
					continue
				}
				if l == "" {
					continue
				}
				if err := sim.Scan(l); err != nil {
					fmt.Fprintf(e.stderr, "scan not sent: %v\n", err)
				}
			}
		}
	}
}

func setupSimDocScanner(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	addr := fs.String("addr", "127.0.0.1:8090", "listen address")
	feeder := fs.Int("feeder", 0, "sheets in the document feeder")
	busy := fs.Int("busy", 0, "answer the first N scan jobs with 503 busy")
	jam := fs.Bool("jam", false, "jam the feeder on its next sheet")
	slow := fs.Duration("slow", 0, "take this long to scan each page")
	return func(ctx context.Context, e *env, args []string) error {
		if len(args) > 0 {
			return usagef("no arguments are taken")
		}
		sim := escl.NewSim(e.log)
		sim.LoadFeeder(*feeder)
		sim.SetBusy(*busy)
		sim.SetSlow(*slow)
		if *jam {
			sim.Jam()
		}
		return sim.Serve(ctx, *addr, func(url string) { fmt.Fprintln(e.stdout, url) })
	}
}
