package handwriting

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// A Zinnia model file (zinnia's recognizer.cpp reads the same): a little-endian header of
// magic, version and the number of characters, then per character its UTF-8 name in 16
// bytes, a float32 bias and its weights as (int32 feature index, float32 weight) pairs
// ending with index -1. The magic is modelMagic XOR the file's length.
const (
	modelMagic   = 0xef71821
	modelVersion = 1
	modelHeader  = 12
	modelName    = 16
)

// ErrBadModel means a model file is not a Zinnia model this package can read.
var ErrBadModel = errors.New("handwriting: bad model file")

// modelChar is one character's entry, pointing into the file's bytes.
type modelChar struct {
	name    string
	bias    float32
	weights []byte // (index, weight) pairs, without the terminator
}

// parseModel reads a Zinnia model file's entries; it checks every length against the
// file, so any bytes give entries or ErrBadModel.
func parseModel(b []byte) ([]modelChar, error) {
	if len(b) < modelHeader {
		return nil, fmt.Errorf("%w: %d bytes", ErrBadModel, len(b))
	}
	le := binary.LittleEndian
	if le.Uint32(b)^uint32(len(b)) != modelMagic {
		return nil, fmt.Errorf("%w: magic", ErrBadModel)
	}
	if v := le.Uint32(b[4:]); v != modelVersion {
		return nil, fmt.Errorf("%w: version %d", ErrBadModel, v)
	}
	n := le.Uint32(b[8:])
	// Each entry takes at least name, bias and terminator.
	if uint64(n)*(modelName+4+8) > uint64(len(b)) {
		return nil, fmt.Errorf("%w: %d characters in %d bytes", ErrBadModel, n, len(b))
	}
	out := make([]modelChar, 0, n)
	p := modelHeader
	for i := uint32(0); i < n; i++ {
		if len(b)-p < modelName+4 {
			return nil, fmt.Errorf("%w: entry %d cut short", ErrBadModel, i)
		}
		name := b[p : p+modelName]
		for j, c := range name {
			if c == 0 {
				name = name[:j]
				break
			}
		}
		bias := math.Float32frombits(le.Uint32(b[p+modelName:]))
		p += modelName + 4
		start := p
		for {
			if len(b)-p < 8 {
				return nil, fmt.Errorf("%w: entry %d has no end", ErrBadModel, i)
			}
			if int32(le.Uint32(b[p:])) == -1 {
				break
			}
			p += 8
		}
		out = append(out, modelChar{name: string(name), bias: bias, weights: b[start:p]})
		p += 8
	}
	if p != len(b) {
		return nil, fmt.Errorf("%w: %d bytes after the last entry", ErrBadModel, len(b)-p)
	}
	return out, nil
}

// modelSize is the length of the model file writeModel makes of chars, dropping weights
// below minWeight in size.
func modelSize(chars []modelChar, minWeight float32) int {
	size := modelHeader
	for _, c := range chars {
		size += modelName + 4 + 8
		for j := 0; j+8 <= len(c.weights); j += 8 {
			if keepWeight(c.weights[j:], minWeight) {
				size += 8
			}
		}
	}
	return size
}

func keepWeight(pair []byte, minWeight float32) bool {
	w := math.Float32frombits(binary.LittleEndian.Uint32(pair[4:]))
	return !(math.Abs(float64(w)) < float64(minWeight))
}

// writeModel writes chars as a Zinnia model into dst, which is modelSize long, dropping
// the weights smaller in size than minWeight (as Tegaki's light models do): they move
// scores by less than the differences between candidates and cost memory and time.
func writeModel(dst []byte, chars []modelChar, minWeight float32) {
	le := binary.LittleEndian
	le.PutUint32(dst, modelMagic^uint32(len(dst)))
	le.PutUint32(dst[4:], modelVersion)
	le.PutUint32(dst[8:], uint32(len(chars)))
	p := modelHeader
	for _, c := range chars {
		clear(dst[p : p+modelName])
		copy(dst[p:p+modelName-1], c.name) // names are NUL-terminated
		le.PutUint32(dst[p+modelName:], math.Float32bits(c.bias))
		p += modelName + 4
		for j := 0; j+8 <= len(c.weights); j += 8 {
			if keepWeight(c.weights[j:], minWeight) {
				copy(dst[p:p+8], c.weights[j:j+8])
				p += 8
			}
		}
		le.PutUint32(dst[p:], math.MaxUint32) // index -1
		le.PutUint32(dst[p+4:], 0)
		p += 8
	}
}
