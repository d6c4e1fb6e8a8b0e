package tracking

import (
	"bytes"
	"testing"
)

func TestPermuterIsABijectionThatHidesOrder(t *testing.T) {
	p, err := NewPermuter(bytes.Repeat([]byte{7}, 16))
	if err != nil {
		t.Fatal(err)
	}
	const n = 1 << 16
	seen := make(map[uint64]bool, n)
	ascending, near := 0, 0
	var prev uint64
	for s := uint64(1); s <= n; s++ {
		v := p.Permute(s)
		if v >= 1<<PermutedBits {
			t.Fatalf("Permute(%d) = %d, out of range", s, v)
		}
		if seen[v] {
			t.Fatalf("Permute(%d) = %d, seen before", s, v)
		}
		seen[v] = true
		if got := p.Unpermute(v); got != s {
			t.Fatalf("Unpermute(Permute(%d)) = %d", s, got)
		}
		if v > prev {
			ascending++
		}
		if d := int64(v) - int64(prev); s > 1 && d >= -1024 && d <= 1024 {
			near++
		}
		prev = v
		code, _ := New("K7Q2", v)
		if len(code) != len("K7Q2-0003F-W") {
			t.Fatalf("code %s changed length", code)
		}
	}
	// Consecutive running numbers go up or down at random.
	if ascending < n*45/100 || ascending > n*55/100 {
		t.Errorf("%d of %d steps ascend; want about half", ascending, n)
	}
	// A guess near a known code almost never hits its neighbour: about 4 in 65536 steps
	// land within 1024 of the previous value by chance.
	if near > 40 {
		t.Errorf("%d of %d consecutive values lie within 1024 of each other", near, n)
	}
	// Beyond the five-character range values stay as they are.
	if v := p.Permute(1 << PermutedBits); v != 1<<PermutedBits {
		t.Errorf("Permute(2^25) = %d", v)
	}
	// Another key is another permutation.
	q, _ := NewPermuter(bytes.Repeat([]byte{8}, 16))
	same := 0
	for s := uint64(1); s <= 1000; s++ {
		if p.Permute(s) == q.Permute(s) {
			same++
		}
	}
	if same > 2 {
		t.Errorf("two keys agree on %d of 1000 values", same)
	}
}
