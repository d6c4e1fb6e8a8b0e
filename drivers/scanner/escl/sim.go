package escl

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Sim is an eSCL scanner simulator: an http.Handler serving /eSCL/... with a platen and
// a document feeder, generated pages (SamplePage) and injectable faults. Mount it on an
// httptest.Server or an http.Server. It is safe for concurrent use.
type Sim struct {
	log *slog.Logger

	mu        sync.Mutex
	jobs      map[string]*simJob
	busy      int
	feeder    int // sheets in the feeder
	jam       bool
	slow      time.Duration
	created   int
	deleted   int
	state     string
	served    int
	lastSetts Settings
}

type simJob struct {
	settings Settings
	left     int // pages still to deliver
	done     int
	state    string // Processing, Completed, Canceled, Aborted
	reason   string
	at       time.Time
}

// NewSim makes a simulator with an empty feeder; log may be nil.
func NewSim(log *slog.Logger) *Sim {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Sim{log: log, jobs: map[string]*simJob{}, state: StateIdle}
}

// SetBusy makes the next n job requests answer 503 Service Unavailable.
func (s *Sim) SetBusy(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.busy = n
}

// LoadFeeder puts n sheets in the document feeder (0 empties it) and clears a jam.
func (s *Sim) LoadFeeder(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.feeder, s.jam = max(n, 0), false
}

// Jam makes the feeder jam on its next sheet: the page request fails, the job aborts
// and ScannerStatus says ScannerAdfJam until LoadFeeder.
func (s *Sim) Jam() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jam = true
}

// SetSlow makes every page take d to "scan" before it is served.
func (s *Sim) SetSlow(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slow = d
}

// SimStats counts what the simulator did, for tests.
type SimStats struct {
	Created, Deleted, PagesServed int
	// Last is the settings of the last job created.
	Last Settings
}

// Stats returns the counters.
func (s *Sim) Stats() SimStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return SimStats{Created: s.created, Deleted: s.deleted, PagesServed: s.served, Last: s.lastSetts}
}

// ServeHTTP routes the eSCL requests.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux().ServeHTTP(w, r)
}

func (s *Sim) mux() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("GET /eSCL/ScannerCapabilities", s.capabilities)
	m.HandleFunc("GET /eSCL/ScannerStatus", s.status)
	m.HandleFunc("POST /eSCL/ScanJobs", s.createJob)
	m.HandleFunc("GET /eSCL/ScanJobs/{id}/NextDocument", s.nextDocument)
	m.HandleFunc("DELETE /eSCL/ScanJobs/{id}", s.deleteJob)
	return m
}

func writeXML(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

// The simulator's documents, with the "scan:" and "pwg:" prefixes real scanners use.

type profileOut struct {
	ColorModes []string `xml:"scan:ColorModes>scan:ColorMode"`
	Formats    []string `xml:"scan:DocumentFormats>pwg:DocumentFormat"`
	FormatsExt []string `xml:"scan:DocumentFormats>scan:DocumentFormatExt"`
	Res        []resOut `xml:"scan:SupportedResolutions>scan:DiscreteResolutions>scan:DiscreteResolution"`
}

type resOut struct {
	X int `xml:"scan:XResolution"`
	Y int `xml:"scan:YResolution"`
}

type inputCapsOut struct {
	MinWidth  int          `xml:"scan:MinWidth"`
	MaxWidth  int          `xml:"scan:MaxWidth"`
	MinHeight int          `xml:"scan:MinHeight"`
	MaxHeight int          `xml:"scan:MaxHeight"`
	MaxRegion int          `xml:"scan:MaxScanRegions"`
	Profiles  []profileOut `xml:"scan:SettingProfiles>scan:SettingProfile"`
	Intents   []string     `xml:"scan:SupportedIntents>scan:Intent"`
	MaxOptX   int          `xml:"scan:MaxOpticalXResolution"`
	MaxOptY   int          `xml:"scan:MaxOpticalYResolution"`
}

type capsOut struct {
	XMLName      xml.Name     `xml:"scan:ScannerCapabilities"`
	NSScan       string       `xml:"xmlns:scan,attr"`
	NSPWG        string       `xml:"xmlns:pwg,attr"`
	Version      string       `xml:"pwg:Version"`
	MakeAndModel string       `xml:"pwg:MakeAndModel"`
	SerialNumber string       `xml:"pwg:SerialNumber"`
	UUID         string       `xml:"scan:UUID"`
	Platen       inputCapsOut `xml:"scan:Platen>scan:PlatenInputCaps"`
	Adf          inputCapsOut `xml:"scan:Adf>scan:AdfSimplexInputCaps"`
	Capacity     int          `xml:"scan:Adf>scan:FeederCapacity"`
}

// simCaps is what the simulator can do: A4 (and US Letter) at 200 and 300 dpi, colour
// or grey, JPEG or PDF.
func simCaps() capsOut {
	ic := inputCapsOut{MinWidth: 16, MaxWidth: 2550, MinHeight: 16, MaxHeight: 3508, MaxRegion: 1,
		Profiles: []profileOut{{
			ColorModes: []string{string(RGB24), string(Grayscale8), string(BlackAndWhite1)},
			Formats:    []string{FormatJPEG, FormatPDF},
			FormatsExt: []string{FormatJPEG, FormatPDF},
			Res:        []resOut{{200, 200}, {300, 300}},
		}},
		Intents: []string{"Document", "TextAndGraphic", "Photo"}, MaxOptX: 300, MaxOptY: 300}
	return capsOut{NSScan: NSScan, NSPWG: NSPWG, Version: "2.6", MakeAndModel: "govkiosk eSCL simulator",
		SerialNumber: "SIM-0001", UUID: "4509a320-00a0-008f-00b6-002507510eca", Platen: ic, Adf: ic, Capacity: 50}
}

func (s *Sim) capabilities(w http.ResponseWriter, _ *http.Request) {
	b, err := marshal(simCaps())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeXML(w, b)
}

type jobInfoOut struct {
	URI     string   `xml:"pwg:JobUri"`
	UUID    string   `xml:"pwg:JobUuid"`
	Age     int      `xml:"scan:Age"`
	Done    int      `xml:"pwg:ImagesCompleted"`
	ToDo    int      `xml:"pwg:ImagesToTransfer"`
	State   string   `xml:"pwg:JobState"`
	Reasons []string `xml:"pwg:JobStateReasons>pwg:JobStateReason"`
}

type statusOut struct {
	XMLName  xml.Name     `xml:"scan:ScannerStatus"`
	NSScan   string       `xml:"xmlns:scan,attr"`
	NSPWG    string       `xml:"xmlns:pwg,attr"`
	Version  string       `xml:"pwg:Version"`
	State    string       `xml:"pwg:State"`
	AdfState string       `xml:"scan:AdfState"`
	Jobs     []jobInfoOut `xml:"scan:Jobs>scan:JobInfo"`
}

// adfState is the feeder's state; the caller holds s.mu.
func (s *Sim) adfState() string {
	switch {
	case s.jam:
		return AdfJam
	case s.feeder > 0:
		return AdfLoaded
	}
	return AdfEmpty
}

func (s *Sim) status(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	out := statusOut{NSScan: NSScan, NSPWG: NSPWG, Version: "2.6", State: s.state, AdfState: s.adfState()}
	if s.jam {
		out.State = StateStopped
	}
	for id, j := range s.jobs {
		out.Jobs = append(out.Jobs, jobInfoOut{URI: "/eSCL/ScanJobs/" + id, UUID: id,
			Age: int(time.Since(j.at).Seconds()), Done: j.done, ToDo: j.left, State: j.state,
			Reasons: []string{j.reason}})
	}
	s.mu.Unlock()
	b, err := marshal(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeXML(w, b)
}

func (s *Sim) createJob(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxXML+1))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	set, err := ParseSettings(body)
	if err == nil {
		if set.DPI != 200 && set.DPI != 300 {
			err = fmt.Errorf("%w: %d dpi", ErrBadSettings, set.DPI)
		} else if set.Format != FormatJPEG && set.Format != FormatPDF {
			err = fmt.Errorf("%w: format %s", ErrBadSettings, set.Format)
		}
	}
	if err != nil {
		s.log.Warn("escl sim: rejected job", "err", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.busy > 0 {
		s.busy--
		w.Header().Set("Retry-After", "1")
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	pages := 1
	if set.Source == Feeder {
		if s.jam {
			http.Error(w, "feeder jammed", http.StatusConflict)
			return
		}
		if s.feeder == 0 {
			http.Error(w, "feeder empty", http.StatusConflict)
			return
		}
		pages = s.feeder
		if set.Duplex {
			pages *= 2
		}
	}
	s.prune()
	id := uuid.NewString()
	s.jobs[id] = &simJob{settings: set, left: pages, state: "Processing", reason: "JobScanning", at: time.Now()}
	s.created++
	s.lastSetts = set
	s.state = StateProcessing
	w.Header().Set("Location", "/eSCL/ScanJobs/"+id)
	w.WriteHeader(http.StatusCreated)
}

// simKeepJobs bounds the finished jobs a long-running simulator remembers for
// ScannerStatus.
const simKeepJobs = 16

// prune forgets the oldest finished jobs beyond simKeepJobs; the caller holds s.mu.
func (s *Sim) prune() {
	var done []string
	for id, j := range s.jobs {
		if j.state != "Processing" {
			done = append(done, id)
		}
	}
	if len(done) <= simKeepJobs {
		return
	}
	slices.SortFunc(done, func(a, b string) int { return s.jobs[a].at.Compare(s.jobs[b].at) })
	for _, id := range done[:len(done)-simKeepJobs] {
		delete(s.jobs, id)
	}
}

func (s *Sim) nextDocument(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	j, ok := s.jobs[id]
	slow := s.slow
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	if slow > 0 {
		t := time.NewTimer(slow)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
	}
	s.mu.Lock()
	if j.left == 0 || j.state != "Processing" {
		s.mu.Unlock()
		http.NotFound(w, r) // no more documents: the job is over
		return
	}
	if j.settings.Source == Feeder && s.jam {
		j.state, j.reason = "Aborted", "AdfJam"
		s.state = StateIdle
		s.mu.Unlock()
		http.Error(w, "feeder jammed", http.StatusConflict)
		return
	}
	n := j.done + 1
	set := j.settings
	s.mu.Unlock()

	page, err := SamplePage(set, n)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	s.mu.Lock()
	j.done, j.left = n, j.left-1
	if set.Source == Feeder && (!set.Duplex || n%2 == 0) {
		s.feeder = max(s.feeder-1, 0)
	}
	if j.left == 0 {
		j.state, j.reason = "Completed", "JobCompletedSuccessfully"
		s.state = StateIdle
	}
	s.served++
	s.mu.Unlock()
	w.Header().Set("Content-Type", page.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(page.Data)))
	_, _ = w.Write(page.Data)
}

func (s *Sim) deleteJob(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if j.state == "Processing" {
		j.state, j.reason = "Canceled", "JobCanceledByUser"
	}
	s.state = StateIdle
	s.deleted++
	w.WriteHeader(http.StatusOK)
}

// Serve runs the simulator on addr until ctx ends; ready, if not nil, gets the base URL
// ("http://host:port/eSCL") once it listens.
func (s *Sim) Serve(ctx context.Context, addr string, ready func(url string)) error {
	srv := &http.Server{Addr: addr, Handler: s, ReadHeaderTimeout: 10 * time.Second}
	ln, err := listen(addr)
	if err != nil {
		return err
	}
	if ready != nil {
		ready("http://" + ln.Addr().String() + "/eSCL")
	}
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	})
	defer stop()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		return fmt.Errorf("escl sim: %w", err)
	}
	return nil
}

func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("escl sim: listen %s: %w", addr, err)
	}
	return ln, nil
}
