package queue

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func TestKeyErrors(t *testing.T) {
	otherKey := strings.Repeat("ab", keySize) + "\n"
	tests := []struct {
		name  string
		setup func(t *testing.T, env *testEnv, opt *Options) // after a queue was created and closed
		want  error
	}{
		{"wrong key", func(t *testing.T, env *testEnv, opt *Options) {
			writeFile(t, env.keyFile, otherKey, 0o600)
		}, ErrKey},
		{"missing key, not created again", func(t *testing.T, env *testEnv, opt *Options) {
			os.Remove(env.keyFile)
		}, ErrKey},
		{"missing key without CreateKey", func(t *testing.T, env *testEnv, opt *Options) {
			os.Remove(env.keyFile)
			opt.CreateKey = false
		}, ErrKey},
		{"key readable by others", func(t *testing.T, env *testEnv, opt *Options) {
			if err := os.Chmod(env.keyFile, 0o644); err != nil {
				t.Fatal(err)
			}
		}, ErrKey},
		{"key not hex", func(t *testing.T, env *testEnv, opt *Options) {
			writeFile(t, env.keyFile, "not a key\n", 0o600)
		}, ErrKey},
		{"key too short", func(t *testing.T, env *testEnv, opt *Options) {
			writeFile(t, env.keyFile, "abcd\n", 0o600)
		}, ErrKey},
		{"no key file configured", func(t *testing.T, env *testEnv, opt *Options) {
			opt.KeyFile = ""
		}, ErrKey},
		{"key is a directory", func(t *testing.T, env *testEnv, opt *Options) {
			opt.KeyFile = env.dir
		}, ErrKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			q := env.open(t)
			mustEnqueue(t, q, sampleSubmission(1, 100))
			q.Close()
			opt := env.options()
			tt.setup(t, env, &opt)
			q2, err := Open(env.dir, opt)
			if err == nil {
				q2.Close()
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open = %v, want %v", err, tt.want)
			}
			if tt.name == "missing key, not created again" {
				if _, err := os.Stat(env.keyFile); !os.IsNotExist(err) {
					t.Errorf("a new key was created for an existing queue")
				}
			}
		})
	}
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func TestKeyCreation(t *testing.T) {
	env := newEnv(t)
	opt := env.options()
	opt.CreateKey = false
	if _, err := Open(env.dir, opt); !errors.Is(err, ErrKey) {
		t.Fatalf("new queue without key and without CreateKey: %v", err)
	}
	q := env.open(t)
	q.Close()
	fi, err := os.Stat(env.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %04o, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(env.keyFile)
	if k, err := hex.DecodeString(strings.TrimSpace(string(b))); err != nil || len(k) != keySize {
		t.Errorf("key file content not %d hex bytes", keySize)
	}
	// Reopening with the created key works and does not replace it.
	env.open(t)
	b2, _ := os.ReadFile(env.keyFile)
	if !bytes.Equal(b, b2) {
		t.Error("key replaced on reopen")
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(env.keyFile), ".key-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary key files left: %v", leftovers)
	}
}

// TestNothingPersonalInTheClear writes submissions (one failed, one delivered, one
// waiting, all made with an ID card) and a rating, looks the card up, and then reads every
// byte the queue put on disk, and every log line, looking for the personal values: the ID
// number in every encoding a grep could find it in, and its unkeyed hashes.
func TestNothingPersonalInTheClear(t *testing.T) {
	env := newEnv(t)
	q := env.open(t)
	in := sampleSubmission(42, 4096)
	in.Attachments[0].Name = "测试甲的户口簿.jpg"
	s := mustEnqueue(t, q, in)
	if _, err := q.Rate(context.Background(), RatingInput{SubmissionID: s.ID, Stars: 2, Comment: "样例乙的意见"}); err != nil {
		t.Fatal(err)
	}
	q.NoteAttempt(s.ID, errors.New("timeout"))
	q.MarkFailed(s.ID, "rejected by hub")
	// The same card again: one delivered (its receipt keeps only the keyed hash), one
	// waiting. Form fields without the number, so only IdentityNumber carries it.
	for _, deliver := range []bool{true, false} {
		again := sampleSubmission(42)
		delete(again.Fields, "id_number")
		a := mustEnqueue(t, q, again)
		if deliver {
			if err := q.MarkDelivered(a.ID, "hub-1"); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got, err := q.LookupIdentity(in.IdentityNumber); err != nil || len(got) != 3 {
		t.Fatalf("LookupIdentity = %d receipts, %v; want 3", len(got), err)
	}
	q.Close()

	secrets := [][]byte{[]byte(in.Fields["name"]), []byte(in.Fields["address"]),
		[]byte(in.Fields["phone"]), []byte("测试甲的户口簿"), []byte("样例乙的意见"), in.Attachments[0].Data[:64]}
	if in.Fields["id_number"] != in.IdentityNumber {
		t.Fatal("the sample's form and card numbers differ")
	}
	secrets = append(secrets, idNumberForms(in.IdentityNumber)...)
	master, kerr := parseKey(mustRead(t, env.keyFile))
	if kerr != nil {
		t.Fatal(kerr)
	}
	// A tag made with the queue key itself (the derivation skipped) would be a bug too.
	secrets = append(secrets, hashForms(identityMAC(master, in.IdentityNumber))...)
	err := filepath.Walk(env.dir, func(path string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, sec := range secrets {
			if bytes.Contains(b, sec) {
				t.Errorf("%s holds personal data in the clear (%x…)", filepath.Base(path), sec[:min(len(sec), 6)])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	logs := env.logs.String()
	if !strings.Contains(logs, s.ID) {
		t.Fatalf("expected the log to mention the submission id; logs:\n%s", logs)
	}
	for _, sec := range secrets {
		if strings.Contains(logs, string(sec)) {
			t.Errorf("log holds personal data %x…", sec[:min(len(sec), 6)])
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// idNumberForms is an ID number as a grep of raw bytes could find it: as text (both cases
// of the check character, and without it), UTF-16 (the card's own encoding) both ways
// round, hex, base64 at each of the three byte alignments (so it is found inside a longer
// encoded value, as JSON encodes []byte), packed BCD, and its unkeyed SHA-256 and SHA-1
// hashes (which enumerating the number space reverses).
func idNumberForms(id string) [][]byte {
	var out [][]byte
	for _, s := range []string{id, strings.ToLower(id), id[:17]} {
		out = append(out, []byte(s))
		le, be := make([]byte, 0, 2*len(s)), make([]byte, 0, 2*len(s))
		for _, c := range []byte(s) {
			le, be = append(le, c, 0), append(be, 0, c)
		}
		out = append(out, le, be,
			[]byte(hex.EncodeToString([]byte(s))), []byte(strings.ToUpper(hex.EncodeToString([]byte(s)))))
		out = append(out, base64Forms([]byte(s))...)
		sum := sha256.Sum256([]byte(s))
		out = append(out, hashForms(sum[:])...)
		sum1 := sha1.Sum([]byte(s))
		out = append(out, hashForms(sum1[:])...)
	}
	// Packed BCD of the 17 digits (a nibble each; the last one padded).
	var bcd []byte
	for i := 0; i+1 < 17; i += 2 {
		bcd = append(bcd, (id[i]-'0')<<4|(id[i+1]-'0'))
	}
	return append(out, bcd)
}

// hashForms is a binary value raw, in hex and in base64.
func hashForms(h []byte) [][]byte {
	return append([][]byte{h, []byte(hex.EncodeToString(h))}, base64Forms(h)...)
}

// base64Forms is b in standard and URL base64 as it appears inside a longer encoded value
// starting at any of the three byte alignments: whole 4-character groups only, since the
// group holding b's first and last bytes depends on its neighbours.
func base64Forms(b []byte) [][]byte {
	var out [][]byte
	for shift := 0; shift < 3; shift++ {
		padded := append(make([]byte, shift), b...)
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			e := enc.EncodeToString(padded)
			// Groups covering whole input triples; with a shift the first one mixes in the
			// neighbour's bytes, and a partial last one depends on what follows.
			full := len(padded) / 3 * 4
			from := 0
			if shift > 0 {
				from = 4
			}
			if full-from >= 8 {
				out = append(out, []byte(e[from:full]))
			}
		}
	}
	return out
}

// editRecords rewrites records directly in bbolt (the queue must be closed), as a
// tamperer or a bit flip would.
func editRecords(t *testing.T, dir string, edit func(recs map[string]*record)) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, dbName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		recs := map[string]*record{}
		if err := tx.Bucket(bktItems).ForEach(func(k, v []byte) error {
			r, err := decodeRecord(v)
			recs[r.ID] = r
			return err
		}); err != nil {
			return err
		}
		edit(recs)
		for _, r := range recs {
			b, _ := json.Marshal(r)
			if err := tx.Bucket(bktItems).Put(seqKey(r.Seq), b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTamperedRecords(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(a, b *record)
		bad    []int // which of the two submissions become unreadable
	}{
		{"flipped byte", func(a, b *record) { a.Sealed[len(a.Sealed)/2] ^= 0x40 }, []int{0}},
		{"truncated", func(a, b *record) { a.Sealed = a.Sealed[:10] }, []int{0}},
		{"swapped between submissions", func(a, b *record) { a.Sealed, b.Sealed = b.Sealed, a.Sealed }, []int{0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			q := env.open(t)
			s := []*Submission{mustEnqueue(t, q, sampleSubmission(1)), mustEnqueue(t, q, sampleSubmission(2))}
			q.Close()
			editRecords(t, env.dir, func(recs map[string]*record) { tt.tamper(recs[s[0].ID], recs[s[1].ID]) })

			q = env.open(t)
			bad := map[int]bool{}
			for _, i := range tt.bad {
				bad[i] = true
			}
			for i, sub := range s {
				_, err := q.Get(sub.ID)
				if bad[i] != errors.Is(err, ErrCorrupt) {
					t.Errorf("Get(submission %d) = %v, want corrupt: %v", i, err, bad[i])
				}
			}
			// Open took the damaged ones out of the outbox, with a reason.
			pending, err := q.Pending(0)
			if err != nil {
				t.Fatal(err)
			}
			if len(pending) != 2-len(tt.bad) {
				t.Errorf("Pending has %d items, want %d", len(pending), 2-len(tt.bad))
			}
			entries, _ := q.List(0)
			for i, e := range entries {
				if bad[i] && (e.State != Failed || !strings.Contains(e.Reason, "cannot be read")) {
					t.Errorf("damaged item %d: state %s reason %q", i, e.State, e.Reason)
				}
			}
		})
	}
}

func TestPendingFailsItemTamperedWhileRunning(t *testing.T) {
	env := newEnv(t)
	q := env.open(t)
	a := mustEnqueue(t, q, sampleSubmission(1))
	b := mustEnqueue(t, q, sampleSubmission(2))
	// Tamper through the open database, as a disk error under a running kiosk would.
	err := q.db.Update(func(tx *bolt.Tx) error {
		r, err := getByID(tx, a.ID)
		if err != nil {
			return err
		}
		r.Sealed[20] ^= 1
		buf, _ := json.Marshal(r)
		return tx.Bucket(bktItems).Put(seqKey(r.Seq), buf)
	})
	if err != nil {
		t.Fatal(err)
	}
	items, err := q.Pending(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].ID() != b.ID {
		t.Fatalf("Pending = %v, want only the intact item", items)
	}
	st, _ := q.Stats()
	if st.Failed != 1 || st.Queued != 1 {
		t.Errorf("Stats = %+v", st)
	}
}

func TestTamperedFiles(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(t *testing.T, a, b string) // paths of the two submissions' files
	}{
		{"flipped byte", func(t *testing.T, a, b string) {
			data, _ := os.ReadFile(a)
			data[len(data)-100] ^= 1
			os.WriteFile(a, data, 0o600)
		}},
		{"swapped between submissions", func(t *testing.T, a, b string) {
			da, _ := os.ReadFile(a)
			db, _ := os.ReadFile(b)
			os.WriteFile(a, db, 0o600)
			os.WriteFile(b, da, 0o600)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			q := env.open(t)
			s1 := mustEnqueue(t, q, sampleSubmission(1, 3000))
			s2 := mustEnqueue(t, q, sampleSubmission(2, 3000))
			paths := map[string]string{}
			q.db.View(func(tx *bolt.Tx) error {
				for _, id := range []string{s1.ID, s2.ID} {
					r, _ := getByID(tx, id)
					paths[id] = filepath.Join(env.dir, filesDir, r.Files[0].Name)
				}
				return nil
			})
			tt.tamper(t, paths[s1.ID], paths[s2.ID])
			if _, err := q.ReadAttachment(s1.ID, 0); !errors.Is(err, ErrCorrupt) {
				t.Errorf("ReadAttachment = %v, want ErrCorrupt", err)
			}
			rep, err := q.Check(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Problems) == 0 || !strings.Contains(strings.Join(rep.Problems, "\n"), s1.ID) {
				t.Errorf("Check did not report the damaged file: %v", rep.Problems)
			}
		})
	}
}
