package hub

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/internal/pgtest"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

// startReplicas starts n hubs sharing one new PostgreSQL database and one set of keys,
// each with its own data directory, as on n machines.
func startReplicas(t *testing.T, n int) []*testHub {
	t.Helper()
	url := pgtest.New(t)
	keys := t.TempDir()
	var hubs []*testHub
	for range n {
		hubs = append(hubs, startHub(t, Options{Store: url, KeyFile: filepath.Join(keys, "hub.key"),
			IdentityKeyFile: filepath.Join(keys, "identity.key"), SyncKeyFile: filepath.Join(keys, "sync.key")}))
	}
	return hubs
}

// A terminal enrolled at one replica connects to another, moves mid-upload from one
// replica to the other, and its submission is stored once with its bytes.
func TestReplicasShareUploads(t *testing.T) {
	hubs := startReplicas(t, 2)
	a, b := hubs[0], hubs[1]
	if a.ID() != b.ID() {
		t.Fatalf("replicas have different hub ids: %s, %s", a.ID(), b.ID())
	}
	tk := a.enroll(t)
	data := randomBytes(3*protocol.MaxChunkData+5, 21)
	sub := synthetic(t, tk, data)

	ra := a.connect(t, tk)
	ra.send(sub)
	expect[*protocol.UploadState](ra)
	ra.sendChunk(sub.ID, 0, 0, data[:protocol.MaxChunkData])
	expect[*protocol.ChunkAck](ra)
	ra.ws.Close()

	rb := b.connect(t, tk) // enrolled elsewhere: b learns the terminal from the database
	rb.send(sub)
	st := expect[*protocol.UploadState](rb)
	if st.Offsets[0] != protocol.MaxChunkData {
		t.Fatalf("b resumes at %d, want %d (the offset a stored)", st.Offsets[0], protocol.MaxChunkData)
	}
	for off := protocol.MaxChunkData; off < len(data); off += protocol.MaxChunkData {
		end := min(off+protocol.MaxChunkData, len(data))
		rb.sendChunk(sub.ID, 0, int64(off), data[off:end])
		expect[*protocol.ChunkAck](rb)
	}
	rb.send(&protocol.Commit{ID: sub.ID})
	ack := expect[*protocol.Ack](rb)
	if ack.Duplicate || ack.HubRef == "" {
		t.Fatalf("ack %+v", ack)
	}

	// The terminal did not see the ack and repeats at the first replica.
	ra = a.connect(t, tk)
	again := ra.upload(sub, [][]byte{data})
	if !again.Duplicate || again.HubRef != ack.HubRef {
		t.Fatalf("repeat at the other replica: %+v, want duplicate of %s", again, ack.HubRef)
	}
	for _, h := range hubs {
		got, err := h.ReadAttachment(sub.TrackingCode, 0)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("attachment read at a replica: %d bytes, %v", len(got), err)
		}
		if n, _ := h.st.countCommitted(); n != 1 {
			t.Fatalf("%d submissions stored, want 1", n)
		}
	}
}

// Publishing, status updates and operator commands reach a terminal connected to
// another replica than the one they were made at.
func TestReplicasForwardPushes(t *testing.T) {
	hubs := startReplicas(t, 2)
	a, b := hubs[0], hubs[1]
	tk := b.enroll(t)
	r := b.connect(t, tk)
	sub := synthetic(t, tk)
	if ack := r.upload(sub, nil); ack.HubRef == "" {
		t.Fatalf("ack %+v", ack)
	}

	if _, err := a.SetConfig("cfg-r", []byte(`{"idle_seconds":60}`)); err != nil {
		t.Fatal(err)
	}
	if c := expectPush[*protocol.Config](t, r); c.Version != "cfg-r" {
		t.Fatalf("config %+v", c)
	}
	if v, _, ok := b.Published(kindConfig); !ok || v != "cfg-r" {
		t.Errorf("replica b's current config: %q %v", v, ok)
	}

	st, err := a.PostStatus(sub.TrackingCode, "completed", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := expectPush[*protocol.Status](t, r); got.UpdateID != st.UpdateID {
		t.Fatalf("status %+v, want %s", got, st.UpdateID)
	}
	r.send(&protocol.StatusAck{UpdateID: st.UpdateID})

	id, err := a.SendCommand(tk.id, protocol.CommandCollectLogs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cmd := expectPush[*protocol.Command](t, r); cmd.ID != id {
		t.Fatalf("command %+v, want %s", cmd, id)
	}
	r.send(&protocol.CommandResult{ID: id, OK: true, Output: "3 lines"})
	waitFor(t, "the result at the replica that sent the command", func() bool {
		res, ok := a.CommandResult(id)
		return ok && res.Output == "3 lines"
	})
	waitFor(t, "status acknowledged for every replica", func() bool {
		p, _ := a.st.pendingStatus(tk.id)
		return len(p) == 0
	})
}

// expectPush reads until a message of type T arrives; replicas' pushes may come in any
// order with other pushes.
func expectPush[T protocol.Message](t *testing.T, r *rawTerm) T {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		m, err := r.recv()
		if err != nil {
			t.Fatalf("waiting for %T: %v", *new(T), err)
		}
		if v, ok := m.(T); ok {
			return v
		}
	}
	t.Fatalf("no %T", *new(T))
	panic("unreachable")
}

// The console of every replica shows a terminal online wherever it is connected: as soon
// as it connects to another replica or leaves it. Rows of a replica that died without
// clearing them count only until their lease runs out.
func TestReplicasShareWhoIsOnline(t *testing.T) {
	hubs := startReplicas(t, 2)
	a, b := hubs[0], hubs[1]
	tk, gone := a.enroll(t), a.enroll(t)
	online := func(th *testHub, id string) bool {
		for _, ti := range th.Terminals() {
			if ti.ID == id {
				return ti.Online
			}
		}
		return false
	}
	waitUntil := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting until %s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if online(a, tk.id) || online(b, tk.id) {
		t.Fatal("online before it connected")
	}
	r := b.connect(t, tk)
	waitUntil("replica a shows the terminal connected to b online", func() bool { return online(a, tk.id) })
	if !online(b, tk.id) {
		t.Error("replica b does not show its own connection online")
	}
	r.ws.Close()
	waitUntil("replica a shows it offline after it left b", func() bool { return !online(a, tk.id) })
	waitUntil("replica b shows it offline", func() bool { return !online(b, tk.id) })

	// A replica that died leaves its row behind: it counts within the lease, not after.
	for _, tt := range []struct {
		age  time.Duration
		want bool
	}{{time.Second, true}, {presenceLease + time.Second, false}} {
		if _, err := a.pg.pool.Exec(t.Context(), `INSERT INTO presence (terminal_id, origin, seen_at)
			VALUES ($1, 'r-dead', clock_timestamp() - $2::interval)
			ON CONFLICT (terminal_id) DO UPDATE SET origin = EXCLUDED.origin, seen_at = EXCLUDED.seen_at`,
			gone.id, tt.age.String()); err != nil {
			t.Fatal(err)
		}
		if got := online(b, gone.id); got != tt.want {
			t.Errorf("a dead replica's row %v old: online = %v, want %v", tt.age, got, tt.want)
		}
	}
}
