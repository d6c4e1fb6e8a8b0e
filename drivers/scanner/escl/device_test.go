package escl

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/kiosk/config"
)

func TestDeviceHealthFollowsTheScanner(t *testing.T) {
	sim := NewSim(nil)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL, ClientOptions{RequestTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	d := NewDevice("docscanner", c, 20*time.Millisecond, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	wait := func(want health.State) health.Status {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if st := d.Health(); st.State == want {
				return st
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatalf("state %s not reached: %+v", want, d.Health())
		return health.Status{}
	}
	if st := wait(health.Online); st.Details["feeder"] != "empty" || st.Kind != health.DocScanner {
		t.Fatalf("online status %+v", st)
	}
	// Busy while scanning.
	sub, stop := d.Subscribe()
	defer stop()
	sim.SetSlow(100 * time.Millisecond)
	if _, err := d.Scan(context.Background(), Settings{DPI: 200, Region: small}); err != nil {
		t.Fatal(err)
	}
	sawBusy := false
	for len(sub) > 0 {
		if st := <-sub; st.State == health.Busy {
			sawBusy = true
		}
	}
	if !sawBusy {
		t.Fatal("never busy during a scan")
	}
	wait(health.Online)
	// A jam needs a person.
	sim.LoadFeeder(1)
	sim.Jam()
	if st := wait(health.UserError); st.Reason != "paper jam in the document feeder" || st.Details["feeder"] != "jam" {
		t.Fatalf("jam status %+v", st)
	}
	if _, err := d.Scan(context.Background(), Settings{Source: Feeder, DPI: 200, Region: small}); !errors.Is(err, ErrJammed) {
		t.Fatalf("scan on a jammed feeder: %v", err)
	}
	sim.LoadFeeder(0)
	wait(health.Online)
	// Gone from the network.
	srv.Close()
	wait(health.Offline)
}

func TestStatusHealth(t *testing.T) {
	cases := []struct {
		st     Status
		want   health.State
		feeder string
	}{
		{Status{State: StateIdle, AdfState: AdfLoaded}, health.Online, "loaded"},
		{Status{State: StateIdle}, health.Online, ""},
		{Status{State: StateProcessing}, health.Busy, ""},
		{Status{State: StateIdle, AdfState: AdfEmpty}, health.Online, "empty"},
		{Status{State: StateIdle, AdfState: AdfMispick}, health.UserError, "mispick"},
		{Status{State: StateIdle, AdfState: AdfHatchOpen}, health.UserError, "hatchopen"},
		{Status{State: StateDown}, health.HardwareError, ""},
	}
	for _, c := range cases {
		got, _, details := StatusHealth(&c.st)
		if got != c.want || details["feeder"] != c.feeder {
			t.Errorf("%+v → %s %v, want %s feeder=%q", c.st, got, details, c.want, c.feeder)
		}
	}
}

func TestOpenFromConfig(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	d, err := Open(config.Device{Name: "doc", Kind: config.KindDocScanner, Transport: config.TransportESCL,
		Address: "http://localhost:60000"}, log)
	if err != nil || d.Name() != "doc" || d.c.URL() != "http://localhost:60000/eSCL" || d.poller.Interval() != 5*time.Second {
		t.Fatalf("%+v, %v", d, err)
	}
	for _, c := range []config.Device{
		{Name: "doc", Transport: config.TransportUSB, USB: "04b8:0001"},
		{Name: "doc", Transport: config.TransportESCL, Address: "localhost"},
	} {
		if _, err := Open(c, log); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
