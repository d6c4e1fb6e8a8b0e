package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/govkiosk/govkiosk/sync/client"
	"github.com/govkiosk/govkiosk/sync/queue"
)

func init() {
	register(command{
		name:    "queue salvage",
		summary: "copy every readable record and file of a damaged outbox into a fresh one; the damaged one is kept beside it",
		usage:   "--data DIR [--key FILE] [--terminal CODE]",
		setup:   setupQueueSalvage,
	})
}

// setupQueueSalvage: the kiosk must be stopped (the queue is locked while it runs). The
// damaged queue is renamed queue.damaged-TIME, never deleted: it holds personal data
// (encrypted) that may still be needed until the hub shows every salvaged submission.
func setupQueueSalvage(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	data := queueDataFlag(fs)
	key := fs.String("key", "", "the queue's key file (default DATA/keys/queue.key)")
	terminal := fs.String("terminal", "", "the terminal code (default: from the terminal's credentials in DATA)")
	return func(ctx context.Context, e *env, args []string) error {
		if len(args) > 0 {
			return usagef("unexpected arguments: %v", args)
		}
		if *data == "" {
			return usagef("--data DIR is required")
		}
		qdir := queueDir(*data)
		if qdir == *data {
			// --data named the queue directory itself; its parent is the data directory.
			*data = filepath.Dir(qdir)
		}
		if *key == "" {
			*key = filepath.Join(*data, "keys", "queue.key")
		}
		if *terminal == "" {
			cr, err := client.LoadCredentials(*data)
			if err != nil {
				return fmt.Errorf("terminal code unknown (give --terminal CODE): %w", err)
			}
			*terminal = cr.TerminalCode
		}
		stamp := time.Now().UTC().Format("20060102T150405Z")
		fresh := qdir + ".salvage-" + stamp
		damaged := qdir + ".damaged-" + stamp
		rep, err := queue.Salvage(qdir, fresh, queue.Options{
			TerminalCode: *terminal, KeyFile: *key, MinFreeBytes: -1, LockTimeout: time.Second, Logger: e.log,
		})
		if errors.Is(err, queue.ErrLocked) {
			return fmt.Errorf("the queue is open in the running kiosk: stop it first (systemctl stop govkiosk): %w", err)
		}
		if err != nil {
			return err
		}
		if err := os.Rename(qdir, damaged); err != nil {
			return fmt.Errorf("keep the damaged queue: %w (the salvaged copy is in %s)", err, fresh)
		}
		if err := os.Rename(fresh, qdir); err != nil {
			return fmt.Errorf("put the salvaged queue in place: %w (it is in %s; the damaged one in %s)", err, fresh, damaged)
		}
		if d, err := os.Open(filepath.Dir(qdir)); err == nil {
			d.Sync()
			d.Close()
		}
		fmt.Fprintf(e.stdout, "records copied %d, unreadable %d (kept in the new queue's quarantine)\n", rep.Records, rep.Unreadable)
		fmt.Fprintf(e.stdout, "files copied %d, missing %d, without a record %d (kept in %s)\n",
			rep.Files, rep.MissingFiles, rep.Orphans, filepath.Join(qdir, "quarantine"))
		for _, p := range rep.Problems {
			fmt.Fprintln(e.stdout, "problem:", p)
		}
		fmt.Fprintf(e.stdout, "the damaged queue is kept in %s; the salvaged one is in %s\n", damaged, qdir)
		return nil
	}
}
