// Package tracking makes and reads the tracking codes printed on a resident's receipt.
//
// A code is generated offline by the terminal and is unique across all terminals without
// asking anyone: it is the terminal's 4-character code (assigned by the hub at
// enrollment), the terminal's own submission sequence number, and one check character,
// printed in three dash-separated groups:
//
//	K7Q2-0003F-W
//	^^^^ ^^^^^ ^
//	|    |     check character
//	|    sequence, base 32, at least 5 characters (33 554 432 codes before it grows)
//	terminal code
//
// All characters come from Crockford's base-32 alphabet (0-9 and A-Z without I, L, O, U),
// so nothing on the receipt can be read two ways. Reading is forgiving the way Crockford
// intended: lower case is accepted, dashes and spaces may be left out or misplaced, and
// the letters people confuse with digits are read as those digits (O as 0, I and L as 1).
//
// The check character makes the weighted sum of all character values in GF(32) zero, with
// weights that are successive powers of the field element x (see checkSum). Because every
// weight is non-zero, every single wrong character is detected; because the powers of x
// are all distinct (x has order 31 in GF(32)*), every transposition of two different
// characters — adjacent or not, check character included — is detected too. The tests
// check both claims exhaustively.
//
// The package is pure: it does no I/O and keeps no state. It must never accept a code
// whose check character does not match, because a mistyped code must not show a
// stranger's submission.
package tracking

import (
	"errors"
	"fmt"
	"strings"
)

// alphabet is Crockford's base-32 alphabet: symbol value i is alphabet[i].
const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

const (
	// TerminalLen is the length of a terminal code.
	TerminalLen = 4
	// MinSeqLen is the number of characters the sequence is padded to.
	MinSeqLen = 5
	// maxSeqLen is enough base-32 characters for any uint64.
	maxSeqLen = 13
)

var (
	// ErrFormat means a string is not shaped like a tracking code: wrong length or a
	// character outside the alphabet.
	ErrFormat = errors.New("tracking: not a tracking code")
	// ErrCheck means the string is shaped like a tracking code but its check character
	// does not match: almost always a typing or reading mistake.
	ErrCheck = errors.New("tracking: check character does not match")
	// ErrTerminal means a terminal code is not 4 characters of the alphabet.
	ErrTerminal = errors.New("tracking: terminal code must be 4 characters of 0-9 A-Z without I L O U")
)

// symbolValue maps an input byte to its symbol value, or -1. It applies Crockford's
// decoding: lower case as upper case, O as 0, I and L as 1.
var symbolValue = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(alphabet); i++ {
		c := alphabet[i]
		t[c] = int8(i)
		if c >= 'A' && c <= 'Z' {
			t[c+'a'-'A'] = int8(i)
		}
	}
	t['O'], t['o'] = 0, 0
	t['I'], t['i'], t['L'], t['l'] = 1, 1, 1, 1
	return t
}()

// Code is a parsed tracking code.
type Code struct {
	// Terminal is the terminal code in canonical form (upper case, 4 characters).
	Terminal string
	// Seq is the terminal's sequence number.
	Seq uint64
}

// String returns the canonical printed form, e.g. "K7Q2-0003F-W".
func (c Code) String() string {
	s, err := New(c.Terminal, c.Seq)
	if err != nil {
		return "invalid tracking code"
	}
	return s
}

// New returns the canonical tracking code for the terminal's seq-th submission. The
// terminal code is read forgivingly (lower case, O/I/L) and printed canonically.
func New(terminal string, seq uint64) (string, error) {
	t, err := NormalizeTerminal(terminal)
	if err != nil {
		return "", err
	}
	vals := make([]int8, 0, TerminalLen+maxSeqLen+1)
	for i := 0; i < TerminalLen; i++ {
		vals = append(vals, symbolValue[t[i]])
	}
	vals = appendSeq(vals, seq)
	vals = append(vals, checkFor(vals))

	var b strings.Builder
	b.Grow(len(vals) + 2)
	for i, v := range vals {
		if i == TerminalLen || i == len(vals)-1 {
			b.WriteByte('-')
		}
		b.WriteByte(alphabet[v])
	}
	return b.String(), nil
}

// NormalizeTerminal returns the canonical form of a terminal code, or ErrTerminal.
func NormalizeTerminal(terminal string) (string, error) {
	if len(terminal) != TerminalLen {
		return "", fmt.Errorf("%w: %q", ErrTerminal, terminal)
	}
	var b [TerminalLen]byte
	for i := 0; i < TerminalLen; i++ {
		v := symbolValue[terminal[i]]
		if v < 0 {
			return "", fmt.Errorf("%w: %q", ErrTerminal, terminal)
		}
		b[i] = alphabet[v]
	}
	return string(b[:]), nil
}

// appendSeq appends seq in base 32, most significant first, padded to MinSeqLen.
func appendSeq(vals []int8, seq uint64) []int8 {
	var digits [maxSeqLen]int8
	n := 0
	for seq > 0 || n < MinSeqLen {
		digits[n] = int8(seq & 31)
		seq >>= 5
		n++
	}
	for i := n - 1; i >= 0; i-- {
		vals = append(vals, digits[i])
	}
	return vals
}

// Parse reads a tracking code typed or scanned by a person: case, dashes, spaces and the
// confusable letters O, I and L do not matter. It returns ErrFormat for something that is
// not a tracking code and ErrCheck for a code with a mistake in it.
func Parse(code string) (Code, error) {
	var vals [TerminalLen + maxSeqLen + 1]int8
	n := 0
	for i := 0; i < len(code); i++ {
		c := code[i]
		if c == '-' || c == ' ' {
			continue
		}
		v := symbolValue[c]
		if v < 0 {
			return Code{}, fmt.Errorf("%w: unexpected character %q", ErrFormat, c)
		}
		if n == len(vals) {
			return Code{}, fmt.Errorf("%w: too long", ErrFormat)
		}
		vals[n] = v
		n++
	}
	if n < TerminalLen+MinSeqLen+1 {
		return Code{}, fmt.Errorf("%w: too short", ErrFormat)
	}
	seqVals := vals[TerminalLen : n-1]
	if len(seqVals) > MinSeqLen && seqVals[0] == 0 {
		// Only one spelling per code: a longer sequence never starts with 0.
		return Code{}, fmt.Errorf("%w: sequence has extra leading zeros", ErrFormat)
	}
	if len(seqVals) == maxSeqLen && seqVals[0] > 15 {
		return Code{}, fmt.Errorf("%w: sequence out of range", ErrFormat)
	}
	if checkSum(vals[:n]) != 0 {
		return Code{}, ErrCheck
	}
	var seq uint64
	for _, v := range seqVals {
		seq = seq<<5 | uint64(v)
	}
	var t [TerminalLen]byte
	for i := 0; i < TerminalLen; i++ {
		t[i] = alphabet[vals[i]]
	}
	return Code{Terminal: string(t[:]), Seq: seq}, nil
}

// Valid reports whether code is a tracking code with a matching check character, read as
// forgivingly as Parse reads it.
func Valid(code string) bool {
	_, err := Parse(code)
	return err == nil
}

// Normalize returns the canonical printed form of a code read as Parse reads it, so that
// a typed "k7q2 0003f w" and a printed "K7Q2-0003F-W" compare equal.
func Normalize(code string) (string, error) {
	c, err := Parse(code)
	if err != nil {
		return "", err
	}
	return New(c.Terminal, c.Seq)
}

// gfMul2 multiplies a GF(32) element by x, modulo the primitive polynomial
// x^5 + x^2 + 1 (0b100101).
func gfMul2(a int8) int8 {
	a <<= 1
	if a&32 != 0 {
		a ^= 0b100101
	}
	return a
}

// step is the quasigroup operation the check is built on: s∘v = x·s + v in GF(32). Each
// row and each column is a permutation, and (s∘a)∘b = (s∘b)∘a only when a = b, which is
// what makes single errors and adjacent transpositions detectable (Damm's condition).
func step(s, v int8) int8 { return gfMul2(s) ^ v }

// checkSum folds step over vals starting from 0; a valid code folds to 0.
func checkSum(vals []int8) int8 {
	var s int8
	for _, v := range vals {
		s = step(s, v)
	}
	return s
}

// checkFor returns the check value c with step(checkSum(vals), c) == 0.
func checkFor(vals []int8) int8 { return gfMul2(checkSum(vals)) }
