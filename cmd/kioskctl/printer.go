package main

// kioskctl printer test|status, escpos decode and sim printer: a technician checks a
// receipt printer, reads what a byte stream would print, and plays a printer without
// the hardware.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/drivers/printer"
	"github.com/govkiosk/govkiosk/drivers/printer/escpos"
	"github.com/govkiosk/govkiosk/drivers/printer/printersim"
	"github.com/govkiosk/govkiosk/drivers/transport"
)

func init() {
	register(command{
		name:    "printer test",
		summary: "print a test receipt (styles, full width, QR code) and report the printer's status",
		usage:   "--port P [--baud B] [--width 58|80] [--record FILE]",
		setup:   setupPrinterTest,
	})
	register(command{
		name:    "printer status",
		summary: "ask a receipt printer for its real-time status (paper, cover, errors)",
		usage:   "--port P [--baud B] [--record FILE]",
		setup:   setupPrinterStatus,
	})
	register(command{
		name:    "escpos decode",
		summary: "show what a printer would print from an ESC/POS byte stream (FILE, or - for standard input)",
		usage:   "[--width 58|80] [--styles] [--png OUT.png] FILE",
		setup:   setupESCPOSDecode,
	})
	register(command{
		name:    "sim printer",
		summary: "play an ESC/POS receipt printer on a pseudo-terminal (and TCP); prints its device path first",
		usage:   "[--link PATH] [--out DIR] [--width 58|80] [--tcp ADDR] [--control FILE]",
		setup:   setupSimPrinter,
	})
}

// portFlags are the flags every command that talks to a printer takes.
type portFlags struct {
	port   *string
	baud   *int
	record recordFlag
}

func addPortFlags(fs *flag.FlagSet) portFlags {
	return portFlags{
		port:   fs.String("port", "", "the printer: a serial device (/dev/ttyUSB0), host:9100 or tcp://host:9100, or usb:VVVV:PPPP"),
		baud:   fs.Int("baud", 9600, "serial line speed"),
		record: addRecordFlag(fs),
	}
}

func (pf portFlags) open(args []string) (printer.Opener, error) {
	if len(args) > 0 {
		return nil, usagef("unexpected arguments: %s", strings.Join(args, " "))
	}
	if *pf.port == "" {
		return nil, usagef("--port is required")
	}
	if *pf.baud <= 0 {
		return nil, usagef("--baud must be positive")
	}
	open, err := printer.ParsePort(*pf.port, *pf.baud)
	if err != nil {
		return nil, usagef("--port: %v", err)
	}
	return open, nil
}

func paperFlag(fs *flag.FlagSet) *int {
	return fs.Int("width", 80, "paper width in mm: 58 or 80")
}

func paperOf(mm int) (printer.Paper, error) {
	p, err := printer.PaperFor(mm)
	if err != nil || mm == 0 {
		return printer.Paper{}, usagef("--width must be 58 or 80")
	}
	return p, nil
}

// statusLine says a printer's health in one line: "online (paper ok, cover closed)".
func statusLine(p *printer.Printer) string {
	h := p.Health()
	var d []string
	for _, k := range []string{"paper", "cover"} {
		if v, ok := h.Details[k]; ok {
			d = append(d, k+" "+v)
		}
	}
	s := string(h.State)
	if h.Reason != "" {
		s += ": " + h.Reason
	}
	if len(d) > 0 {
		s += " (" + strings.Join(d, ", ") + ")"
	}
	return s
}

// replyTimeout is how long the printer commands wait for the printer's answer.
const replyTimeout = 2 * time.Second

// noESCPOSAnswer turns a printer command that got no answer into what a technician can
// act on: whatever is on the port does not speak ESC/POS (often another device's port),
// or the rate is wrong. Other errors pass unchanged.
func noESCPOSAnswer(port string, baud int, err error) error {
	if err == nil || !transport.IsTimeout(err) {
		return err
	}
	if strings.HasPrefix(port, "tcp://") || strings.HasPrefix(port, "usb:") || !strings.HasPrefix(port, "/") && strings.Contains(port, ":") {
		// A network or USB printer: no line speed to get wrong.
		return fmt.Errorf("no ESC/POS answer on %s within %v; is it the printer?: %w", port, replyTimeout, err)
	}
	return fmt.Errorf("no ESC/POS answer on %s within %v at %d baud; is it the printer? (kioskctl devices scan says what answers on each port; a serial printer may be set to another --baud): %w",
		port, replyTimeout, baud, err)
}

func newCLIPrinter(open printer.Opener, paper printer.Paper, e *env) (*printer.Printer, error) {
	return printer.New(printer.Config{Open: open, Paper: paper, Log: e.log, ReplyTimeout: replyTimeout})
}

func setupPrinterTest(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	pf := addPortFlags(fs)
	width := paperFlag(fs)
	return func(ctx context.Context, e *env, args []string) (err error) {
		open, err := pf.open(args)
		if err != nil {
			return err
		}
		paper, err := paperOf(*width)
		if err != nil {
			return err
		}
		rec, finish, err := pf.record.start(e)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, finish()) }()
		prn, err := newCLIPrinter(recordOpener(rec, open), paper, e)
		if err != nil {
			return err
		}
		defer prn.Close()
		if err := prn.Print(ctx, printer.TestReceipt(*pf.port, paper, time.Now())); err != nil {
			return noESCPOSAnswer(*pf.port, *pf.baud, err)
		}
		if _, err := prn.Status(ctx); err != nil {
			return noESCPOSAnswer(*pf.port, *pf.baud, err)
		}
		fmt.Fprintln(e.stdout, "test receipt printed; printer", statusLine(prn))
		return nil
	}
}

func setupPrinterStatus(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	pf := addPortFlags(fs)
	return func(ctx context.Context, e *env, args []string) (err error) {
		open, err := pf.open(args)
		if err != nil {
			return err
		}
		rec, finish, err := pf.record.start(e)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, finish()) }()
		prn, err := newCLIPrinter(recordOpener(rec, open), printer.Paper80, e)
		if err != nil {
			return err
		}
		defer prn.Close()
		st, err := prn.Status(ctx)
		if err != nil {
			return noESCPOSAnswer(*pf.port, *pf.baud, err)
		}
		fmt.Fprintln(e.stdout, statusLine(prn))
		if s := st.String(); s != "ok" {
			fmt.Fprintln(e.stdout, "conditions:", s)
		}
		// A printer that cannot print (paper out, cover open, an error) is a failure, so
		// that scripts can act on the exit status; paper near its end still prints.
		if h := prn.Health(); h.State != health.Online {
			return fmt.Errorf("printer cannot print: %s", h.Reason)
		}
		return nil
	}
}

func setupESCPOSDecode(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	width := paperFlag(fs)
	styles := fs.Bool("styles", false, "show alignment and character styles in {braces}")
	out := fs.String("png", "", "also draw the paper as PNG (a second receipt goes to OUT-2.png, and so on)")
	return func(ctx context.Context, e *env, args []string) error {
		if len(args) != 1 {
			return usagef("want exactly one FILE (or -)")
		}
		paper, err := paperOf(*width)
		if err != nil {
			return err
		}
		var data []byte
		if args[0] == "-" {
			data, err = io.ReadAll(os.Stdin)
		} else {
			data, err = os.ReadFile(args[0])
		}
		if err != nil {
			return err
		}
		receipts, problems := escpos.Decode(data, paper.Dots)
		for _, r := range receipts {
			fmt.Fprint(e.stdout, r.Text(*styles))
		}
		for _, p := range problems {
			fmt.Fprintln(e.stderr, "problem:", p)
		}
		if *out != "" {
			return writePNGs(*out, receipts, paper.Dots)
		}
		return nil
	}
}

// writePNGs draws each receipt: the first to out, the n-th to out with "-n" before its
// extension.
func writePNGs(out string, receipts []escpos.Receipt, dots int) error {
	if len(receipts) == 0 {
		return errors.New("nothing printed: no picture to draw")
	}
	var font *printersim.Font
	if path, err := printersim.FindFont(); err == nil {
		if f, err := printersim.LoadFont(path); err == nil {
			font = f
			defer f.Close()
		}
	}
	for i, r := range receipts {
		path := out
		if i > 0 {
			ext := filepath.Ext(out)
			path = strings.TrimSuffix(out, ext) + "-" + strconv.Itoa(i+1) + ext
		}
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		err = png.Encode(f, printersim.Render(r, dots, font))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return nil
}

func setupSimPrinter(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	link := fs.String("link", "", "stable path to make to the simulator's terminal")
	out := fs.String("out", "", "directory to save each cut receipt to, as NNNN.png and NNNN.txt")
	width := paperFlag(fs)
	tcp := fs.String("tcp", "", "also listen as a network printer on this address, e.g. 127.0.0.1:9100 "+
		"(its tcp:// address is the second line of output)")
	control := fs.String("control", "-", "where commands come from, one a line (- is standard input): "+
		"paper ok|near_end|out, cover open|closed, cutter error|ok, paper-left DOTS, unplug, replug, status")
	return func(ctx context.Context, e *env, args []string) error {
		if len(args) > 0 {
			return usagef("no arguments are taken")
		}
		paper, err := paperOf(*width)
		if err != nil {
			return err
		}
		var ln net.Listener
		if *tcp != "" {
			if ln, err = net.Listen("tcp", *tcp); err != nil {
				return fmt.Errorf("--tcp: %w", err)
			}
			defer ln.Close()
		}
		pty, err := transport.OpenPTY(*link)
		if err != nil {
			return err
		}
		defer pty.Close()
		sim := printersim.New(printersim.Config{Dots: paper.Dots, OutDir: *out, Log: e.log})
		defer sim.Close()

		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		served := make(chan error, 2)
		go func() { served <- sim.ServePTY(ctx, pty) }()
		fmt.Fprintln(e.stdout, pty.Path())
		if ln != nil {
			go func() { served <- sim.ServeTCP(ctx, ln) }()
			fmt.Fprintln(e.stdout, "tcp://"+ln.Addr().String())
		}

		lines := make(chan string)
		go readControl(ctx, "printer", *control, lines, e)
		for {
			select {
			case <-ctx.Done():
				<-served
				return nil
			case err := <-served:
				if ctx.Err() != nil {
					return nil
				}
				return err
			case line, ok := <-lines:
				if !ok {
					lines = nil // standard input ended: keep printing until interrupted
					continue
				}
				if reply := simPrinterCommand(sim, pty, line); reply != "" {
					fmt.Fprintln(e.stdout, reply)
				}
			}
		}
	}
}

// simPrinterCommand carries out one control line of sim printer and returns the reply:
// "ok", "ok ..." or "error: ...". Blank lines and # comments get none.
func simPrinterCommand(sim *printersim.Simulator, pty *transport.PTY, line string) string {
	f := strings.Fields(line)
	if len(f) == 0 || strings.HasPrefix(f[0], "#") {
		return ""
	}
	arg := ""
	if len(f) == 2 {
		arg = f[1]
	}
	switch {
	case f[0] == "paper" && (arg == "ok" || arg == "near_end" || arg == "out"):
		sim.SetPaper(printersim.Paper(arg))
	case f[0] == "cover" && (arg == "open" || arg == "closed"):
		sim.SetCover(arg == "open")
	case f[0] == "cutter" && (arg == "error" || arg == "ok"):
		sim.SetCutterError(arg == "error")
	case f[0] == "paper-left" && arg != "":
		n, err := strconv.Atoi(arg)
		if err != nil || n <= 0 {
			return "error: paper-left takes a number of dots"
		}
		sim.SetPaperLeft(n)
	case f[0] == "unplug" && len(f) == 1:
		if err := pty.Unplug(); err != nil {
			return "error: " + oneLine(err)
		}
	case f[0] == "replug" && len(f) == 1:
		if err := pty.Replug(); err != nil {
			return "error: " + oneLine(err)
		}
	case f[0] == "status" && len(f) == 1:
		return fmt.Sprintf("ok %s; %d receipts", sim.Status(), len(sim.Receipts()))
	default:
		return "error: unknown command " + strconv.Quote(line) +
			" (paper ok|near_end|out, cover open|closed, cutter error|ok, paper-left DOTS, unplug, replug, status)"
	}
	return "ok"
}
