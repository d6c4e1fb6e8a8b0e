package tracking

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	tests := []struct {
		terminal string
		seq      uint64
		wantPref string // the code without its check character
		wantErr  error
	}{
		{"K7Q2", 0, "K7Q2-00000-", nil},
		{"K7Q2", 1, "K7Q2-00001-", nil},
		{"K7Q2", 31, "K7Q2-0000Z-", nil},
		{"K7Q2", 32, "K7Q2-00010-", nil},
		{"k7q2", 63, "K7Q2-0001Z-", nil},
		{"oil0", 5, "0110-00005-", nil},
		{"K7Q2", 1<<25 - 1, "K7Q2-ZZZZZ-", nil},
		{"K7Q2", 1 << 25, "K7Q2-100000-", nil},
		{"K7Q2", math.MaxUint64, "K7Q2-FZZZZZZZZZZZZ-", nil},
		{"K7Q", 1, "", ErrTerminal},
		{"K7Q22", 1, "", ErrTerminal},
		{"K7U2", 1, "", ErrTerminal},
		{"K7-2", 1, "", ErrTerminal},
		{"", 1, "", ErrTerminal},
	}
	for _, tt := range tests {
		got, err := New(tt.terminal, tt.seq)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("New(%q, %d) error = %v, want %v", tt.terminal, tt.seq, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if !strings.HasPrefix(got, tt.wantPref) || len(got) != len(tt.wantPref)+1 {
			t.Errorf("New(%q, %d) = %q, want %q + check", tt.terminal, tt.seq, got, tt.wantPref)
		}
		c, err := Parse(got)
		if err != nil {
			t.Errorf("Parse(New(%q, %d) = %q): %v", tt.terminal, tt.seq, got, err)
			continue
		}
		if c.Seq != tt.seq || c.Terminal != strings.ToUpper(strings.NewReplacer("o", "0", "i", "1", "l", "1").Replace(tt.terminal)) {
			t.Errorf("Parse(%q) = %+v, want seq %d", got, c, tt.seq)
		}
	}
}

func TestParseForgiving(t *testing.T) {
	canon, err := New("K7Q2", 0x3F)
	if err != nil {
		t.Fatal(err)
	}
	noDash := strings.ReplaceAll(canon, "-", "")
	tests := []struct {
		name, in string
	}{
		{"canonical", canon},
		{"lower case", strings.ToLower(canon)},
		{"no dashes", noDash},
		{"spaces", noDash[:4] + " " + noDash[4:9] + " " + noDash[9:]},
		{"misplaced dashes", noDash[:2] + "-" + noDash[2:7] + "--" + noDash[7:]},
		{"O for zero", strings.ReplaceAll(canon, "0", "O")},
		{"o for zero", strings.ReplaceAll(canon, "0", "o")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if err != nil {
				t.Fatalf("Normalize(%q): %v", tt.in, err)
			}
			if got != canon {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, canon)
			}
		})
	}

	// I and L read as 1: a code containing 1 typed with I or L.
	one, err := New("1111", 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"I", "i", "L", "l"} {
		in := strings.ReplaceAll(one, "1", r)
		if got, err := Normalize(in); err != nil || got != one {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, err, one)
		}
	}
}

func TestParseRejects(t *testing.T) {
	good, err := New("K7Q2", 1234)
	if err != nil {
		t.Fatal(err)
	}
	long, err := New("K7Q2", 1<<25)
	if err != nil {
		t.Fatal(err)
	}
	// A 13-character sequence whose top digit is too big for a uint64, with a matching
	// check character so only the range check can reject it.
	over := []int8{0, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	over = append(over, checkFor(over))
	var overS strings.Builder
	for _, v := range over {
		overS.WriteByte(alphabet[v])
	}
	// A 6-character sequence starting with 0, check character valid.
	padded := []int8{0, 0, 0, 0, 0, 0, 0, 0, 0, 1}
	padded = append(padded, checkFor(padded))
	var paddedS strings.Builder
	for _, v := range padded {
		paddedS.WriteByte(alphabet[v])
	}

	tests := []struct {
		name, in string
		want     error
	}{
		{"empty", "", ErrFormat},
		{"too short", good[:len(good)-2], ErrFormat},
		{"U is not in the alphabet", "U" + good[1:], ErrFormat},
		{"punctuation", strings.Replace(good, "-", "_", 1), ErrFormat},
		{"non-ASCII", good + "号", ErrFormat},
		{"too long", "K7Q2-" + strings.Repeat("1", 20) + "-0", ErrFormat},
		{"sequence out of range", overS.String(), ErrFormat},
		{"extra leading zero", paddedS.String(), ErrFormat},
		{"wrong check", good[:len(good)-1] + string(alphabet[(strings.IndexByte(alphabet, good[len(good)-1])+1)%32]), ErrCheck},
		{"long code, wrong check", long[:len(long)-1] + string(alphabet[(strings.IndexByte(alphabet, long[len(long)-1])+7)%32]), ErrCheck},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.in)
			if !errors.Is(err, tt.want) {
				t.Errorf("Parse(%q) error = %v, want %v", tt.in, err, tt.want)
			}
			if Valid(tt.in) {
				t.Errorf("Valid(%q) = true", tt.in)
			}
		})
	}
}

// TestStepIsTotallyAntiSymmetricQuasigroup checks, exhaustively over the 32×32 table, the
// two properties the detection proof rests on: every row and column of step is a
// permutation (so a changed character changes the running state, and a changed state
// stays changed through every later character), and (s∘a)∘b ≠ (s∘b)∘a for a ≠ b (so
// swapping neighbours changes the state).
func TestStepIsTotallyAntiSymmetricQuasigroup(t *testing.T) {
	for s := int8(0); s < 32; s++ {
		var row, col [32]bool
		for v := int8(0); v < 32; v++ {
			r, c := step(s, v), step(v, s)
			if r < 0 || r >= 32 || c < 0 || c >= 32 {
				t.Fatalf("step out of range: %d %d", r, c)
			}
			if row[r] {
				t.Fatalf("row %d is not a permutation", s)
			}
			if col[c] {
				t.Fatalf("column %d is not a permutation", s)
			}
			row[r], col[c] = true, true
		}
		for a := int8(0); a < 32; a++ {
			for b := int8(0); b < 32; b++ {
				if a != b && step(step(s, a), b) == step(step(s, b), a) {
					t.Fatalf("(%d∘%d)∘%d == (%d∘%d)∘%d", s, a, b, s, b, a)
				}
			}
		}
	}
}

// symbolsOf returns the 10 symbol values of a 5-character-sequence code.
func symbolsOf(t *testing.T, code string) []int8 {
	t.Helper()
	var vals []int8
	for i := 0; i < len(code); i++ {
		if code[i] != '-' {
			vals = append(vals, symbolValue[code[i]])
		}
	}
	return vals
}

func render(vals []int8) string {
	b := make([]byte, len(vals))
	for i, v := range vals {
		b[i] = alphabet[v]
	}
	return string(b)
}

// codeWith builds the valid 10-character code whose data positions are base with the
// given position overridden; position 9 is the check character.
func codeWith(base []int8, pos int, v int8) []int8 {
	vals := append([]int8(nil), base[:9]...)
	vals[pos] = v
	return append(vals, checkFor(vals))
}

// TestDetectsEverySingleError tries, through Parse, every replacement of every character
// by every other symbol, for every value that character can take in a valid code: all
// 10 × 32 × 31 single-character errors of the printed layout. The check is a linear
// function of the differences, so an error pattern that is detected for one code is
// detected for every code; covering every (position, old, new) triple is therefore
// exhaustive.
func TestDetectsEverySingleError(t *testing.T) {
	base := symbolsOf(t, mustNew(t, "K7Q2", 0x3F))
	checked := 0
	for pos := 0; pos < 10; pos++ {
		for v := int8(0); v < 32; v++ {
			var code []int8
			if pos < 9 {
				code = codeWith(base, pos, v)
			} else {
				// Vary a data character until the check character takes value v.
				for w := int8(0); w < 32; w++ {
					if c := codeWith(base, 8, w); c[9] == v {
						code = c
						break
					}
				}
			}
			if !Valid(render(code)) {
				t.Fatalf("valid code %s rejected", render(code))
			}
			for e := int8(0); e < 32; e++ {
				if e == code[pos] {
					continue
				}
				bad := append([]int8(nil), code...)
				bad[pos] = e
				if Valid(render(bad)) {
					t.Fatalf("single error not detected: %s -> %s", render(code), render(bad))
				}
				checked++
			}
		}
	}
	if checked != 10*32*31 {
		t.Fatalf("checked %d errors, want %d", checked, 10*32*31)
	}
}

// TestDetectsEveryTransposition swaps every pair of positions (adjacent or not, the
// check character included) holding every pair of different symbols.
func TestDetectsEveryTransposition(t *testing.T) {
	base := symbolsOf(t, mustNew(t, "K7Q2", 0x3F))
	checked := 0
	for i := 0; i < 10; i++ {
		for j := i + 1; j < 10; j++ {
			for a := int8(0); a < 32; a++ {
				for b := int8(0); b < 32; b++ {
					if a == b {
						continue
					}
					code := findCode(base, i, a, j, b)
					if code == nil {
						t.Fatalf("no valid code with %d at %d and %d at %d", a, i, b, j)
					}
					bad := append([]int8(nil), code...)
					bad[i], bad[j] = bad[j], bad[i]
					if Valid(render(bad)) {
						t.Fatalf("transposition not detected: %s -> %s", render(code), render(bad))
					}
					checked++
				}
			}
		}
	}
	if checked != 45*32*31 {
		t.Fatalf("checked %d, want %d", checked, 45*32*31)
	}
}

// findCode returns a valid code with symbol a at i and b at j (j may be the check
// position 9, reached by varying a free data position).
func findCode(base []int8, i int, a int8, j int, b int8) []int8 {
	vals := append([]int8(nil), base[:9]...)
	vals[i] = a
	if j < 9 {
		vals[j] = b
		return append(vals, checkFor(vals))
	}
	free := 0
	if i == 0 {
		free = 1
	}
	for w := int8(0); w < 32; w++ {
		vals[free] = w
		if c := checkFor(vals); c == b {
			return append(vals, c)
		}
	}
	return nil
}

func TestRoundTripManySequences(t *testing.T) {
	seen := make(map[string]bool)
	for _, term := range []string{"0000", "ZZZZ", "K7Q2"} {
		for seq := uint64(0); seq < 5000; seq++ {
			code := mustNew(t, term, seq)
			if seen[code] {
				t.Fatalf("duplicate code %s", code)
			}
			seen[code] = true
			c, err := Parse(code)
			if err != nil || c.Terminal != term || c.Seq != seq {
				t.Fatalf("Parse(%s) = %+v, %v", code, c, err)
			}
			if c.String() != code {
				t.Fatalf("String() = %s, want %s", c.String(), code)
			}
		}
	}
}

func mustNew(t testing.TB, term string, seq uint64) string {
	t.Helper()
	s, err := New(term, seq)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func FuzzParse(f *testing.F) {
	f.Add("K7Q2-0003F-W")
	f.Add("k7q2 0003f")
	f.Add("OIL0-00000-0")
	f.Add("K7Q2-FZZZZZZZZZZZZ-0")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := Parse(in)
		if err != nil {
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrCheck) {
				t.Fatalf("Parse(%q) error %v is neither ErrFormat nor ErrCheck", in, err)
			}
			return
		}
		canon, err := New(c.Terminal, c.Seq)
		if err != nil {
			t.Fatalf("New(%+v) after Parse(%q): %v", c, in, err)
		}
		again, err := Parse(canon)
		if err != nil || again != c {
			t.Fatalf("Parse(%q) = %+v, %v; want %+v", canon, again, err, c)
		}
		// The accepted input must spell the same characters as the canonical form.
		var typed []byte
		for i := 0; i < len(in); i++ {
			if v := symbolValue[in[i]]; v >= 0 {
				typed = append(typed, alphabet[v])
			}
		}
		if string(typed) != strings.ReplaceAll(canon, "-", "") {
			t.Fatalf("Parse(%q) accepted, canonical %q spells differently", in, canon)
		}
	})
}

func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := New("K7Q2", uint64(i)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	code := mustNew(b, "K7Q2", 123456)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(code); err != nil {
			b.Fatal(err)
		}
	}
}
