package escl

import (
	"bytes"
	"context"
	"errors"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// startSim serves a simulator on loopback for the test.
func startSim(t *testing.T) (*Sim, *Client) {
	t.Helper()
	sim := NewSim(nil)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL, ClientOptions{BusyWait: 10 * time.Millisecond, MaxBusyWait: 20 * time.Millisecond, BusyRetries: 3})
	if err != nil {
		t.Fatal(err)
	}
	return sim, c
}

// small is a region that keeps generated pages small where their size is not the point.
var small = Region{Width: 600, Height: 800}

func TestNewClientURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://localhost:60000":        "http://localhost:60000/eSCL",
		"http://localhost:60000/":       "http://localhost:60000/eSCL",
		"http://192.0.2.7/eSCL":         "http://192.0.2.7/eSCL",
		"https://scanner.example/eSCL/": "https://scanner.example/eSCL",
	} {
		c, err := NewClient(in, ClientOptions{})
		if err != nil || c.URL() != want {
			t.Errorf("NewClient(%q).URL() = %v, %v; want %s", in, c, err, want)
		}
	}
	for _, bad := range []string{"", "ftp://x/eSCL", "localhost:60000", "http:///eSCL"} {
		if _, err := NewClient(bad, ClientOptions{}); err == nil {
			t.Errorf("NewClient(%q) accepted", bad)
		}
	}
}

func TestCapabilitiesAndStatusFromSim(t *testing.T) {
	sim, c := startSim(t)
	ctx := context.Background()
	caps, err := c.Capabilities(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if caps.Platen == nil || caps.Feeder == nil || caps.FeederCapacity != 50 {
		t.Fatalf("caps %+v", caps)
	}
	if err := caps.Platen.Supports(Settings{DPI: 200, Format: FormatPDF}); err != nil {
		t.Fatal(err)
	}
	st, err := c.Status(ctx)
	if err != nil || st.State != StateIdle || st.AdfState != AdfEmpty {
		t.Fatalf("status %+v, %v", st, err)
	}
	sim.LoadFeeder(3)
	if st, _ := c.Status(ctx); st.AdfState != AdfLoaded {
		t.Fatalf("after loading: %+v", st)
	}
}

func TestScanPlatenJPEG(t *testing.T) {
	sim, c := startSim(t)
	pages, err := c.Scan(context.Background(), Settings{DPI: 200})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 1 || pages[0].ContentType != FormatJPEG || pages[0].DPI != 200 {
		t.Fatalf("pages %d %+v", len(pages), pages[0].ContentType)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(pages[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != 1653 || cfg.Height != 2338 {
		t.Fatalf("A4 at 200 dpi came as %d×%d", cfg.Width, cfg.Height)
	}
	// A mostly white A4 page at 200 dpi is 100–400 KB from a real scanner.
	if n := len(pages[0].Data); n < 100<<10 || n > 400<<10 {
		t.Fatalf("page of %d KB", n>>10)
	}
	st := sim.Stats()
	if st.Created != 1 || st.Deleted != 0 || st.Last.Source != Platen || st.Last.Region != A4 {
		t.Fatalf("stats %+v", st)
	}
}

var objRe = regexp.MustCompile(`^(\d+) 0 obj`)

// checkPDF verifies the header, trailer and that every xref offset points at its object.
func checkPDF(t *testing.T, b []byte) {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("%PDF-1.4\n")) || !bytes.HasSuffix(b, []byte("%%EOF\n")) {
		t.Fatal("not a PDF")
	}
	i := bytes.LastIndex(b, []byte("startxref\n"))
	end := bytes.IndexByte(b[i+10:], '\n')
	xref, err := strconv.Atoi(string(b[i+10 : i+10+end]))
	if err != nil || !bytes.HasPrefix(b[xref:], []byte("xref\n0 6\n")) {
		t.Fatalf("startxref %q does not point at the xref table", b[i:])
	}
	entries := bytes.Split(b[xref+len("xref\n0 6\n"):], []byte("\n"))[:6]
	for n, e := range entries[1:] {
		if len(e) != 19 { // 20 bytes with the newline
			t.Fatalf("xref entry %q", e)
		}
		off, _ := strconv.Atoi(string(e[:10]))
		m := objRe.FindSubmatch(b[off:min(off+20, len(b))])
		if m == nil || string(m[1]) != strconv.Itoa(n+1) {
			t.Fatalf("xref entry %d → offset %d holds %q", n+1, off, b[off:min(off+20, len(b))])
		}
	}
	// The embedded image is a whole JPEG.
	s := bytes.Index(b, []byte("stream\n\xff\xd8"))
	if s < 0 {
		t.Fatal("no JPEG stream")
	}
	if _, err := jpeg.DecodeConfig(bytes.NewReader(b[s+7:])); err != nil {
		t.Fatal(err)
	}
}

func TestScanFeederPDF(t *testing.T) {
	sim, c := startSim(t)
	sim.LoadFeeder(3)
	pages, err := c.Scan(context.Background(), Settings{Source: Feeder, DPI: 200, Format: FormatPDF, ColorMode: Grayscale8, Region: small})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 3 {
		t.Fatalf("%d pages from a feeder with 3 sheets", len(pages))
	}
	for _, p := range pages {
		if p.ContentType != FormatPDF {
			t.Fatalf("content type %s", p.ContentType)
		}
		checkPDF(t, p.Data)
	}
	if bytes.Equal(pages[0].Data, pages[1].Data) {
		t.Fatal("every page is the same")
	}
	if st, _ := c.Status(context.Background()); st.AdfState != AdfEmpty {
		t.Fatalf("feeder after the job: %s", st.AdfState)
	}
}

func TestScanFaults(t *testing.T) {
	cases := []struct {
		name    string
		setup   func(*Sim)
		s       Settings
		want    error
		deleted int
	}{
		{"busy then free", func(s *Sim) { s.SetBusy(2) }, Settings{DPI: 200, Region: small}, nil, 0},
		{"busy for good", func(s *Sim) { s.SetBusy(100) }, Settings{DPI: 200, Region: small}, ErrBusy, 0},
		{"feeder empty", func(*Sim) {}, Settings{Source: Feeder, DPI: 200}, ErrFeederEmpty, 0},
		{"jam before the job", func(s *Sim) { s.LoadFeeder(2); s.Jam() }, Settings{Source: Feeder, DPI: 200}, ErrJammed, 0},
		{"unsupported resolution", func(*Sim) {}, Settings{DPI: 600}, &HTTPError{}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sim, cl := startSim(t)
			c.setup(sim)
			pages, err := cl.Scan(context.Background(), c.s)
			var he *HTTPError
			switch {
			case c.want == nil && err != nil:
				t.Fatal(err)
			case c.want == nil && len(pages) != 1:
				t.Fatalf("%d pages", len(pages))
			case errors.As(c.want, &he):
				if !errors.As(err, &he) || he.Status != http.StatusBadRequest {
					t.Fatalf("err %v, want HTTP 400", err)
				}
			case c.want != nil && !errors.Is(err, c.want):
				t.Fatalf("err %v, want %v", err, c.want)
			}
			if got := sim.Stats().Deleted; got != c.deleted {
				t.Fatalf("%d jobs deleted, want %d", got, c.deleted)
			}
		})
	}
}

func TestScanJamMidJobCancelsTheJob(t *testing.T) {
	sim, c := startSim(t)
	sim.LoadFeeder(3)
	sim.SetSlow(50 * time.Millisecond)
	go func() {
		// Jam once the first sheet went through.
		for sim.Stats().PagesServed < 1 {
			time.Sleep(5 * time.Millisecond)
		}
		sim.Jam()
	}()
	pages, err := c.Scan(context.Background(), Settings{Source: Feeder, DPI: 200, Region: small})
	if !errors.Is(err, ErrJammed) || pages != nil {
		t.Fatalf("got %d pages, err %v; want ErrJammed and no pages", len(pages), err)
	}
	if st := sim.Stats(); st.Deleted != 1 {
		t.Fatalf("job not deleted: %+v", st)
	}
}

func TestScanCancelAndTimeoutDeleteTheJob(t *testing.T) {
	t.Run("context cancelled", func(t *testing.T) {
		sim, c := startSim(t)
		sim.SetSlow(5 * time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if _, err := c.Scan(ctx, Settings{DPI: 200}); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err %v", err)
		}
		if st := sim.Stats(); st.Created != 1 || st.Deleted != 1 {
			t.Fatalf("stats %+v", st)
		}
	})
	t.Run("page timeout", func(t *testing.T) {
		sim := NewSim(nil)
		srv := httptest.NewServer(sim)
		t.Cleanup(srv.Close)
		c, _ := NewClient(srv.URL, ClientOptions{PageTimeout: 100 * time.Millisecond})
		sim.SetSlow(5 * time.Second)
		if _, err := c.Scan(context.Background(), Settings{DPI: 200}); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err %v", err)
		}
		if st := sim.Stats(); st.Deleted != 1 {
			t.Fatalf("stats %+v", st)
		}
	})
}

func TestSimServe(t *testing.T) {
	sim := NewSim(nil)
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- sim.Serve(ctx, "127.0.0.1:0", func(u string) { urls <- u }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	c, err := NewClient(<-urls, ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Status(ctx); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkSamplePage200(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SamplePage(Settings{DPI: 200}, 1); err != nil {
			b.Fatal(err)
		}
	}
}

func TestSimForgetsOldJobs(t *testing.T) {
	_, c := startSim(t)
	for range simKeepJobs + 5 {
		if _, err := c.Scan(context.Background(), Settings{DPI: 200, Region: Region{Width: 60, Height: 60}}); err != nil {
			t.Fatal(err)
		}
	}
	st, err := c.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Jobs) > simKeepJobs+1 {
		t.Fatalf("simulator remembers %d jobs", len(st.Jobs))
	}
}
