// Command kioskctl is the technician's tool: find, probe, test and configure the kiosk's
// devices, run device simulators, inspect the offline queue.
//
// Every subcommand is "kioskctl GROUP VERB [flags] [args]" and answers --help. Errors go
// to standard error as one line and exit with status 1; usage errors exit with status 2.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// command is one "GROUP VERB" subcommand. Each group registers its commands from its own
// file with register, so groups stay independent of each other.
type command struct {
	// name is "group verb", e.g. "idcard read".
	name    string
	summary string
	// usage is the argument synopsis after the name, e.g. "[--port P] FILE".
	usage string
	// flags declares the command's flags on fs and returns the function that runs it
	// with the remaining arguments.
	setup func(fs *flag.FlagSet) func(ctx context.Context, env *env, args []string) error
}

// env is what every command gets: its output streams and a logger.
type env struct {
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
}

var commands []command

func register(c command) { commands = append(commands, c) }

// errUsage marks an error in how the command was called (exit status 2).
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{stdout: os.Stdout, stderr: os.Stderr,
		log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	os.Exit(run(ctx, e, os.Args[1:]))
}

// run dispatches args to a command and returns the exit status.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printHelp(e.stdout, "")
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	var match *command
	for i := range commands {
		parts := strings.Fields(commands[i].name)
		if len(args) >= len(parts) && equalWords(args[:len(parts)], parts) {
			match = &commands[i]
			args = args[len(parts):]
			break
		}
	}
	if match == nil {
		if groupKnown(args[0]) {
			// A mistyped verb: say so before listing the group's verbs.
			fmt.Fprintf(e.stderr, "kioskctl: unknown command %q; the %s commands are:\n\n", strings.Join(args, " "), args[0])
			printHelp(e.stderr, args[0])
		} else {
			fmt.Fprintf(e.stderr, "kioskctl: unknown command %q (try kioskctl --help)\n", strings.Join(args, " "))
		}
		return 2
	}
	fs := flag.NewFlagSet("kioskctl "+match.name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	runFn := match.setup(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: kioskctl %s %s\n\n%s\n", match.name, match.usage, match.summary)
		if hasFlags(fs) {
			fmt.Fprintln(fs.Output(), "\nflags:")
			fs.PrintDefaults()
		}
	}
	if wantsHelp(args) {
		// Asked-for help goes to standard output, once; flag would print it to stderr.
		fs.SetOutput(e.stdout)
		fs.Usage()
		return 0
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := runFn(ctx, e, fs.Args()); err != nil {
		fmt.Fprintf(e.stderr, "kioskctl %s: %s\n", match.name, oneLine(err))
		if errors.Is(err, errUsage) {
			return 2
		}
		return 1
	}
	return 0
}

// wantsHelp reports whether the flags (before any "--") ask for help.
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

func equalWords(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func groupKnown(g string) bool {
	for _, c := range commands {
		if strings.HasPrefix(c.name, g+" ") {
			return true
		}
	}
	return false
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

func printHelp(w io.Writer, group string) {
	fmt.Fprintln(w, "usage: kioskctl GROUP VERB [flags] [args]   (each command answers --help)")
	fmt.Fprintln(w)
	sorted := append([]command(nil), commands...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	for _, c := range sorted {
		if group != "" && !strings.HasPrefix(c.name, group+" ") {
			continue
		}
		fmt.Fprintf(w, "  %-22s %s\n", c.name, c.summary)
	}
}

// oneLine flattens an error (errors.Join puts newlines between parts) for the one-line
// error message technicians and scripts read.
func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
}

// usagef returns an errUsage error with a message.
func usagef(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUsage}, a...)...)
}
