package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// lockFile is the file in the data directory a running kiosk holds locked.
const lockFile = "kiosk.lock"

// DataDirInUseError says another kiosk runs on the data directory: two kiosks on one
// outbox and one set of keys would corrupt each other's state.
type DataDirInUseError struct {
	Dir string
	PID int // the other kiosk's process, when it wrote it
}

func (e *DataDirInUseError) Error() string {
	who := "another kiosk"
	if e.PID > 0 {
		who = fmt.Sprintf("another kiosk (process %d)", e.PID)
	}
	return fmt.Sprintf("data directory %s is in use by %s; stop it first, or give this one its own directory with -data", e.Dir, who)
}

// lockDataDir takes the data directory for this process until release is called or the
// process ends (the kernel drops the lock with it, so a crash leaves nothing stale).
func lockDataDir(dir string) (release func(), err error) {
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data directory lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			b, _ := os.ReadFile(path)
			pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
			return nil, &DataDirInUseError{Dir: dir, PID: pid}
		}
		return nil, fmt.Errorf("data directory lock: %w", err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
			_ = f.Close()
		})
	}, nil
}
