package printer_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/drivers/devices"
	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/drivers/printer"
	"github.com/govkiosk/govkiosk/drivers/printer/escpos"
	"github.com/govkiosk/govkiosk/drivers/printer/printersim"
	"github.com/govkiosk/govkiosk/drivers/transport"
	"github.com/govkiosk/govkiosk/drivers/transport/transporttest"
	"github.com/govkiosk/govkiosk/kiosk/identity"
	"github.com/govkiosk/govkiosk/kiosk/receipt"
)

// synthID is synthetic: region 990101 does not exist, the check digit is right.
const synthID = "990101199003071237"

func sampleDoc() *receipt.Document {
	return receipt.New().
		Title("居住证申领回执").
		Separator().
		Field("事项", "居住证申领（首次）").
		Field("申请人", identity.MaskedName("测试甲")).
		ID("证件号码", synthID).
		Field("受理时间", "2026-03-01 09:30").
		Field("办理地点", "测试市政务服务中心一楼综合窗口 A12 号").
		Separator().
		Tracking("查询码", "K7Q2-0042-8").
		QR("https://gov.example/track?c=K7Q2-0042-8", "扫码查询办理进度").
		Separator().
		Styled("请于5个工作日后凭本回执领取。", receipt.Style{Bold: true}).
		Footer("服务热线 12345 · 工作日 9:00-17:00").
		Feed(2).
		Cut(true)
}

// rig is a printer driver talking to a simulator over a real pseudo-terminal.
type rig struct {
	sim *printersim.Simulator
	pty *transport.PTY
	prn *printer.Printer
}

func newRig(t *testing.T, paper printer.Paper) *rig {
	t.Helper()
	pty, err := transport.OpenPTY(filepath.Join(t.TempDir(), "printer"))
	if err != nil {
		t.Fatal(err)
	}
	sim := printersim.New(printersim.Config{Dots: paper.Dots})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = sim.ServePTY(ctx, pty)
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		sim.Close()
	})
	prn, err := printer.New(printer.Config{
		Open:         printer.SerialOpener(pty.Path(), 115200),
		Paper:        paper,
		ReplyTimeout: 3 * time.Second, // generous: CI machines are busy
		PollInterval: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prn.Close() })
	return &rig{sim: sim, pty: pty, prn: prn}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestPrintOverPTY(t *testing.T) {
	for _, paper := range []printer.Paper{printer.Paper58, printer.Paper80} {
		t.Run(paper.String(), func(t *testing.T) {
			r := newRig(t, paper)
			ctx := ctxT(t)
			if err := r.prn.Print(ctx, sampleDoc()); err != nil {
				t.Fatal(err)
			}
			got, err := r.sim.WaitReceipts(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			// What came out is what the layout planned, line for line.
			want := plannedLines(sampleDoc(), paper)
			var printed []string
			for _, l := range got[0].Lines {
				if k := lineKey(l); k != "" {
					printed = append(printed, k)
				}
			}
			if strings.Join(printed, "\n") != strings.Join(want, "\n") {
				t.Errorf("printed:\n%s\nplanned:\n%s", strings.Join(printed, "\n"), strings.Join(want, "\n"))
			}
			if got[0].Cut != "partial" {
				t.Errorf("cut %q", got[0].Cut)
			}
			if p := r.sim.Problems(); len(p) > 0 {
				t.Errorf("simulator problems: %v", p)
			}
			h := r.prn.Health()
			if h.State != health.Online || h.Details["paper"] != "ok" || h.Details["cover"] != "closed" {
				t.Errorf("health %+v", h)
			}
		})
	}
}

// plannedLines is the document's layout in the form lineKey gives printed lines; empty
// lines (feeds, the quiet zone around a QR code) are left out of both.
func plannedLines(doc *receipt.Document, paper printer.Paper) []string {
	var out []string
	for _, l := range doc.Layout(paper.Cols) {
		switch l.Kind() {
		case "text":
			if l.Text != "" {
				out = append(out, l.Text)
			}
		case "qr":
			out = append(out, "[QR "+l.QR+"]")
		}
	}
	return out
}

func lineKey(l escpos.Line) string {
	switch {
	case l.QR != nil:
		return "[QR " + string(l.QR.Data) + "]"
	case l.Image != nil:
		return "[image]"
	}
	return l.Text()
}

func TestPrintRefusedWhenPaperOutOrCoverOpen(t *testing.T) {
	for _, c := range []struct {
		name    string
		set     func(*printersim.Simulator)
		check   func(*printer.StatusError) bool
		reason  string
		details map[string]string
	}{
		{"paper out", func(s *printersim.Simulator) { s.SetPaper(printersim.PaperOut) },
			func(e *printer.StatusError) bool { return e.PaperOut && !e.CoverOpen },
			"paper out", map[string]string{"paper": "out", "cover": "closed"}},
		{"cover open", func(s *printersim.Simulator) { s.SetCover(true) },
			func(e *printer.StatusError) bool { return e.CoverOpen && !e.PaperOut },
			"cover open", map[string]string{"paper": "ok", "cover": "open"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, printer.Paper58)
			c.set(r.sim)
			err := r.prn.Print(ctxT(t), sampleDoc())
			var se *printer.StatusError
			if !errors.As(err, &se) || !c.check(se) {
				t.Fatalf("Print = %v, want a StatusError for %s", err, c.name)
			}
			if errors.Is(err, printer.ErrInterrupted) {
				t.Error("a refused job is not an interrupted one")
			}
			time.Sleep(100 * time.Millisecond) // anything sent would have arrived
			if n := len(r.sim.Receipts()) + len(r.sim.Pending()) + r.sim.Dropped(); n != 0 {
				t.Fatalf("the job was sent although refused (%d lines)", n)
			}
			h := r.prn.Health()
			if h.State != health.UserError || h.Reason != c.reason {
				t.Errorf("health %s %q, want user_error %q", h.State, h.Reason, c.reason)
			}
			for k, v := range c.details {
				if h.Details[k] != v {
					t.Errorf("details[%s] = %q, want %q", k, h.Details[k], v)
				}
			}
		})
	}
}

func TestPaperRunsOutMidJob(t *testing.T) {
	r := newRig(t, printer.Paper58)
	r.sim.SetPaperLeft(150) // about five lines
	ctx := ctxT(t)
	err := r.prn.Print(ctx, sampleDoc())
	var se *printer.StatusError
	if !errors.Is(err, printer.ErrInterrupted) || !errors.As(err, &se) || !se.PaperOut {
		t.Fatalf("Print = %v, want ErrInterrupted with paper out", err)
	}
	if len(r.sim.Pending()) == 0 || r.sim.Dropped() == 0 || len(r.sim.Receipts()) != 0 {
		t.Fatalf("pending %d dropped %d receipts %d: want part printed, rest dropped",
			len(r.sim.Pending()), r.sim.Dropped(), len(r.sim.Receipts()))
	}
	if h := r.prn.Health(); h.State != health.UserError || h.Details["paper"] != "out" {
		t.Errorf("health %+v", h)
	}
	// A new roll: the torn-off half is handed out, the next job prints whole.
	r.sim.SetPaper(printersim.PaperOK)
	if err := r.prn.Print(ctx, sampleDoc()); err != nil {
		t.Fatal(err)
	}
	got, err := r.sim.WaitReceipts(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Cut != "" || got[1].Cut != "partial" || len(got[1].Lines) <= len(got[0].Lines) {
		t.Errorf("receipts: torn %q (%d lines), then %q (%d lines)", got[0].Cut, len(got[0].Lines), got[1].Cut, len(got[1].Lines))
	}
}

func TestNearEndPrintsAndSaysSo(t *testing.T) {
	r := newRig(t, printer.Paper80)
	r.sim.SetPaper(printersim.PaperNearEnd)
	if err := r.prn.Print(ctxT(t), sampleDoc()); err != nil {
		t.Fatal(err)
	}
	h := r.prn.Health()
	if h.State != health.Online || h.Reason != "paper near end" || h.Details["paper"] != "near_end" {
		t.Errorf("health %+v", h)
	}
}

func TestCutterErrorIsHardware(t *testing.T) {
	r := newRig(t, printer.Paper80)
	r.sim.SetCutterError(true)
	err := r.prn.Print(ctxT(t), sampleDoc())
	var se *printer.StatusError
	if !errors.As(err, &se) || !se.CutterError || !se.Hardware() {
		t.Fatalf("Print = %v", err)
	}
	if h := r.prn.Health(); h.State != health.HardwareError || h.Reason != "cutter error" {
		t.Errorf("health %+v", h)
	}
}

func TestUnplugAndReconnect(t *testing.T) {
	r := newRig(t, printer.Paper58)
	ctx := ctxT(t)
	states, stop := r.prn.Subscribe()
	defer stop()
	runCtx, cancelRun := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.prn.Run(runCtx) }()
	t.Cleanup(func() {
		cancelRun()
		<-done
	})
	waitState(t, states, health.Online)
	if err := r.pty.Unplug(); err != nil {
		t.Fatal(err)
	}
	waitState(t, states, health.Offline)
	if err := r.prn.Print(ctx, sampleDoc()); !errors.Is(err, printer.ErrOffline) {
		t.Fatalf("Print while unplugged = %v, want ErrOffline", err)
	}
	if err := r.pty.Replug(); err != nil {
		t.Fatal(err)
	}
	waitState(t, states, health.Online)
	if err := r.prn.Print(ctx, sampleDoc()); err != nil {
		t.Fatalf("Print after replug: %v", err)
	}
	if _, err := r.sim.WaitReceipts(ctx, 1); err != nil {
		t.Fatal(err)
	}
}

func waitState(t *testing.T, ch <-chan health.Status, want health.State) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case s := <-ch:
			if s.State == want {
				return
			}
		case <-timeout:
			t.Fatalf("health never became %s", want)
		}
	}
}

func TestGarbageOnTheLine(t *testing.T) {
	r := newRig(t, printer.Paper58)
	ctx := ctxT(t)
	if _, err := r.prn.Status(ctx); err != nil { // opens the port
		t.Fatal(err)
	}
	// Noise and a stale answer that says "paper out" sit on the line before the
	// driver asks: it must not believe them.
	if _, err := r.pty.Write([]byte{0xaa, 0x00, 0xff, 0x7e, 0x32, 0x1a, 0x55}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // let it arrive before the question
	st, err := r.prn.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Err() != nil || st.PaperOut {
		t.Fatalf("status %v after noise, want ok", st)
	}
	// A stale answer alone is a valid status byte: only the extra byte after the four
	// answers gives it away.
	for range 3 {
		if _, err := r.pty.Write([]byte{0x1a}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
		st, err := r.prn.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Offline || st.Err() != nil {
			t.Fatalf("status %v after a stale answer, want ok", st)
		}
	}
	if _, err := r.pty.Write([]byte{0xde, 0xad, 0xbe, 0xef}); err != nil {
		t.Fatal(err)
	}
	if err := r.prn.Print(ctx, sampleDoc()); err != nil {
		t.Fatal(err)
	}
	if _, err := r.sim.WaitReceipts(ctx, 1); err != nil {
		t.Fatal(err)
	}
}

// A raster image whose bytes hold DLE EOT n makes the printer answer in the middle of
// the job; the driver must not mistake those answers for the end of the job or for a
// fault.
func TestStatusBytesInsideImageData(t *testing.T) {
	r := newRig(t, printer.Paper58)
	ctx := ctxT(t)
	var e escpos.Encoder
	e.Init()
	data := []byte{0x10, 0x04, 0x02, 0x10, 0x04, 0x04, 0xff, 0x00}
	if err := e.Raster(&escpos.Bitmap{WidthBytes: 2, Height: 4, Data: data}); err != nil {
		t.Fatal(err)
	}
	e.Cut(false, 0)
	if err := r.prn.PrintRaw(ctx, e.Bytes()); err != nil {
		t.Fatal(err)
	}
	st, err := r.prn.Status(ctx)
	if err != nil || st.Err() != nil {
		t.Fatalf("status after the job: %v %v", st, err)
	}
	got, err := r.sim.WaitReceipts(ctx, 1)
	if err != nil || got[0].Lines[0].Image == nil {
		t.Fatalf("receipts %+v %v", got, err)
	}
}

func TestPrintOverTCP(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sim := printersim.New(printersim.Config{Dots: 576})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = sim.ServeTCP(ctx, l)
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	open, err := printer.ParsePort("tcp://"+l.Addr().String(), 0)
	if err != nil {
		t.Fatal(err)
	}
	prn, err := printer.New(printer.Config{Open: open, ReplyTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prn.Close() })
	tctx := ctxT(t)
	if err := prn.Print(tctx, sampleDoc()); err != nil {
		t.Fatal(err)
	}
	got, err := sim.WaitReceipts(tctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got[0].Text(false), "K7Q2-0042-8") {
		t.Errorf("receipt:\n%s", got[0].Text(false))
	}
}

func TestProbe(t *testing.T) {
	r := newRig(t, printer.Paper58)
	ctx := ctxT(t)
	port, err := transport.OpenSerial(transport.SerialConfig{Path: r.pty.Path()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { port.Close() })
	for _, c := range []struct {
		set  func()
		want string
	}{
		{func() {}, "ESC/POS printer, online"},
		{func() { r.sim.SetPaper(printersim.PaperOut) }, "ESC/POS printer, offline (paper out)"},
		{func() { r.sim.SetPaper(printersim.PaperOK); r.sim.SetCover(true) }, "ESC/POS printer, offline (cover open)"},
	} {
		c.set()
		got, err := printer.Probe(ctx, port)
		if err != nil || got != c.want {
			t.Errorf("Probe = %q, %v; want %q", got, err, c.want)
		}
	}
}

func TestProbeOtherDevices(t *testing.T) {
	pty, err := transport.OpenPTY("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pty.Close() })
	port, err := transport.OpenSerial(transport.SerialConfig{Path: pty.Path()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { port.Close() })
	ctx := ctxT(t)
	// Nothing answers.
	if _, err := printer.Probe(ctx, port); !transport.IsTimeout(err) {
		t.Errorf("silent device: %v, want a timeout", err)
	}
	// Something answers, but not as a printer: an ID-card reader's frame header.
	go func() {
		buf := make([]byte, 3)
		if _, err := pty.Read(buf); err == nil {
			pty.Write([]byte{0xaa, 0xaa, 0xaa, 0x96, 0x69})
		}
	}()
	if _, err := printer.Probe(ctx, port); !errors.Is(err, printer.ErrNotESCPOS) {
		t.Errorf("other device: %v, want ErrNotESCPOS", err)
	}
}

// The device registry drives a printer like any other device.
var _ devices.Device = (*printer.Printer)(nil)

// Status exchanges recorded with `kioskctl printer status --record` play back through the
// driver: it must ask exactly what was recorded (DLE EOT 1 to 4 and a quiet-line check),
// use up the recording, and make the same status and health of the answers.
func TestRecordedStatus(t *testing.T) {
	tests := []struct {
		file   string
		check  func(escpos.Status) bool
		health health.State
		paper  string
	}{
		{"status-near-end.rec", func(s escpos.Status) bool {
			return s.PaperNearEnd && !s.PaperOut && !s.CoverOpen && !s.Offline
		}, health.Online, "near_end"},
		{"status-out-cover-open.rec", func(s escpos.Status) bool {
			return s.PaperOut && s.CoverOpen && s.Offline
		}, health.UserError, "out"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			rec := transporttest.Load(t, filepath.Join("testdata", "recorded", tt.file))
			prn, err := printer.New(printer.Config{Open: transporttest.Opener(t, tt.file, rec),
				Paper: printer.Paper80, ReplyTimeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			st, err := prn.Status(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(st) {
				t.Errorf("status %+v", st)
			}
			if h := prn.Health(); h.State != tt.health || h.Details["paper"] != tt.paper {
				t.Errorf("health %s, paper %q; want %s, %q", h.State, h.Details["paper"], tt.health, tt.paper)
			}
			if err := prn.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
