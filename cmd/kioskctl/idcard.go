package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/govkiosk/govkiosk/drivers/idcard"
	"github.com/govkiosk/govkiosk/drivers/transport"
	"github.com/govkiosk/govkiosk/kiosk/identity"
)

// ID-card reader commands: read a card, decode a captured answer, probe a port, and the
// reader simulator.

func init() {
	register(command{
		name:    "idcard read",
		summary: "wait for a card on an ID-card reader and print what it holds as JSON",
		usage:   "--port PATH [--baud B] [--timeout D] [--fingerprint] [--address] [--record FILE]",
		setup:   setupIDCardRead,
	})
	register(command{
		name:    "idcard decode",
		summary: "decode a captured read-card answer (30 01 or 30 10; binary or hex text) and print it as JSON",
		usage:   "FILE",
		setup:   setupIDCardDecode,
	})
	register(command{
		name:    "idcard probe",
		summary: "ask what is on a serial port for its SAM status, as device discovery does",
		usage:   "--port PATH [--baud B]",
		setup:   setupIDCardProbe,
	})
	register(command{
		name:    "sim idcard",
		summary: "play an ID-card reader on a pseudo-terminal; prints its path, then takes commands",
		usage:   "[--cards DIR] [--card NAME] [--baud B] [--link PATH] [--control FILE]",
		setup:   setupSimIDCard,
	})
}

// identityJSON is how the idcard commands print an identity: the keys every card has,
// then those only foreigner cards and residence permits have.
type identityJSON struct {
	CardType      identity.CardType `json:"card_type"`
	Name          string            `json:"name"`
	Gender        string            `json:"gender"`
	Nation        string            `json:"nation"`
	Birth         string            `json:"birth"`
	Address       string            `json:"address"`
	IDNumber      string            `json:"id_number"`
	IDNumberValid bool              `json:"id_number_valid"`
	Authority     string            `json:"authority"`
	ValidFrom     string            `json:"valid_from"`
	ValidTo       string            `json:"valid_to"`

	EnglishName       string `json:"english_name,omitempty"`
	Nationality       string `json:"nationality,omitempty"`
	PassNumber        string `json:"pass_number,omitempty"`
	IssueCount        *int   `json:"issue_count,omitempty"`
	CardVersion       string `json:"card_version,omitempty"`
	AdditionalAddress string `json:"additional_address,omitempty"`
	FingerprintBytes  int    `json:"fingerprint_bytes,omitempty"`
}

// codeName is a code's name, or the code itself when it has none (nothing read is lost).
func codeName(code, name string) string {
	if name != "" {
		return name
	}
	return code
}

func toIdentityJSON(id *identity.Identity) identityJSON {
	j := identityJSON{
		CardType: id.CardType, Name: id.Name,
		Gender: codeName(id.Gender.Code, id.Gender.Name), Nation: codeName(id.Nation.Code, id.Nation.Name),
		Birth: id.Birth.String(), Address: id.Address, IDNumber: id.IDNumber, IDNumberValid: id.IDNumberValid,
		Authority: id.Authority, ValidFrom: id.ValidFrom.String(), ValidTo: id.ValidTo.String(),
		EnglishName: id.EnglishName, Nationality: id.Nationality, PassNumber: id.PassNumber,
		CardVersion: id.CardVersion, AdditionalAddress: id.AdditionalAddress, FingerprintBytes: len(id.Fingerprint),
	}
	if id.LongTerm {
		j.ValidTo = "长期"
	}
	// The count is a field of these two layouts only (issues of a permit, renewals of a
	// 2023 foreigner card), so 0 is printed for them and nothing for the others.
	if id.CardType == identity.HKMacauTaiwan || id.CardType == identity.ForeignerPermanent2023 {
		n := id.IssueCount
		j.IssueCount = &n
	}
	return j
}

func printIdentity(w io.Writer, id *identity.Identity) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(toIdentityJSON(id))
}

func setupIDCardRead(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	port := fs.String("port", "", "serial port of the reader (required)")
	baud := fs.Int("baud", idcard.DefaultBaud, "line speed")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for a card")
	fingerprint := fs.Bool("fingerprint", false, "read fingerprint data too (its size is printed, never its bytes)")
	address := fs.Bool("address", true, "read the latest additional address too")
	record := addRecordFlag(fs)
	return func(ctx context.Context, e *env, args []string) (err error) {
		if *port == "" || len(args) > 0 {
			return usagef("--port is required and no arguments are taken")
		}
		if *timeout <= 0 {
			return usagef("--timeout must be positive")
		}
		rec, finish, err := record.start(e)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, finish()) }()
		p, err := recordOpener(rec, func(context.Context) (transport.Port, error) {
			return transport.OpenSerial(transport.SerialConfig{Path: *port, Baud: *baud})
		})(ctx)
		if err != nil {
			return err
		}
		defer p.Close()
		c := idcard.NewConn(p, *baud)
		defer c.Wipe()
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		if err := c.SAMStatus(ctx); err != nil {
			return noReaderAnswer(*port, fmt.Errorf("reader on %s: %w", *port, err))
		}
		fmt.Fprintf(e.stderr, "reader on %s ready: place a card\n", *port)
		for {
			err := c.FindCard(ctx)
			if err == nil {
				id, err := c.ReadIdentity(ctx, idcard.ReadOptions{Fingerprint: *fingerprint, AdditionalAddress: *address})
				if err == nil {
					defer id.Wipe()
					return printIdentity(e.stdout, id)
				}
				if !errors.Is(err, idcard.ErrCardFault) {
					return err
				}
				fmt.Fprintf(e.stderr, "%v: place the card again\n", err)
			} else if !errors.Is(err, idcard.ErrNoCard) {
				return noCardYet(ctx, *timeout, err)
			}
			select {
			case <-ctx.Done():
				return noCardYet(ctx, *timeout, ctx.Err())
			case <-time.After(300 * time.Millisecond):
			}
		}
	}
}

// noReaderAnswer adds, to an ID-card command that got no answer, what a technician
// checks next.
func noReaderAnswer(port string, err error) error {
	if !errors.Is(err, idcard.ErrNoResponse) && !transport.IsTimeout(err) {
		return err
	}
	return fmt.Errorf("%w; is it the ID-card reader? (kioskctl devices scan says what answers on each port; a reader may be set to another --baud)", err)
}

// noCardYet turns the end of the wait into a message that says so.
func noCardYet(ctx context.Context, timeout time.Duration, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("no card placed within %v", timeout)
	}
	return err
}

func setupIDCardDecode(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	return func(ctx context.Context, e *env, args []string) error {
		if len(args) != 1 {
			return usagef("one FILE is required")
		}
		raw, err := os.ReadFile(args[0])
		if err != nil {
			return err
		}
		frame, err := frameBytes(raw)
		if err != nil {
			return fmt.Errorf("%s: %w", args[0], err)
		}
		r, err := idcard.DecodeResponse(frame)
		if errors.Is(err, idcard.ErrIncomplete) {
			return fmt.Errorf("%s: no complete frame (truncated, or not a reader's answer)", args[0])
		}
		if err != nil {
			return fmt.Errorf("%s: %w", args[0], err)
		}
		if err := r.Err(idcard.OpReadText); err != nil {
			return fmt.Errorf("%s: %w", args[0], err)
		}
		id, err := idcard.ParseRead(r.Data)
		clear(r.Data)
		if err != nil {
			return fmt.Errorf("%s: %w", args[0], err)
		}
		defer id.Wipe()
		return printIdentity(e.stdout, id)
	}
}

// frameBytes reads a captured frame: raw bytes, or hex digits with any whitespace.
func frameBytes(raw []byte) ([]byte, error) {
	text := true
	for _, c := range raw {
		if !isHexDigit(c) && c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			text = false
			break
		}
	}
	if !text {
		return raw, nil
	}
	digits := strings.Join(strings.Fields(string(raw)), "")
	b, err := hex.DecodeString(digits)
	if err != nil {
		return nil, fmt.Errorf("hex text: %w", err)
	}
	return b, nil
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func setupIDCardProbe(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	port := fs.String("port", "", "serial port to probe (required)")
	baud := fs.Int("baud", idcard.DefaultBaud, "line speed")
	return func(ctx context.Context, e *env, args []string) error {
		if *port == "" || len(args) > 0 {
			return usagef("--port is required and no arguments are taken")
		}
		p, err := transport.OpenSerial(transport.SerialConfig{Path: *port, Baud: *baud})
		if err != nil {
			return err
		}
		defer p.Close()
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		desc, err := idcard.Probe(ctx, p)
		if err != nil {
			return noReaderAnswer(*port, err)
		}
		fmt.Fprintln(e.stdout, desc)
		return nil
	}
}

func setupSimIDCard(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	cards := fs.String("cards", "", "directory of synthetic card files (*.json); default: the sample cards built in")
	card := fs.String("card", "", "card to place on the reader at start (a file name without .json)")
	baud := fs.Int("baud", idcard.DefaultBaud, "line speed whose wire time the simulator plays")
	link := fs.String("link", "", "stable path to make to the simulator's terminal")
	control := fs.String("control", "-", "where commands come from, one a line (- is standard input): "+
		"place NAME, remove, unplug, replug, fault KIND|slow DURATION, cards, status")
	return func(ctx context.Context, e *env, args []string) error {
		if len(args) > 0 {
			return usagef("no arguments are taken")
		}
		set, err := idcard.SampleCards()
		if *cards != "" {
			set, err = idcard.LoadCards(os.DirFS(*cards), ".")
		}
		if err != nil {
			return err
		}
		sim, err := idcard.NewSimulator(idcard.SimConfig{Link: *link, Baud: *baud, Cards: set, Logger: e.log})
		if err != nil {
			return err
		}
		defer sim.Close()
		if *card != "" {
			if err := sim.Place(*card); err != nil {
				return usagef("--card: %v", err)
			}
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		served := make(chan error, 1)
		go func() { served <- sim.Serve(ctx) }()
		fmt.Fprintln(e.stdout, sim.Path())

		lines := make(chan string)
		go readControl(ctx, "idcard", *control, lines, e)
		for {
			select {
			case <-ctx.Done():
				return <-served
			case line, ok := <-lines:
				if !ok {
					lines = nil // commands ended: keep the reader plugged in until interrupted
					continue
				}
				if reply := simCommand(sim, line); reply != "" {
					fmt.Fprintln(e.stdout, reply)
				}
			}
		}
	}
}

// readControl sends the lines of a simulator's control input (a file or FIFO, or standard
// input for "-") to lines, and closes it at the end. sim names the simulator in errors.
func readControl(ctx context.Context, sim, path string, lines chan<- string, e *env) {
	defer close(lines)
	in := io.Reader(os.Stdin)
	if path != "-" {
		f, err := os.Open(path) // a FIFO opens once a writer does
		if err != nil {
			fmt.Fprintf(e.stderr, "kioskctl sim %s: control: %v\n", sim, oneLine(err))
			return
		}
		defer f.Close()
		in = f
	}
	sendLines(ctx, in, lines)
}

// sendLines sends the lines of in to lines until in or ctx ends.
func sendLines(ctx context.Context, in io.Reader, lines chan<- string) {
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		select {
		case lines <- sc.Text():
		case <-ctx.Done():
			return
		}
	}
}

// simCommand carries out one control line and returns the reply: "ok", "ok ..." or
// "error: ...". Blank lines and # comments get no reply.
func simCommand(sim *idcard.Simulator, line string) string {
	f := strings.Fields(line)
	if len(f) == 0 || strings.HasPrefix(f[0], "#") {
		return ""
	}
	reply := func(err error) string {
		if err != nil {
			return "error: " + oneLine(err)
		}
		return "ok"
	}
	switch {
	case f[0] == "place" && len(f) == 2:
		return reply(sim.Place(f[1]))
	case f[0] == "remove" && len(f) == 1:
		sim.Remove()
		return "ok"
	case f[0] == "unplug" && len(f) == 1:
		return reply(sim.Unplug())
	case f[0] == "replug" && len(f) == 1:
		return reply(sim.Replug())
	case f[0] == "fault" && len(f) == 3 && f[1] == "slow":
		d, err := time.ParseDuration(f[2])
		if err != nil || d < 0 {
			return "error: fault slow needs a duration, like 500ms"
		}
		sim.SetLatency(d)
		return "ok"
	case f[0] == "fault" && len(f) == 2:
		k, err := idcard.ParseFault(f[1])
		if err != nil {
			return reply(err)
		}
		sim.Inject(k)
		if k == idcard.FaultNone {
			sim.SetLatency(0)
		}
		return "ok"
	case f[0] == "cards" && len(f) == 1:
		return "ok " + strings.Join(sim.Cards(), " ")
	case f[0] == "status" && len(f) == 1:
		placed := sim.Placed()
		if placed == "" {
			placed = "-"
		}
		return fmt.Sprintf("ok card=%s fault=%s baud=%d", placed, sim.Fault(), sim.Baud())
	}
	return fmt.Sprintf("error: unknown command %q (place NAME, remove, unplug, replug, fault KIND, fault slow DURATION, cards, status; faults: %s)",
		line, strings.Join(idcard.FaultNames(), ", "))
}
