package main

// --record FILE on the commands that talk to a device: every byte to and from the device
// goes into FILE (drivers/transport/record.go describes the format), and
// drivers/transport/transporttest plays it back in a test as the device. A session with a
// real reader or printer that went wrong becomes a regression test that way.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/govkiosk/govkiosk/drivers/transport"
)

// recordFlag is a command's --record flag.
type recordFlag struct {
	path *string
	fs   *flag.FlagSet
}

func addRecordFlag(fs *flag.FlagSet) recordFlag {
	return recordFlag{fs: fs, path: fs.String("record", "",
		"record every byte to and from the device into `FILE` (mode 0600) for a playback test; "+
			"a card's personal data ends up there too: record synthetic test cards only")}
}

// start opens the recording, or returns a nil recorder without --record. finish closes
// it and reports what went wrong writing it.
func (rf recordFlag) start(e *env) (rec *transport.Recorder, finish func() error, err error) {
	if *rf.path == "" {
		return nil, func() error { return nil }, nil
	}
	f, err := os.OpenFile(*rf.path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("--record: %w", err)
	}
	// The header says what was run, so whoever turns it into a test knows the steps.
	var flags []string
	rf.fs.Visit(func(f *flag.Flag) {
		if f.Name != "record" {
			flags = append(flags, "--"+f.Name+" "+f.Value.String())
		}
	})
	rec = transport.NewRecorder(f, strings.TrimSpace(rf.fs.Name()+" "+strings.Join(flags, " ")))
	return rec, func() error {
		err := errors.Join(rec.Err(), f.Close())
		if err != nil {
			return fmt.Errorf("--record %s: %w", *rf.path, err)
		}
		fmt.Fprintf(e.stderr, "recorded the session to %s\n", *rf.path)
		return nil
	}, nil
}

// recordOpener wraps a driver's port opener so that every port it opens is recorded; a
// nil recorder leaves it as it is.
func recordOpener(rec *transport.Recorder, open func(context.Context) (transport.Port, error)) func(context.Context) (transport.Port, error) {
	if rec == nil {
		return open
	}
	return func(ctx context.Context) (transport.Port, error) {
		p, err := open(ctx)
		if err != nil {
			return nil, err
		}
		return rec.Wrap(p), nil
	}
}
