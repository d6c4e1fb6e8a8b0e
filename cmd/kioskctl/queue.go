package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/govkiosk/govkiosk/sync/queue"
)

// Queue commands: look into the offline outbox without changing it and without showing
// anything personal. They open the queue read-only. While the kiosk runs it holds the
// queue: stats and list then read a copy of its database taken at that moment (and say
// so), check refuses (it must see the files the database names, as they are).

func init() {
	register(command{
		name:    "queue stats",
		summary: "count the outbox: queued, sending, delivered, failed, oldest waiting, bytes held",
		usage:   "--data DIR [--json]",
		setup:   setupQueueStats,
	})
	register(command{
		name:    "queue list",
		summary: "list outbox items (tracking code, item, state, attempts, reason, times; nothing personal)",
		usage:   "--data DIR [--limit N] [--state queued|sending|delivered|failed] [--utc] [--json]",
		setup:   setupQueueList,
	})
	register(command{
		name:    "queue check",
		summary: "check the outbox: database consistency, indexes, files; with --key also decrypt and verify everything",
		usage:   "--data DIR [--key FILE]",
		setup:   setupQueueCheck,
	})
}

// queueDataFlag declares the --data flag every queue command takes.
func queueDataFlag(fs *flag.FlagSet) *string {
	return fs.String("data", defaultDataDir, "the kiosk's data directory (its queue is DIR/queue), or the queue directory itself")
}

// defaultDataDir is where the installed kiosk keeps its data.
const defaultDataDir = "/var/lib/govkiosk"

// queueDir finds the queue in a kiosk data directory (DATA/queue), or takes dir as the
// queue directory itself.
func queueDir(dir string) string {
	if _, err := os.Stat(filepath.Join(dir, "queue", "queue.db")); err == nil {
		return filepath.Join(dir, "queue")
	}
	return dir
}

// openQueueReadOnly opens the queue in dir for inspection. While the kiosk runs it holds
// the queue; then the check refuses, saying so once.
func openQueueReadOnly(e *env, dir, keyFile string, args []string) (*queue.Queue, error) {
	if dir == "" {
		return nil, usagef("--data DIR is required")
	}
	dir = queueDir(dir)
	if len(args) > 0 {
		return nil, usagef("unexpected arguments: %s", strings.Join(args, " "))
	}
	q, err := queue.Open(dir, queue.Options{ReadOnly: true, KeyFile: keyFile, LockTimeout: time.Second, Logger: e.log})
	if errors.Is(err, queue.ErrLocked) {
		return nil, fmt.Errorf("the running kiosk holds the queue in %s: stop the kiosk service first, or use the technician screen (queue stats and queue list read a copy instead)", dir)
	}
	return q, err
}

// openQueueOrCopy opens the queue in dir for reading. While the kiosk runs it holds the
// queue; then a copy of its database is read, as support-bundle does, and a line on
// standard error says so (standard output stays the report, or its JSON). close closes
// the queue and removes the copy.
func openQueueOrCopy(e *env, dir string, args []string) (q *queue.Queue, close func(), err error) {
	if dir == "" {
		return nil, nil, usagef("--data DIR is required")
	}
	dir = queueDir(dir)
	if len(args) > 0 {
		return nil, nil, usagef("unexpected arguments: %s", strings.Join(args, " "))
	}
	q, how, cleanup, err := openQueueCopyIfLocked(dir, e)
	if err != nil {
		return nil, nil, err
	}
	if how != "" {
		fmt.Fprintf(e.stderr, "kioskctl: %s\n", how)
	}
	return q, func() { q.Close(); cleanup() }, nil
}

// openQueueCopyIfLocked opens the queue in dir read-only, or, when the running kiosk
// holds it, a copy of its database taken now. how is empty for the queue itself and says
// what was read otherwise; cleanup removes the copy.
func openQueueCopyIfLocked(dir string, e *env) (q *queue.Queue, how string, cleanup func(), err error) {
	opt := queue.Options{ReadOnly: true, LockTimeout: time.Second}
	if e != nil {
		opt.Logger = e.log
	}
	cleanup = func() {}
	q, err = queue.Open(dir, opt)
	if !errors.Is(err, queue.ErrLocked) {
		return q, "", cleanup, err
	}
	tmp, terr := os.MkdirTemp("", "govkiosk-queue-")
	if terr != nil {
		return nil, "", cleanup, terr
	}
	cleanup = func() { os.RemoveAll(tmp) }
	// The kiosk may be writing while the file is copied: a torn copy fails the
	// database's check on open, and is taken again.
	for try := 0; ; try++ {
		_ = os.Remove(filepath.Join(tmp, "queue.db"))
		if cerr := copyFile(filepath.Join(dir, "queue.db"), filepath.Join(tmp, "queue.db")); cerr != nil {
			cleanup()
			return nil, "", func() {}, fmt.Errorf("the running kiosk holds the queue in %s, and copying it failed: %w", dir, cerr)
		}
		q, err = queue.Open(tmp, opt)
		if err == nil || try == 2 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		cleanup()
		return nil, "", func() {}, fmt.Errorf("the running kiosk holds the queue in %s, and its copy did not open: %w", dir, err)
	}
	return q, fmt.Sprintf("the running kiosk holds the queue in %s; read from a copy taken at %s", dir, time.Now().Format(time.TimeOnly)), cleanup, nil
}

func setupQueueStats(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	data := queueDataFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON instead of text")
	return func(ctx context.Context, e *env, args []string) error {
		q, closeQ, err := openQueueOrCopy(e, *data, args)
		if err != nil {
			return err
		}
		defer closeQ()
		st, err := q.Stats()
		if err != nil {
			return err
		}
		if *asJSON {
			return queueWriteJSON(e.stdout, st)
		}
		oldest := "-"
		if !st.OldestQueued.IsZero() {
			oldest = fmt.Sprintf("%s (%s ago)", st.OldestQueued.Local().Format(time.DateTime),
				time.Since(st.OldestQueued).Round(time.Second))
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "queued\t%d\n", st.Queued)
		fmt.Fprintf(tw, "sending\t%d\n", st.Sending)
		fmt.Fprintf(tw, "delivered\t%d\n", st.Delivered)
		fmt.Fprintf(tw, "failed\t%d\n", st.Failed)
		fmt.Fprintf(tw, "held for an operator\t%d\n", st.Held)
		fmt.Fprintf(tw, "oldest waiting\t%s\n", oldest)
		fmt.Fprintf(tw, "attachment bytes held\t%d\n", st.Bytes)
		if recs, files, err := q.Quarantined(); err == nil && recs+files > 0 {
			fmt.Fprintf(tw, "set aside (unreadable records)\t%d\n", recs)
			fmt.Fprintf(tw, "set aside (files without a record)\t%d\n", files)
		}
		return tw.Flush()
	}
}

func setupQueueList(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	data := queueDataFlag(fs)
	limit := fs.Int("limit", 50, "show the newest N items (0: all)")
	state := fs.String("state", "", "show only items in this state: queued, sending, delivered, failed or held")
	utc := fs.Bool("utc", false, "print times in UTC instead of local time")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	return func(ctx context.Context, e *env, args []string) error {
		switch queue.State(*state) {
		case "", queue.Queued, queue.Sending, queue.Delivered, queue.Failed, queue.Held:
		default:
			return usagef("--state %q: want queued, sending, delivered, failed or held", *state)
		}
		if *limit < 0 {
			return usagef("--limit %d: want 0 or more", *limit)
		}
		q, closeQ, err := openQueueOrCopy(e, *data, args)
		if err != nil {
			return err
		}
		defer closeQ()
		// Filter before limiting, so --state failed --limit 5 shows five failed items.
		all, err := q.List(0)
		if err != nil {
			return err
		}
		var entries []queue.Entry
		for _, en := range all {
			if *state == "" || en.State == queue.State(*state) {
				entries = append(entries, en)
			}
		}
		if *limit > 0 && len(entries) > *limit {
			entries = entries[len(entries)-*limit:]
		}
		if *asJSON {
			if entries == nil {
				entries = []queue.Entry{}
			}
			return queueWriteJSON(e.stdout, entries)
		}
		return writeQueueTable(e.stdout, entries, *utc)
	}
}

// writeQueueTable prints entries one per line. Every column is bookkeeping; nothing a
// resident typed or scanned is in an Entry.
func writeQueueTable(w io.Writer, entries []queue.Entry, utc bool) error {
	tf := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		if utc {
			return t.UTC().Format("2006-01-02 15:04:05Z")
		}
		return t.Local().Format(time.DateTime)
	}
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTRACKING\tKIND\tITEM\tSTATE\tATTEMPTS\tFILES\tCREATED\tUPDATED\tSTATUS\tREASON")
	for _, en := range entries {
		item := en.Item
		if en.ItemTitle != "" {
			item += " (" + en.ItemTitle + ")"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\n", en.Seq, dash(en.TrackingCode),
			en.Kind, dash(item), en.State, en.Attempts, en.Files, tf(en.CreatedAt), tf(en.UpdatedAt),
			dash(en.Status), dash(strings.ReplaceAll(en.Reason, "\t", " ")))
	}
	if len(entries) == 0 {
		fmt.Fprintln(tw, "(no items)")
	}
	return tw.Flush()
}

func setupQueueCheck(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	data := queueDataFlag(fs)
	key := fs.String("key", "", "the queue's key file: also decrypt every record and attachment and verify their SHA-256")
	return func(ctx context.Context, e *env, args []string) error {
		q, err := openQueueReadOnly(e, *data, *key, args)
		if err != nil {
			return err
		}
		defer q.Close()
		rep, err := q.Check(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "items %d, files %d, attachments decrypted and verified %d\n", rep.Items, rep.Files, rep.Verified)
		if *key == "" {
			fmt.Fprintln(e.stdout, "(no --key: sealed records and attachment contents were not verified)")
		}
		for _, p := range rep.Problems {
			fmt.Fprintln(e.stdout, "problem:", p)
		}
		if len(rep.Problems) > 0 {
			return fmt.Errorf("%d problems found", len(rep.Problems))
		}
		fmt.Fprintln(e.stdout, "ok")
		return nil
	}
}

// queueWriteJSON prints v as indented JSON.
func queueWriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
