package tts

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSynthesizeSpeaksBothLanguages(t *testing.T) {
	e, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lang Lang
		text string
	}{
		{Zh, "请将身份证放在读卡区"},
		{En, "Please place your ID card on the reader"},
	} {
		c, err := e.Synthesize(context.Background(), tc.lang, tc.text, Normal)
		if err != nil {
			t.Fatalf("%s: %v", tc.lang, err)
		}
		if c.Rate != e.SampleRate() || c.Rate < 8000 {
			t.Errorf("%s: rate %d", tc.lang, c.Rate)
		}
		// About 1.5 to 6 seconds of speech, and not silence.
		if d := c.Duration(); d < 1500*time.Millisecond || d > 6*time.Second {
			t.Errorf("%s: %v of audio", tc.lang, d)
		}
		if r := c.RMS(); r < 300 {
			t.Errorf("%s: RMS %.0f: silent", tc.lang, r)
		}
	}
}

func TestSynthesizeSlowIsLonger(t *testing.T) {
	e, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	fast, _ := e.Synthesize(context.Background(), En, "one two three four five six", Normal)
	slow, _ := e.Synthesize(context.Background(), En, "one two three four five six", Slow)
	if slow.Duration() <= fast.Duration() {
		t.Errorf("slow %v not longer than normal %v", slow.Duration(), fast.Duration())
	}
}

func TestSynthesizeRefuses(t *testing.T) {
	e, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Synthesize(context.Background(), "fr", "bonjour", Normal); !errors.Is(err, ErrUnsupported) {
		t.Errorf("fr: %v, want ErrUnsupported", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Synthesize(ctx, Zh, "请稍候", Normal); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// A background synthesis (warming the cache) gives way to one a resident is waiting for:
// the urgent one finishes first even when the background one started earlier.
func TestBackgroundGivesWay(t *testing.T) {
	e, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("请将身份证放在读卡区。", 40)
	done := make(chan string, 2)
	go func() {
		_, err := e.Synthesize(Background(context.Background()), Zh, long, Normal)
		if err != nil {
			t.Error(err)
		}
		done <- "background"
	}()
	for e.mu.TryLock() { // until the background job holds the engine
		e.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	c, err := e.Synthesize(context.Background(), En, "Please take your receipt", Normal)
	if err != nil || c.Duration() < time.Second {
		t.Fatalf("urgent: %v, %v", c.Duration(), err)
	}
	done <- "urgent"
	if first := <-done; first != "urgent" {
		t.Errorf("%s finished first", first)
	}
	<-done
}
