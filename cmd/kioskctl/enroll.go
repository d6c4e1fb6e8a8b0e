package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
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
		usage:   "--hub URL --code CODE --data DIR [--name LABEL] [--ca FILE] [--hub-cert-pin PIN] [--insecure-unencrypted-link] [--force]",
		setup:   setupEnroll,
	})
}

func setupEnroll(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	hubURL := fs.String("hub", "", "the hub's address: ws://HOST:PORT or wss://HOST:PORT (required)")
	code := fs.String("code", "", "the one-time enrollment code from the operator (required)")
	data := fs.String("data", defaultDataDir, "the kiosk's data directory, where the credentials are kept")
	name := fs.String("name", "", "a label for the operator's terminal list, e.g. the hall and position")
	link := linkFlags(fs)
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
		opt := client.EnrollOptions{App: "kioskctl", Name: *name, Link: *link}
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
		if link.CAFile != "" || link.Pin != "" {
			fmt.Fprintln(e.stdout, "the kiosk needs the same CA file and pin to connect: set platform.ca_file and platform.hub_cert_pin in its configuration")
		}
		return nil
	}
}

// linkFlags declares the flags that say how to reach the hub safely, shared by the
// commands that talk to it.
func linkFlags(fs *flag.FlagSet) *client.LinkOptions {
	o := &client.LinkOptions{}
	fs.StringVar(&o.CAFile, "ca", "", "PEM file of the CA certificates the hub's TLS certificate must chain to (default: the system's)")
	fs.StringVar(&o.Pin, "hub-cert-pin", "", "pin the hub's TLS certificate key: base64 SHA-256 of its public key, optionally \"sha256/…\"")
	fs.BoolVar(&o.InsecureUnencrypted, "insecure-unencrypted-link", false,
		"INSECURE: allow ws:// or http:// to a hub not on this machine; residents' data crosses the network in clear")
	return o
}
