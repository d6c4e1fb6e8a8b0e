package update

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// releaseServer serves deb at /releases/x.deb like the hub (http.ServeContent, so Range
// works); the first cut requests are cut after half the body.
func releaseServer(t *testing.T, deb []byte, cut int) (*httptest.Server, *[]string) {
	var mu sync.Mutex
	var ranges []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ranges = append(ranges, r.Header.Get("Range"))
		n := len(ranges)
		mu.Unlock()
		if n <= cut {
			w.Header().Set("Content-Length", "999999")
			w.WriteHeader(200)
			w.Write(deb[:len(deb)/2])
			return // the handler ends short of Content-Length: the client sees a cut body
		}
		http.ServeContent(w, r, "x.deb", time.Time{}, bytes.NewReader(deb))
	}))
	t.Cleanup(srv.Close)
	return srv, &ranges
}

type steps struct {
	mu  sync.Mutex
	got []string
}

func (s *steps) add(st Step, v, _ string) {
	s.mu.Lock()
	s.got = append(s.got, string(st)+" "+v)
	s.mu.Unlock()
}

func (s *steps) String() string { s.mu.Lock(); defer s.mu.Unlock(); return strings.Join(s.got, ", ") }

func newAgent(t *testing.T, hub string, pub []byte, rep *steps) *Agent {
	return &Agent{Key: pub, Installed: Installed{"govkiosk", "1.2.0", "amd64"}, Pilot: true,
		Spool: t.TempDir(), Hub: hub, Report: rep.add}
}

func TestAgentDownloadsResumesVerifies(t *testing.T) {
	priv, pub := testKey(t)
	deb := bytes.Repeat([]byte("synthetic package "), 4000)
	r := signed(t, priv, deb, "1.3.0")
	srv, ranges := releaseServer(t, deb, 1)
	rep := &steps{}
	a := newAgent(t, srv.URL, pub, rep)
	args := r.Args()
	args["path"] = "/releases/x.deb"

	// The first try is cut half way: the half is kept and the second asks for the rest.
	if _, err := a.Take(context.Background(), args); err == nil {
		t.Fatal("a cut download was taken")
	}
	pkg, err := a.Take(context.Background(), args)
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	if (*ranges)[1] != "bytes=36000-" {
		t.Errorf("second request's Range %q, want the rest from byte 36000", (*ranges)[1])
	}
	if b, _ := os.ReadFile(pkg); !bytes.Equal(b, deb) {
		t.Fatal("spooled package differs")
	}
	if rel, err := os.ReadFile(pkg + ".release"); err != nil || !bytes.Equal(rel, r.Marshal()) {
		t.Errorf("manifest beside the package: %v", err)
	}
	if got := rep.String(); got != "downloaded 1.3.0, verified 1.3.0" {
		t.Errorf("steps %q", got)
	}

	// Never during a visit; between visits the request names the package.
	inVisit := true
	a.InVisit = func() bool { return inVisit }
	if err := a.Install(pkg); !errors.Is(err, ErrInVisit) {
		t.Fatalf("Install during a visit: %v", err)
	}
	if _, err := os.Stat(filepath.Join(a.Spool, RequestFile)); err == nil {
		t.Fatal("request written during a visit")
	}
	inVisit = false
	if err := a.Install(pkg); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(a.Spool, RequestFile)); string(b) != "govkiosk_1.3.0_amd64.deb\n" {
		t.Errorf("request %q", b)
	}
	if err := a.Install("/etc/passwd"); !errors.Is(err, ErrMalformed) {
		t.Errorf("Install outside the spool: %v", err)
	}
}

func TestAgentRefuses(t *testing.T) {
	priv, pub := testKey(t)
	other, _ := testKey(t)
	deb := []byte("synthetic package")
	tampered := []byte("synthetic packagE")
	cases := []struct {
		name   string
		args   func() map[string]string
		serve  []byte
		pilot  bool
		err    error
		report string
	}{
		{"tampered", func() map[string]string { return signed(t, priv, deb, "1.3.0").Args() }, tampered, true, ErrTampered, "downloaded 1.3.0, refused 1.3.0"},
		{"other key", func() map[string]string { return signed(t, other, deb, "1.3.0").Args() }, deb, true, ErrBadSignature, "refused 1.3.0"},
		{"downgrade", func() map[string]string { return signed(t, priv, deb, "1.1.0").Args() }, deb, true, ErrDowngrade, "refused 1.1.0"},
		{"pilot on an all terminal", func() map[string]string { return signed(t, priv, deb, "1.3.0").Args() }, deb, false, nil, "skipped 1.3.0"},
		{"bad path", func() map[string]string {
			a := signed(t, priv, deb, "1.3.0").Args()
			a["path"] = "/releases/../../etc"
			return a
		}, deb, true, ErrMalformed, "refused 1.3.0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := releaseServer(t, tc.serve, 0)
			rep := &steps{}
			a := newAgent(t, srv.URL, pub, rep)
			a.Pilot = tc.pilot
			args := tc.args()
			if args["path"] == "" {
				args["path"] = "/releases/x.deb"
			}
			pkg, err := a.Take(context.Background(), args)
			if !errors.Is(err, tc.err) || (tc.err != nil) != (pkg == "") && tc.err != nil {
				t.Fatalf("Take = %q, %v; want %v", pkg, err, tc.err)
			}
			if pkg != "" {
				t.Fatalf("took %s", pkg)
			}
			if got := rep.String(); got != tc.report {
				t.Errorf("steps %q, want %q", got, tc.report)
			}
			left, _ := os.ReadDir(a.Spool)
			for _, e := range left {
				t.Errorf("left in the spool: %s", e.Name())
			}
		})
	}
}
