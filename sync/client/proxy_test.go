package client

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// linkProxy sits between client and hub on loopback to break the link the ways real
// networks do: cut it (both ends see the close), stall it (bytes vanish, nothing closes,
// like a dead NAT entry or a pulled cable upstream), or slow it down.
type linkProxy struct {
	ln     net.Listener
	target atomic.Value // string
	rate   int          // terminal-to-hub bytes per second; 0 is unlimited
	cuts   atomic.Int64

	mu    sync.Mutex
	conns map[*proxied]struct{}
	wg    sync.WaitGroup
}

type proxied struct {
	down, up net.Conn
	stalled  atomic.Bool
}

func newProxy(t testing.TB, target string, rate int) *linkProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &linkProxy{ln: ln, rate: rate, conns: map[*proxied]struct{}{}}
	p.target.Store(target)
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *linkProxy) addr() string { return p.ln.Addr().String() }

func (p *linkProxy) setTarget(addr string) { p.target.Store(addr) }

func (p *linkProxy) accept() {
	defer p.wg.Done()
	for {
		down, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target.Load().(string))
		if err != nil {
			down.Close()
			continue
		}
		c := &proxied{down: down, up: up}
		p.mu.Lock()
		p.conns[c] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(c, down, up, p.rate)
		go p.pipe(c, up, down, 0)
	}
}

func (p *linkProxy) pipe(c *proxied, src, dst net.Conn, rate int) {
	defer p.wg.Done()
	defer func() {
		c.down.Close()
		c.up.Close()
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
	}()
	buf := make([]byte, 16<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !c.stalled.Load() {
			if rate > 0 {
				time.Sleep(time.Duration(n) * time.Second / time.Duration(rate))
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				return
			}
			return
		}
	}
}

// cut closes every live connection; it returns how many.
func (p *linkProxy) cut() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.down.Close()
		c.up.Close()
	}
	if n := len(p.conns); n > 0 {
		p.cuts.Add(1)
		return n
	}
	return 0
}

// stall makes every live connection swallow bytes in both directions without closing.
func (p *linkProxy) stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.stalled.Store(true)
	}
}
