package protocol

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzDecode feeds arbitrary frames to the strict decoder as either side. Whatever it
// accepts must validate, re-encode, decode again and re-encode to the same bytes.
func FuzzDecode(f *testing.F) {
	golden, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, g := range golden {
		b, err := os.ReadFile(g)
		if err == nil {
			f.Add(bytes.TrimSpace(b), true)
			f.Add(bytes.TrimSpace(b), false)
		}
	}
	f.Add([]byte(`{"type":"commit","body":{"id":"s-1"}}`), false)
	f.Add([]byte(`{"type":"commit","body":{"id":"s-1"},"type":"x"}`), false)
	f.Add([]byte(`{"type":"error","body":{"code":"try_later","retry_after_ms":5}}`), true)
	f.Fuzz(func(t *testing.T, frame []byte, fromHub bool) {
		from := Terminal
		if fromHub {
			from = Hub
		}
		m, err := Decode(frame, from)
		if err != nil {
			if m != nil {
				t.Fatalf("message and error both returned")
			}
			if CodeOf(err) == "" {
				t.Fatalf("error without a wire code: %v", err)
			}
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("accepted message does not validate: %v", err)
		}
		again, err := Encode(m)
		if err != nil {
			t.Fatalf("accepted message does not encode: %v", err)
		}
		m2, err := Decode(again, from)
		if err != nil {
			t.Fatalf("re-encoded message does not decode: %v\n%s", err, again)
		}
		third, err := Encode(m2)
		if err != nil {
			t.Fatalf("decoded re-encoding does not encode: %v", err)
		}
		if !bytes.Equal(again, third) {
			t.Fatalf("encoding is not stable:\n%s\n%s", again, third)
		}
	})
}

// FuzzParseChunk feeds arbitrary binary frames to the chunk parser; whatever it accepts
// must re-encode to the identical frame.
func FuzzParseChunk(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "chunk.hex")); err == nil {
		if frame, err := hex.DecodeString(strings.TrimSpace(string(b))); err == nil {
			f.Add(frame)
		}
	}
	f.Add([]byte{ChunkKind, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9})
	f.Add([]byte{ChunkKind, 0})
	f.Fuzz(func(t *testing.T, frame []byte) {
		c, err := ParseChunk(frame)
		if err != nil {
			if CodeOf(err) == "" {
				t.Fatalf("error without a wire code: %v", err)
			}
			return
		}
		again, err := AppendChunk(nil, c)
		if err != nil {
			t.Fatalf("accepted chunk does not encode: %v", err)
		}
		if !bytes.Equal(again, frame) {
			t.Fatalf("re-encoded frame differs:\n%x\n%x", again, frame)
		}
	})
}

// FuzzEnrollRequest feeds arbitrary bodies to the hub's enrollment parser; whatever it
// accepts must validate and survive a JSON round trip.
func FuzzEnrollRequest(f *testing.F) {
	f.Add([]byte(`{"code":"ABCD-EFGH","public_key":"` + strings.Repeat("A", 43) + `=","app_version":"1.0"}`))
	f.Add([]byte(`{"code":"x","public_key":null,"app_version":"1","name":"大厅"}`))
	f.Add([]byte(`{"terminal_id":"t-1","terminal_code":"K7Q2","hub_id":"h","versions":[1],"enrolled_at":"2025-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"terminal_id":"t-1","terminal_code":"K7Q2","hub_id":"h","versions":[1],"enrolled_at":"2025-01-01T00:00:00Z","identity_key":"` + strings.Repeat("A", 43) + `="}`))
	f.Add([]byte(`{"terminal_id":"t-1","terminal_code":"K7Q2","hub_id":"h","versions":[1,2],"enrolled_at":"2025-01-01T00:00:00Z","hub_key":"` + strings.Repeat("A", 43) + `="}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if r, err := DecodeEnrollRequest(body); err == nil {
			b, _ := json.Marshal(r)
			if _, err := DecodeEnrollRequest(b); err != nil {
				t.Fatalf("accepted request does not round-trip: %v", err)
			}
		} else if CodeOf(err) == "" {
			t.Fatalf("error without a wire code: %v", err)
		}
		if r, err := DecodeEnrollResponse(body); err == nil {
			b, _ := json.Marshal(r)
			if _, err := DecodeEnrollResponse(b); err != nil {
				t.Fatalf("accepted response does not round-trip: %v", err)
			}
		}
	})
}
