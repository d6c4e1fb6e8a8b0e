package client

import (
	"sync"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/sync/protocol"
)

// TestStorageFailureRetryAfterIsHonoured is finding 4 of the reliability review: a hub
// whose disk is full answers each submit with "internal" and retry_after_ms. The
// terminal must wait that long (with jitter) before it sends anything again, for the
// whole outbox, not go on to the next item and re-send its backlog every pass. Before
// the fix five queued items were each sent every pass (dozens of submits a second).
func TestStorageFailureRetryAfterIsHonoured(t *testing.T) {
	const retryAfter = 300 * time.Millisecond
	const watch = 1500 * time.Millisecond
	var mu sync.Mutex
	var at []time.Time
	tests := []struct {
		name string
		err  func(ref string) *protocol.Error
	}{
		{"internal with ref", func(ref string) *protocol.Error {
			return &protocol.Error{Code: protocol.CodeInternal, Ref: ref, Message: "hub storage failure", RetryAfterMS: retryAfter.Milliseconds()}
		}},
		{"internal without ref", func(string) *protocol.Error {
			return &protocol.Error{Code: protocol.CodeInternal, Message: "hub storage failure", RetryAfterMS: retryAfter.Milliseconds()}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			at = nil
			mu.Unlock()
			done := make(chan struct{})
			fh := newFakeHub(t, honestHandshake, func(t *testing.T, fc *fakeConn) {
				defer close(done)
				end := time.Now().Add(watch)
				for time.Now().Before(end) {
					fc.ws.SetReadDeadline(end)
					m, err := fc.recv()
					if err != nil {
						return
					}
					if s, ok := m.(*protocol.Submit); ok {
						mu.Lock()
						at = append(at, time.Now())
						mu.Unlock()
						fc.send(tt.err(s.ID))
					}
				}
			})
			q := openQueue(t, fh.creds)
			for range 5 {
				enqueue(t, q, "", 100)
			}
			run(t, fast(fh.creds, q))
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("script did not end")
			}
			mu.Lock()
			defer mu.Unlock()
			if max := int(watch/retryAfter) + 1; len(at) == 0 || len(at) > max {
				t.Fatalf("%d submits in %v with retry_after %v, want 1 to %d", len(at), watch, retryAfter, max)
			}
			for i := 1; i < len(at); i++ {
				if gap := at[i].Sub(at[i-1]); gap < retryAfter-10*time.Millisecond {
					t.Errorf("submit %d came %v after the last, before the %v the hub asked for", i, gap, retryAfter)
				}
			}
			if st, _ := q.Stats(); st.Failed != 0 || st.Queued+st.Sending != 5 {
				t.Errorf("outbox %+v, want all 5 kept queued", st)
			}
			t.Logf("%d submits in %v", len(at), watch)
		})
	}
}
