package fleet

import (
	"io"
	"net"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/internal/pgtest"
	"github.com/govkiosk/govkiosk/sync/hub"
)

// BenchmarkStores200KB compares the hub's stores on the same run: 16 terminals deliver
// b.N preloaded submissions of one 200 KB scan each to the bbolt hub, to one hub replica
// on PostgreSQL, and to two replicas on one PostgreSQL behind a TCP balancer. Every
// store syncs before it acknowledges (PostgreSQL with synchronous_commit on, its
// default). Reported: submissions/s and p99 time from enqueue to the hub's ack.
// docs/PERFORMANCE.md has the numbers; run with -benchtime=400x.
func BenchmarkStores200KB(b *testing.B) {
	const size, terminals = 200_000, 16
	for _, tc := range []struct {
		name     string
		replicas int
	}{{"bbolt", 0}, {"postgres-1", 1}, {"postgres-2", 2}} {
		b.Run(tc.name, func(b *testing.B) {
			var url string
			if tc.replicas == 0 {
				_, url = startHub(b, hub.Options{OperatorToken: testToken})
			} else {
				db := pgtest.New(b)
				keys := b.TempDir()
				var addrs []string
				for range tc.replicas {
					_, u := startHub(b, hub.Options{OperatorToken: testToken, Store: db,
						KeyFile: filepath.Join(keys, "hub.key"), IdentityKeyFile: filepath.Join(keys, "identity.key"),
						SyncKeyFile: filepath.Join(keys, "sync.key")})
					addrs = append(addrs, u[len("ws://"):])
				}
				url = "ws://" + balance(b, addrs)
			}
			deliverAll(b, url, terminals, size)
		})
	}
}

// balance starts a loopback TCP balancer that sends each connection to the next of
// addrs that accepts it, and returns its address.
func balance(tb testing.TB, addrs []string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	var next atomic.Uint64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				var up net.Conn
				for range addrs {
					if up, err = net.DialTimeout("tcp", addrs[next.Add(1)%uint64(len(addrs))], time.Second); err == nil {
						break
					}
				}
				if up == nil {
					return
				}
				defer up.Close()
				done := make(chan struct{}, 2)
				go func() { io.Copy(up, c); done <- struct{}{} }()
				go func() { io.Copy(c, up); done <- struct{}{} }()
				<-done
			}()
		}
	}()
	return ln.Addr().String()
}
