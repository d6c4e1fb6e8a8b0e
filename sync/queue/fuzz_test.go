package queue

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzParseKey feeds arbitrary key-file content: the result is a 32-byte key or ErrKey.
func FuzzParseKey(f *testing.F) {
	f.Add([]byte("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"))
	f.Add([]byte(""))
	f.Add([]byte("zz"))
	f.Fuzz(func(t *testing.T, b []byte) {
		key, err := parseKey(b)
		if err != nil {
			if !errors.Is(err, ErrKey) {
				t.Fatalf("error %v is not ErrKey", err)
			}
			return
		}
		if len(key) != keySize {
			t.Fatalf("key of %d bytes", len(key))
		}
	})
}

// FuzzRecord feeds arbitrary bytes as a stored record, as a damaged or tampered database
// would: decoding and opening must fail with ErrCorrupt or succeed, never panic, and never
// yield personal data that was not sealed under this key for this id.
func FuzzRecord(f *testing.F) {
	s, err := newSealer(make([]byte, keySize))
	if err != nil {
		f.Fatal(err)
	}
	q := &Queue{seal: s}
	plain, _ := json.Marshal(personal{Fields: map[string]string{"name": "测试甲"}})
	good, _ := json.Marshal(record{Kind: kindSubmission, ID: "a", Seq: 1, State: Queued,
		Sealed: s.seal(plain, recordAAD("a")), Files: []fileRef{{Name: "a.0.x.att", Size: 40}}})
	f.Add(good)
	moved, _ := json.Marshal(record{Kind: kindSubmission, ID: "b", Seq: 2, State: Queued, Sealed: s.seal(plain, recordAAD("a"))})
	f.Add(moved)
	f.Add([]byte(`{"kind":"rating","id":"r","stars":9,"reasons":["x"]}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"kind":"submission","id":"x","sealed":"AAAA"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRecord(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("decode error %v is not ErrCorrupt", err)
			}
			return
		}
		_ = r.toEntry()
		_ = r.doneKey()
		p, err := q.openPersonal(r)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("open error %v is not ErrCorrupt", err)
			}
			return
		}
		it := r.toItem(p)
		if (it.Submission == nil) == (it.Rating == nil) {
			t.Fatal("item must be exactly one of submission and rating")
		}
		if p != nil && r.ID != "a" {
			t.Fatalf("sealed data for id a opened as id %q", r.ID)
		}
	})
}
