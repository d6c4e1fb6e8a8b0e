package handwriting

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"
)

// tinyModel builds a model file of two characters by hand.
func tinyModel() []byte {
	le := binary.LittleEndian
	var b []byte
	put32 := func(v uint32) { b = le.AppendUint32(b, v) }
	b = make([]byte, 0, 128)
	put32(0)
	put32(modelVersion)
	put32(2)
	for _, c := range []struct {
		name string
		bias float32
		w    [][2]float32
	}{{"一", 0.5, [][2]float32{{0, 0.1}, {3, -0.001}, {2000001, 0.02}}}, {"二", -0.25, nil}} {
		name := make([]byte, modelName)
		copy(name, c.name)
		b = append(b, name...)
		put32(math.Float32bits(c.bias))
		for _, w := range c.w {
			put32(uint32(int32(w[0])))
			put32(math.Float32bits(w[1]))
		}
		put32(math.MaxUint32)
		put32(0)
	}
	le.PutUint32(b, modelMagic^uint32(len(b)))
	return b
}

func TestParseAndWriteModel(t *testing.T) {
	b := tinyModel()
	chars, err := parseModel(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(chars) != 2 || chars[0].name != "一" || chars[1].name != "二" || chars[0].bias != 0.5 || len(chars[0].weights) != 24 {
		t.Fatalf("parsed %+v", chars)
	}
	// Written back without pruning: the same bytes.
	out := make([]byte, modelSize(chars, 0))
	writeModel(out, chars, 0)
	if string(out) != string(b) {
		t.Fatalf("rewritten model differs:\n%x\n%x", out, b)
	}
	// Pruned: the small weight goes, the file stays valid.
	out = make([]byte, modelSize(chars, 0.01))
	writeModel(out, chars, 0.01)
	again, err := parseModel(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(again[0].weights) != 16 {
		t.Fatalf("pruned weights: %x", again[0].weights)
	}
}

func TestParseModelRejects(t *testing.T) {
	good := tinyModel()
	tests := map[string][]byte{
		"empty":       nil,
		"cut short":   good[:len(good)-4],
		"bad magic":   append([]byte{1}, good[1:]...),
		"bad version": func() []byte { b := append([]byte(nil), good...); b[4] = 9; return b }(),
	}
	for name, b := range tests {
		if _, err := parseModel(b); !errors.Is(err, ErrBadModel) {
			t.Errorf("%s: err = %v, want ErrBadModel", name, err)
		}
	}
}

// FuzzParseModel: model files come from the disk; any bytes give entries that lie in the
// file, or ErrBadModel, and what parses writes back to a file that parses the same.
func FuzzParseModel(f *testing.F) {
	f.Add(tinyModel())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) >= 4 {
			// Let the fuzzer past the magic check.
			binary.LittleEndian.PutUint32(b, modelMagic^uint32(len(b)))
		}
		chars, err := parseModel(b)
		if err != nil {
			if !errors.Is(err, ErrBadModel) {
				t.Fatalf("error not ErrBadModel: %v", err)
			}
			return
		}
		out := make([]byte, modelSize(chars, 0))
		writeModel(out, chars, 0)
		again, err := parseModel(out)
		if err != nil {
			t.Fatalf("rewritten model does not parse: %v", err)
		}
		if len(again) != len(chars) {
			t.Fatalf("%d characters, rewritten %d", len(chars), len(again))
		}
	})
}
