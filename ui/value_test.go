package ui

import "testing"

func TestValueKeepsTheLatestForASlowReader(t *testing.T) {
	v := NewValue(1)
	ch, stop := v.Subscribe()
	v.Set(2)
	v.Set(3) // the reader has not read 2: it gets 3 instead
	if got := <-ch; got != 3 {
		t.Fatalf("got %d, want 3", got)
	}
	if v.Current() != 3 {
		t.Fatalf("Current %d", v.Current())
	}
	stop()
	if _, ok := <-ch; ok {
		t.Fatal("channel open after stop")
	}
	stop() // twice is harmless
	v.Set(4)
}

// TestValueSubscriberStartsFromTheCurrent: a value set before a reader subscribes (the
// sync client connected, announcements pushed, while the window was opening) reaches it.
func TestValueSubscriberStartsFromTheCurrent(t *testing.T) {
	v := NewValue("offline")
	v.Set("online")
	ch, stop := v.Subscribe()
	defer stop()
	select {
	case got := <-ch:
		if got != "online" {
			t.Fatalf("subscriber got %q, want online", got)
		}
	default:
		t.Fatal("a new subscriber gets nothing until the next change: it shows a stale state")
	}
}
