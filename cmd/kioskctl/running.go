package main

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// kioskLockFile is the file in the kiosk's data directory that a running kiosk holds
// locked (cmd/kiosk takes it at start and writes its process id into it).
const kioskLockFile = "kiosk.lock"

// kioskRunning tells whether a kiosk runs on the data directory, and its process id when
// it wrote one. It only tries the lock and lets go of it at once.
func kioskRunning(dataDir string) (pid int, running bool) {
	if dataDir == "" {
		return 0, false
	}
	path := filepath.Join(dataDir, kioskLockFile)
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return 0, false
		}
		b, _ := os.ReadFile(path)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return pid, true
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return 0, false
}
