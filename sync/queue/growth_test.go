package queue

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// runCycles enqueues, sends and delivers n submissions, one a minute of fake time, with
// a scan every 50th.
func runCycles(t *testing.T, env *testEnv, q *Queue, n, base int) {
	t.Helper()
	for i := 0; i < n; i++ {
		in := sampleSubmission(base + i)
		if i%50 == 0 {
			in = sampleSubmission(base+i, 20_000)
		}
		s := mustEnqueue(t, q, in)
		if err := q.MarkSending(s.ID); err != nil {
			t.Fatal(err)
		}
		if err := q.MarkDelivered(s.ID, "h"); err != nil {
			t.Fatal(err)
		}
		env.clock.Advance(time.Minute)
	}
}

func dbSize(t *testing.T, dir string) int64 {
	t.Helper()
	fi, err := os.Stat(filepath.Join(dir, dbName))
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestDatabaseSizeIsBounded shows that bbolt's file, which never shrinks, stops growing
// once the working set (receipts within Retention) is reached: freed pages are reused
// through thousands of enqueue/deliver cycles. The control run, with a retention longer
// than the test, shows the same measurement does see growth when records accumulate.
func TestDatabaseSizeIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	const warmup, more = 150, 800
	measure := func(t *testing.T, retention time.Duration) (afterWarmup, atEnd int64) {
		env := newEnv(t)
		q := env.open(t, func(o *Options) { o.Retention = retention })
		// File size does not depend on fsync; skipping bbolt's keeps the test fast.
		q.db.NoSync = true
		runCycles(t, env, q, warmup, 0)
		afterWarmup = dbSize(t, env.dir)
		runCycles(t, env, q, more, warmup)
		atEnd = dbSize(t, env.dir)
		if names := listFiles(t, env.dir); len(names) != 0 {
			t.Errorf("attachment files left after delivery: %d", len(names))
		}
		st, err := q.Stats()
		if err != nil || st.Queued != 0 || st.Bytes != 0 {
			t.Errorf("Stats = %+v, %v", st, err)
		}
		return afterWarmup, atEnd
	}
	t.Run("bounded", func(t *testing.T) {
		t.Parallel()
		warm, end := measure(t, time.Hour) // about 60 receipts kept at any time
		t.Logf("retention 1h: %d KiB after %d cycles, %d KiB after %d more", warm>>10, warmup, end>>10, more)
		if end > warm {
			t.Errorf("database grew from %d to %d bytes through %d cycles with a bounded working set", warm, end, more)
		}
	})
	t.Run("control", func(t *testing.T) {
		t.Parallel()
		warm, end := measure(t, 365*24*time.Hour) // nothing expires: receipts pile up
		t.Logf("nothing expires: %d KiB after %d cycles, %d KiB after %d more", warm>>10, warmup, end>>10, more)
		if end < 2*warm {
			t.Errorf("control run did not grow (%d → %d bytes): the size measurement cannot see growth", warm, end)
		}
	})
}

func TestConcurrentEnqueueUniqueCodes(t *testing.T) {
	q := newEnv(t).open(t)
	const workers, each = 6, 15
	var wg sync.WaitGroup
	codes := make(chan string, workers*each)
	errs := make(chan error, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				in := sampleSubmission(w*100+i, 1000)
				s, err := q.Enqueue(context.Background(), in)
				if err != nil {
					errs <- err
					return
				}
				codes <- s.TrackingCode
				if i%3 == 0 {
					if err := q.MarkDelivered(s.ID, "h"); err != nil {
						errs <- err
					}
				}
			}
		}()
	}
	wg.Wait()
	close(codes)
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for c := range codes {
		if seen[c] {
			t.Fatalf("tracking code %s issued twice", c)
		}
		seen[c] = true
	}
	if len(seen) != workers*each {
		t.Fatalf("%d codes, want %d", len(seen), workers*each)
	}
	st, _ := q.Stats()
	if st.Queued != workers*(each-5) || st.Delivered != workers*5 {
		t.Errorf("Stats = %+v", st)
	}
	rep, err := q.Check(context.Background())
	if err != nil || len(rep.Problems) != 0 {
		t.Errorf("Check = %v %v", rep.Problems, err)
	}
}

func TestChanges(t *testing.T) {
	q := newEnv(t).open(t)
	ch, stop := q.Changes()
	t.Cleanup(stop)
	if st := <-ch; st != (Stats{}) {
		t.Errorf("initial Stats = %+v", st)
	}
	s := mustEnqueue(t, q, sampleSubmission(1))
	if st := <-ch; st.Queued != 1 || st.OldestQueued.IsZero() {
		t.Errorf("after Enqueue: %+v", st)
	}
	if err := q.MarkDelivered(s.ID, "h"); err != nil {
		t.Fatal(err)
	}
	if st := <-ch; st.Queued != 0 || st.Delivered != 1 {
		t.Errorf("after MarkDelivered: %+v", st)
	}

	// A reader that does not keep up sees the latest value, and writers never block.
	for i := 0; i < 10; i++ {
		mustEnqueue(t, q, sampleSubmission(10+i))
	}
	if st := <-ch; st.Queued != 10 {
		t.Errorf("coalesced: %+v, want the latest (10 queued)", st)
	}
	select {
	case st := <-ch:
		t.Errorf("stale value left over: %+v", st)
	default:
	}

	// stop closes the channel; Close closes the others.
	stop()
	if _, ok := <-ch; ok {
		t.Error("channel open after stop")
	}
	ch2, stop2 := q.Changes()
	defer stop2()
	<-ch2
	q.Close()
	if _, ok := <-ch2; ok {
		t.Error("channel open after Close")
	}
}
