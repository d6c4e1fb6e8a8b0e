package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/govkiosk/govkiosk/assets"
	"github.com/govkiosk/govkiosk/drivers/idcard"
	"github.com/govkiosk/govkiosk/drivers/ipp"
	"github.com/govkiosk/govkiosk/drivers/printer/printersim"
	"github.com/govkiosk/govkiosk/drivers/scanner/barcode"
	"github.com/govkiosk/govkiosk/drivers/scanner/escl"
	"github.com/govkiosk/govkiosk/drivers/transport"
	"github.com/govkiosk/govkiosk/kiosk/catalog"
	"github.com/govkiosk/govkiosk/kiosk/config"
	"github.com/govkiosk/govkiosk/sync/client"
	"github.com/govkiosk/govkiosk/sync/hub"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

// simulation is the embedded default's world: every device played by its simulator on a
// pseudo-terminal (or loopback HTTP for eSCL), speaking its real protocol to the real
// drivers, and a reference hub on loopback.
type simulation struct {
	card    *idcard.Simulator
	cards   []string
	printer *printersim.Simulator
	codes   *barcode.Sim
	docs    *escl.Sim
	a4      *ipp.Sim
	// a4Printed holds the A4 printer's completed jobs as PDF files.
	a4Printed string

	hub       *hub.Hub
	hubURL    string
	dashboard string
	// consoleSecret signs the demo operator account "demo" in to the operations console
	// (dashboard + "console/"); made afresh at every start.
	consoleSecret string
	// moved says why the hub is not on the port asked for, when it is not.
	moved   string
	printed string

	cancel context.CancelFunc
	wg     sync.WaitGroup
	closes []func() error
}

// startSimulation starts the simulators and the hub, rewrites cfg's devices and platform
// to point at them, and enrolls the terminal with the hub the first time.
func startSimulation(ctx context.Context, o *options, cfg *config.Config, dataDir string, log *slog.Logger) (*simulation, error) {
	ctx, cancel := context.WithCancel(ctx)
	s := &simulation{cancel: cancel}
	ok := false
	defer func() {
		if !ok {
			s.Close()
		}
	}()
	devDir := filepath.Join(dataDir, "dev")
	if err := os.MkdirAll(devDir, 0o700); err != nil {
		return nil, err
	}

	cards, err := idcard.SampleCards()
	if err != nil {
		return nil, fmt.Errorf("sample cards: %w", err)
	}
	for name := range cards {
		s.cards = append(s.cards, name)
	}
	sort.Strings(s.cards)
	s.card, err = idcard.NewSimulator(idcard.SimConfig{Link: filepath.Join(devDir, "idcard"), Cards: cards, Logger: log.With("sim", "idcard")})
	if err != nil {
		return nil, fmt.Errorf("ID-card simulator: %w", err)
	}
	s.closes = append(s.closes, s.card.Close)
	s.goServe(func() error { return s.card.Serve(ctx) })

	s.printed = filepath.Join(dataDir, "printed")
	if err := os.MkdirAll(s.printed, 0o700); err != nil {
		return nil, err
	}
	s.printer = printersim.New(printersim.Config{Dots: 576, OutDir: s.printed, Log: log.With("sim", "printer")})
	pp, err := transport.OpenPTY(filepath.Join(devDir, "printer"))
	if err != nil {
		return nil, fmt.Errorf("printer simulator: %w", err)
	}
	s.closes = append(s.closes, pp.Close, s.printer.Close)
	s.goServe(func() error { return s.printer.ServePTY(ctx, pp) })

	s.codes, err = barcode.NewSim(barcode.SimConfig{Link: filepath.Join(devDir, "barcode"), Terminator: barcode.TermAny})
	if err != nil {
		return nil, fmt.Errorf("barcode simulator: %w", err)
	}
	s.closes = append(s.closes, s.codes.Close)

	s.docs = escl.NewSim(log.With("sim", "docscanner"))
	esclURL := make(chan string, 1)
	s.goServe(func() error { return s.docs.Serve(ctx, "127.0.0.1:0", func(u string) { esclURL <- u }) })
	var docURL string
	select {
	case docURL = <-esclURL:
	case <-time.After(5 * time.Second):
		return nil, errors.New("eSCL simulator did not start")
	}

	s.a4Printed = filepath.Join(s.printed, "a4")
	if err := os.MkdirAll(s.a4Printed, 0o700); err != nil {
		return nil, err
	}
	s.a4 = ipp.NewSim(ipp.SimConfig{OutDir: s.a4Printed, Log: log.With("sim", "a4printer")})
	a4URL := make(chan string, 1)
	s.goServe(func() error { return s.a4.Serve(ctx, "127.0.0.1:0", func(u string) { a4URL <- u }) })
	var a4Addr string
	select {
	case a4Addr = <-a4URL:
	case <-time.After(5 * time.Second):
		return nil, errors.New("A4 printer simulator did not start")
	}

	if err := s.startHub(ctx, o, dataDir, log); err != nil {
		return nil, err
	}

	for i := range cfg.Devices {
		d := &cfg.Devices[i]
		if d.Transport != config.TransportSim {
			continue
		}
		// From here on the kiosk reaches each simulator exactly as it would the real
		// device: over a serial line or eSCL over HTTP.
		switch d.Kind {
		case config.KindIDCard:
			d.Transport, d.Path, d.Baud = config.TransportSerial, s.card.Path(), 115200
		case config.KindPrinter:
			d.Transport, d.Path, d.Baud = config.TransportSerial, pp.Path(), 115200
		case config.KindBarcode:
			d.Transport, d.Path, d.Baud = config.TransportSerial, s.codes.Path(), 9600
		case config.KindDocScanner:
			d.Transport, d.Address = config.TransportESCL, docURL
		case config.KindA4Printer:
			d.Transport, d.Address = config.TransportIPP, a4Addr
		}
	}
	cfg.Platform.URL = s.hubURL
	if err := s.enroll(ctx, dataDir); err != nil {
		return nil, err
	}
	ok = true
	return s, nil
}

func (s *simulation) goServe(f func() error) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = f()
	}()
}

// simSlotPlaces is how many residents one half-day slot takes in the simulation.
const simSlotPlaces = 2

// startHub runs the reference hub on loopback with the default catalog and two notices.
func (s *simulation) startHub(ctx context.Context, o *options, dataDir string, log *slog.Logger) error {
	dir := o.hubData
	if dir == "" {
		dir = filepath.Join(dataDir, "hub")
	}
	// The sample cards' synthetic e-licences, as an operator would fill the directory.
	licDir := filepath.Join(dir, "licences")
	if err := os.MkdirAll(licDir, 0o700); err != nil {
		return fmt.Errorf("local hub: %w", err)
	}
	if err := copyFS(licDir, assets.Licences()); err != nil {
		return fmt.Errorf("local hub: licences: %w", err)
	}
	// The demo's operator account for the console, with a new secret each start (the
	// accounts file keeps only its hash).
	secret, err := hub.AddAccount(filepath.Join(dir, "operators.json"), "demo", hub.RoleAdmin, true)
	if err != nil {
		return fmt.Errorf("local hub: demo operator: %w", err)
	}
	s.consoleSecret = secret
	ln, err := net.Listen("tcp", o.hubListen)
	if err != nil {
		// Another kiosk or hub has the port: any free one will do for a demo, said out
		// loud so nobody looks for the dashboard at the usual address.
		taken := err
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		s.moved = fmt.Sprintf("%s is taken (%v); moved to %s", o.hubListen, taken, ln.Addr())
		log.Warn("simulated hub: port taken, using another", "wanted", o.hubListen, "err", taken, "listen", ln.Addr().String())
	}
	// Listening first, so the hub knows the address its certificates' QR codes point at.
	h, err := hub.New(hub.Options{Dir: dir, Logger: log.With("part", "hub"), OperatorToken: "simulate", LicenceDir: licDir,
		PublicURL: "http://" + ln.Addr().String(),
		// Few places, so a demo shows a slot filling up and a cancel freeing it.
		Appointments: &hub.Appointments{Default: 0, Items: map[string]int{"driving-renew": simSlotPlaces, "marriage-appt": simSlotPlaces}}})
	if err != nil {
		ln.Close()
		return fmt.Errorf("local hub: %w", err)
	}
	s.hub = h
	s.closes = append(s.closes, h.Close)
	s.hubURL = "ws://" + ln.Addr().String()
	s.dashboard = "http://" + ln.Addr().String() + "/"
	s.goServe(func() error {
		err := h.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	})
	c, err := catalog.Parse(assets.DefaultCatalog())
	if err != nil {
		return fmt.Errorf("default catalog: %w", err)
	}
	if _, err := h.SetCatalog(c.Version, assets.DefaultCatalog()); err != nil {
		return fmt.Errorf("publish catalog: %w", err)
	}
	now := time.Now()
	_, err = h.SetAnnouncements("sim-1", []protocol.Announcement{
		{ID: "welcome", Title: "欢迎使用自助服务终端", Body: "本终端为演示环境：设备均为模拟设备，数据仅保存在本机。", Level: "info", From: now},
		{ID: "hours", Title: "大厅办公时间调整公告", Body: "工作日 9:00–17:00 人工窗口办理；自助终端 24 小时开放。", Level: "notice", From: now},
	})
	return err
}

// enroll gives the terminal its identity at the local hub, once; a hub whose data was
// deleted since is a different hub, and the terminal enrolls again.
func (s *simulation) enroll(ctx context.Context, dataDir string) error {
	creds, err := client.LoadCredentials(dataDir)
	if err == nil && creds.HubID == s.hub.ID() && len(creds.IdentityKey) > 0 {
		return nil
	}
	// Enrolled with another hub, or before hubs handed out their identity-code key (the
	// demo then could not offer QR identification): enroll again.
	if err != nil && !errors.Is(err, client.ErrNotEnrolled) {
		return err
	}
	code, _, err := s.hub.CreateEnrollCode(10 * time.Minute)
	if err != nil {
		return err
	}
	creds, err = client.Enroll(ctx, s.hubURL, code)
	if err != nil {
		return fmt.Errorf("enroll with the local hub: %w", err)
	}
	return creds.Save(dataDir)
}

// Close stops the simulators and the hub.
func (s *simulation) Close() error {
	if s.cancel != nil {
		s.cancel()
	}
	var errs []error
	for i := len(s.closes) - 1; i >= 0; i-- {
		errs = append(errs, s.closes[i]())
	}
	s.wg.Wait()
	return errors.Join(errs...)
}

// copyFS writes every file of src into dir, replacing what is there.
func copyFS(dir string, src fs.FS) error {
	names, err := fs.Glob(src, "*")
	if err != nil {
		return err
	}
	for _, n := range names {
		b, err := fs.ReadFile(src, n)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o600); err != nil {
			return err
		}
	}
	return nil
}
