package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/govkiosk/govkiosk/sync/client"
)

// Enrollment: a technician registers a terminal with the central platform once, with a
// one-time code an operator created. The terminal's private key is made here and never
// leaves the data directory.

func init() {
	register(command{
		name:    "enroll",
		summary: "enroll this terminal with the hub using a one-time code; saves its credentials in the data directory",
		usage:   "--hub URL --code CODE --data DIR [--name LABEL] [--ca FILE] [--force]",
		setup:   setupEnroll,
	})
}

func setupEnroll(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	hubURL := fs.String("hub", "", "the hub's address: ws://HOST:PORT or wss://HOST:PORT (required)")
	code := fs.String("code", "", "the one-time enrollment code from the operator (required)")
	data := fs.String("data", defaultDataDir, "the kiosk's data directory, where the credentials are kept")
	name := fs.String("name", "", "a label for the operator's terminal list, e.g. the hall and position")
	caFile := fs.String("ca", "", "PEM file of the certificate authority that signed the hub's certificate (for a private CA)")
	force := fs.Bool("force", false, "replace existing credentials (the terminal gets a new identity and terminal code)")
	timeout := fs.Duration("timeout", 30*time.Second, "give up after this long")
	return func(ctx context.Context, e *env, args []string) error {
		switch {
		case len(args) > 0:
			return usagef("unexpected arguments: %s", strings.Join(args, " "))
		case *hubURL == "":
			return usagef("--hub URL is required")
		case *code == "":
			return usagef("--code CODE is required")
		case *data == "":
			return usagef("--data DIR is required")
		}
		old, err := client.LoadCredentials(*data)
		switch {
		case err == nil && !*force:
			return fmt.Errorf("already enrolled as terminal %s (code %s) with hub %s; --force replaces that identity",
				old.TerminalID, old.TerminalCode, old.HubID)
		case err != nil && !errors.Is(err, client.ErrNotEnrolled) && !*force:
			return fmt.Errorf("%w (--force replaces the file)", err)
		}
		opt := client.EnrollOptions{App: "kioskctl", Name: *name}
		if *caFile != "" {
			pem, err := os.ReadFile(*caFile)
			if err != nil {
				return err
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return fmt.Errorf("%s holds no PEM certificate", *caFile)
			}
			opt.HTTPClient = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		}
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		cr, err := client.EnrollWith(ctx, *hubURL, *code, opt)
		if errors.Is(err, client.ErrEnrollCode) {
			return errors.New("the hub refused the code: unknown, already used or expired; ask the operator for a new one")
		}
		if err != nil {
			return err
		}
		if err := cr.Save(*data); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "enrolled as terminal %s, terminal code %s, at hub %s\ncredentials: %s\n",
			cr.TerminalID, cr.TerminalCode, cr.HubID, filepath.Join(*data, client.CredentialsFile))
		if *caFile != "" {
			fmt.Fprintln(e.stdout, "the kiosk needs the same CA to connect: install it in the system's trust store")
		}
		return nil
	}
}
