// Package chaos holds the crash tests of the sync path: real kiosk processes and real
// kiosk-hub processes killed with SIGKILL at random points, restarted on the same data,
// and checked afterwards for the promise of sync/queue and sync/hub together — every
// submission a terminal acknowledged to a resident reaches the hub exactly once.
//
// The package has no code of its own; its tests are in the _test.go files. A few cycles
// run with go test; SYNC_CHAOS_CYCLES=N runs N cycles of each test (100 for the long
// run), SYNC_CHAOS_SEED=S repeats a run's random kill points.
package chaos
