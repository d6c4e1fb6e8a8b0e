package hub

import (
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// sourceLimiter keeps one token bucket per source address, so one noisy address cannot
// spend a budget meant for everyone. It remembers at most max sources; when full it
// forgets the buckets that have refilled (they would admit a newcomer anyway), and if
// none has, it refuses unknown sources until some do.
type sourceLimiter struct {
	rate  float64
	burst int
	max   int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[netip.Prefix]*tokenBucket
}

func newSourceLimiter(rate float64, burst, max int, now func() time.Time) *sourceLimiter {
	return &sourceLimiter{rate: rate, burst: burst, max: max, now: now, buckets: map[netip.Prefix]*tokenBucket{}}
}

// sourceOf is the budget key of a remote address: the IPv4 address, or the /64 of an
// IPv6 one (a single host usually holds a whole /64). Headers such as X-Forwarded-For
// are ignored: anyone can write them.
func sourceOf(remote string) netip.Prefix {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Prefix{}
	}
	ip = ip.Unmap()
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, _ := ip.Prefix(bits)
	return p
}

// take spends a token of the source's bucket, or says how long until one is there.
func (l *sourceLimiter) take(remote string) (bool, time.Duration) {
	key := sourceOf(remote)
	l.mu.Lock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= l.max {
			l.forgetFull()
		}
		if len(l.buckets) >= l.max {
			l.mu.Unlock()
			return false, time.Duration(float64(time.Second) / l.rate)
		}
		b = newTokenBucket(l.rate, l.burst, l.now)
		l.buckets[key] = b
	}
	l.mu.Unlock()
	return b.take()
}

// forgetFull drops buckets that have refilled completely. Called with l.mu held.
func (l *sourceLimiter) forgetFull() {
	for k, b := range l.buckets {
		if b.full() {
			delete(l.buckets, k)
		}
	}
}

// full reports whether the bucket has refilled to its burst.
func (b *tokenBucket) full() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	el := b.now().Sub(b.last).Seconds()
	return b.tokens+el*b.rate >= b.burst
}

// capListener accepts at most max connections at once. One over the cap is closed at
// once rather than left in the kernel's queue: the client learns right away, and the
// hub's memory does not grow with connections it never serves.
type capListener struct {
	net.Listener
	max     int64
	open    atomic.Int64
	refused *atomic.Int64
}

func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) > l.max {
			l.open.Add(-1)
			l.refused.Add(1)
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetLinger(0) // a reset, not a FIN: no TIME_WAIT kept for the refused
			}
			c.Close()
			continue
		}
		return &countedConn{Conn: c, l: l}, nil
	}
}

// countedConn gives its slot back once, however many times it is closed.
type countedConn struct {
	net.Conn
	l    *capListener
	once sync.Once
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.open.Add(-1) })
	return err
}

// boundRequest limits a plain HTTP request: its body to max bytes and the time to read
// it. The websocket route is not wrapped; a terminal connection sets its own deadlines.
func boundRequest(next http.Handler, max int64, readTimeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, max)
		}
		// The server's ReadTimeout covers headers and body; this keeps the same bound when
		// the handler is mounted on another server.
		http.NewResponseController(w).SetReadDeadline(time.Now().Add(readTimeout))
		next.ServeHTTP(w, r)
	})
}
