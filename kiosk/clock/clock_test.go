package clock

import (
	"testing"
	"time"
)

// fake drives both hooks: the wall clock can be set anywhere, the monotonic one only
// moves forward.
type fake struct {
	wall time.Time
	mono time.Duration
}

func (f *fake) advance(d time.Duration) { f.wall = f.wall.Add(d); f.mono += d }

func newFake(wall time.Time) (*Clock, *fake) {
	f := &fake{wall: wall}
	return New(Options{Wall: func() time.Time { return f.wall }, Mono: func() time.Duration { return f.mono },
		Floor: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}), f
}

var (
	epoch   = time.Unix(0, 0).UTC()
	y2kEve  = time.Date(1999, 12, 31, 23, 59, 0, 0, time.UTC)
	hubTime = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	goodNow = time.Date(2026, 12, 3, 9, 0, 5, 0, time.UTC)
)

func TestTrustedTime(t *testing.T) {
	tests := []struct {
		name     string
		wall     time.Time
		hub      time.Time // zero: no handshake
		after    time.Duration
		want     time.Time
		source   Source
		hubTaken bool
	}{
		{"plausible wall, no hub", goodNow, time.Time{}, 0, goodNow, SourceWall, false},
		{"dead battery 1970, no hub", epoch, time.Time{}, 0, epoch, SourceUnknown, false},
		{"1999-12-31, no hub", y2kEve, time.Time{}, 0, y2kEve, SourceUnknown, false},
		{"1970 wall, hub answered", epoch, hubTime, 90 * time.Second, hubTime.Add(90 * time.Second), SourceHub, true},
		{"good wall, hub answered", goodNow, hubTime, time.Minute, hubTime.Add(time.Minute), SourceHub, true},
		{"hub clock at 1970 is not taken", goodNow, epoch, time.Minute, goodNow.Add(time.Minute), SourceWall, false},
		{"both at 1970", epoch, epoch, time.Minute, epoch.Add(time.Minute), SourceUnknown, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f := newFake(tt.wall)
			if !tt.hub.IsZero() {
				if got := c.SetHub(tt.hub); got != tt.hubTaken {
					t.Errorf("SetHub = %v, want %v", got, tt.hubTaken)
				}
			}
			f.advance(tt.after)
			got, src := c.Trusted()
			if !got.Equal(tt.want) || src != tt.source {
				t.Errorf("Trusted = %v %s, want %v %s", got, src, tt.want, tt.source)
			}
			if c.Known() != (tt.source != SourceUnknown) {
				t.Errorf("Known = %v with source %s", c.Known(), tt.source)
			}
		})
	}
}

// A wall clock set back (or jumping) after the handshake does not move the trusted
// time: only the monotonic clock does.
func TestWallClockJumpDoesNotMoveTrustedTime(t *testing.T) {
	c, f := newFake(goodNow)
	c.SetHub(hubTime)
	f.wall = epoch // battery fails, or someone sets the clock back
	f.mono += 10 * time.Second
	if got, src := c.Trusted(); !got.Equal(hubTime.Add(10*time.Second)) || src != SourceHub {
		t.Errorf("Trusted = %v %s after a wall-clock jump", got, src)
	}
	if c.WallPlausible() {
		t.Error("WallPlausible with the wall clock at 1970")
	}
}

func TestFloorDefault(t *testing.T) {
	if Floor().Before(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Floor = %v", Floor())
	}
	c := New(Options{})
	if !c.Known() {
		t.Skip("this machine's clock is before the build floor")
	}
	if d := time.Since(c.Now()); d < -time.Second || d > time.Second {
		t.Errorf("real clock off by %v", d)
	}
}
