package hub

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestStorageConsoleRecords(t *testing.T) {
	forEachStore(t, func(t *testing.T, st storage, _ attachmentStorage) {
		t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

		// Placements: set, replace, list.
		if ps, err := st.placements(); err != nil || len(ps) != 0 {
			t.Fatalf("placements of an empty store: %v, %v", ps, err)
		}
		st.setPlacement("t-a", placementRecord{Site: "东城大厅", Township: "东城街道", At: t0, By: "ops"})
		st.setPlacement("t-b", placementRecord{Site: "西园", At: t0})
		if err := st.setPlacement("t-a", placementRecord{Site: "南湖大厅", Township: "南湖镇", At: t0.Add(time.Hour), By: "ops"}); err != nil {
			t.Fatal(err)
		}
		ps, err := st.placements()
		if err != nil || len(ps) != 2 || ps["t-a"].Site != "南湖大厅" || ps["t-a"].Township != "南湖镇" || ps["t-b"].Site != "西园" {
			t.Errorf("placements %+v, %v", ps, err)
		}

		// Health events: per terminal, newest first, bounded by limit.
		if evs, err := st.healthEvents("t-a", 10); err != nil || len(evs) != 0 {
			t.Fatalf("events of an empty store: %v, %v", evs, err)
		}
		var batch []healthEventRecord
		for i := range 5 {
			batch = append(batch, healthEventRecord{TerminalID: "t-a", At: t0.Add(time.Duration(i) * time.Minute), Device: "printer", State: fmt.Sprint(i)})
			batch = append(batch, healthEventRecord{TerminalID: "t-b", At: t0, Device: "terminal", State: "online"})
		}
		if err := st.addHealthEvents(batch); err != nil {
			t.Fatal(err)
		}
		st.addHealthEvents([]healthEventRecord{{TerminalID: "t-a", At: t0.Add(time.Hour), Device: "terminal", State: "offline"}})
		evs, err := st.healthEvents("t-a", 3)
		if err != nil || len(evs) != 3 || evs[0].State != "offline" || evs[1].State != "4" || evs[2].State != "3" {
			t.Errorf("t-a events %+v, %v", evs, err)
		}
		if evs, _ := st.healthEvents("t-b", 100); len(evs) != 5 {
			t.Errorf("t-b has %d events, want 5", len(evs))
		}
		if evs, _ := st.healthEvents("t-", 100); len(evs) != 0 {
			t.Errorf("a prefix of terminal ids matched %d events", len(evs))
		}

		// Alerts: stored, replaced by id, newest raised first.
		a1 := &alertRecord{ID: "A1", TerminalID: "t-a", Device: "printer", Action: "clear", State: "user_error", Reason: "paper out", Raised: t0}
		a2 := &alertRecord{ID: "A2", TerminalID: "t-b", Device: "idcard", Action: "maintenance", State: "hardware_error", Raised: t0.Add(time.Minute)}
		st.putAlert(a1)
		st.putAlert(a2)
		a1.AckedBy, a1.AckedAt = "zhang.wei", t0.Add(2*time.Minute)
		if err := st.putAlert(a1); err != nil {
			t.Fatal(err)
		}
		as, err := st.alerts()
		if err != nil || len(as) != 2 || as[0].ID != "A2" || as[1].AckedBy != "zhang.wei" || !as[1].AckedAt.Equal(a1.AckedAt) {
			t.Errorf("alerts %+v, %v", as, err)
		}

		// Ratings in a window of their creation time.
		for i, stars := range []int{5, 1, 4} {
			_, _, err := st.putRating(&ratingRecord{ID: fmt.Sprintf("r%d", i), TerminalID: "t-a", Item: "hukou", Stars: stars,
				CreatedAt: t0.Add(time.Duration(i) * 24 * time.Hour), Digest: "d", ReceivedAt: t0})
			if err != nil {
				t.Fatal(err)
			}
		}
		rs, err := st.ratingsBetween(t0.Add(time.Hour), t0.Add(48*time.Hour+time.Second))
		if err != nil || len(rs) != 2 || rs[0].ID != "r1" || rs[1].ID != "r2" {
			t.Errorf("ratings in window %+v, %v", rs, err)
		}
		if rs, _ := st.ratingsBetween(t0, t0.Add(24*time.Hour)); len(rs) != 1 || rs[0].Stars != 5 {
			t.Errorf("the window's end is exclusive: %+v", rs)
		}

		// Cases: opened once, replaced, listed newest first.
		c := &caseRecord{ID: "r1", RatingRef: "R000000002", TerminalID: "t-a", Stars: 1, Opened: t0, Deadline: t0.Add(21 * 24 * time.Hour)}
		if ok, err := st.openCase(c); !ok || err != nil {
			t.Fatalf("openCase: %v, %v", ok, err)
		}
		if ok, err := st.openCase(&caseRecord{ID: "r1", Stars: 2}); ok || err != nil {
			t.Errorf("second openCase of one rating: %v, %v", ok, err)
		}
		st.openCase(&caseRecord{ID: "r9", Stars: 2, Opened: t0.Add(time.Hour)})
		c.Assignee, c.Answer = "li.na", []byte("sealed")
		if err := st.putCase(c); err != nil {
			t.Fatal(err)
		}
		if err := st.putCase(&caseRecord{ID: "nope"}); !errors.Is(err, ErrNotFound) {
			t.Errorf("putCase of an unknown case: %v", err)
		}
		got, err := st.getCase("r1")
		if err != nil || got == nil || got.Assignee != "li.na" || string(got.Answer) != "sealed" || got.Stars != 1 {
			t.Errorf("getCase %+v, %v", got, err)
		}
		if got, err := st.getCase("nope"); got != nil || err != nil {
			t.Errorf("getCase of an unknown case: %+v, %v", got, err)
		}
		cs, err := st.cases()
		if err != nil || len(cs) != 2 || cs[0].ID != "r9" || cs[1].ID != "r1" {
			t.Errorf("cases %+v, %v", cs, err)
		}
	})
}

// TestConsoleStoreCorruptRecord: the bbolt store's read-all methods refuse a bucket with
// a record that does not decode, and say which record: a damaged file is reported, not
// shown as a shorter list.
func TestConsoleStoreCorruptRecord(t *testing.T) {
	for _, tt := range []struct {
		bucket []byte
		want   string
		read   func(s *store) error
	}{
		{bucketPlacements, `hub: corrupt placement "bad"`, func(s *store) error { _, err := s.placements(); return err }},
		{bucketAlerts, `hub: corrupt alert "bad"`, func(s *store) error { _, err := s.alerts(); return err }},
		{bucketCases, `hub: corrupt case "bad"`, func(s *store) error { _, err := s.cases(); return err }},
	} {
		t.Run(string(tt.bucket), func(t *testing.T) {
			s, err := openStore(filepath.Join(t.TempDir(), "hub.db"), testSealer(t))
			if err != nil {
				t.Fatal(err)
			}
			defer s.close()
			if err := tt.read(s); err != nil {
				t.Fatalf("empty: %v", err)
			}
			err = s.db.Update(func(tx *bolt.Tx) error {
				b, err := tx.CreateBucketIfNotExists(tt.bucket)
				if err != nil {
					return err
				}
				if err := b.Put([]byte("a-good"), []byte(`{}`)); err != nil {
					return err
				}
				return b.Put([]byte("bad"), []byte(`{"not json`))
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.read(s); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("read with a corrupt record: %v; want %s", err, tt.want)
			}
		})
	}
}
