package fleet

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/sync/hub"
)

// BenchmarkDeliver200KB measures delivery alone over loopback: b.N submissions with one
// 200 KB scan each, spread over N terminals and enqueued before the clients start, then
// delivered to a real hub in this process (every chunk fsynced before its ack, every
// commit fsynced). One op is one delivered submission. Run with -benchtime=400x or more
// for a stable figure; docs/PERFORMANCE.md has the numbers.
func BenchmarkDeliver200KB(b *testing.B) {
	const size = 200_000
	for _, n := range []int{1, 4, 16, 64} {
		b.Run(fmt.Sprintf("terminals=%d", n), func(b *testing.B) {
			_, url := startHub(b, hub.Options{OperatorToken: testToken})
			deliverAll(b, url, n, size)
		})
	}
}

// deliverAll is one delivery benchmark: terminals kiosks enqueue b.N submissions of size
// bytes between them while stopped, then all start at once against the hub at url. It
// reports submissions/s and the p99 time from enqueue to the hub's ack.
func deliverAll(b *testing.B, url string, terminals int, size int64) {
	ctx := context.Background()
	f, err := Open(ctx, Options{HubURL: url, Kiosks: terminals, OperatorToken: testToken, Dir: b.TempDir(), Client: quick})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	err = f.each(ctx, func(ctx context.Context, k *Kiosk) error {
		share := b.N / terminals
		if k.Index <= b.N%terminals {
			share++
		}
		for range share {
			if _, err := k.Enqueue(ctx, int(size)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ResetTimer()
	start := time.Now()
	if err := f.Start(); err != nil {
		b.Fatal(err)
	}
	if err := f.Wait(ctx, 10*time.Minute); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	r := f.report(start)
	if r.Delivered != b.N || r.Failed != 0 {
		b.Fatalf("delivered %d, failed %d of %d", r.Delivered, r.Failed, b.N)
	}
	b.ReportMetric(r.SubmissionsPerSecond, "submissions/s")
	b.ReportMetric(float64(r.Deliver.P99.Microseconds())/1000, "p99-ack-ms")
}
