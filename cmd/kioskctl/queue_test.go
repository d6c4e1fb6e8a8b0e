package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/identity"
	"github.com/govkiosk/govkiosk/sync/queue"
)

func init() {
	// Golden files are rewritten with -update; another test file of this package may
	// have declared the flag already.
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files under testdata/")
	}
}

func queueUpdateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// queueFixture is a queue directory with synthetic items in every state.
type queueFixture struct {
	dir, key string
	secrets  []string // personal values that must never be printed
	codes    []string // tracking codes, in enqueue order
}

func newQueueFixture(t *testing.T) *queueFixture {
	t.Helper()
	root := t.TempDir()
	fx := &queueFixture{dir: filepath.Join(root, "queue"), key: filepath.Join(root, "queue.key")}
	// A fixed key: tracking codes are a keyed shuffle of the sequence, and the golden
	// listing must not change from run to run.
	if err := os.WriteFile(fx.key, []byte(strings.Repeat("5a", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	q, err := queue.Open(fx.dir, queue.Options{
		TerminalCode: "K7Q2", KeyFile: fx.key, CreateKey: true, MinFreeBytes: -1,
		Now: func() time.Time { now = now.Add(time.Minute); return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	idNumber := "99000119900101001"
	c, _ := identity.CheckDigit(idNumber)
	idNumber += string(c)
	fx.secrets = []string{"测试甲", idNumber, "样例市样例路1号", "样例乙的意见"}
	ctx := context.Background()
	var ids []string
	titles := []string{"户口迁移", "出生医学证明", "养老金领取", "居住证"}
	for i, item := range []string{"hukou-move", "birth-cert", "pension", "residence"} {
		s, err := q.Enqueue(ctx, queue.NewSubmission{
			ID: "sub-" + item, Item: item, ItemTitle: titles[i],
			Fields: map[string]string{"name": "测试甲", "id_number": idNumber, "address": "样例市样例路1号"},
			Attachments: []queue.NewAttachment{{Name: "scan.jpg", ContentType: "image/jpeg",
				Data: bytes.Repeat([]byte{byte(i)}, 1000)}},
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, s.ID)
		fx.codes = append(fx.codes, s.TrackingCode)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(q.MarkSending(ids[0]))
	must(q.MarkDelivered(ids[0], "HUB-0001"))
	must(q.SetStatus(fx.codes[0], "processing", now))
	must(q.MarkSending(ids[1]))
	must(q.NoteAttempt(ids[1], errors.New("hub: try again later")))
	must(q.MarkFailed(ids[2], "rejected: form version 3 withdrawn"))
	if _, err := q.Rate(ctx, queue.RatingInput{SubmissionID: ids[0], TrackingCode: fx.codes[0], Item: "hukou-move", Stars: 5, Comment: "样例乙的意见"}); err != nil {
		t.Fatal(err)
	}
	return fx
}

func (fx *queueFixture) assertNothingPersonal(t *testing.T, out string) {
	t.Helper()
	for _, s := range fx.secrets {
		if strings.Contains(out, s) {
			t.Errorf("output holds personal data %q", s)
		}
	}
}

func TestQueueCommandsHelp(t *testing.T) {
	for _, c := range []string{"queue stats", "queue list", "queue check"} {
		code, out, _ := runCmd(append(strings.Fields(c), "--help")...)
		if code != 0 || !strings.Contains(out, "usage: kioskctl "+c) || !strings.Contains(out, "-data") {
			t.Errorf("%s --help: %d %q", c, code, out)
		}
	}
}

func TestQueueUsageErrors(t *testing.T) {
	fx := newQueueFixture(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"queue", "stats", "--data", ""}, "--data DIR is required"},
		{[]string{"queue", "list", "--data", fx.dir, "extra"}, "unexpected arguments"},
		{[]string{"queue", "list", "--data", fx.dir, "--state", "lost"}, "--state"},
		{[]string{"queue", "list", "--data", fx.dir, "--limit", "-1"}, "--limit"},
		{[]string{"queue", "check", "--data", ""}, "--data DIR is required"},
		{[]string{"queue", "list", "--bogus"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		code, _, stderr := runCmd(tt.args...)
		if code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
}

// The commands take the kiosk's data directory (the queue is DATA/queue) as well as the
// queue directory itself.
func TestQueueFoundInKioskDataDir(t *testing.T) {
	fx := newQueueFixture(t)
	data := t.TempDir()
	if err := os.Rename(fx.dir, filepath.Join(data, "queue")); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCmd("queue", "stats", "--data", data, "--json")
	if code != 0 || !strings.Contains(out, `"Queued": 3`) {
		t.Fatalf("stats of a kiosk data directory: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	code, _, stderr = runCmd("queue", "stats", "--data", t.TempDir())
	if code != 1 || !strings.Contains(stderr, "no queue in") {
		t.Fatalf("stats of an empty directory: exit %d, stderr %q", code, stderr)
	}
}

func TestQueueStats(t *testing.T) {
	fx := newQueueFixture(t)
	code, out, stderr := runCmd("queue", "stats", "--data", fx.dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2:
			got[f[0]] = f[1]
		case len(f) > 2 && f[0] == "oldest":
			got["oldest"] = f[2]
		}
	}
	// Queued counts the rating too: it is its own outbox item.
	want := map[string]string{"queued": "3", "sending": "0", "delivered": "1", "failed": "1", "oldest": "2026-03-01"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("stats %s = %q, want %q:\n%s", k, got[k], v, out)
		}
	}
	code, out, _ = runCmd("queue", "stats", "--data", fx.dir, "--json")
	var st queue.Stats
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st.Queued != 3 || st.Failed != 1 || st.Bytes <= 2000 {
		t.Errorf("stats --json: %d %q", code, out)
	}
}

func TestQueueList(t *testing.T) {
	fx := newQueueFixture(t)
	code, out, stderr := runCmd("queue", "list", "--data", fx.dir, "--utc")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	fx.assertNothingPersonal(t, out)
	golden := filepath.Join("testdata", "queue_list.golden")
	if queueUpdateGolden() {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if out != string(want) {
		t.Errorf("queue list output differs from %s:\n%s\nwant:\n%s", golden, out, want)
	}

	tests := []struct {
		args  []string
		lines int // table rows, header excluded
		has   string
	}{
		{[]string{"--state", "failed"}, 1, "rejected: form version 3 withdrawn"},
		{[]string{"--state", "queued"}, 3, "hub: try again later"},
		{[]string{"--limit", "2"}, 2, "rating"},
		{[]string{"--state", "sending"}, 1, "(no items)"},
	}
	for _, tt := range tests {
		code, out, _ := runCmd(append([]string{"queue", "list", "--data", fx.dir}, tt.args...)...)
		rows := strings.Split(strings.TrimSpace(out), "\n")[1:]
		if code != 0 || len(rows) != tt.lines || !strings.Contains(out, tt.has) {
			t.Errorf("list %v: exit %d, %d rows, want %d with %q:\n%s", tt.args, code, len(rows), tt.lines, tt.has, out)
		}
	}

	code, out, _ = runCmd("queue", "list", "--data", fx.dir, "--json")
	var entries []queue.Entry
	if code != 0 || json.Unmarshal([]byte(out), &entries) != nil || len(entries) != 5 || entries[0].TrackingCode != fx.codes[0] {
		t.Errorf("list --json: %d %q", code, out)
	}
	fx.assertNothingPersonal(t, out)
}

func TestQueueCheck(t *testing.T) {
	fx := newQueueFixture(t)
	code, out, stderr := runCmd("queue", "check", "--data", fx.dir, "--key", fx.key)
	if code != 0 || !strings.Contains(out, "verified 3") || !strings.HasSuffix(out, "ok\n") {
		t.Fatalf("check of a healthy queue: exit %d\n%s%s", code, out, stderr)
	}
	fx.assertNothingPersonal(t, out)

	// Damage one attachment: the keyless check sees only sizes, the keyed one sees it.
	files, _ := filepath.Glob(filepath.Join(fx.dir, "files", "sub-birth-cert.*"))
	if len(files) != 1 {
		t.Fatalf("attachment files: %v", files)
	}
	data, _ := os.ReadFile(files[0])
	data[len(data)/2] ^= 1
	if err := os.WriteFile(files[0], data, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCmd("queue", "check", "--data", fx.dir); code != 0 || !strings.Contains(out, "no --key") {
		t.Errorf("keyless check: exit %d\n%s", code, out)
	}
	code, out, stderr = runCmd("queue", "check", "--data", fx.dir, "--key", fx.key)
	if code != 1 || !strings.Contains(out, "problem: item sub-birth-cert: attachment 0") || !strings.Contains(stderr, "1 problems found") {
		t.Errorf("check of a damaged queue: exit %d\n%s%s", code, out, stderr)
	}
	if strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("error is not one line: %q", stderr)
	}

	// A wrong key is a clear error, not a quiet pass.
	wrong := filepath.Join(t.TempDir(), "wrong.key")
	os.WriteFile(wrong, []byte(strings.Repeat("ab", 32)+"\n"), 0o600)
	if code, _, stderr := runCmd("queue", "check", "--data", fx.dir, "--key", wrong); code != 1 || !strings.Contains(stderr, "not the key") {
		t.Errorf("wrong key: exit %d %q", code, stderr)
	}
	missing := filepath.Join(t.TempDir(), "missing.key")
	if code, _, stderr := runCmd("queue", "check", "--data", fx.dir, "--key", missing); code != 1 || !strings.Contains(stderr, "encryption key") {
		t.Errorf("missing key: exit %d %q", code, stderr)
	}
}

func TestQueueCommandErrors(t *testing.T) {
	code, _, stderr := runCmd("queue", "stats", "--data", filepath.Join(t.TempDir(), "nothing"))
	if code != 1 || !strings.Contains(stderr, "no queue in") {
		t.Errorf("missing queue: exit %d %q", code, stderr)
	}

	// While the kiosk holds the queue, the tool says so instead of waiting for ever.
	fx := newQueueFixture(t)
	q, err := queue.Open(fx.dir, queue.Options{TerminalCode: "K7Q2", KeyFile: fx.key, MinFreeBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	code, _, stderr = runCmd("queue", "check", "--data", fx.dir)
	if code != 1 || !strings.Contains(stderr, "running kiosk") {
		t.Errorf("locked queue: exit %d %q", code, stderr)
	}
}

// TestQueueStatsWhileTheKioskRuns: while the kiosk holds the queue, queue stats and queue
// list read a copy of it, as support-bundle does, and say so in one line on standard
// error; queue check, which must see the real thing, refuses in one line that says it
// once. Before, stats and list refused too, with the advice to stop the kiosk repeated.
func TestQueueStatsWhileTheKioskRuns(t *testing.T) {
	fx := newQueueFixture(t)
	q, err := queue.Open(fx.dir, queue.Options{TerminalCode: "K7Q2", KeyFile: fx.key, MinFreeBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })

	oneNote := func(what, stderr string) {
		t.Helper()
		if strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
			t.Errorf("%s: standard error is not one line: %q", what, stderr)
		}
	}
	want, err := q.Stats() // as the kiosk sees it (opening it pruned the old delivered item)
	if err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCmd("queue", "stats", "--data", fx.dir, "--json")
	var st queue.Stats
	jerr := json.Unmarshal([]byte(out), &st)
	same := st.OldestQueued.Equal(want.OldestQueued)
	st.OldestQueued, want.OldestQueued = time.Time{}, time.Time{}
	if code != 0 || jerr != nil || !same || st != want || st.Queued != 3 {
		t.Fatalf("stats while the kiosk runs: exit %d, stdout %q, stderr %q; the kiosk's own %+v", code, out, stderr, want)
	}
	if !strings.Contains(stderr, "the running kiosk holds the queue") || !strings.Contains(stderr, "read from a copy") {
		t.Errorf("stats does not say it read a copy: %q", stderr)
	}
	oneNote("stats", stderr)

	code, out, stderr = runCmd("queue", "list", "--data", fx.dir, "--utc")
	if code != 0 || !strings.Contains(out, fx.codes[0]) || !strings.Contains(stderr, "read from a copy") {
		t.Errorf("list while the kiosk runs: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	oneNote("list", stderr)
	fx.assertNothingPersonal(t, out)

	code, _, stderr = runCmd("queue", "check", "--data", fx.dir)
	if code != 1 || strings.Count(stderr, "stop the kiosk") != 1 {
		t.Errorf("check while the kiosk runs: exit %d, %q; want exit 1 and the advice once", code, stderr)
	}
	oneNote("check", stderr)
	// Nothing of the copies is left behind.
	if left, _ := filepath.Glob(filepath.Join(os.TempDir(), "govkiosk-queue-*", "queue.db")); len(left) > 0 {
		t.Errorf("copies left: %v", left)
	}
}
