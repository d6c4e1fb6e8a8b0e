package idcard

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/drivers/transport"
)

func TestProbe(t *testing.T) {
	cases := []struct {
		fault FaultKind
		want  string
		errIs []error
	}{
		{fault: FaultNone, want: "SAM ok, id 05.01-20200101-000012345-000000001"},
		{fault: FaultSilence, errIs: []error{ErrNoResponse}},
		{fault: FaultGarbage, errIs: []error{ErrNoResponse, ErrNoise}},
		{fault: FaultChecksum, errIs: []error{ErrChecksum}},
		{fault: FaultLength, errIs: []error{ErrLength}},
		{fault: FaultSAM, errIs: []error{ErrSAMSelfTest, ErrSAMFault}},
		{fault: FaultSAMUnauthorised, errIs: []error{ErrSAMNotAuthorised, ErrSAMFault}},
	}
	for _, c := range cases {
		t.Run(c.fault.String(), func(t *testing.T) {
			sim := startSim(t, SimConfig{})
			sim.Inject(c.fault)
			got, err := Probe(testContext(t), openPort(t, sim))
			for _, want := range c.errIs {
				if !errors.Is(err, want) {
					t.Fatalf("got %v, want it to match %v", err, want)
				}
			}
			if c.errIs == nil && (err != nil || got != c.want) {
				t.Fatalf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

func TestConnCommands(t *testing.T) {
	sim := startSim(t, SimConfig{})
	c := openConn(t, sim)
	ctx := testContext(t)

	steps := []struct {
		name  string
		do    func() error
		errIs error
	}{
		{"reset", func() error { return c.ResetSAM(ctx) }, nil},
		{"status", func() error { return c.SAMStatus(ctx) }, nil},
		{"find without card", func() error { return c.FindCard(ctx) }, ErrNoCard},
		{"select without card", func() error { return c.SelectCard(ctx) }, ErrSelectFailed},
		{"place", func() error { return sim.Place("resident") }, nil},
		{"find", func() error { return c.FindCard(ctx) }, nil},
		{"read before select", func() error { _, err := c.ReadCard(ctx, false); return err }, ErrReadFailed},
		{"select", func() error { return c.SelectCard(ctx) }, nil},
		{"read", func() error {
			id, err := c.ReadCard(ctx, false)
			if err != nil {
				return err
			}
			want, _ := testCards(t)["resident"].Identity()
			want.Fingerprint = nil
			if !reflect.DeepEqual(id, want) {
				t.Error(diffIdentity(id, want))
			}
			return nil
		}, nil},
		{"additional address", func() error {
			a, err := c.ReadAdditionalAddress(ctx)
			if a != "测试省样例市虚构区新址路8号" {
				t.Error("additional address not as on the card")
			}
			return err
		}, nil},
		{"read card id", func() error {
			r, err := c.Do(ctx, OpReadCardID.Command())
			if len(r.Data) != 8 {
				t.Errorf("card id of %d bytes", len(r.Data))
			}
			return err
		}, nil},
		{"unknown command", func() error { _, err := c.Do(ctx, Command{Cmd: 0x7A, Para: 0x01}); return err }, ErrUnknownCommand},
		{"place card without additional address", func() error { return sim.Place("resident-longterm") }, nil},
		{"no additional address", func() error {
			a, err := c.ReadAdditionalAddress(ctx)
			if a != "" {
				t.Error("additional address where the card has none")
			}
			return err
		}, nil},
		{"identity with fingerprint", func() error {
			if err := sim.Place("resident"); err != nil {
				return err
			}
			if err := c.FindCard(ctx); err != nil {
				return err
			}
			id, err := c.ReadIdentity(ctx, ReadOptions{Fingerprint: true, AdditionalAddress: true})
			if err != nil {
				return err
			}
			if len(id.Fingerprint) != FingerprintLen || id.AdditionalAddress == "" {
				t.Errorf("fingerprint %d bytes, additional address set %v", len(id.Fingerprint), id.AdditionalAddress != "")
			}
			return nil
		}, nil},
	}
	for _, s := range steps {
		err := s.do()
		if s.errIs == nil && err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if s.errIs != nil && !errors.Is(err, s.errIs) {
			t.Fatalf("%s: got %v, want %v", s.name, err, s.errIs)
		}
	}
}

// The reader answers a damaged command with its own status codes.
func TestSimulatorRejectsDamagedCommands(t *testing.T) {
	sim := startSim(t, SimConfig{})
	p := openPort(t, sim)
	cases := []struct {
		name  string
		frame []byte
		want  Status
	}{
		{"bad checksum", []byte{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x11, 0xFF, 0x00}, StatusBadChecksum},
		{"bad length", []byte{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x02, 0x11, 0x13}, StatusBadLength},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := p.Write(c.frame); err != nil {
				t.Fatal(err)
			}
			var d Decoder
			buf := make([]byte, 64)
			deadline := time.Now().Add(2 * time.Second)
			if err := p.SetReadDeadline(deadline); err != nil {
				t.Fatal(err)
			}
			for {
				n, err := p.Read(buf)
				if err != nil {
					t.Fatal(err)
				}
				d.Feed(buf[:n])
				r, err := d.NextResponse()
				if errors.Is(err, ErrIncomplete) {
					continue
				}
				if err != nil || r.Status != c.want {
					t.Fatalf("got %v, %v; want status %v", r.Status, err, c.want)
				}
				if err := (Response{Status: r.Status}).Err(OpSAMStatus); !errors.Is(err, ErrRejected) {
					t.Fatalf("%v is not a rejection", err)
				}
				return
			}
		})
	}
}

func TestConnSetBaud(t *testing.T) {
	sim := startSim(t, SimConfig{})
	c := openConn(t, sim)
	ctx := testContext(t)
	before := c.Timeout(OpReadText)
	if err := c.SetBaud(ctx, 9600); err != nil {
		t.Fatal(err)
	}
	// The reader switches once its answer is out.
	for end := time.Now().Add(2 * time.Second); sim.Baud() != 9600; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("simulator at %d baud", sim.Baud())
		}
	}
	if after := c.Timeout(OpReadText); after-before != transport.WireTime(10+1295, 9600)-transport.WireTime(10+1295, 115200) {
		t.Fatalf("timeout %v → %v does not follow the wire time at 9600 baud", before, after)
	}
	if err := c.SetBaud(ctx, 4800); err == nil {
		t.Fatal("4800 baud accepted")
	}
}

// A slow reader within the allowance is fine; one beyond it times out, and its late
// answer is not taken for the next command's.
func TestConnSlowReader(t *testing.T) {
	sim := startSim(t, SimConfig{})
	c := openConn(t, sim)
	ctx := testContext(t)
	if err := sim.Place("resident"); err != nil {
		t.Fatal(err)
	}
	sim.SetLatency(testProcessing / 3)
	if err := c.FindCard(ctx); err != nil {
		t.Fatalf("slow but in time: %v", err)
	}
	sim.SetLatency(testProcessing * 3 / 2)
	if err := c.FindCard(ctx); !errors.Is(err, ErrNoResponse) || errors.Is(err, ErrNoise) {
		t.Fatalf("too slow: got %v, want ErrNoResponse", err)
	}
	sim.SetLatency(0)
	sim.Remove()
	// The late 9F answer to the find above arrives now; the next find must get its own
	// answer, 80.
	if err := c.FindCard(ctx); !errors.Is(err, ErrNoCard) {
		t.Fatalf("after a late answer: got %v, want ErrNoCard", err)
	}
}

func TestConnToleratesNoise(t *testing.T) {
	sim := startSim(t, SimConfig{})
	c := openConn(t, sim)
	ctx := testContext(t)
	if err := sim.Place("hkmt-permit"); err != nil {
		t.Fatal(err)
	}
	sim.Inject(FaultNoise)
	if err := c.FindCard(ctx); err != nil {
		t.Fatal(err)
	}
	id, err := c.ReadIdentity(ctx, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if id.PassNumber != "Z99000001" {
		t.Fatal("wrong card read through the noise")
	}
}

func TestConnCancel(t *testing.T) {
	sim := startSim(t, SimConfig{})
	c := openConn(t, sim)
	c.SetProcessing(time.Hour)
	sim.Inject(FaultSilence)
	ctx, cancel := context.WithCancel(testContext(t))
	errc := make(chan error, 1)
	go func() { errc <- c.SAMStatus(ctx) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("cancelling the context did not end the wait")
	}
}

func TestConnUnplugMidAnswer(t *testing.T) {
	sim := startSim(t, SimConfig{})
	c := openConn(t, sim)
	ctx := testContext(t)
	if err := sim.Place("resident"); err != nil {
		t.Fatal(err)
	}
	if err := c.FindCard(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.SelectCard(ctx); err != nil {
		t.Fatal(err)
	}
	sim.Inject(FaultUnplugMidRead)
	if _, err := c.ReadCard(ctx, false); !errors.Is(err, transport.ErrGone) {
		t.Fatalf("got %v, want transport.ErrGone", err)
	}
	if sim.Fault() != FaultNone {
		t.Fatal("unplug mid-read is meant to happen once")
	}
}

func TestAnswersFitTheirCommands(t *testing.T) {
	ok := func(n int) Response { return Response{Status: StatusOK, Data: make([]byte, n)} }
	cases := []struct {
		op   Op
		r    Response
		fits bool
	}{
		{OpFindCard, Response{Status: StatusCardFound, Data: make([]byte, 4)}, true},
		{OpFindCard, Response{Status: StatusNoCard}, true},
		{OpFindCard, ok(8), false}, // a select answer
		{OpSelectCard, ok(8), true},
		{OpSelectCard, Response{Status: StatusCardFound, Data: make([]byte, 4)}, false}, // a find answer
		{OpSelectCard, Response{Status: StatusSelectFailed}, true},
		{OpSAMStatus, ok(0), true},
		{OpSAMStatus, Response{Status: StatusNoCard}, false},
		{OpSAMStatus, ok(8), false},
		{OpSAMStatus, Response{Status: StatusSelfTest}, true},
		{OpSAMID, ok(SAMIDLen), true},
		{OpSAMID, ok(0), false},
		{OpReadText, ok(4 + TextLen + PhotoLen), true},
		{OpReadText, ok(8), false},
		{OpReadText, Response{Status: StatusReadFailed}, true},
		{OpReadFingerprint, ok(6 + TextLen + PhotoLen + 512), true},
		{OpReadAddress, ok(AddressLen), true},
		{OpReadAddress, Response{Status: StatusNoContent}, true},
		{OpReadAddress, ok(8), false},
		{OpSetBaud, ok(0), true},
		{OpResetSAM, Response{Status: StatusBadCommand}, true},
	}
	for _, c := range cases {
		if got := fits(c.op, c.r); got != c.fits {
			t.Errorf("%v answered %v with %d bytes: fits %v, want %v", c.op, c.r.Status, len(c.r.Data), got, c.fits)
		}
	}
}
