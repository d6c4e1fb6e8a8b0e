package health

import (
	"testing"
)

func TestTrackerNotifiesOnlyChanges(t *testing.T) {
	tr := NewTracker("printer", Printer)
	if tr.Current().State != Unknown {
		t.Fatalf("start state %s", tr.Current().State)
	}
	ch, stop := tr.Subscribe()
	defer stop()
	if !tr.Set(Online, "", nil) {
		t.Fatal("first change not reported")
	}
	if tr.Set(Online, "", nil) {
		t.Error("the same state again counted as a change")
	}
	tr.Set(UserError, "paper out", map[string]string{"paper": "out"})
	// The subscriber keeps up to the newest: it sees online, then paper out.
	if got := <-ch; got.State != Online {
		t.Fatalf("first event %v", got)
	}
	if got := <-ch; got.State != UserError || got.Details["paper"] != "out" {
		t.Fatalf("second event %v", got)
	}
}

func TestSlowSubscriberGetsTheLatest(t *testing.T) {
	tr := NewTracker("idcard", IDCard)
	ch, stop := tr.Subscribe()
	for _, s := range []State{Online, Busy, Online, Busy, Online, Offline} {
		tr.Set(s, "", nil)
	}
	var last Status
	for len(ch) > 0 {
		last = <-ch
	}
	if last.State != Offline {
		t.Fatalf("latest seen %s, want offline", last.State)
	}
	stop()
	if _, ok := <-ch; ok {
		t.Fatal("channel open after stop")
	}
	stop() // twice is harmless
}

func TestCurrentIsACopy(t *testing.T) {
	tr := NewTracker("printer", Printer)
	tr.Set(Online, "", map[string]string{"paper": "ok"})
	c := tr.Current()
	c.Details["paper"] = "out"
	if tr.Current().Details["paper"] != "ok" {
		t.Fatal("changing a returned status changed the tracker")
	}
}

func TestUsable(t *testing.T) {
	for s, want := range map[State]bool{Online: true, Busy: true, Offline: false, HardwareError: false, UserError: false, Unknown: false} {
		if s.Usable() != want {
			t.Errorf("%s.Usable() = %v", s, !want)
		}
	}
}
