// Package pgtest runs a real PostgreSQL server for tests: Debian's postgresql package,
// a fresh cluster made by initdb in a temporary directory and started with pg_ctl on a
// free loopback port. PostgreSQL refuses to run as root, so when the test runs as root
// the cluster belongs to an unprivileged user (postgres when the package created it,
// otherwise nobody).
//
// A test gets its own empty database with New; packages share one server per process
// (Shared) and stop it in TestMain with StopShared.
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a PostgreSQL cluster in a temporary directory.
type Server struct {
	bin  string // directory with initdb, pg_ctl, postgres
	dir  string // owned by the cluster's user; data/ and the log inside
	port int
	cred *syscall.Credential // nil when not root
	uid  int

	mu sync.Mutex
	n  int
}

// ErrNoPostgres means Debian's postgresql package is not installed.
var ErrNoPostgres = errors.New("pgtest: initdb not found; install the postgresql package (scripts/install-deps test)")

// binDir finds initdb: PGTEST_BINDIR, then the newest /usr/lib/postgresql/N/bin, then PATH.
func binDir() (string, error) {
	if d := os.Getenv("PGTEST_BINDIR"); d != "" {
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	if len(dirs) > 0 {
		return filepath.Dir(dirs[0]), nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", ErrNoPostgres
}

func version(initdb string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return n
}

// Start initialises and starts a new cluster. Stop it with Stop.
func Start() (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin, uid: os.Getuid()}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	s.dir = dir
	if os.Getuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			u, err = user.Lookup("nobody")
		}
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pgtest: running as root and no unprivileged user (postgres, nobody): %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred, s.uid = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, uid
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	if out, err := s.run("initdb", "-D", s.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8",
		"--locale=C", "--no-sync"); err != nil {
		s.remove()
		return nil, fmt.Errorf("pgtest: initdb: %w\n%s", err, out)
	}
	if err := s.Start(); err != nil {
		s.remove()
		return nil, err
	}
	return s, nil
}

func (s *Server) data() string { return filepath.Join(s.dir, "data") }

// run runs a PostgreSQL program as the cluster's user.
func (s *Server) run(prog string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(s.bin, prog), args...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

// Start starts the cluster (again) on its port; a new cluster picks a free one.
func (s *Server) Start() error {
	if s.port == 0 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		s.port = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
	}
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -k %s -c max_connections=200 -c shared_buffers=32MB", s.port, s.dir)
	out, err := s.run("pg_ctl", "start", "-w", "-t", "60", "-D", s.data(), "-l", filepath.Join(s.dir, "log"), "-o", opts)
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "log"))
		return fmt.Errorf("pgtest: pg_ctl start: %w\n%s\n%s", err, out, log)
	}
	return nil
}

// Stop stops the server. With immediate it is killed like a crash (no checkpoint).
func (s *Server) Stop(immediate bool) error {
	mode := "fast"
	if immediate {
		mode = "immediate"
	}
	if out, err := s.run("pg_ctl", "stop", "-w", "-D", s.data(), "-m", mode); err != nil {
		return fmt.Errorf("pgtest: pg_ctl stop: %w\n%s", err, out)
	}
	return nil
}

// Restart kills the server (immediate stop, as in a crash) and starts it again.
func (s *Server) Restart() error {
	if err := s.Stop(true); err != nil {
		return err
	}
	return s.Start()
}

// Close stops the server and removes its directory.
func (s *Server) Close() error {
	err := s.Stop(false)
	s.remove()
	return err
}

func (s *Server) remove() { os.RemoveAll(s.dir) }

// URL returns the connection URL of database db.
func (s *Server) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

// CreateDatabase creates a new empty database and returns its URL.
func (s *Server) CreateDatabase(ctx context.Context) (string, error) {
	s.mu.Lock()
	s.n++
	name := fmt.Sprintf("t%d_%d", os.Getpid(), s.n)
	s.mu.Unlock()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return "", fmt.Errorf("pgtest: connect: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("pgtest: create database: %w", err)
	}
	return s.URL(name), nil
}

var (
	shared     atomic.Pointer[Server]
	sharedMu   sync.Mutex
	sharedErr  error
	sharedDone bool
)

// Shared returns the process's server, starting it on first use.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if !sharedDone {
		sharedDone = true
		var s *Server
		s, sharedErr = Start()
		if sharedErr == nil {
			shared.Store(s)
		}
	}
	if sharedErr != nil {
		tb.Fatal(sharedErr)
	}
	return shared.Load()
}

// StopShared stops the server Shared started, if any. Call it from TestMain after m.Run.
func StopShared() {
	if s := shared.Load(); s != nil {
		s.Close()
	}
}

// New returns the URL of a new empty database on the shared server.
func New(tb testing.TB) string {
	tb.Helper()
	s := Shared(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url, err := s.CreateDatabase(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return url
}
