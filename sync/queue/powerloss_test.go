package queue

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/internal/lazyfs"
)

// TestPowerLoss is finding 5 of the reliability review: not a process kill, which leaves
// the kernel's cache to finish every write, but a power cut, which loses every write not
// yet fsynced. The queue runs on a FUSE file system (internal/lazyfs) that remembers what
// was synced; at a random moment, mid-operation, the power is cut (unsynced data and
// unsynced directory entries are undone on the backing disk), and the queue is opened
// again from the backing disk. Every submission whose Enqueue returned must be there with
// readable scans, every acknowledged delivery recorded or the item still waiting, and
// the database must check clean. Skipped where FUSE cannot be mounted.
func TestPowerLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("mounts a FUSE file system")
	}
	rounds := 12
	if s := os.Getenv("QUEUE_POWERLOSS_ROUNDS"); s != "" {
		fmt.Sscan(s, &rounds)
	}
	backing, mnt := t.TempDir(), t.TempDir()
	env := newEnv(t)
	opts := env.options()
	opts.Now = nil // real time: the cut is timed
	acked := map[string]*Submission{}
	delivered := map[string]bool{}
	var lost, rolledFiles, rolledNames int
	for round := range rounds {
		lfs, err := lazyfs.Start(backing, mnt)
		if errors.Is(err, lazyfs.ErrUnavailable) {
			t.Skipf("power-loss test needs FUSE: %v", err)
		}
		if err != nil {
			t.Fatal(err)
		}
		q, err := Open(filepath.Join(mnt, "queue"), opts)
		if err != nil {
			lfs.Kill()
			t.Fatalf("round %d: open on lazyfs: %v", round, err)
		}
		rng := rand.New(rand.NewPCG(uint64(round), 7))
		cutAfter := time.Duration(20+rng.IntN(200)) * time.Millisecond
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := 0; ; i++ {
				ns := sampleSubmission(round*1000+i, 3000+rng.IntN(20000))
				s, err := q.Enqueue(context.Background(), ns)
				if err != nil {
					return // the power is gone
				}
				acked[s.ID] = s
				if i%3 == 0 {
					for id, s := range acked {
						if !delivered[id] && s.State != Delivered {
							if q.MarkDelivered(id, "hub-"+id[:8]) != nil {
								return
							}
							delivered[id] = true
							break
						}
					}
				}
			}
		}()
		time.Sleep(cutAfter)
		f, n, err := lfs.Cut()
		if err != nil {
			t.Fatalf("round %d: cut: %v", round, err)
		}
		rolledFiles, rolledNames = rolledFiles+f, rolledNames+n
		<-done
		// The old handle is left as a dead machine leaves it: not closed (bbolt may hold
		// its write lock from a transaction the cut broke).

		q, err = Open(filepath.Join(backing, "queue"), opts)
		if err != nil {
			t.Fatalf("round %d: open after the power cut: %v", round, err)
		}
		for id, s := range acked {
			it, err := q.Get(id)
			if err != nil {
				lost++
				t.Errorf("round %d: acknowledged submission %s lost: %v", round, s.TrackingCode, err)
				continue
			}
			if delivered[id] {
				if it.Submission.State != Delivered {
					t.Errorf("round %d: acknowledged delivery of %s lost (state %s)", round, s.TrackingCode, it.Submission.State)
				}
				continue
			}
			if it.Submission.State == Delivered {
				continue // MarkDelivered was in flight at the cut and made it
			}
			if _, err := q.ReadAttachment(id, 0); err != nil {
				t.Errorf("round %d: %s: scan unreadable after the cut: %v", round, s.TrackingCode, err)
			}
		}
		rep, err := q.Check(context.Background())
		if err != nil || len(rep.Problems) != 0 {
			t.Errorf("round %d: check after the cut: %v %v", round, rep.Problems, err)
		}
		q.Close()
	}
	t.Logf("%d rounds, %d acknowledged submissions (%d delivered), %d lost; the cuts undid %d unsynced files and %d unsynced names",
		rounds, len(acked), len(delivered), lost, rolledFiles, rolledNames)
}
