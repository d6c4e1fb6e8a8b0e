package client

import (
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/sync/hub"
)

// TestHubSeesTheDrainedQueueAtOnce: the first heartbeat of a connection goes out before
// the delivery pass, so it reports what is about to be delivered. Before the fix the
// hub kept showing "1 queued" for a terminal that had delivered everything until the
// next heartbeat interval (30 s by default; an hour here).
func TestHubSeesTheDrainedQueueAtOnce(t *testing.T) {
	lh := startHub(t, hub.Options{})
	cr := lh.enroll(t)
	q := openQueue(t, cr)
	enqueue(t, q, "")
	opt := fast(cr, q)
	opt.HeartbeatInterval = time.Hour
	run(t, opt)
	waitFor(t, 5*time.Second, "delivered", func() bool { return delivered(q) == 1 })
	waitFor(t, 5*time.Second, "the hub sees an empty outbox", func() bool {
		ts := lh.Terminals()
		return len(ts) == 1 && !ts[0].HeartbeatAt.IsZero() && ts[0].Queue.Queued == 0 && ts[0].Queue.Sending == 0
	})
	// A second submission while connected is reported drained too.
	enqueue(t, q, "")
	waitFor(t, 5*time.Second, "delivered", func() bool { return delivered(q) == 2 })
	waitFor(t, 5*time.Second, "the hub sees an empty outbox again", func() bool {
		ts := lh.Terminals()
		return ts[0].Queue.Queued == 0 && ts[0].Queue.Sending == 0
	})
}
