package ui_test

import (
	"testing"

	"github.com/govkiosk/govkiosk/ui/uitest"
)

// TestFirstFrame checks that FirstFrame waits for a painted frame: the test driver
// paints only when the window is captured.
func TestFirstFrame(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	select {
	case <-k.App.FirstFrame():
		t.Fatal("first frame reported before anything was painted")
	default:
	}
	k.Capture()
	select {
	case <-k.App.FirstFrame():
	default:
		t.Fatal("first frame not reported after a frame was painted")
	}
	k.Capture() // a second frame must not close the channel again
}
