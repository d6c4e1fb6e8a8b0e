package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// processStart is when the kernel started this process, so that the start-up time the
// kiosk reports includes loading the binary and the Go runtime, not only run's share. It
// falls back to the time the package was initialised where /proc is not there.
var processStart = startTime()

// clockTicks is the unit of /proc/PID/stat's start time (USER_HZ, 100 on every Linux
// architecture Go supports).
const clockTicks = 100

func startTime() time.Time {
	now := time.Now()
	stat, err1 := os.ReadFile("/proc/self/stat")
	uptime, err2 := os.ReadFile("/proc/uptime")
	if err := errors.Join(err1, err2); err != nil {
		return now
	}
	age, err := processAge(string(stat), string(uptime))
	if err != nil {
		return now
	}
	return now.Add(-age)
}

// processAge is how long ago a process started, from its /proc/PID/stat line and
// /proc/uptime, to the 10 ms the kernel counts in.
func processAge(stat, uptime string) (time.Duration, error) {
	// The command name (field 2) may hold spaces and parentheses: count fields after the
	// last ')'. Field 3 (state) comes first there; field 22 is the start time in ticks.
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("stat: no command name")
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 20 {
		return 0, fmt.Errorf("stat: %d fields after the name, want at least 20", len(f))
	}
	ticks, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("stat: start time: %w", err)
	}
	u := strings.Fields(uptime)
	if len(u) == 0 {
		return 0, errors.New("uptime: empty")
	}
	up, err := strconv.ParseFloat(u[0], 64)
	if err != nil {
		return 0, fmt.Errorf("uptime: %w", err)
	}
	age := time.Duration(up*float64(time.Second)) - time.Duration(ticks)*time.Second/clockTicks
	if age < 0 {
		return 0, fmt.Errorf("start time %d ticks is after uptime %.2f s", ticks, up)
	}
	return age, nil
}

// logMemory logs the Go heap after a collection, every interval until ctx ends: for
// measurements (-mem-stats), not for production, since the collection it forces costs a
// pause.
func logMemory(ctx context.Context, log *slog.Logger, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			log.Info("memory", "heap_alloc_kb", m.HeapAlloc>>10, "heap_inuse_kb", m.HeapInuse>>10,
				"heap_sys_kb", m.HeapSys>>10, "heap_released_kb", m.HeapReleased>>10, "goroutines", runtime.NumGoroutine())
		}
	}
}
