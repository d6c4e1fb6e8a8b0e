package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/sync/hub"
	"github.com/govkiosk/govkiosk/sync/protocol"
)

// TestRevokedTerminalStops: the real client, connected to the real hub, is revoked by
// an operator. It goes offline saying it was revoked, keeps its outbox (a submission
// made afterwards stays queued), asks again only at its longest backoff, and what it
// delivered before stays at the hub.
func TestRevokedTerminalStops(t *testing.T) {
	lh := startHub(t, hub.Options{})
	cr := lh.enroll(t)
	q := openQueue(t, cr)
	enqueue(t, q, "", 10<<10)
	opt := fast(cr, q)
	opt.BackoffMax = time.Hour // a revoked terminal waits the longest backoff
	c := run(t, opt)
	waitFor(t, 10*time.Second, "delivery", func() bool { return delivered(q) == 1 })

	if _, err := lh.RevokeTerminal(cr.TerminalID, "op-admin", "replaced"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "revoked state", func() bool { st := c.State(); return st.Revoked && !st.Online })
	if st := c.State(); !strings.Contains(st.LastError, "revoked") {
		t.Errorf("last error %q does not say the terminal was revoked", st.LastError)
	}
	dials := c.Stats().Dials
	enqueue(t, q, "", 1000)
	time.Sleep(300 * time.Millisecond) // longer than the usual backoff (200 ms)
	if d := c.Stats().Dials; d != dials {
		t.Errorf("the revoked client dialled %d more times; it should wait its longest backoff", d-dials)
	}
	if st, _ := q.Stats(); st.Queued != 1 || st.Delivered != 1 {
		t.Errorf("outbox %+v: want the new submission kept queued", st)
	}
	if subs, err := lh.Submissions(hub.SubmissionQuery{}); err != nil || len(subs) != 1 {
		t.Errorf("hub holds %d submissions (%v), want the one delivered before", len(subs), err)
	}

	// A fresh start of the kiosk hears the reason at the handshake.
	c.SyncNow()
	waitFor(t, 10*time.Second, "a refused handshake", func() bool { return c.Stats().Dials > dials })
	waitFor(t, 10*time.Second, "revoked again", func() bool { return c.State().Revoked })
	if err := c.State().LastError; !strings.Contains(err, "enroll it again") {
		t.Errorf("handshake refusal %q lacks the hub's reason", err)
	}
}

// TestConfigPushReportsAppliedOrRefused: the hub learns from the terminal's heartbeat
// whether its configuration push applied, and if not, why, while the terminal keeps the
// configuration it had.
func TestConfigPushReportsAppliedOrRefused(t *testing.T) {
	lh := startHub(t, hub.Options{})
	cr := lh.enroll(t)
	q := openQueue(t, cr)
	opt := fast(cr, q)
	opt.HeartbeatInterval = time.Hour // only the report after a push can tell the hub
	opt.OnConfig = func(version string, payload json.RawMessage) error {
		if strings.Contains(string(payload), "idle_timeout") {
			return fmt.Errorf("platform config: %w", listedReasons{"session.idle_timeout: 5s is below 30s", "hall.name_zh: empty"})
		}
		return nil
	}
	c := run(t, opt)
	waitFor(t, 10*time.Second, "online", func() bool { return c.State().Online })
	term := func() hub.TerminalInfo { return lh.Terminals()[0] }

	good, err := lh.SetConfig("", []byte(`{"hall":{"name_zh":"测试大厅"}}`))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "applied at the hub", func() bool { ti := term(); return ti.ConfigApplied && ti.Config == good })

	bad, err := lh.SetConfig("", []byte(`{"session":{"idle_timeout":"5s"}}`))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "refusal at the hub", func() bool { return term().ConfigRefused != nil })
	ti := term()
	if ti.ConfigApplied || ti.Config != good || ti.ConfigRefused.Version != bad {
		t.Errorf("after the bad push the hub shows %+v, want %s kept and %s refused", ti, good, bad)
	}
	if want := []string{"session.idle_timeout: 5s is below 30s", "hall.name_zh: empty"}; !slices.Equal(ti.ConfigRefused.Problems, want) {
		t.Errorf("reasons %q, want %q (each reason, no heading)", ti.ConfigRefused.Problems, want)
	}

	fixed, err := lh.SetConfig("", []byte(`{"hall":{"name_zh":"测试大厅二"}}`))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the next push applied", func() bool { ti := term(); return ti.Config == fixed && ti.ConfigRefused == nil })
}

// TestLongCommandOutputInParts: an output longer than one frame (a screenshot) reaches
// the hub whole, in parts, and the hub serves it as the command's file.
func TestLongCommandOutputInParts(t *testing.T) {
	lh := startHub(t, hub.Options{})
	cr := lh.enroll(t)
	q := openQueue(t, cr)
	img := randomBytes(5*protocol.MaxCommandOutput+123, 4)
	opt := fast(cr, q)
	opt.OnCommand = func(ctx context.Context, cmd protocol.Command) (string, error) {
		return base64.StdEncoding.EncodeToString(img), nil
	}
	c := run(t, opt)
	waitFor(t, 10*time.Second, "online", func() bool { return c.State().Online })
	id, err := lh.SendCommand(cr.TerminalID, protocol.CommandScreenshot, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the result", func() bool { _, ok := lh.CommandResult(id); return ok })
	got, ct, _, err := lh.CommandFile(id)
	if err != nil || ct != "image/png" || !bytes.Equal(got, img) {
		t.Fatalf("file: %d bytes, %q, %v; want the %d bytes sent", len(got), ct, err, len(img))
	}
}

// listedReasons is an error that lists its reasons, as the kiosk's configuration check
// does; its text has a heading line the refusal must not report as a reason.
type listedReasons []string

func (l listedReasons) Error() string {
	return fmt.Sprintf("config: %d problem(s):\n  %s", len(l), strings.Join(l, "\n  "))
}

func (l listedReasons) Reasons() []string { return l }
