// Command kiosk is the govkiosk self-service terminal: a full-screen Fyne application that
// reads ID cards, fills forms, scans materials, prints receipts and queues every submission
// durably for the central platform.
//
// It wires the pieces and owns nothing of their logic: devices come from drivers/ through
// the device registry, the resident's session from kiosk/, storage and delivery from sync/,
// the screens from ui/. With -simulate it runs the embedded default: simulated devices on
// pseudo-terminals, a local hub on loopback and a data directory under the user's cache
// directory, so a newcomer can walk through a whole service on any machine.
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
	"path/filepath"
	"syscall"
	"time"

	// Before the UI toolkit reads the locale in its package init (see the package).
	"github.com/govkiosk/govkiosk/internal/posixlocale"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// options are the command-line flags.
type options struct {
	configPath string
	simulate   bool
	dataDir    string
	windowed   bool
	safeMode   bool
	hubListen  string
	hubData    string
	uiMap      string
	quitAfter  time.Duration
	memStats   time.Duration
	audioOut   string
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("kiosk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.configPath, "config", "", "configuration file (TOML); see kiosk/config/example.toml")
	fs.BoolVar(&o.simulate, "simulate", false, "run on simulated devices and a local hub (the embedded default)")
	fs.StringVar(&o.dataDir, "data", "", "data directory (overrides the configuration's data_dir; -simulate defaults to the user cache directory)")
	fs.BoolVar(&o.windowed, "windowed", false, "run in a window instead of full screen (development)")
	fs.BoolVar(&o.safeMode, "safe-mode", false, "start on the technician screen (used after repeated crashes)")
	fs.StringVar(&o.hubListen, "hub-listen", "127.0.0.1:8470", "with -simulate: where the local hub listens")
	fs.StringVar(&o.hubData, "hub-data", "", "with -simulate: the local hub's data directory (default DATA/hub)")
	fs.StringVar(&o.uiMap, "ui-map", "", "write the automation map of tappable elements to this file (see package ui)")
	fs.DurationVar(&o.quitAfter, "quit-after", 0, "quit after this long (measurements and tests)")
	fs.DurationVar(&o.memStats, "mem-stats", 0, "log the Go heap after a forced collection this often (measurements)")
	fs.StringVar(&o.audioOut, "audio-out", "", "where speech goes: auto, alsa, null or file:DIR (overrides the configuration's accessibility.audio_output)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: kiosk [-config FILE | -simulate] [flags]\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if *showVersion {
		fmt.Fprintln(os.Stdout, "govkiosk kiosk", version)
		os.Exit(0)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.configPath == "" && !o.simulate {
		if _, err := os.Stat(defaultConfigPath); err == nil {
			o.configPath = defaultConfigPath
		} else {
			return nil, fmt.Errorf("no configuration: give -config FILE, or -simulate for simulated devices (no %s)", defaultConfigPath)
		}
	}
	return o, nil
}

// defaultConfigPath is where the package installs the configuration.
const defaultConfigPath = "/etc/govkiosk/kiosk.toml"

func main() {
	posixlocale.Restore()
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "kiosk:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "kiosk:", err)
		os.Exit(1)
	}
}

// defaultSimDataDir is the data directory of -simulate: the user's cache directory, so a
// demo never writes where a real terminal keeps residents' data.
func defaultSimDataDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory for -simulate data (set -data): %w", err)
	}
	return filepath.Join(dir, "govkiosk"), nil
}

// newLogger logs text to out (standard error: the journal, under systemd) at the given
// level.
// Nothing logged anywhere in the kiosk carries personal data; the level only sets detail.
func newLogger(out io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: l}))
}
