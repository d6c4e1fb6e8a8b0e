package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/govkiosk/govkiosk/sync/fleet"
)

// The fleet simulator: a load and chaos tool for the sync path. It runs many simulated
// terminals in this one process, each with its own queue directory and sync client,
// against a real hub, and reports what arrived and how fast. Only synthetic data.

func init() {
	register(command{
		name:    "sim fleet",
		summary: "simulate N terminals sending M submissions each to a hub; report throughput, latency and duplicates",
		usage: "--hub URL --kiosks N --submissions M --attachment-size S [--enroll-code CODE[,CODE…] | --operator-token-file F]\n" +
			"       [--data DIR] [--concurrency C] [--preload] [--timeout D] [--json]\n" +
			"       [--ca FILE] [--hub-cert-pin PIN] [--insecure-unencrypted-link]",
		setup: setupSimFleet,
	})
}

func setupSimFleet(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	hubURL := fs.String("hub", "", "the hub's address, ws://HOST:PORT or wss://HOST:PORT (required)")
	kiosks := fs.Int("kiosks", 10, "number of simulated terminals")
	subs := fs.Int("submissions", 10, "submissions each terminal enqueues")
	size := fs.String("attachment-size", "200K", "size of each submission's one synthetic scan: bytes, or with K, M (KiB, MiB); 0 for forms only")
	codes := fs.String("enroll-code", "", "one-time enrollment codes for terminals not yet enrolled, comma-separated (one per terminal)")
	tokenFile := fs.String("operator-token-file", "", "file with the hub's operator token, to create the enrollment codes needed")
	data := fs.String("data", "", "directory keeping each terminal's identity and queue between runs (default: a temporary one, removed)")
	conc := fs.Int("concurrency", 8, "terminals enrolling, opening their queue or enqueueing at the same moment")
	preload := fs.Bool("preload", false, "enqueue everything before the clients start: measures delivery alone")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up waiting for delivery after this long")
	verify := fs.Bool("verify", true, "look every submission up at the hub afterwards by tracking code")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	link := linkFlags(fs)
	return func(ctx context.Context, e *env, args []string) error {
		switch {
		case len(args) > 0:
			return usagef("unexpected arguments: %s", strings.Join(args, " "))
		case *hubURL == "":
			return usagef("--hub URL is required")
		case *kiosks < 1:
			return usagef("--kiosks must be at least 1")
		case *subs < 0:
			return usagef("--submissions must not be negative")
		case *conc < 1:
			return usagef("--concurrency must be at least 1")
		}
		attSize, err := parseSize(*size)
		if err != nil {
			return usagef("--attachment-size: %v", err)
		}
		opt := fleet.Options{HubURL: *hubURL, Kiosks: *kiosks, Dir: *data, Concurrency: *conc, Logger: e.log, Link: *link}
		for _, c := range strings.Split(*codes, ",") {
			if c = strings.TrimSpace(c); c != "" {
				opt.EnrollCodes = append(opt.EnrollCodes, c)
			}
		}
		if *tokenFile != "" {
			b, err := os.ReadFile(*tokenFile)
			if err != nil {
				return fmt.Errorf("operator token: %w", err)
			}
			opt.OperatorToken = strings.TrimSpace(string(b))
		}
		if opt.OperatorToken == "" && len(opt.EnrollCodes) == 0 && *data == "" {
			return usagef("give --enroll-code or --operator-token-file (or a --data DIR of terminals enrolled before)")
		}
		// Each terminal holds a queue database and a socket; the hub side needs as many
		// again when it runs here too.
		if err := raiseOpenFiles(uint64(4*(*kiosks) + 256)); err != nil {
			e.log.Warn("open-files limit", "err", err)
		}
		r, err := fleet.Run(ctx, fleet.RunOptions{Options: opt, Submissions: *subs, AttachmentSize: attSize,
			Preload: *preload, Timeout: *timeout, Verify: *verify})
		if r == nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(e.stdout)
			enc.SetIndent("", "  ")
			if werr := enc.Encode(r); werr != nil {
				return werr
			}
		} else {
			printFleetReport(e.stdout, r, attSize, *verify)
		}
		switch {
		case err != nil:
			return err
		case r.Failed > 0:
			return fmt.Errorf("%d submissions were refused by the hub", r.Failed)
		case r.Missing > 0 || r.Mismatched > 0:
			return fmt.Errorf("%d submissions missing at the hub, %d under another id", r.Missing, r.Mismatched)
		}
		return nil
	}
}

func printFleetReport(w io.Writer, r *fleet.Report, size int, verified bool) {
	fmt.Fprintf(w, "terminals        %d\n", r.Kiosks)
	fmt.Fprintf(w, "submissions      %d enqueued, %d delivered, %d failed, %d not delivered\n",
		r.Enqueued, r.Delivered, r.Failed, r.Enqueued-r.Delivered-r.Failed)
	fmt.Fprintf(w, "throughput       %.1f submissions/s, %.2f MB/s over %.2f s (attachments of %d bytes)\n",
		r.SubmissionsPerSecond, r.MBPerSecond, r.ElapsedSeconds, size)
	lat := func(name string, l fleet.Latency) {
		fmt.Fprintf(w, "%-16s p50 %.1f ms, p99 %.1f ms, max %.1f ms (n=%d)\n", name,
			msOf(l.P50), msOf(l.P99), msOf(l.Max), l.N)
	}
	lat("enqueue", r.Enqueue)
	lat("time to deliver", r.Deliver)
	if r.HubCommitted >= 0 {
		fmt.Fprintf(w, "hub              %d committed, %d duplicates answered, %d try_later, %d handshakes refused\n",
			r.HubCommitted, r.HubDuplicates, r.HubTryLater, r.HubHandshakesRefused)
	} else {
		fmt.Fprintln(w, "hub              metrics not readable")
	}
	fmt.Fprintf(w, "clients          %d connections in %d dials\n", r.Connects, r.Dials)
	if verified {
		fmt.Fprintf(w, "verified at hub  %d of %d (missing %d, under another id %d)\n",
			r.Verified, r.Enqueued, r.Missing, r.Mismatched)
	}
	if r.TimedOut {
		fmt.Fprintln(w, "TIMED OUT before everything was delivered")
	}
}

func msOf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// parseSize reads "200000", "200K", "200KB", "5M", "5MiB" (K and M are binary).
func parseSize(s string) (int, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	mult := 1
	for _, suf := range []struct {
		s string
		m int
	}{{"MIB", 1 << 20}, {"MB", 1 << 20}, {"M", 1 << 20}, {"KIB", 1 << 10}, {"KB", 1 << 10}, {"K", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(u, suf.s) {
			u, mult = strings.TrimSuffix(u, suf.s), suf.m
			break
		}
	}
	n, err := strconv.Atoi(strings.TrimSpace(u))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	if n > (64<<20)/mult {
		return 0, errors.New("at most 64 MiB (the protocol's limit for one attachment)")
	}
	return n * mult, nil
}

// raiseOpenFiles lifts the soft open-files limit to at least n (up to the hard limit).
func raiseOpenFiles(n uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("getrlimit: %w", err)
	}
	if lim.Cur >= n {
		return nil
	}
	lim.Cur = min(n, lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("setrlimit: %w", err)
	}
	if lim.Cur < n {
		return fmt.Errorf("needs %d open files, the hard limit is %d", n, lim.Max)
	}
	return nil
}
