package pinyin

import (
	"math"
	"strings"
	"testing"
)

func TestCharCounts(t *testing.T) {
	d, err := Parse(strings.NewReader("---\nname: t\n...\n的\tde\t100\n的\tdi\t20\n玓\tdi\t0\n的确\tdi que\t50\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := d.CharCounts()
	if len(got) != 2 {
		t.Fatalf("got %v, want 的 and 玓 only (words of two are not characters)", got)
	}
	if math.Abs(got["的"]-122) > 0.01 || math.Abs(got["玓"]-1) > 0.01 {
		t.Errorf("的 %v (want 100+1 + 20+1), 玓 %v (want 0+1)", got["的"], got["玓"])
	}
}
