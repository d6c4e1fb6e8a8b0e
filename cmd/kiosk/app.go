package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/govkiosk/govkiosk/assets"
	"github.com/govkiosk/govkiosk/drivers/devices"
	"github.com/govkiosk/govkiosk/drivers/idcard"
	"github.com/govkiosk/govkiosk/drivers/ipp"
	"github.com/govkiosk/govkiosk/drivers/printer"
	"github.com/govkiosk/govkiosk/drivers/scanner/barcode"
	"github.com/govkiosk/govkiosk/drivers/scanner/escl"
	"github.com/govkiosk/govkiosk/kiosk/access"
	"github.com/govkiosk/govkiosk/kiosk/catalog"
	"github.com/govkiosk/govkiosk/kiosk/clock"
	"github.com/govkiosk/govkiosk/kiosk/config"
	"github.com/govkiosk/govkiosk/kiosk/form"
	"github.com/govkiosk/govkiosk/kiosk/receipt"
	"github.com/govkiosk/govkiosk/kiosk/session"
	"github.com/govkiosk/govkiosk/packaging/watchdog"
	"github.com/govkiosk/govkiosk/sync/client"
	"github.com/govkiosk/govkiosk/ui"
	"github.com/govkiosk/govkiosk/ui/fonts"
)

// demoPIN is the technician PIN of -simulate, printed at start: a demo has no secrets.
const demoPIN = "246813"

// run builds the kiosk from its configuration and runs it until ctx ends or the window is
// closed.
func run(ctx context.Context, o *options) error {
	fa := app.NewWithID("org.govkiosk.kiosk")
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	k, err := assemble(ctx, o, host{app: fa})
	if err != nil {
		return err
	}
	log, kiosk, w := k.log, k.ui, k.win
	w.Show()

	wd, err := watchdog.New(watchdog.FromEnv(watchdog.DefaultHeartbeatFile(k.dataDir)), log.With("part", "watchdog"))
	if err != nil {
		log.Warn("watchdog unavailable", "err", err)
	}
	if wd != nil {
		defer wd.Close()
		go wd.Run(ctx, fyne.Do)
	}

	var panel fyne.Window
	if k.sim != nil && o.windowed {
		panel = simPanel(fa, k.sim)
		panel.Show()
	}

	// Ready: the first frame is painted and the UI goroutine, back from painting it,
	// runs what it is handed. Both are measured from the process's start.
	go func() {
		select {
		case <-kiosk.FirstFrame():
		case <-ctx.Done():
			return
		}
		painted := time.Since(processStart)
		fyne.Do(func() {
			if panel != nil {
				if err := placeBeside(w, panel); err != nil {
					log.Info("simulated devices window left where the window manager put it", "err", err)
				}
			}
			log.Info("kiosk ready", "startup", time.Since(processStart).Round(time.Millisecond),
				"first_frame", painted.Round(time.Millisecond), "screen", kiosk.ScreenName(), "safe_mode", k.safeMode)
			if wd != nil {
				status := "idle"
				if k.safeMode {
					status = "safe mode"
				}
				_ = wd.Ready(status)
			}
			// Start-up read and parsed fonts, the catalog and the queue: hand what that
			// left behind back to the system now rather than over the next minutes.
			go debug.FreeOSMemory()
		})
	}()
	if o.memStats > 0 {
		go logMemory(ctx, log, o.memStats)
	}
	go func() {
		var quit <-chan time.Time
		if o.quitAfter > 0 {
			quit = time.After(o.quitAfter)
		}
		select {
		case <-ctx.Done():
		case <-quit:
		}
		fyne.Do(fa.Quit)
	}()
	w.SetCloseIntercept(func() { fa.Quit() })
	fa.Run()
	if wd != nil {
		_ = wd.Stopping()
	}
	k.close()
	return nil
}

// host is what the kiosk runs in: Fyne's application, its window, the way to the UI
// goroutine and where logs go. run passes the real ones; tests pass Fyne's test driver, a
// test window and a queue they drain themselves.
type host struct {
	app    fyne.App
	window fyne.Window  // nil: a full-screen window, or an ordinary one with -windowed
	do     func(func()) // nil: fyne.Do
	logOut io.Writer    // nil: standard error
}

// assembled is a built kiosk: its screens in a window, and what must stop with it.
type assembled struct {
	ui      *ui.App
	win     fyne.Window
	log     *slog.Logger
	sim     *simulation
	tech    *technician
	ops     *remoteOps
	dataDir string
	closers []func() // run last first by close
	// problems are the start-up failures that put the kiosk in safe mode.
	problems startupProblems
	safeMode bool
}

// close stops the screens, then everything started for them, newest first.
func (k *assembled) close() {
	if k.ui != nil {
		k.ui.Close()
	}
	k.stop()
}

// stop runs the closers, newest first.
func (k *assembled) stop() {
	for i := len(k.closers) - 1; i >= 0; i-- {
		k.closers[i]()
	}
	k.closers = nil
}

// assemble builds the kiosk from its configuration: fonts, simulation (with -simulate),
// device registry, outbox and sync client, technician services and screens, shown in the
// host's window. The window is not shown yet. On error, what was started is stopped.
func assemble(ctx context.Context, o *options, h host) (*assembled, error) {
	// Every failure below that still leaves a screen to draw becomes a start-up problem:
	// the kiosk comes up in safe mode on the technician screen and says, in words, what
	// broke and what to do, rather than exiting into a restart loop nobody can read.
	var problems startupProblems
	logOut := h.logOut
	if logOut == nil {
		logOut = os.Stderr
	}
	cfg, err := loadConfig(o)
	if err != nil {
		problems.add(stepConfig, err)
		cfg = config.Default()
	}
	log := newLogger(logOut, cfg.LogLevel)
	dataDir := o.dataDir
	switch {
	case dataDir != "":
	case o.simulate:
		if dataDir, err = defaultSimDataDir(); err != nil {
			return nil, err
		}
	default:
		dataDir = cfg.DataDir
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		problems.add(stepDataDir, fmt.Errorf("data directory: %w", err))
	}
	cfg.DataDir = dataDir
	if o.simulate && cfg.QueueKeyFile == "" {
		// The demo keeps everything under one directory, and says so explicitly.
		cfg.QueueKeyFile, cfg.AllowKeyInDataDir = filepath.Join(dataDir, "keys", "queue.key"), true
	}
	queueKey, keyFromCredentials := cfg.QueueKey(os.Getenv("CREDENTIALS_DIRECTORY"))
	// Another kiosk on this data directory owns its outbox, keys and the display: stop
	// and say so. A directory that cannot be locked at all is a start-up problem.
	release, err := lockDataDir(dataDir)
	var inUse *DataDirInUseError
	switch {
	case errors.As(err, &inUse):
		return nil, err
	case err != nil:
		problems.add(stepDataDir, err)
		release = func() {}
	}

	// Fonts first: without the CJK face the screens would show boxes to residents.
	faces, err := fonts.Load(fonts.DefaultPaths)
	if err != nil {
		problems.add(stepFonts, err)
	}

	ctx, cancel := context.WithCancel(ctx)
	k := &assembled{log: log, dataDir: dataDir, closers: []func(){release, cancel}}
	// The cleanup holds k itself, not the named result a "return nil, err" would clear.
	ok := false
	defer func() {
		if !ok {
			k.stop()
		}
	}()

	if o.simulate {
		if k.sim, err = startSimulation(ctx, o, cfg, dataDir, log); err != nil {
			return nil, err
		}
		k.closers = append(k.closers, func() { _ = k.sim.Close() })
		if cfg.Technician.PINHash == "" {
			if cfg.Technician.PINHash, err = access.HashPIN(demoPIN); err != nil {
				return nil, err
			}
		}
		sim := k.sim
		log.Info("simulated devices and local hub running",
			"hub_dashboard", sim.dashboard, "printed_receipts", sim.printed,
			"technician_pin", demoPIN, "technician_gesture", "tap the four corners clockwise from top-left")
		moved := ""
		if sim.moved != "" {
			moved = "\n                     (hub port " + sim.moved + ")"
		}
		fmt.Fprintf(logOut, "\n  hub dashboard:     %s%s\n  hub console:       %sconsole/  (account demo, secret %s)\n  printed receipts:  %s\n  technician:        tap the four corners clockwise from top-left, PIN %s\n\n",
			sim.dashboard, moved, sim.dashboard, sim.consoleSecret, sim.printed, demoPIN)
	}

	// The platform's configuration over the technician's file: what runs.
	platform := loadPlatformConfig(dataDir, log.With("part", "platform-config"))
	file := cfg
	cfg = platform.over(file)
	platform.started = slices.Clone(cfg.Devices)

	catalogs := catalog.NewStore(initialCatalog(dataDir, log), log.With("part", "catalog"))

	registry := newRegistry(log.With("part", "devices"))
	if err := registry.Load(cfg.Devices); err != nil {
		problems.add(stepDevices, fmt.Errorf("devices: %w", err))
	}
	if err := writeDevicesFile(dataDir, cfg.Devices); err != nil {
		log.Warn("cannot say in the data directory which devices the kiosk holds; kioskctl devices scan will not know them", "err", err)
	}
	regDone := make(chan struct{})
	go func() {
		defer close(regDone)
		if err := registry.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("device registry stopped", "err", err)
		}
	}()
	k.closers = append(k.closers, func() { cancel(); <-regDone })

	reader, _, _ := deviceOfKind[*idcard.Reader](registry, cfg, config.KindIDCard)
	prn, _, _ := deviceOfKind[*printer.Printer](registry, cfg, config.KindPrinter)
	bar, _, _ := deviceOfKind[*barcode.Reader](registry, cfg, config.KindBarcode)
	doc, _, _ := deviceOfKind[*escl.Device](registry, cfg, config.KindDocScanner)
	a4, _, _ := deviceOfKind[*ipp.Device](registry, cfg, config.KindA4Printer)
	cards := newCardSource(ctx, reader, "idcard", log)
	codes := newCodeSource(ctx, bar)
	sink := newPrinterSink(prn)
	scanner := newDocScanner(doc)

	clk := clock.New(clock.Options{})
	if !clk.WallPlausible() {
		log.Warn("wall clock implausible: no receipts until a hub gives its time; set the clock and check its battery",
			"wall", time.Now().UTC(), "floor", clock.Floor())
	}
	guide, speaker, stopVoice := startVoice(ctx, cfg.Access, o.audioOut, dataDir, log.With("part", "voice"))
	k.closers = append(k.closers, stopVoice)

	sy := &syncer{speaker: speaker,
		dataDir: dataDir, hubURL: cfg.Platform.URL, log: log, registry: registry, catalogs: catalogs, clock: clk,
		link: client.LinkOptions{CAFile: cfg.Platform.CAFile, Pin: cfg.Platform.HubCertPin,
			InsecureUnencrypted: cfg.Platform.InsecureUnencryptedLink},
		keyPath: queueKey, keyReadOnly: keyFromCredentials, platform: platform,
		state:     ui.NewValue(ui.SyncState{}),
		bulletins: ui.NewValue(ui.Bulletin{}),
	}
	// Software updates: the spool is in the data directory unless the file says where.
	sy.upd = newUpdater(cfg, sy.link, log.With("part", "update"))
	sy.upd.report = sy.reportNow
	sy.upd.start()
	k.closers = append(k.closers, sy.upd.stop)
	// The data directory may come from -data, past the configuration's own check.
	if err := cfg.CheckKeyPlacement(queueKey, dataDir); err != nil {
		problems.add(stepQueue, err)
	} else if err := sy.start(ctx); err != nil {
		problems.add(stepQueue, err)
	}
	k.closers = append(k.closers, sy.close)
	if safeModeRequested(dataDir) {
		problems.add(stepPlatform, errRemoteSafeMode)
	}
	safeMode := o.safeMode || len(problems) > 0
	problems.log(log)

	paper, err := printer.PaperFor(paperWidth(cfg))
	if err != nil {
		paper = printer.Paper80
	}
	guard := access.NewGuard(cfg.Technician.PINHash, loadAccessState(dataDir), time.Now)
	tech := &technician{
		log: log.With("part", "technician"), configPath: o.configPath, dataDir: dataDir, registry: registry,
		sync: sy, cards: cards, codes: codes, printer: sink, paper: paper, scanner: scanner, guard: guard, cfg: file,
		platform: platform,
	}

	fa := h.app
	w := h.window
	if w == nil {
		w = newWindow(fa, o.windowed)
	}
	w.SetTitle("govkiosk")

	lang := form.Lang(cfg.Session.Language)
	ime, closeIME := loadIME(ctx, log.With("part", "ime"))
	k.closers = append(k.closers, closeIME)
	deps := ui.Deps{
		IME:               ime,
		Log:               log.With("part", "ui"),
		Fonts:             faces,
		Translations:      nil,
		Catalog:           catalogs,
		Identity:          cards,
		QR:                newQRIdentifier(dataDir, log.With("part", "qrid")),
		Barcode:           codes,
		Scanner:           scanner,
		Printer:           sink,
		Submitter:         &submitter{s: sy, catalogs: catalogs},
		Certificates:      newCertificatePrinter(sy, a4, log.With("part", "certificates")),
		Licences:          licenceSource{sy},
		Appointments:      appointments{sy},
		Sync:              sy.state,
		Bulletins:         sy.bulletins,
		Access:            guard,
		Technician:        tech,
		VoiceInNormalMode: cfg.Access.VoiceNormalMode,
		Hall:              form.Text{Zh: cfg.Hall.NameZh, En: cfg.Hall.NameEn},
		Session: session.Options{
			// Eligibility by age counts from the visit's date by the trusted clock.
			Date:        clk,
			IdleTimeout: cfg.Session.IdleTimeout.Duration,
			WarningTime: cfg.Session.WarningTime.Duration,
			Lang:        lang,
			Elder:       cfg.Session.ElderMode,
		},
		PaperColumns: paperColumns(paper),
		Do:           h.do,
		MapPath:      o.uiMap,
		Windowed:     o.windowed,
		SafeMode:     safeMode,
		SafeReason:   problems.text(),
		// Exit 0: the kiosk session takes it as a clean stop, forgets the crashes that
		// led to safe mode and starts the kiosk again, normally.
		OnRestart: func() {
			if err := clearSafeModeRequest(dataDir); err != nil {
				log.Error("the platform's safe mode request could not be cleared", "err", err)
			}
			fa.Quit()
		},
	}
	if guide != nil {
		deps.Voice = guide
	}
	k.ui = ui.New(deps)
	do := h.do
	if do == nil {
		do = fyne.Do
	}
	kui := k.ui
	sy.setApply(tech.Config, func(c *config.Config) { do(func() { kui.ApplySettings(ui.SettingsOf(c)) }) })
	k.ops = &remoteOps{log: log.With("part", "remote"), dataDir: dataDir, configPath: o.configPath, ui: k.ui, win: w, do: do,
		quit: func() { fa.Quit() }}
	sy.setOps(k.ops)
	sy.upd.setScreens(do, kui)
	// The palette and the voice's defaults, with a platform push that came during start-up.
	k.ui.ApplySettings(ui.SettingsOf(platform.over(tech.Config())))
	k.ui.Show(w)
	k.win, k.tech = w, tech
	k.problems, k.safeMode = problems, safeMode
	ok = true
	return k, nil
}

// newWindow makes the kiosk's window: borderless and full screen, or an ordinary window
// for development.
func newWindow(a fyne.App, windowed bool) fyne.Window {
	if windowed {
		w := a.NewWindow("govkiosk")
		w.Resize(fyne.NewSize(1280, 800))
		return w
	}
	var w fyne.Window
	if d, ok := a.Driver().(desktop.Driver); ok {
		w = d.CreateSplashWindow() // no decorations a resident could drag or close
	} else {
		w = a.NewWindow("govkiosk")
	}
	w.SetFullScreen(true)
	w.SetPadded(false)
	return w
}

// loadConfig reads the configuration file, or takes the embedded default for -simulate.
func loadConfig(o *options) (*config.Config, error) {
	if o.configPath == "" {
		return config.Default(), nil
	}
	c, err := config.Load(o.configPath)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// initialCatalog is the last good catalog the hub pushed, or the embedded default.
func initialCatalog(dataDir string, log *slog.Logger) *catalog.Catalog {
	if b, err := os.ReadFile(filepath.Join(dataDir, catalogFile)); err == nil {
		if c, err := catalog.Parse(b); err == nil {
			return c
		}
		log.Warn("saved catalog unusable; using the embedded default")
	}
	c, err := catalog.Parse(assets.DefaultCatalog())
	if err != nil {
		panic("embedded catalog invalid: " + err.Error()) // caught by the assets test
	}
	return c
}

func paperWidth(cfg *config.Config) int {
	for _, d := range cfg.Devices {
		if d.Kind == config.KindPrinter && d.PaperWidthMM != 0 {
			return d.PaperWidthMM
		}
	}
	return 80
}

func paperColumns(p printer.Paper) int {
	if p == printer.Paper58 {
		return receipt.Cols58
	}
	return receipt.Cols80
}

var _ devices.Device = (*idcard.Reader)(nil)
