package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/govkiosk/govkiosk/sync/hub"
)

// accountMain runs "kiosk-hub account add": it creates an operator account with a role
// and prints its secret once; the accounts file keeps only an argon2id hash of it. The
// hub reads the file at start.
func accountMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "add" {
		fmt.Fprintln(stderr, "usage: kiosk-hub account add -name NAME -role ROLE [-data DIR | -accounts FILE] [-replace]")
		return 2
	}
	fs := flag.NewFlagSet("kiosk-hub account add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "", "account name: 1-64 of a-z 0-9 . _ - (required)")
	role := fs.String("role", "", fmt.Sprintf("one of %v (required)", hub.Roles))
	data := fs.String("data", "hub-data", "the hub's data directory (the accounts file defaults to DATA/operators.json)")
	file := fs.String("accounts", "", "the accounts file (default DATA/operators.json)")
	replace := fs.Bool("replace", false, "replace an existing account of that name (a new secret; the old one stops working at the hub's next start)")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *name == "" || *role == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "kiosk-hub account add: -name and -role are required")
		return 2
	}
	path := *file
	if path == "" {
		path = filepath.Join(*data, "operators.json")
	}
	secret, err := hub.AddAccount(path, *name, hub.Role(*role), *replace)
	if err != nil {
		fmt.Fprintln(stderr, "kiosk-hub account add:", err)
		return 1
	}
	fmt.Fprintf(stdout, "account %s (%s) added to %s\nsecret (shown once; sign in with HTTP Basic as %s:SECRET): %s\nrestart the hub to load it\n",
		*name, *role, path, *name, secret)
	return 0
}
