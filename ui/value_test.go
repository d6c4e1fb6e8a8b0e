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
