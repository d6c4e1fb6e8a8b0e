package booking

import (
	"errors"
	"testing"
	"time"
)

// Thursday 3 December 2026, 10:00 in Beijing.
var now = time.Date(2026, 12, 3, 10, 0, 0, 0, CST)

func TestBookable(t *testing.T) {
	var r Rules
	for _, tc := range []struct {
		slot string
		want error
	}{
		{"2026-12-03/am", ErrPast},        // began at 09:00
		{"2026-12-03/pm", nil},            // 13:30 today
		{"2026-12-02/pm", ErrPast},        // yesterday
		{"2026-12-04/am", nil},            // Friday
		{"2026-12-05/am", ErrUnavailable}, // Saturday
		{"2026-12-16/pm", nil},            // the last day of the window
		{"2026-12-17/am", ErrUnavailable}, // beyond it
		{"2026-12-04/eve", ErrFormat},
		{"2026-13-04/am", ErrFormat},
	} {
		s, err := Parse(tc.slot)
		if err == nil {
			err = r.Bookable(s, now)
		}
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%s: %v, want %v", tc.slot, err, tc.want)
		}
	}
}

func TestWindow(t *testing.T) {
	w := Rules{}.Window(time.Date(2026, 12, 3, 17, 0, 0, 0, time.UTC)) // already the 4th in Beijing
	if len(w) != WindowDays || w[0] != "2026-12-04" || w[13] != "2026-12-17" {
		t.Fatalf("window %v", w)
	}
}

func TestSlotTimes(t *testing.T) {
	s := Slot{Date: "2026-12-04", Half: PM}
	if got := s.Start(CST); !got.Equal(time.Date(2026, 12, 4, 13, 30, 0, 0, CST)) {
		t.Errorf("start %v", got)
	}
	if s.Hours() != "13:30–17:00" || s.String() != "2026-12-04/pm" {
		t.Errorf("%q %q", s.Hours(), s.String())
	}
	f := Free{Slot: s, Capacity: 2, Booked: 2}
	if f.Bookable() || f.Left() != 0 {
		t.Error("a full slot is bookable")
	}
}

func TestCheckAddress(t *testing.T) {
	if CheckAddress("样例市示范路1号") != nil {
		t.Error("a real address refused")
	}
	if !errors.Is(CheckAddress(" 一号 "), ErrAddress) {
		t.Error("a two-character address accepted")
	}
}
