package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"time"
)

// RunOptions describe one load run on top of the fleet's Options.
type RunOptions struct {
	Options
	// Submissions is how many submissions each terminal enqueues.
	Submissions int
	// AttachmentSize is the size of each submission's one attachment; 0 sends forms only.
	AttachmentSize int
	// Preload enqueues everything before the clients start, so the throughput measured is
	// delivery alone; otherwise the clients deliver while the terminals enqueue, as in a
	// service hall.
	Preload bool
	// Timeout bounds the wait for delivery. Default 10 minutes.
	Timeout time.Duration
	// Verify looks every submission up at the hub by tracking code afterwards and checks
	// the id (one HTTP request each).
	Verify bool
}

// Latency summarises durations.
type Latency struct {
	N             int
	P50, P99, Max time.Duration
}

// MarshalJSON writes milliseconds.
func (l Latency) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		N     int     `json:"n"`
		P50MS float64 `json:"p50_ms"`
		P99MS float64 `json:"p99_ms"`
		MaxMS float64 `json:"max_ms"`
	}{l.N, ms(l.P50), ms(l.P99), ms(l.Max)})
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Summarise returns the count, median, 99th percentile (nearest rank) and maximum.
func Summarise(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := func(p float64) time.Duration {
		i := int(float64(len(s))*p+0.999999) - 1
		return s[min(max(i, 0), len(s)-1)]
	}
	return Latency{N: len(s), P50: rank(0.50), P99: rank(0.99), Max: s[len(s)-1]}
}

// Report is what a run measured.
type Report struct {
	Kiosks int `json:"kiosks"`
	// Enqueued counts submissions made durable at the terminals.
	Enqueued int `json:"enqueued"`
	// Delivered counts those the hub acknowledged; Failed those refused for good.
	Delivered int `json:"delivered"`
	Failed    int `json:"failed"`
	// DeliveredBytes is the attachment bytes of the delivered submissions.
	DeliveredBytes int64 `json:"delivered_bytes"`
	// Elapsed runs from the first enqueue (or, preloaded, the start of the clients) to
	// the last acknowledgement.
	Elapsed              time.Duration `json:"-"`
	ElapsedSeconds       float64       `json:"elapsed_s"`
	SubmissionsPerSecond float64       `json:"submissions_per_s"`
	MBPerSecond          float64       `json:"mb_per_s"`
	// Enqueue is how long Enqueue took; Deliver is from Enqueue returning (the receipt
	// printing) to the hub's acknowledgement being recorded.
	Enqueue Latency `json:"enqueue"`
	Deliver Latency `json:"time_to_deliver"`
	// Hub counters over the run, from its /metrics (-1: could not be read).
	HubCommitted         int64 `json:"hub_committed"`
	HubDuplicates        int64 `json:"hub_duplicates"`
	HubTryLater          int64 `json:"hub_try_later"`
	HubHandshakesRefused int64 `json:"hub_handshakes_refused"`
	// Verified counts submissions found at the hub under their tracking code with their
	// id; Missing those not found; Mismatched those found with another id. Zero unless
	// RunOptions.Verify.
	Verified   int `json:"verified"`
	Missing    int `json:"missing"`
	Mismatched int `json:"mismatched"`
	// Connects and Dials sum the clients' handshakes and connection attempts.
	Connects int64 `json:"connects"`
	Dials    int64 `json:"dials"`
	TimedOut bool  `json:"timed_out"`
}

// Run opens a fleet, enqueues, waits for delivery, measures and closes it. The report is
// returned with ErrTimeout when not everything arrived in time.
func Run(ctx context.Context, ro RunOptions) (*Report, error) {
	if ro.Timeout <= 0 {
		ro.Timeout = 10 * time.Minute
	}
	f, err := Open(ctx, ro.Options)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	before, metricsErr := ScrapeMetrics(ctx, f.opt.HTTPClient, f.opt.HubURL)

	var start time.Time
	if ro.Preload {
		if err := f.Enqueue(ctx, ro.Submissions, ro.AttachmentSize); err != nil {
			return nil, err
		}
		start = time.Now()
		if err := f.Start(); err != nil {
			return nil, err
		}
	} else {
		if err := f.Start(); err != nil {
			return nil, err
		}
		start = time.Now()
		if err := f.Enqueue(ctx, ro.Submissions, ro.AttachmentSize); err != nil {
			return nil, err
		}
	}
	waitErr := f.Wait(ctx, ro.Timeout)
	f.Stop()
	if waitErr != nil && !errors.Is(waitErr, ErrTimeout) {
		return nil, waitErr
	}

	r := f.report(start)
	r.TimedOut = waitErr != nil
	r.HubCommitted, r.HubDuplicates, r.HubTryLater, r.HubHandshakesRefused = -1, -1, -1, -1
	if after, err := ScrapeMetrics(ctx, f.opt.HTTPClient, f.opt.HubURL); err == nil && metricsErr == nil {
		delta := func(name string) int64 { return int64(after[name] - before[name]) }
		r.HubCommitted = delta("govkiosk_hub_submissions_total")
		r.HubDuplicates = delta("govkiosk_hub_duplicates_total")
		r.HubTryLater = delta("govkiosk_hub_try_later_total")
		r.HubHandshakesRefused = delta("govkiosk_hub_handshakes_refused_total")
	}
	if ro.Verify {
		if err := f.verify(ctx, r); err != nil {
			return r, err
		}
	}
	return r, waitErr
}

// report gathers the terminals' counters.
func (f *Fleet) report(start time.Time) *Report {
	r := &Report{Kiosks: len(f.Kiosks)}
	var enq, del []time.Duration
	var last time.Time
	for _, k := range f.Kiosks {
		k.mu.Lock()
		r.Enqueued += len(k.sent)
		r.Delivered += k.delivered
		r.Failed += k.failed
		r.DeliveredBytes += k.delBytes
		enq = append(enq, k.enqLat...)
		del = append(del, k.delLat...)
		if k.lastDeliv.After(last) {
			last = k.lastDeliv
		}
		k.mu.Unlock()
		if k.Client != nil {
			st := k.Client.Stats()
			r.Connects += st.Connects
			r.Dials += st.Dials
		}
	}
	r.Enqueue, r.Deliver = Summarise(enq), Summarise(del)
	if !last.IsZero() && last.After(start) {
		r.Elapsed = last.Sub(start)
		r.ElapsedSeconds = r.Elapsed.Seconds()
		r.SubmissionsPerSecond = float64(r.Delivered) / r.ElapsedSeconds
		r.MBPerSecond = float64(r.DeliveredBytes) / 1e6 / r.ElapsedSeconds
	}
	return r
}

// verify looks every submission up at the hub, eight at a time.
func (f *Fleet) verify(ctx context.Context, r *Report) error {
	var all []Sent
	for _, k := range f.Kiosks {
		all = append(all, k.Sent()...)
	}
	work := make(chan Sent)
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range work {
				got, err := LookupSubmissionsAs(ctx, f.opt.HTTPClient, f.opt.HubURL, f.opt.OperatorToken, s.TrackingCode)
				mu.Lock()
				switch {
				case err != nil:
					if firstErr == nil {
						firstErr = err
					}
				case len(got) == 0:
					r.Missing++
				case len(got) == 1 && got[0].ID == s.ID:
					r.Verified++
				default:
					r.Mismatched++
				}
				mu.Unlock()
			}
		}()
	}
	for _, s := range all {
		work <- s
	}
	close(work)
	wg.Wait()
	return firstErr
}
