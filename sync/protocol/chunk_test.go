package protocol

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestChunkGolden(t *testing.T) {
	c := Chunk{ID: "s-1", Index: 2, Offset: 262144, Data: []byte("DATA")}
	frame, err := AppendChunk(nil, c)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "chunk.hex")
	if *update {
		if err := os.WriteFile(golden, []byte(hex.EncodeToString(frame)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if got := hex.EncodeToString(frame); got != strings.TrimSpace(string(want)) {
		t.Errorf("chunk frame = %s, want %s", got, want)
	}
	if len(frame) != c.HeaderLen()+len(c.Data) {
		t.Errorf("frame length %d, header %d + data %d", len(frame), c.HeaderLen(), len(c.Data))
	}
	back, err := ParseChunk(frame)
	if err != nil {
		t.Fatal(err)
	}
	if back.ID != c.ID || back.Index != c.Index || back.Offset != c.Offset || !bytes.Equal(back.Data, c.Data) {
		t.Errorf("ParseChunk = %+v, want %+v", back, c)
	}
}

func TestChunkRejects(t *testing.T) {
	good, _ := AppendChunk(nil, Chunk{ID: "s-1", Index: 0, Offset: 0, Data: []byte{1}})
	header := func(kind byte, id string, index uint16, off uint64) []byte {
		b := []byte{kind, byte(len(id))}
		b = append(b, id...)
		b = append(b, byte(index>>8), byte(index))
		for i := 7; i >= 0; i-- {
			b = append(b, byte(off>>(8*i)))
		}
		return b
	}
	tests := []struct {
		name  string
		frame []byte
		want  error
	}{
		{"empty", nil, ErrMalformed},
		{"one byte", []byte{ChunkKind}, ErrMalformed},
		{"other kind", append([]byte{0x02}, good[1:]...), ErrMalformed},
		{"truncated header", good[:8], ErrMalformed},
		{"no data", header(ChunkKind, "s-1", 0, 0), ErrInvalidField},
		{"bad id", append(header(ChunkKind, "../x", 0, 0), 1), ErrInvalidField},
		{"index too big", append(header(ChunkKind, "s-1", MaxAttachments, 0), 1), ErrInvalidField},
		{"offset too big", append(header(ChunkKind, "s-1", 0, 1<<62), 1), ErrInvalidField},
		{"ends past limit", append(header(ChunkKind, "s-1", 0, MaxAttachmentSize), 1), ErrInvalidField},
		{"oversized", append(header(ChunkKind, "s-1", 0, 0), make([]byte, MaxChunkData+1)...), ErrTooLarge},
		{"frame over limit", make([]byte, MaxChunkFrame+1), ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseChunk(tt.frame); !errors.Is(err, tt.want) {
				t.Errorf("ParseChunk = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := AppendChunk(nil, Chunk{ID: "s-1", Data: make([]byte, MaxChunkData+1)}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("AppendChunk(oversized) = %v", err)
	}
}

func BenchmarkAppendChunk(b *testing.B) {
	data := make([]byte, MaxChunkData)
	buf := make([]byte, 0, MaxChunkFrame)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		var err error
		buf, err = AppendChunk(buf[:0], Chunk{ID: "0b9e6c4a-1d2f-4e5a-9b8c-7d6e5f4a3b2c", Offset: 1 << 20, Data: data})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeSubmit(b *testing.B) {
	frame, err := Encode(samples()["submit"])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if _, err := Decode(frame, Terminal); err != nil {
			b.Fatal(err)
		}
	}
}
