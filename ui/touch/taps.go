package touch

import "sync/atomic"

// taps counts the taps the kiosk's widgets have handled (buttons, fields, items and
// tiles, disabled ones included). The automation map carries it, so a test driving the
// real window can tell whether the kiosk has handled its last tap before it reads the
// screen: on a loaded machine the events of a quick run of key taps can still be
// queued when the map of an earlier state is already written.
var taps atomic.Int64

// Taps returns how many taps the kiosk's widgets have handled since the start.
func Taps() int64 { return taps.Load() }
