package hub

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5"
	bolt "go.etcd.io/bbolt"

	"github.com/govkiosk/govkiosk/sync/protocol"
)

// bulkEnroll registers n terminals in one transaction, for benchmarks that need many.
func (th *testHub) bulkEnroll(b testing.TB, n int) []*termKey {
	b.Helper()
	keys := make([]*termKey, n)
	recs := make([]terminalRecord, n)
	for i := range keys {
		pub, key, _ := ed25519.GenerateKey(nil)
		keys[i] = &termKey{id: fmt.Sprintf("t-bench-%d", i), code: fmt.Sprintf("B%03X", i%4096), key: key}
		recs[i] = terminalRecord{ID: keys[i].id, Code: keys[i].code, PublicKey: pub, EnrolledAt: time.Now()}
	}
	var err error
	switch st := th.st.(type) {
	case *store:
		err = st.db.Update(func(tx *bolt.Tx) error {
			for _, r := range recs {
				if err := putJSON(tx.Bucket(bucketTerminals), []byte(r.ID), r); err != nil {
					return err
				}
			}
			return nil
		})
	case *pgStore:
		rows := make([][]any, len(recs))
		for i, r := range recs {
			raw, _ := json.Marshal(r)
			rows[i] = []any{r.ID, r.ID, raw} // the id as the unique code: codes only need to differ here
		}
		_, err = st.pool.CopyFrom(context.Background(), pgx.Identifier{"terminals"}, []string{"id", "code", "rec"}, pgx.CopyFromRows(rows))
	}
	if err != nil {
		b.Fatal(err)
	}
	th.mu.Lock()
	for _, r := range recs {
		th.terms[r.ID] = &terminal{rec: r}
	}
	th.mu.Unlock()
	return keys
}

// idleTerminal connects and authenticates with the smallest buffers gorilla allows and
// no goroutine, so what the benchmark measures is almost all the hub's.
func idleTerminal(b testing.TB, th *testHub, tk *termKey) *websocket.Conn {
	d := websocket.Dialer{Subprotocols: []string{protocol.Subprotocol}, ReadBufferSize: 256, WriteBufferSize: 256}
	ws, _, err := d.Dial(th.wsURL(), nil)
	if err != nil {
		b.Fatal(err)
	}
	r := &rawTerm{t: b, ws: ws, tk: tk}
	r.send(&protocol.Hello{TerminalID: tk.id, Versions: []int{1}, App: "bench"})
	r.send(protocol.SignChallenge(tk.key, tk.id, expect[*protocol.Challenge](r)))
	expect[*protocol.Welcome](r)
	return ws
}

func heapAndStacks() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}

// BenchmarkIdleConnection reports the memory one authenticated, idle terminal costs: the
// hub's reader and writer goroutines, its connection state and gorilla's buffers, plus
// about 1 KiB for the test's own end of the socket (measured together, in one process).
// Target: at most 60 KB. Run with -benchtime=2000x for a stable figure; with
// HUB_TEST_STORE=postgres it measures a replica on PostgreSQL.
func BenchmarkIdleConnection(b *testing.B) {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	if uint64(2*b.N+100) > lim.Cur {
		b.Skipf("needs %d file descriptors, limit is %d", 2*b.N+100, lim.Cur)
	}
	th := startHub(b, Options{HandshakeRate: 1e6, HandshakeBurst: 1 << 20})
	keys := th.bulkEnroll(b, b.N)
	conns := make([]*websocket.Conn, 0, b.N)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	before := heapAndStacks()
	goroutines := runtime.NumGoroutine()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		conns = append(conns, idleTerminal(b, th, keys[i]))
	}
	b.StopTimer()
	waitFor(b, "all online", func() bool { return th.Stats().Online == b.N })
	after := heapAndStacks()
	b.ReportMetric(float64(after-before)/float64(b.N), "B/conn")
	b.ReportMetric(float64(runtime.NumGoroutine()-goroutines)/float64(b.N), "goroutines/conn")
}

// BenchmarkHandshake measures a full connect: websocket upgrade, hello, challenge,
// Ed25519 signature and verification, welcome.
func BenchmarkHandshake(b *testing.B) {
	th := startHub(b, Options{HandshakeRate: 1e6, HandshakeBurst: 1 << 20})
	tk := th.bulkEnroll(b, 1)[0]
	b.ReportAllocs()
	for b.Loop() {
		idleTerminal(b, th, tk).Close()
	}
}

// BenchmarkUpload5MB measures one 5 MB attachment end to end on loopback: chunks sealed
// and fsynced one by one, the checksum, the commit.
func BenchmarkUpload5MB(b *testing.B) {
	th := startHub(b, Options{})
	tk := th.bulkEnroll(b, 1)[0]
	tk.code = "B000"
	r := th.connect(b, tk)
	data := randomBytes(5<<20, 13)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		sub := synthetic(b, tk, data)
		if ack := r.upload(sub, [][]byte{data}); ack.Duplicate {
			b.Fatal("duplicate")
		}
	}
}
