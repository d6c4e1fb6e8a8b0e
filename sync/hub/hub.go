// Package hub is the reference central platform for govkiosk terminals: the server side
// of sync/protocol. It enrolls terminals with one-time codes, authenticates them on every
// connect, stores their submissions, attachments and ratings durably and exactly once,
// publishes the service catalog, terminal configuration and announcements, records
// heartbeats, sends status updates and commands, signs short-lived identity QR codes for
// residents (package idcode), and serves a small HTTP API, Prometheus metrics and a
// dashboard. cmd/kiosk-hub runs it; tests and load tools embed it.
//
// It must never log or show personal data (form values, rating comments, attachment
// bytes; tracking codes are masked outside an exact lookup), never acknowledge anything
// before it is on disk, and never let one terminal see or acknowledge another's data.
package hub

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/govkiosk/govkiosk/sync/protocol"
)

// Options configure a Hub. Zero values take the defaults in their comments.
type Options struct {
	// ReleaseKey is the release public key: published releases must be signed by it.
	// Nil checks only that the package is the one its manifest names (terminals check
	// the signature themselves in any case).
	ReleaseKey ed25519.PublicKey
	// Dir is the data directory: hub.db and attachments/ (bbolt store), and the keys
	// by default. Required.
	Dir string
	// Store is where records and attachments live: empty for the embedded bbolt
	// database under Dir, or a PostgreSQL URL (postgres://…) that any number of hub
	// replicas share. Replicas of one hub must share KeyFile, IdentityKeyFile and
	// SyncKeyFile too.
	Store string
	// KeyFile holds the AES-256 key that seals personal data at rest; created (0600)
	// when missing. Default Dir/hub.key; production keeps it on another volume.
	KeyFile string
	// IdentityKeyFile holds the Ed25519 key that signs identity QR codes (package
	// idcode); created (0600) when missing. Default: identity.key beside KeyFile.
	IdentityKeyFile string
	// SyncKeyFile holds the Ed25519 key the hub proves itself with in every version 2
	// handshake; terminals pin its public half at enrollment. Created (0600) when
	// missing. Default: sync.key beside KeyFile. Replacing it cuts off every enrolled
	// terminal until it enrolls again.
	SyncKeyFile string
	// RefuseKeysInData refuses to start when KeyFile, IdentityKeyFile or SyncKeyFile is
	// inside Dir (ErrKeyInData): a copy of the data directory must not carry the keys
	// that open it. kiosk-hub sets it unless -allow-keys-in-data.
	RefuseKeysInData bool
	// Logger receives structured logs, never personal data. Default: discard.
	Logger *slog.Logger
	// OperatorToken authorises the operator API as a bootstrap administrator (bearer
	// token, actor "token"). Without it and without accounts every operator endpoint is
	// disabled.
	OperatorToken string
	// AccountsFile holds the operator accounts (AddAccount; kiosk-hub account add), read
	// at start. Default Dir/operators.json; a missing file means no accounts.
	AccountsFile string
	// AuditLogFile is the append-only, hash-chained audit log of operator actions.
	// Default Dir/audit.log.
	AuditLogFile string
	// OperatorFailRate and OperatorFailBurst bound failed operator sign-ins per source
	// address; a source out of budget is refused before its credentials are checked.
	// Default 0.1/s (one per 10 s), burst 10.
	OperatorFailRate  float64
	OperatorFailBurst int
	// IdentityCodeRate and IdentityCodeBurst bound identity QR codes per operator (per
	// second, token bucket). Default 30 per hour, burst 10.
	IdentityCodeRate  float64
	IdentityCodeBurst int
	// HandshakeRate and HandshakeBurst bound websocket handshakes per second (token
	// bucket). Default 100/s, burst 200.
	HandshakeRate  float64
	HandshakeBurst int
	// EnrollRate and EnrollBurst bound enrollments from all sources together, and
	// EnrollSourceRate and EnrollSourceBurst those from one source address (an IPv4
	// address or an IPv6 /64). Enrollment is anonymous, so it has its own budget: a flood
	// of guesses never takes a reconnecting terminal's turn. Defaults 50/s burst 200, and
	// 20/s burst 100 per source.
	EnrollRate        float64
	EnrollBurst       int
	EnrollSourceRate  float64
	EnrollSourceBurst int
	// LookupRate and LookupBurst bound public tracking-code lookups (GET
	// /api/submissions?tracking_code=) per source address. The operator is not limited.
	// Default 1/s, burst 10.
	LookupRate  float64
	LookupBurst int
	// MaxSockets bounds all TCP connections Serve holds at once: terminals, enrollment,
	// API and dashboard, authenticated or not. One over is closed at once. Default
	// MaxConns + 1024.
	MaxSockets int
	// HTTPReadTimeout bounds reading a plain HTTP request, headers and body; HTTPIdleTimeout
	// closes a keep-alive connection that sends no new request; MaxRequestBody bounds a
	// request body. None applies to terminal websockets, which have their own deadlines.
	// Defaults 15s, 30s and protocol.MaxHubText + 4 KiB.
	HTTPReadTimeout time.Duration
	HTTPIdleTimeout time.Duration
	MaxRequestBody  int64
	// MaxUploads bounds submissions receiving attachment bytes at once. Default 64.
	MaxUploads int
	// MaxConns bounds connected terminals. Default 20000.
	MaxConns int
	// HeartbeatInterval is what the hub asks terminals for. Default 30s.
	HeartbeatInterval time.Duration
	// IdleTimeout closes a connection that sent nothing (not even a ping) for this
	// long. Default 90s; terminals ping every 20s by default.
	IdleTimeout time.Duration
	// HandshakeTimeout bounds hello to auth. Default 10s.
	HandshakeTimeout time.Duration
	// WriteTimeout bounds one websocket write. Default 10s.
	WriteTimeout time.Duration
	// MaxChunk is the chunk size offered in welcome. Default protocol.MaxChunkData.
	MaxChunk int
	// RetryAfter is the delay a busy hub asks for. Default 2s.
	RetryAfter time.Duration
	// NoChunkSync skips the fsync before acknowledging each chunk (commit and attachment
	// completion still fsync). For load tests of the protocol on slow disks only.
	NoChunkSync bool
	// Forward, when set, is the business system's HTTPS endpoint every committed
	// submission is handed off to (docs/HANDOFF.md); ForwardRoutes send items whose id
	// starts with a key to another endpoint (the longest key wins).
	Forward       string
	ForwardRoutes map[string]string
	// ForwardSecret keys the HMAC-SHA256 signatures of hand-off requests and of the
	// status reports the business system posts back. Required with Forward.
	ForwardSecret []byte
	// ForwardAttempts failed attempts park a hand-off as a dead letter. Default 8.
	ForwardAttempts int
	// ForwardBackoff is the first retry's largest delay; it doubles with each
	// failure up to 10 minutes, and each delay is drawn uniformly below it. Default 1s.
	ForwardBackoff time.Duration
	// ForwardPoll is how often an idle forwarder looks for due jobs. Default 1s.
	ForwardPoll time.Duration
	// MaxOpenPerTerminal bounds a terminal's open (uncommitted) submissions, and
	// MaxBytesPerTerminal the attachment bytes they declare, counted whole, however
	// much has arrived. A submit over either is answered try_later; one submission
	// alone is always admitted. Defaults 16 and 512 MiB.
	MaxOpenPerTerminal  int
	MaxBytesPerTerminal int64
	// MinFreeBytes is the free space the hub keeps on the data volume: a new
	// submission whose declared bytes would leave less, or a chunk that would, is
	// answered try_later and nothing stored changes. Default 256 MiB.
	MinFreeBytes int64
	// FreeSpace reports the free bytes on the data volume. Default: statfs of Dir.
	FreeSpace func() (int64, error)
	// UploadTTL is how long an open submission may wait for its commit before the
	// sweep deletes it with its partial attachments (its tracking code is freed; the
	// terminal, if it comes back, starts that upload again). Default 72h.
	UploadTTL time.Duration
	// AlertRetention is how long the hub keeps an alert once it is cleared and
	// acknowledged, and a device health event; older ones are pruned. Active or
	// unacknowledged alerts are kept however old. Default 90 days.
	AlertRetention time.Duration
	// ReleasesKept is how many of each channel's newest release packages the hub keeps;
	// older ones are pruned unless a terminal still needs them (release_prune.go).
	// Default 3: the current release, the one before it (what most terminals run until
	// they update, and what an operator goes back to), and one more for terminals that
	// were offline over two publications.
	ReleasesKept int
	// Licences is the e-licence library licence queries go to (docs/LICENCES.md), and
	// LicenceDir a directory of licence files for the reference provider, used when
	// Licences is nil. With neither, every licence query is answered not_found and
	// residents scan their materials.
	Licences   LicenceProvider
	LicenceDir string
	// Appointments configure counter appointments (bookings.go); nil books none.
	Appointments *Appointments
	// Certificates issues the documents of items that issue one (the catalog's
	// "issues"); nil means the reference issuer, which issues 社会保险个人参保证明 at once
	// and says every other document is issued later.
	Certificates CertificateIssuer
	// CertificateFont is the TrueType font (or collection) the reference issuer embeds in
	// its certificates; default DefaultCertificateFont.
	CertificateFont string
	// PublicURL is the hub's address as residents' phones reach it, for the QR code of
	// GET /verify/CODE on issued documents ("https://hub.example.gov.cn").
	PublicURL string
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// ErrKeyInData means a key file is inside the data directory it protects.
var ErrKeyInData = errors.New("hub: key file inside the data directory")

// checkKeysApart refuses key files inside the data directory (Options.RefuseKeysInData).
func (o *Options) checkKeysApart() error {
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return err
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	for _, f := range []struct{ flag, path string }{{"-key", o.KeyFile}, {"-identity-key", o.IdentityKeyFile}, {"-sync-key", o.SyncKeyFile}} {
		p, err := filepath.Abs(f.path)
		if err != nil {
			return err
		}
		if real, err := filepath.EvalSymlinks(filepath.Dir(p)); err == nil {
			p = filepath.Join(real, filepath.Base(p))
		}
		if rel, err := filepath.Rel(dir, p); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			return fmt.Errorf("%w: %s (%s) is in %s, so a copy of the data would carry the key that opens it; "+
				"keep keys on another path (or allow it explicitly for a demo)", ErrKeyInData, f.flag, f.path, o.Dir)
		}
	}
	return nil
}

func (o *Options) defaults() error {
	if o.Dir == "" {
		return errors.New("hub: Options.Dir is required")
	}
	if o.KeyFile == "" {
		o.KeyFile = filepath.Join(o.Dir, "hub.key")
	}
	if o.IdentityKeyFile == "" {
		o.IdentityKeyFile = filepath.Join(filepath.Dir(o.KeyFile), "identity.key")
	}
	if o.SyncKeyFile == "" {
		o.SyncKeyFile = filepath.Join(filepath.Dir(o.KeyFile), "sync.key")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	setDefault(&o.HandshakeRate, 100)
	setDefault(&o.HandshakeBurst, 200)
	setDefault(&o.EnrollRate, 50)
	setDefault(&o.EnrollBurst, 200)
	setDefault(&o.EnrollSourceRate, 20)
	setDefault(&o.EnrollSourceBurst, 100)
	setDefault(&o.LookupRate, 1)
	setDefault(&o.LookupBurst, 10)
	setDefault(&o.OperatorFailRate, 0.1)
	setDefault(&o.OperatorFailBurst, 10)
	setDefault(&o.IdentityCodeRate, 30.0/3600)
	setDefault(&o.IdentityCodeBurst, 10)
	if o.AccountsFile == "" {
		o.AccountsFile = filepath.Join(o.Dir, "operators.json")
	}
	if o.AuditLogFile == "" {
		o.AuditLogFile = filepath.Join(o.Dir, "audit.log")
	}
	setDefault(&o.MaxUploads, 64)
	setDefault(&o.MaxConns, 20000)
	setDefault(&o.MaxSockets, o.MaxConns+1024)
	setDefault(&o.HTTPReadTimeout, 15*time.Second)
	setDefault(&o.HTTPIdleTimeout, 30*time.Second)
	setDefault(&o.MaxRequestBody, protocol.MaxHubText+4<<10)
	setDefault(&o.HeartbeatInterval, 30*time.Second)
	setDefault(&o.IdleTimeout, 90*time.Second)
	setDefault(&o.HandshakeTimeout, 10*time.Second)
	setDefault(&o.WriteTimeout, 10*time.Second)
	setDefault(&o.MaxChunk, protocol.MaxChunkData)
	setDefault(&o.RetryAfter, 2*time.Second)
	setDefault(&o.MaxOpenPerTerminal, 16)
	setDefault(&o.MaxBytesPerTerminal, 512<<20)
	setDefault(&o.MinFreeBytes, 256<<20)
	setDefault(&o.UploadTTL, 72*time.Hour)
	setDefault(&o.AlertRetention, 90*24*time.Hour)
	setDefault(&o.ReleasesKept, 3)
	if o.FreeSpace == nil {
		dir := o.Dir
		o.FreeSpace = func() (int64, error) { return freeSpace(dir) }
	}
	if o.MaxChunk < protocol.MinChunkData || o.MaxChunk > protocol.MaxChunkData {
		return fmt.Errorf("hub: MaxChunk %d outside %d..%d", o.MaxChunk, protocol.MinChunkData, protocol.MaxChunkData)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	setDefault(&o.ForwardAttempts, 8)
	setDefault(&o.ForwardBackoff, time.Second)
	setDefault(&o.ForwardPoll, time.Second)
	if (o.Forward != "" || len(o.ForwardRoutes) > 0) && len(o.ForwardSecret) < 16 {
		return errors.New("hub: forwarding needs a ForwardSecret of at least 16 bytes")
	}
	return nil
}

func setDefault[T int | int64 | float64 | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

// Hub is a running central platform. Create it with New, serve it with Serve or mount
// Handler, and stop it with Close. Several hubs can live in one process (each with its
// own directory and metrics registry).
type Hub struct {
	opt   Options
	log   *slog.Logger
	id    string
	idKey ed25519.PrivateKey // signs identity QR codes
	sync  ed25519.PrivateKey // proves the hub in handshakes
	st    storage
	att   attachmentStorage
	seal  *sealer // personal data at rest
	ops   *operators
	audit *auditLog
	pg    *pgStore // the PostgreSQL store, nil on bbolt: replicas follow its events
	gate  *tokenBucket
	// enrollGate and enrollBySource budget anonymous enrollment apart from handshakes;
	// lookups budgets public tracking-code lookups per source.
	enrollGate     *tokenBucket
	enrollBySource *sourceLimiter
	lookups        *sourceLimiter
	slots          chan struct{} // upload slots
	m              *metrics
	up             websocket.Upgrader
	health         storageHealth // is storage failing: /readyz and the log's rate
	quota          quotas        // open submissions per terminal, for quotas and the sweep
	sweepOnce      sync.Once     // the sweep of abandoned uploads starts with the first Serve
	console        consoleState  // the operations console's sessions and placements
	alerts         alertBook     // active device alerts by terminal and device
	releaseMu      sync.Mutex    // one copy of a release from the store at a time

	mu       sync.Mutex
	closed   bool
	terms    map[string]*terminal // by terminal id
	conns    map[*conn]struct{}
	uploads  map[string]*conn // submission id → connection receiving it
	pub      map[string]*published
	commands map[string]*commandState
	servers  []*http.Server

	wg       sync.WaitGroup // connection goroutines and the flush loop
	stopLoop chan struct{}
	// swept is closed once the sweep loop's first round (at the start of serving) is
	// done: tests that move the clock wait for it, or that round could prune first.
	swept chan struct{}
	// stopEvents ends the replica event reader and presence loop (PostgreSQL only).
	stopEvents context.CancelFunc
	// presenceWake asks the presence loop to write now (PostgreSQL only; nil on bbolt).
	presenceWake chan struct{}
	queries      queryBudgets // progress queries per terminal
	licenceQ     queryBudgets // licence queries per terminal
	bookingQ     bookingBudgets
	licences     LicenceProvider
	certQ        queryBudgets // certificate queries per terminal
	certCat      certCatalog  // the published catalog, parsed for the items that issue documents
	issuer       CertificateIssuer
	// The forwarder (only with Options.Forward).
	forwardClient *http.Client
	forwardWake   chan struct{}
	stopForward   context.CancelFunc
}

// terminal is an enrolled terminal and what the hub last heard from it.
type terminal struct {
	rec    terminalRecord
	conn   *conn
	hb     heartbeatRecord
	remote string
	dirty  bool
}

// New opens (or creates) the hub's data directory.
func New(opt Options) (*Hub, error) {
	if err := opt.defaults(); err != nil {
		return nil, err
	}
	if opt.RefuseKeysInData {
		if err := opt.checkKeysApart(); err != nil {
			return nil, err
		}
	}
	for _, f := range []string{opt.KeyFile, opt.IdentityKeyFile, opt.SyncKeyFile} {
		if err := os.MkdirAll(filepath.Dir(f), 0o700); err != nil {
			return nil, fmt.Errorf("hub: key directory: %w", err)
		}
	}
	if err := os.MkdirAll(filepath.Join(opt.Dir, "attachments"), 0o700); err != nil {
		return nil, fmt.Errorf("hub: data directory: %w", err)
	}
	seal, err := loadOrCreateKey(opt.KeyFile)
	if err != nil {
		return nil, err
	}
	idKey, err := loadOrCreateSigningKey(opt.IdentityKeyFile)
	if err != nil {
		return nil, err
	}
	syncKey, err := loadOrCreateSigningKey(opt.SyncKeyFile)
	if err != nil {
		return nil, err
	}
	var st storage
	var att attachmentStorage
	var pg *pgStore
	var lastEvent int64
	if isPostgresURL(opt.Store) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		pg, err = openPGStore(ctx, opt.Store, seal)
		if err == nil {
			// Events before the state this replica loads below are in that state.
			lastEvent, err = pg.lastEvent(ctx)
			if err != nil {
				pg.close()
			}
		}
		cancel()
		if err != nil {
			return nil, err
		}
		st, att = pg, &pgAttachments{s: pg}
	} else if opt.Store != "" {
		return nil, fmt.Errorf("hub: store %q: want empty (bbolt under the data directory) or postgres://…", opt.Store)
	} else {
		bs, err := openStore(filepath.Join(opt.Dir, "hub.db"), seal)
		if err != nil {
			return nil, err
		}
		st = bs
		att = &attachmentStore{dir: filepath.Join(opt.Dir, "attachments"), seal: seal, syncChunks: !opt.NoChunkSync}
	}
	accounts, err := loadAccounts(opt.AccountsFile)
	if err != nil {
		st.close()
		return nil, err
	}
	audit, err := openAuditLog(opt.AuditLogFile)
	if err != nil {
		st.close()
		return nil, err
	}
	h := &Hub{
		opt: opt,
		log: opt.Logger,
		ops: newOperators(opt.OperatorToken, accounts, opt.OperatorFailRate, opt.OperatorFailBurst,
			opt.IdentityCodeRate, opt.IdentityCodeBurst, opt.Now),
		audit: audit,
		idKey: idKey,
		sync:  syncKey,
		st:    st,
		seal:  seal,
		att:   att,
		pg:    pg,
		gate:  newTokenBucket(opt.HandshakeRate, opt.HandshakeBurst, opt.Now),
		// Sources remembered: enough for every kiosk of a large rollout and then some.
		enrollGate:     newTokenBucket(opt.EnrollRate, opt.EnrollBurst, opt.Now),
		enrollBySource: newSourceLimiter(opt.EnrollSourceRate, opt.EnrollSourceBurst, 65536, opt.Now),
		lookups:        newSourceLimiter(opt.LookupRate, opt.LookupBurst, 65536, opt.Now),
		slots:          make(chan struct{}, opt.MaxUploads),
		terms:          map[string]*terminal{},
		conns:          map[*conn]struct{}{},
		uploads:        map[string]*conn{},
		pub:            map[string]*published{},
		commands:       map[string]*commandState{},
		stopLoop:       make(chan struct{}),
		swept:          make(chan struct{}),
	}
	if err := h.load(); err != nil {
		st.close()
		audit.close()
		return nil, err
	}
	h.issuer = opt.Certificates
	if h.issuer == nil {
		h.issuer = newRefIssuer(h.log, opt.CertificateFont)
	}
	h.licences = opt.Licences
	if h.licences == nil && opt.LicenceDir != "" {
		dl, err := newDirLicences(opt.LicenceDir, seal.queryKey, h.log.Warn)
		if err != nil {
			st.close()
			audit.close()
			return nil, err
		}
		h.licences = dl
	}
	if err := h.loadConsole(); err != nil {
		st.close()
		audit.close()
		return nil, err
	}
	if opt.Forward != "" || len(opt.ForwardRoutes) > 0 {
		st.enableOutbox()
	}
	h.m = newMetrics(h)
	h.m.reg.MustRegister(&consoleCollector{h: h})
	h.up = websocket.Upgrader{
		HandshakeTimeout: opt.HandshakeTimeout,
		// ReadBufferSize 0 reuses net/http's 4 KiB reader; writes borrow pooled
		// buffers, so an idle connection holds no write buffer at all.
		WriteBufferSize: 4096,
		WriteBufferPool: &sync.Pool{},
		Subprotocols:    []string{protocol.Subprotocol},
		// Terminals are not browsers; they send no Origin. A browser page that tries
		// still has to pass the Ed25519 challenge.
		CheckOrigin: func(*http.Request) bool { return true },
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			writeJSONError(w, status, &protocol.Error{Code: protocol.CodeBadMessage, Message: "not a websocket handshake"})
		},
	}
	h.wg.Add(1)
	go h.flushLoop()
	if pg != nil {
		ctx, cancel := context.WithCancel(context.Background())
		h.stopEvents = cancel
		h.wg.Add(2)
		go h.followEvents(ctx, lastEvent)
		h.presenceWake = make(chan struct{}, 1)
		go h.presenceLoop(ctx)
	}
	if opt.Forward != "" || len(opt.ForwardRoutes) > 0 {
		h.forwardClient = &http.Client{Timeout: time.Minute}
		h.forwardWake = make(chan struct{}, 1)
		ctx, cancel := context.WithCancel(context.Background())
		h.stopForward = cancel
		h.wg.Add(1)
		go h.forwardLoop(ctx)
	}
	h.log.Info("hub ready", "hub_id", h.id, "terminals", len(h.terms), "dir", opt.Dir)
	return h, nil
}

func (h *Hub) load() error {
	id, err := h.st.hubID()
	if err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	h.id = id
	recs, err := h.st.terminals()
	if err != nil {
		return err
	}
	hbs, err := h.st.heartbeats()
	if err != nil {
		return err
	}
	for _, r := range recs {
		h.terms[r.ID] = &terminal{rec: r, hb: hbs[r.ID]}
	}
	if err := h.loadQuotas(); err != nil {
		return err
	}
	for _, kind := range publishKinds {
		rec, err := h.st.published(kind)
		if err != nil {
			return err
		}
		if rec != nil {
			p, err := newPublished(kind, rec.Version, rec.Payload)
			if err != nil {
				return fmt.Errorf("hub: stored %s: %w", kind, err)
			}
			h.pub[kind] = p
		}
	}
	return nil
}

// ID returns the hub's id, which terminals learn at enrollment and check on connect.
func (h *Hub) ID() string { return h.id }

// SyncKey returns the public key the hub proves itself with in handshakes; terminals
// pin it at enrollment.
func (h *Hub) SyncKey() ed25519.PublicKey { return h.sync.Public().(ed25519.PublicKey) }

// Handler returns the hub's HTTP handler: the websocket and enrollment endpoints, the
// API, /healthz, /metrics and the dashboard.
func (h *Hub) Handler() http.Handler {
	api := http.NewServeMux()
	api.HandleFunc("POST "+protocol.EnrollPath, h.serveEnroll)
	h.routeAPI(api)
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+protocol.ConnectPath, h.serveConnect)
	mux.Handle("/", boundRequest(api, h.opt.MaxRequestBody, h.opt.HTTPReadTimeout))
	return mux
}

// Serve accepts HTTP and websocket connections on ln until Close. Wrap ln with
// tls.NewListener for wss://. It returns nil after Close.
func (h *Hub) Serve(ln net.Listener) error {
	// Every socket counts against MaxSockets, not only terminals: idle keep-alive and
	// slow requests are closed by the timeouts, and no more than the cap are held at once.
	// The websocket route sets its own deadlines once upgraded (handshake, then idle).
	ln = &capListener{Listener: ln, max: int64(h.opt.MaxSockets), refused: &h.m.connsRefused}
	srv := &http.Server{
		Handler:           h.Handler(),
		ReadHeaderTimeout: min(10*time.Second, h.opt.HTTPReadTimeout),
		ReadTimeout:       h.opt.HTTPReadTimeout,
		IdleTimeout:       h.opt.HTTPIdleTimeout,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(h.log.Handler(), slog.LevelDebug),
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		ln.Close()
		return nil
	}
	h.servers = append(h.servers, srv)
	h.sweepOnce.Do(func() {
		h.wg.Add(1)
		go h.sweepLoop()
	})
	h.mu.Unlock()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Close stops the servers started by Serve, closes every terminal connection (they
// reconnect elsewhere or later), waits for their goroutines and closes the database.
func (h *Hub) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	servers := h.servers
	conns := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, s := range servers {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if err := s.Shutdown(ctx); err != nil {
			s.Close()
		}
		cancel()
	}
	for _, c := range conns {
		c.closeWith(websocket.CloseGoingAway, "hub shutting down")
	}
	close(h.stopLoop)
	if h.stopEvents != nil {
		h.stopEvents()
	}
	if h.stopForward != nil {
		h.stopForward()
	}
	h.wg.Wait()
	h.flushHeartbeats()
	h.audit.close()
	return h.st.close()
}

func (h *Hub) flushLoop() {
	defer h.wg.Done()
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			h.flushHeartbeats()
		case <-h.stopLoop:
			return
		}
	}
}

// flushHeartbeats writes the heartbeats received since the last flush in one transaction:
// with thousands of terminals, a write per heartbeat would be a disk sync per message.
func (h *Hub) flushHeartbeats() {
	h.mu.Lock()
	batch := map[string]heartbeatRecord{}
	for id, t := range h.terms {
		if t.dirty {
			batch[id] = t.hb
			t.dirty = false
		}
	}
	h.mu.Unlock()
	if err := h.st.saveHeartbeats(batch); err != nil {
		h.log.Warn("save heartbeats", "err", err)
	}
	h.flushHealthEvents()
}
