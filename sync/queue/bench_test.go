package queue

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// percentile returns the p-th percentile (0–100) of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p / 100)
	return sorted[i]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// reportLatency reports p50 and p99 of the samples in milliseconds.
func reportLatency(b *testing.B, prefix string, samples []time.Duration) {
	slices.Sort(samples)
	b.ReportMetric(ms(percentile(samples, 50)), prefix+"p50-ms")
	b.ReportMetric(ms(percentile(samples, 99)), prefix+"p99-ms")
}

// fsyncProbe measures this disk's fsync latency in dir, the floor under every durable
// enqueue: one 4 KiB write then fdatasync per call. Benchmarks call it between their
// timed operations so both see the same disk at the same moment.
type fsyncProbe struct {
	f       *os.File
	off     int64
	buf     []byte
	samples []time.Duration
}

func newFsyncProbe(b *testing.B, dir string) *fsyncProbe {
	b.Helper()
	f, err := os.CreateTemp(dir, "fsync-probe-*")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close(); os.Remove(f.Name()) })
	return &fsyncProbe{f: f, buf: make([]byte, 4096)}
}

func (p *fsyncProbe) measure(b *testing.B) {
	if _, err := p.f.WriteAt(p.buf, p.off%(1<<20)); err != nil {
		b.Fatal(err)
	}
	p.off += 4096
	start := time.Now()
	if err := p.f.Sync(); err != nil {
		b.Fatal(err)
	}
	p.samples = append(p.samples, time.Since(start))
}

func BenchmarkEnqueue(b *testing.B) {
	for _, bc := range []struct {
		name string
		size int
	}{
		{"form", 0},
		{"1MB", 1 << 20},
		{"5MB", 5 << 20},
	} {
		b.Run(bc.name, func(b *testing.B) {
			env := newEnv(b)
			q := env.open(b)
			in := sampleSubmission(1)
			if bc.size > 0 {
				in = sampleSubmission(1, bc.size)
			}
			probe := newFsyncProbe(b, env.dir)
			b.SetBytes(int64(bc.size))
			b.ReportAllocs()
			var samples []time.Duration
			for b.Loop() {
				start := time.Now()
				s, err := q.Enqueue(context.Background(), in)
				if err != nil {
					b.Fatal(err)
				}
				samples = append(samples, time.Since(start))
				// Keep the disk from filling during long runs; not timed.
				b.StopTimer()
				if err := q.MarkDelivered(s.ID, "h"); err != nil {
					b.Fatal(err)
				}
				probe.measure(b)
				b.StartTimer()
			}
			reportLatency(b, "", samples)
			reportLatency(b, "fsync-", probe.samples)
		})
	}
}

// BenchmarkDeliverCycle is one submission's whole life in the outbox: enqueue with a
// 100 KB scan, handed to the sync client, delivered.
func BenchmarkDeliverCycle(b *testing.B) {
	env := newEnv(b)
	q := env.open(b)
	in := sampleSubmission(1, 100_000)
	probe := newFsyncProbe(b, env.dir)
	b.ReportAllocs()
	var samples []time.Duration
	for b.Loop() {
		start := time.Now()
		s, err := q.Enqueue(context.Background(), in)
		if err != nil {
			b.Fatal(err)
		}
		items, err := q.Pending(1)
		if err != nil || len(items) != 1 {
			b.Fatal(err)
		}
		if err := q.MarkSending(s.ID); err != nil {
			b.Fatal(err)
		}
		if _, err := q.ReadAttachment(s.ID, 0); err != nil {
			b.Fatal(err)
		}
		if err := q.MarkDelivered(s.ID, "h"); err != nil {
			b.Fatal(err)
		}
		samples = append(samples, time.Since(start))
		b.StopTimer()
		probe.measure(b)
		b.StartTimer()
	}
	reportLatency(b, "", samples)
	reportLatency(b, "fsync-", probe.samples)
	if fi, err := os.Stat(filepath.Join(env.dir, dbName)); err == nil {
		b.ReportMetric(float64(fi.Size())/1024, "db-KiB")
	}
}

// BenchmarkPending reads a backlog of 200 waiting submissions, as the sync client does
// after a long outage.
func BenchmarkPending(b *testing.B) {
	env := newEnv(b)
	q := env.open(b)
	q.db.NoSync = true // building the backlog only; Pending itself does not write
	for i := 0; i < 200; i++ {
		mustEnqueue(b, q, sampleSubmission(i))
	}
	q.db.NoSync = false
	b.ReportAllocs()
	for b.Loop() {
		items, err := q.Pending(0)
		if err != nil || len(items) != 200 {
			b.Fatal(len(items), err)
		}
	}
}

func BenchmarkStats(b *testing.B) {
	env := newEnv(b)
	q := env.open(b)
	for i := 0; i < 20; i++ {
		mustEnqueue(b, q, sampleSubmission(i))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := q.Stats(); err != nil {
			b.Fatal(err)
		}
	}
}
