package queue

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// TestSalvageCopiesEveryReadableRecord damages a leaf page of a copy of a real queue in
// place (every copy of the page bbolt left in the file) so that walking the items stops
// there, and salvages the copy: the records before and after the damage come over with
// their scans, readable; the scans of the records behind the damage are kept in the new
// queue's quarantine folder; nothing is lost; the damaged original is left as it was.
func TestSalvageCopiesEveryReadableRecord(t *testing.T) {
	env := newEnv(t)
	q := env.open(t)
	var subs []*Submission
	for i := range 300 {
		subs = append(subs, mustEnqueue(t, q, sampleSubmission(i, 64)))
	}
	q.MarkDelivered(subs[0].ID, "hub-1")
	q.Close()

	bad := copyQueue(t, env)
	victim := []byte(`"id":"` + subs[150].ID + `"`)
	damaged := 0
	editDB(t, bad, func(b []byte) {
		pages(b, func(p []byte, flags uint16) {
			if flags == 0x02 && bytes.Contains(p, victim) {
				binary.LittleEndian.PutUint16(p[8:], 0x20) // not a page type bbolt knows
				damaged++
			}
		})
	})
	if damaged == 0 {
		t.Fatal("no leaf page holds the victim")
	}
	before, _ := os.ReadFile(filepath.Join(bad.dir, dbName))

	dstDir := filepath.Join(t.TempDir(), "salvaged")
	opt := bad.options()
	rep, err := Salvage(bad.dir, dstDir, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("salvage: %+v", rep)
	if rep.Records < 2 || rep.Records >= len(subs) {
		t.Errorf("salvaged %d of %d records: the damage should cost some and not all", rep.Records, len(subs))
	}
	if got := rep.Files + rep.Orphans; got != len(subs)-1 { // subs[0] was delivered: no file
		t.Errorf("files copied %d + kept in quarantine %d = %d, want every one of %d", rep.Files, rep.Orphans, got, len(subs)-1)
	}
	if after, _ := os.ReadFile(filepath.Join(bad.dir, dbName)); !bytes.Equal(before, after) {
		t.Error("salvage changed the damaged original")
	}

	dst := &testEnv{dir: dstDir, keyFile: env.keyFile, logs: &logBuffer{}, clock: env.clock}
	q = dst.open(t)
	salvaged := 0
	for _, s := range subs[1:] {
		it, err := q.Get(s.ID)
		if err != nil {
			continue
		}
		salvaged++
		if _, err := q.ReadAttachment(s.ID, 0); err != nil || it.Submission.Fields == nil {
			t.Errorf("%s salvaged but unreadable: %v", s.TrackingCode, err)
		}
	}
	if salvaged != rep.Records-1 && salvaged != rep.Records {
		t.Errorf("%d submissions readable in the new queue, report says %d records", salvaged, rep.Records)
	}
	if _, files, _ := q.Quarantined(); files != rep.Orphans {
		t.Errorf("quarantine folder holds %d files, report says %d", files, rep.Orphans)
	}
	next := mustEnqueue(t, q, sampleSubmission(999))
	for _, s := range subs {
		if next.TrackingCode == s.TrackingCode {
			t.Fatalf("new queue issued %s again", s.TrackingCode)
		}
	}
	checkClean(t, q)
}

// Salvage of an undamaged queue is a faithful copy.
func TestSalvageOfAHealthyQueue(t *testing.T) {
	env := newEnv(t)
	q := env.open(t)
	a := mustEnqueue(t, q, sampleSubmission(1, 100, 200))
	b := mustEnqueue(t, q, sampleSubmission(2))
	q.MarkFailed(b.ID, "rejected")
	if _, err := q.Rate(t.Context(), RatingInput{SubmissionID: a.ID, TrackingCode: a.TrackingCode, Stars: 4}); err != nil {
		t.Fatal(err)
	}
	q.Close()
	dstDir := filepath.Join(t.TempDir(), "salvaged")
	rep, err := Salvage(env.dir, dstDir, env.options())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Records != 3 || rep.Files != 2 || rep.Unreadable+rep.MissingFiles+rep.Orphans != 0 || len(rep.Problems) != 0 {
		t.Errorf("report %+v", rep)
	}
	q = (&testEnv{dir: dstDir, keyFile: env.keyFile, logs: &logBuffer{}, clock: env.clock}).open(t)
	if st, _ := q.Stats(); st.Queued != 2 || st.Failed != 1 {
		t.Errorf("stats %+v", st)
	}
	if r, err := q.Lookup(a.TrackingCode); err != nil || r.State != Queued {
		t.Errorf("Lookup = %+v, %v", r, err)
	}
	checkClean(t, q)
}
