package tracking

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"fmt"
)

// PermutedBits is the width of the sequence values a Permuter shuffles: every sequence
// number below 1<<PermutedBits (all five-character sequences) maps to another one below
// it, so codes keep their printed length. Larger sequence numbers (beyond 33 million
// submissions of one terminal) are left as they are; they are six characters or more and
// cannot meet a shuffled one.
const PermutedBits = 5 * MinSeqLen

const (
	halfBits = (PermutedBits + 1) / 2 // a balanced Feistel network over 2*halfBits bits
	halfMask = 1<<halfBits - 1
	rounds   = 8
)

// Permuter turns a terminal's running sequence numbers into sequence values that cannot
// be told from random without its key, so a tracking code says nothing about the codes
// printed before or after it. It is a keyed bijection (a Feistel network over AES,
// walked until the value falls back into range), so codes stay unique per terminal
// exactly as the running numbers are.
type Permuter struct {
	block cipher.Block
}

// NewPermuter returns the permutation for a 16-, 24- or 32-byte key.
func NewPermuter(key []byte) (*Permuter, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("tracking: permutation key: %w", err)
	}
	return &Permuter{block: b}, nil
}

func (p *Permuter) round(r int, half uint32) uint32 {
	var in, out [aes.BlockSize]byte
	in[0] = byte(r)
	binary.BigEndian.PutUint32(in[1:], half)
	p.block.Encrypt(out[:], in[:])
	return binary.BigEndian.Uint32(out[:]) & halfMask
}

func (p *Permuter) feistel(v uint64, inverse bool) uint64 {
	l, r := uint32(v>>halfBits)&halfMask, uint32(v)&halfMask
	if !inverse {
		for i := range rounds {
			l, r = r, l^p.round(i, r)
		}
	} else {
		for i := rounds - 1; i >= 0; i-- {
			l, r = r^p.round(i, l), l
		}
	}
	return uint64(l)<<halfBits | uint64(r)
}

// Permute maps a sequence number to the value printed in its tracking code.
func (p *Permuter) Permute(seq uint64) uint64 {
	if seq >= 1<<PermutedBits {
		return seq
	}
	// Cycle walking: the network works on 2*halfBits bits; a value outside the range is
	// permuted again until it is inside, which keeps the whole a bijection of the range.
	v := p.feistel(seq, false)
	for v >= 1<<PermutedBits {
		v = p.feistel(v, false)
	}
	return v
}

// Unpermute is the inverse of Permute.
func (p *Permuter) Unpermute(v uint64) uint64 {
	if v >= 1<<PermutedBits {
		return v
	}
	s := p.feistel(v, true)
	for s >= 1<<PermutedBits {
		s = p.feistel(s, true)
	}
	return s
}
