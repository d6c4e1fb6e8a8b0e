// Command kiosk-hub is the reference central platform for govkiosk terminals: it enrolls
// terminals, receives their submissions, attachments and ratings over the sync protocol
// (docs/PROTOCOL.md), publishes the service catalog, terminal configuration and
// announcements, and serves an HTTP API, Prometheus metrics and a dashboard.
//
//	kiosk-hub -data /var/lib/kiosk-hub -catalog catalog.json -listen :8470
//	kiosk-hub -data ./hub -key ./hub-keys/hub.key -enroll-code DEMO-2024-0001   (a local demo)
//	kiosk-hub -tls-cert hub.crt -tls-key hub.key -listen :443   (wss://)
//	kiosk-hub account add -data ./hub -name li.ming -role operator
//
// SIGHUP re-reads the -catalog, -config and -announcements files and pushes what changed.
// SIGINT and SIGTERM stop it cleanly; terminals reconnect when it is back.
//
// It never logs personal data; see package sync/hub for what the API shows to whom.
package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/govkiosk/govkiosk/internal/update"
	"github.com/govkiosk/govkiosk/sync/hub"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

// defaultKeyFile is where the hub keeps its sealing key (and, beside it, its identity and
// sync keys) unless told otherwise: apart from -data, so that a copy or backup of the data
// does not carry the keys that open it. The packaged unit creates the directory (0700).
const defaultKeyFile = "/etc/govkiosk-hub/hub.key"

type options struct {
	listen        string
	data          string
	store         string
	forward       string
	forwardRoutes string
	forwardSecret string
	keyFile       string
	identityKey   string
	syncKey       string
	catalog       string
	licences      string
	appointments  string
	publicURL     string
	catalogVer    string
	config        string
	configVer     string
	announcements string
	tlsCert       string
	tlsKey        string
	tokenFile     string
	accounts      string
	releaseKey    string
	auditLog      string
	keysInData    bool
	enrollCode    string
	newEnrollCode bool
	enrollTTL     time.Duration
	rate          float64
	burst         int
	maxUploads    int
	maxConns      int
	limits        hub.Options // abuse bounds; zero values take the hub's defaults
	heartbeat     time.Duration
	releasesKept  int
	idle          time.Duration
	noChunkSync   bool
	logLevel      string
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("kiosk-hub", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8470", "address to serve HTTP and the terminals' websocket on (\":8470\" for every interface)")
	fs.StringVar(&o.data, "data", "hub-data", "data directory: database and attachments")
	fs.StringVar(&o.store, "store", "", "where records and attachments live: empty for the embedded database under -data, or postgres://user@host/db shared by several hub replicas (passwords from ~/.pgpass or PGPASSFILE, not the URL)")
	fs.StringVar(&o.forward, "forward", "", "hand every committed submission off to this HTTPS endpoint of the business system (docs/HANDOFF.md)")
	fs.StringVar(&o.forwardRoutes, "forward-routes", "", "JSON file {\"item id prefix\": \"https://…\"} routing items to other endpoints than -forward")
	fs.StringVar(&o.forwardSecret, "forward-secret-file", "", "file holding the shared secret (at least 16 bytes) that signs hand-offs and the status reports coming back")
	fs.StringVar(&o.keyFile, "key", "", "AES-256 key file sealing personal data at rest, created if missing (default: hub.key in $CREDENTIALS_DIRECTORY when systemd passes credentials, else "+defaultKeyFile+"); the identity and sync keys default beside it")
	fs.BoolVar(&o.keysInData, "allow-keys-in-data", false, "accept key files inside -data (demos only: a copy of the data directory would then carry the keys that open it)")
	fs.StringVar(&o.identityKey, "identity-key", "", "Ed25519 key file signing residents' identity QR codes, created if missing (default: identity.key beside -key)")
	fs.StringVar(&o.syncKey, "sync-key", "", "Ed25519 key file the hub proves itself with to terminals on every connect, created if missing; terminals pin it at enrollment (default: sync.key beside -key)")
	fs.StringVar(&o.publicURL, "public-url", "", "the hub's address as residents' phones reach it, for the QR code that verifies printed certificates (GET /verify/CODE)")
	fs.StringVar(&o.licences, "licences", "", "directory of e-licence files for the reference licence provider (docs/LICENCES.md); without it residents scan every material")
	fs.StringVar(&o.appointments, "appointments", "", "JSON file {\"default\": places, \"items\": {\"item id\": places}, \"halls\": {\"site\": {\"item id\": places}}} of counter appointment places per half-day slot; without it no appointments are booked")
	fs.StringVar(&o.catalog, "catalog", "", "service catalog JSON file to publish")
	fs.StringVar(&o.catalogVer, "catalog-version", "", "version name of -catalog (default: the catalog's own \"version\", else derived from its content)")
	fs.StringVar(&o.config, "config", "", "terminal configuration JSON file to publish")
	fs.StringVar(&o.configVer, "config-version", "", "version name of -config (default: derived from its content)")
	fs.StringVar(&o.announcements, "announcements", "", "announcements JSON file (an array of {id,title,body,level,from,until}) to publish")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate (PEM) for wss:// and https://; needs -tls-key")
	fs.StringVar(&o.tlsKey, "tls-key", "", "TLS private key (PEM) for -tls-cert")
	fs.StringVar(&o.tokenFile, "operator-token-file", "", "file holding the operator API token (without it the operator API is off)")
	fs.StringVar(&o.releaseKey, "release-key", "", "release public key file (kioskctl release keygen): published releases must be signed by it")
	fs.StringVar(&o.accounts, "accounts", "", "operator accounts file (kiosk-hub account add), default DATA/operators.json")
	fs.StringVar(&o.auditLog, "audit-log", "", "append-only, hash-chained audit log of operator actions, default DATA/audit.log")
	fs.StringVar(&o.enrollCode, "enroll-code", "", "pre-create this one-time enrollment code (at least 8 letters or digits), for a demo")
	fs.BoolVar(&o.newEnrollCode, "new-enroll-code", false, "create a fresh one-time enrollment code and print it")
	fs.DurationVar(&o.enrollTTL, "enroll-ttl", hub.DefaultEnrollTTL, "how long codes from -enroll-code and -new-enroll-code stay valid")
	fs.Float64Var(&o.rate, "handshake-rate", 100, "handshakes admitted per second (token bucket); enrollment has its own budget")
	fs.IntVar(&o.burst, "handshake-burst", 200, "handshakes admitted at once before -handshake-rate applies")
	fs.IntVar(&o.maxUploads, "max-uploads", 64, "submissions receiving attachment bytes at once")
	fs.IntVar(&o.maxConns, "max-conns", 20000, "connected terminals at most")
	fs.Float64Var(&o.limits.EnrollSourceRate, "enroll-rate", 20, "enrollment requests admitted per second from one source address (IPv4 address or IPv6 /64)")
	fs.IntVar(&o.limits.EnrollSourceBurst, "enroll-burst", 100, "enrollment requests admitted at once from one source before -enroll-rate applies")
	fs.Float64Var(&o.limits.LookupRate, "lookup-rate", 1, "anonymous tracking-code lookups admitted per second from one source address")
	fs.IntVar(&o.limits.LookupBurst, "lookup-burst", 10, "anonymous lookups admitted at once from one source before -lookup-rate applies")
	fs.IntVar(&o.limits.MaxSockets, "max-sockets", 0, "TCP connections held at once, terminals or not; one over is reset (default -max-conns + 1024)")
	fs.IntVar(&o.limits.MaxOpenPerTerminal, "terminal-max-open", 16, "unfinished (uncommitted) submissions one terminal may hold")
	fs.Int64Var(&o.limits.MaxBytesPerTerminal, "terminal-max-bytes", 512<<20, "attachment bytes one terminal's unfinished submissions may declare")
	fs.Int64Var(&o.limits.MinFreeBytes, "min-free-bytes", 256<<20, "free space kept on the data volume: uploads that would eat into it are answered \"try again later\"")
	fs.DurationVar(&o.limits.UploadTTL, "upload-ttl", 72*time.Hour, "delete an unfinished submission and its partial attachments after this long")
	fs.DurationVar(&o.limits.AlertRetention, "alert-retention", 90*24*time.Hour, "delete alerts cleared and acknowledged longer ago than this, and device health events older than this")
	fs.IntVar(&o.releasesKept, "releases-kept", 3, "release packages kept per channel, newest first; older ones are deleted unless a terminal still needs them")
	fs.DurationVar(&o.heartbeat, "heartbeat", 30*time.Second, "heartbeat interval asked of terminals")
	fs.DurationVar(&o.idle, "idle-timeout", 90*time.Second, "close a terminal connection silent this long (terminals ping every 20s)")
	fs.BoolVar(&o.noChunkSync, "no-chunk-sync", false, "UNSAFE, load tests only: acknowledge chunks before they are fsynced")
	fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: kiosk-hub [flags]\n\nThe reference central platform for govkiosk terminals.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return nil, errors.New("-tls-cert and -tls-key go together")
	}
	return o, nil
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "account" {
		os.Exit(accountMain(os.Args[2:], os.Stdout, os.Stderr))
	}
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kiosk-hub:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	if err := run(ctx, o, os.Stdout, newLogger(o.logLevel), hup); err != nil {
		fmt.Fprintln(os.Stderr, "kiosk-hub:", err)
		os.Exit(1)
	}
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

// run serves until ctx ends. It writes the address it listens on, and any enrollment
// code it created, to stdout.
func run(ctx context.Context, o *options, stdout io.Writer, log *slog.Logger, reload <-chan os.Signal) error {
	token := ""
	if o.tokenFile != "" {
		b, err := os.ReadFile(o.tokenFile)
		if err != nil {
			return fmt.Errorf("operator token: %w", err)
		}
		token = strings.TrimSpace(string(b))
		if len(token) < 16 {
			return errors.New("operator token: use at least 16 characters")
		}
	}
	fwd, err := loadForwarding(o)
	if err != nil {
		return err
	}
	keyFile := o.keyFile
	if keyFile == "" {
		keyFile = defaultKeyFile
		if d := os.Getenv("CREDENTIALS_DIRECTORY"); d != "" {
			keyFile = filepath.Join(d, "hub.key")
		}
	}
	appts, err := readAppointments(o.appointments)
	if err != nil {
		return err
	}
	var releaseKey ed25519.PublicKey
	if o.releaseKey != "" {
		b, err := os.ReadFile(o.releaseKey)
		if err != nil {
			return err
		}
		if releaseKey, err = update.ParsePublicKey(b); err != nil {
			return fmt.Errorf("-release-key %s: %w", o.releaseKey, err)
		}
	}
	h, err := hub.New(hub.Options{RefuseKeysInData: !o.keysInData, ReleaseKey: releaseKey,
		Forward: o.forward, ForwardRoutes: fwd.routes, ForwardSecret: fwd.secret,
		Dir: o.data, Store: o.store, KeyFile: keyFile, IdentityKeyFile: o.identityKey, SyncKeyFile: o.syncKey, Logger: log, OperatorToken: token,
		AccountsFile: o.accounts, AuditLogFile: o.auditLog, LicenceDir: o.licences, Appointments: appts, PublicURL: o.publicURL,
		HandshakeRate: o.rate, HandshakeBurst: o.burst, MaxUploads: o.maxUploads, MaxConns: o.maxConns,
		HeartbeatInterval: o.heartbeat, IdleTimeout: o.idle, NoChunkSync: o.noChunkSync,
		EnrollSourceRate: o.limits.EnrollSourceRate, EnrollSourceBurst: o.limits.EnrollSourceBurst,
		LookupRate: o.limits.LookupRate, LookupBurst: o.limits.LookupBurst, MaxSockets: o.limits.MaxSockets,
		MaxOpenPerTerminal: o.limits.MaxOpenPerTerminal, MaxBytesPerTerminal: o.limits.MaxBytesPerTerminal,
		MinFreeBytes: o.limits.MinFreeBytes, UploadTTL: o.limits.UploadTTL, AlertRetention: o.limits.AlertRetention,
		ReleasesKept: o.releasesKept,
	})
	if err != nil {
		return err
	}
	defer h.Close()
	if err := publishFiles(h, o); err != nil {
		return err
	}
	if o.enrollCode != "" {
		exp, err := h.AddEnrollCode(o.enrollCode, o.enrollTTL)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "enrollment code %s valid until %s\n", o.enrollCode, exp.Format(time.RFC3339))
	}
	if o.newEnrollCode {
		code, exp, err := h.CreateEnrollCode(o.enrollTTL)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "enrollment code %s valid until %s\n", code, exp.Format(time.RFC3339))
	}

	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return err
	}
	scheme := "ws"
	if o.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("TLS: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		scheme = "wss"
	}
	web := strings.Replace(scheme, "ws", "http", 1)
	fmt.Fprintf(stdout, "kiosk-hub %s listening on %s://%s (dashboard %s://%s/)\n", h.ID(), scheme, ln.Addr(), web, ln.Addr())

	served := make(chan error, 1)
	go func() { served <- h.Serve(ln) }()
	for {
		select {
		case <-ctx.Done():
			log.Info("stopping")
			return h.Close()
		case err := <-served:
			return err
		case <-reload:
			if err := publishFiles(h, o); err != nil {
				log.Error("reload", "err", err)
			}
		}
	}
}

// publishFiles publishes the catalog, configuration and announcements files given by
// flags, unless the hub already publishes the same version.
func publishFiles(h *hub.Hub, o *options) error {
	for _, f := range []struct {
		kind, path, version string
	}{
		{"catalog", o.catalog, o.catalogVer},
		{"config", o.config, o.configVer},
		{"announcements", o.announcements, ""},
	} {
		if f.path == "" {
			continue
		}
		b, err := os.ReadFile(f.path)
		if err != nil {
			return fmt.Errorf("%s: %w", f.kind, err)
		}
		if !json.Valid(b) {
			return fmt.Errorf("%s: %s is not JSON", f.kind, f.path)
		}
		if f.kind == "catalog" && f.version == "" {
			// A catalog names its own version; publishing under that name lets a kiosk
			// that already holds it (embedded or saved) skip the push.
			var head struct {
				Version string `json:"version"`
			}
			if json.Unmarshal(b, &head) == nil {
				f.version = head.Version
			}
		}
		if cur, payload, ok := h.Published(f.kind); ok {
			if string(payload) == string(b) {
				continue
			}
			if f.version != "" && cur == f.version {
				// Terminals holding this version would never take the new content.
				return fmt.Errorf("%s: %s changed but version %q is already published; give a new -%s-version", f.kind, f.path, cur, f.kind)
			}
		}
		switch f.kind {
		case "catalog":
			_, err = h.SetCatalog(f.version, b)
		case "config":
			_, err = h.SetConfig(f.version, b)
		default:
			var items []protocol.Announcement
			if err = json.Unmarshal(b, &items); err == nil {
				_, err = h.SetAnnouncements("", items)
			}
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", f.kind, f.path, err)
		}
	}
	return nil
}

type forwarding struct {
	routes map[string]string
	secret []byte
}

// loadForwarding reads the hand-off routes and secret files.
func loadForwarding(o *options) (forwarding, error) {
	var f forwarding
	if o.forwardRoutes != "" {
		b, err := os.ReadFile(o.forwardRoutes)
		if err != nil {
			return f, fmt.Errorf("forward routes: %w", err)
		}
		if err := json.Unmarshal(b, &f.routes); err != nil {
			return f, fmt.Errorf("forward routes %s: want {\"item prefix\": \"https://…\"}: %w", o.forwardRoutes, err)
		}
	}
	if o.forwardSecret != "" {
		b, err := os.ReadFile(o.forwardSecret)
		if err != nil {
			return f, fmt.Errorf("forward secret: %w", err)
		}
		f.secret = []byte(strings.TrimSpace(string(b)))
	}
	return f, nil
}

// readAppointments reads the -appointments file; no file books no appointments.
func readAppointments(path string) (*hub.Appointments, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("appointments: %w", err)
	}
	var a hub.Appointments
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("appointments %s: %w", path, err)
	}
	return &a, nil
}
