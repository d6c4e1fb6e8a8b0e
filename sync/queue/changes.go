package queue

import "sync"

// changeHub fans fresh Stats out to subscribers. Each subscriber has a one-slot channel
// holding the latest Stats: a slow reader misses intermediate values, never the last one,
// and never blocks a writer.
type changeHub struct {
	mu     sync.Mutex // serialises computing and sending, so a newer value is never overtaken
	subs   map[chan Stats]struct{}
	closed bool
}

// Changes returns a channel that receives the current Stats at once and again after
// every change (enqueue, state change, status update, prune), and a function to stop
// receiving. The channel is closed by that function or by Close. It is how the UI and
// the sync client learn there is something new without polling.
func (q *Queue) Changes() (<-chan Stats, func()) {
	ch := make(chan Stats, 1)
	h := &q.changes
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(ch)
		return ch, func() {}
	}
	if h.subs == nil {
		h.subs = make(map[chan Stats]struct{})
	}
	h.subs[ch] = struct{}{}
	if st, err := q.stats(); err == nil {
		ch <- st
	}
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			if _, ok := h.subs[ch]; ok {
				delete(h.subs, ch)
				close(ch)
			}
		})
	}
}

// changed tells the subscribers the latest Stats. Called with q.mu held for reading.
func (q *Queue) changed() {
	h := &q.changes
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.subs) == 0 {
		return
	}
	st, err := q.stats()
	if err != nil {
		q.log.Warn("queue: stats for change notification", "err", err)
		return
	}
	for ch := range h.subs {
		select {
		case <-ch: // drop the stale value
		default:
		}
		ch <- st // cannot block: the slot is empty and only we send, under h.mu
	}
}

func (h *changeHub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for ch := range h.subs {
		close(ch)
	}
	h.subs = nil
}
