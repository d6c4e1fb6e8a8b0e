package access

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// testIter keeps tests fast; production hashes use Iterations.
const testIter = MinIterations

func mustHash(t testing.TB, pin string) string {
	t.Helper()
	h, err := hashPIN(pin, testIter)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestVerifyPIN(t *testing.T) {
	h := mustHash(t, "358026")
	tests := []struct {
		pin  string
		want bool
	}{
		{"358026", true},
		{"358027", false},
		{"35802", false},
		{"3580260", false},
		{"", false},
	}
	for _, tt := range tests {
		got, err := VerifyPIN(h, tt.pin)
		if err != nil || got != tt.want {
			t.Errorf("VerifyPIN(%q) = %v, %v; want %v", tt.pin, got, err, tt.want)
		}
	}
	if h2 := mustHash(t, "358026"); h2 == h {
		t.Error("two hashes of one PIN are equal: the salt is not random")
	}
	if strings.Contains(h, "358026") {
		t.Error("the hash contains the PIN")
	}
}

func TestHashPINFormat(t *testing.T) {
	if testing.Short() {
		t.Skip("one production-strength hash takes seconds under -race")
	}
	t.Parallel()
	h, err := HashPIN("480271")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "pbkdf2-sha256$600000$") {
		t.Errorf("hash %q does not record the scheme and %d iterations", h, Iterations)
	}
	if err := CheckHash(h); err != nil {
		t.Error(err)
	}
}

func TestCheckPIN(t *testing.T) {
	tests := []struct {
		pin string
		ok  bool
	}{
		{"358026", true},
		{"902741385512", true},
		{"12345", false},         // too short
		{"1234567890123", false}, // too long
		{"111111", false},        // one digit repeated
		{"123456", false},        // straight run up
		{"654321", false},        // straight run down
		{"12345a", false},        // not a digit
		{"３５８０２６", false},        // full-width digits
	}
	for _, tt := range tests {
		err := CheckPIN(tt.pin)
		if (err == nil) != tt.ok {
			t.Errorf("CheckPIN(%q) = %v; want ok=%v", tt.pin, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrWeakPIN) {
			t.Errorf("CheckPIN(%q) = %v; want ErrWeakPIN", tt.pin, err)
		}
		if _, err := hashPIN(tt.pin, testIter); (err == nil) != tt.ok {
			t.Errorf("hashPIN(%q) = %v; want ok=%v", tt.pin, err, tt.ok)
		}
	}
}

func TestBadHash(t *testing.T) {
	good := mustHash(t, "358026")
	parts := strings.Split(good, "$")
	tests := map[string]string{
		"empty parts":      "pbkdf2-sha256$$$",
		"other scheme":     "bcrypt$" + strings.Join(parts[1:], "$"),
		"too few parts":    strings.Join(parts[:3], "$"),
		"iterations low":   "pbkdf2-sha256$10$" + parts[2] + "$" + parts[3],
		"iterations huge":  "pbkdf2-sha256$99999999999$" + parts[2] + "$" + parts[3],
		"iterations text":  "pbkdf2-sha256$many$" + parts[2] + "$" + parts[3],
		"salt not base64":  "pbkdf2-sha256$1000$!!!$" + parts[3],
		"key too short":    "pbkdf2-sha256$1000$" + parts[2] + "$AAAA",
		"padded base64":    "pbkdf2-sha256$1000$" + parts[2] + "==$" + parts[3],
		"the PIN in clear": "358026",
	}
	for name, h := range tests {
		if err := CheckHash(h); !errors.Is(err, ErrBadHash) {
			t.Errorf("%s: CheckHash = %v; want ErrBadHash", name, err)
		}
		if _, err := VerifyPIN(h, "358026"); !errors.Is(err, ErrBadHash) {
			t.Errorf("%s: VerifyPIN = %v; want ErrBadHash", name, err)
		}
	}
	if _, err := VerifyPIN("", "358026"); !errors.Is(err, ErrNoPIN) {
		t.Errorf("no hash: %v; want ErrNoPIN", err)
	}
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestGuardLockout(t *testing.T) {
	const right, wrong = "358026", "000001"
	clk := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	g := NewGuard(mustHash(t, right), State{}, clk.now)

	type step struct {
		wait time.Duration
		pin  string
		// want: "ok", "wrong", "locked"
		want     string
		left     int
		lockedBy time.Duration // lock length this try starts, if any
	}
	steps := []step{
		{0, wrong, "wrong", 4, 0},
		{0, wrong, "wrong", 3, 0},
		{0, wrong, "wrong", 2, 0},
		{0, wrong, "wrong", 1, 0},
		{0, wrong, "wrong", 0, time.Minute}, // fifth: locked 1m
		{30 * time.Second, right, "locked", 0, 0},
		{30 * time.Second, wrong, "wrong", 0, 2 * time.Minute}, // lock over; each further wrong doubles
		{2 * time.Minute, wrong, "wrong", 0, 4 * time.Minute},
		{4 * time.Minute, right, "ok", 0, 0},
		{0, wrong, "wrong", 4, 0}, // count starts over after success
	}
	for i, s := range steps {
		clk.advance(s.wait)
		err := g.Check(s.pin)
		switch s.want {
		case "ok":
			if err != nil {
				t.Fatalf("step %d: %v; want ok", i, err)
			}
		case "locked":
			var le *LockedError
			if !errors.As(err, &le) || !errors.Is(err, ErrLocked) {
				t.Fatalf("step %d: %v; want *LockedError", i, err)
			}
		case "wrong":
			var we *WrongPINError
			if !errors.As(err, &we) || !errors.Is(err, ErrWrongPIN) {
				t.Fatalf("step %d: %v; want *WrongPINError", i, err)
			}
			if we.Left != s.left {
				t.Errorf("step %d: %d tries left; want %d", i, we.Left, s.left)
			}
			var wantUntil time.Time
			if s.lockedBy > 0 {
				wantUntil = clk.t.Add(s.lockedBy)
			}
			if !we.LockedUntil.Equal(wantUntil) {
				t.Errorf("step %d: locked until %v; want %v", i, we.LockedUntil, wantUntil)
			}
		}
	}
}

func TestLockoutGrowsToCap(t *testing.T) {
	tests := []struct {
		n    int
		want time.Duration
	}{
		{5, time.Minute}, {6, 2 * time.Minute}, {7, 4 * time.Minute}, {10, 32 * time.Minute},
		{15, 1024 * time.Minute}, {16, MaxLockout}, {1000, MaxLockout},
	}
	for _, tt := range tests {
		if got := lockout(tt.n); got != tt.want {
			t.Errorf("lockout(%d) = %v; want %v", tt.n, got, tt.want)
		}
	}
}

// A restart resumes the persisted state: power-cycling does not buy more tries.
func TestGuardResumesState(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	h := mustHash(t, "358026")
	g := NewGuard(h, State{}, clk.now)
	for range MaxTries {
		_ = g.Check("000001")
	}
	saved := g.State()
	if saved.Failures != MaxTries || saved.LockedUntil.IsZero() {
		t.Fatalf("state after %d wrong tries: %+v", MaxTries, saved)
	}
	g2 := NewGuard(h, saved, clk.now)
	if err := g2.Check("358026"); !errors.Is(err, ErrLocked) {
		t.Fatalf("after restart: %v; want still locked", err)
	}
	if until, locked := g2.Locked(); !locked || !until.Equal(saved.LockedUntil) {
		t.Errorf("Locked() = %v, %v", until, locked)
	}
	g2.SetHash(mustHash(t, "902741"))
	if err := g2.Check("902741"); err != nil {
		t.Errorf("after SetHash: %v", err)
	}
}

func TestGestureCorners(t *testing.T) {
	const w, h = 1280, 800
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	tl, tr, br, bl := [2]float32{10, 10}, [2]float32{1270, 12}, [2]float32{1275, 790}, [2]float32{5, 795}
	mid := [2]float32{640, 400}
	type tap struct {
		at  [2]float32
		sec float64
	}
	tests := []struct {
		name string
		taps []tap
		want bool // whether the last tap completes the gesture
	}{
		{"clockwise", []tap{{tl, 0}, {tr, 1}, {br, 2}, {bl, 3}}, true},
		{"too slow", []tap{{tl, 0}, {tr, 1}, {br, 2}, {bl, 5.5}}, false},
		{"counter-clockwise", []tap{{tl, 0}, {bl, 1}, {br, 2}, {tr, 3}}, false},
		{"stray tap between", []tap{{tl, 0}, {tr, 1}, {mid, 1.5}, {br, 2}, {bl, 3}}, false},
		{"restart at top-left", []tap{{tl, 0}, {tr, 1}, {tl, 10}, {tr, 11}, {br, 12}, {bl, 13}}, true},
		{"slow start then fresh", []tap{{tl, 0}, {tl, 6}, {tr, 7}, {br, 8}, {bl, 9}}, true},
		{"three corners only", []tap{{tl, 0}, {tr, 1}, {br, 2}}, false},
		{"window counts from the first", []tap{{tl, 0}, {tr, 2}, {br, 4}, {bl, 5.1}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewGesture(w, h)
			var got bool
			for i, tp := range tt.taps {
				at := t0.Add(time.Duration(tp.sec * float64(time.Second)))
				got = g.Tap(tp.at[0], tp.at[1], at)
				if got && i != len(tt.taps)-1 {
					t.Fatalf("completed early at tap %d", i)
				}
			}
			if got != tt.want {
				t.Errorf("completed = %v; want %v", got, tt.want)
			}
		})
	}
}

func TestCornerAt(t *testing.T) {
	g := NewGesture(1280, 800) // corner side 96 px
	tests := []struct {
		x, y float32
		want Corner
	}{
		{0, 0, TopLeft}, {95, 95, TopLeft}, {97, 10, NoCorner}, {1279, 0, TopRight},
		{1279, 799, BottomRight}, {0, 799, BottomLeft}, {640, 0, NoCorner}, {640, 400, NoCorner},
	}
	for _, tt := range tests {
		if got := g.CornerAt(tt.x, tt.y); got != tt.want {
			t.Errorf("CornerAt(%v, %v) = %v; want %v", tt.x, tt.y, got, tt.want)
		}
	}
	g.Resize(200, 200) // 12% would be 24 px; the minimum keeps a fingertip target
	if got := g.CornerAt(40, 40); got != TopLeft {
		t.Errorf("small screen: CornerAt(40, 40) = %v; want TopLeft", got)
	}
}

// BenchmarkVerifyPIN measures one check at the production iteration count: what a
// technician waits after typing the PIN.
func BenchmarkVerifyPIN(b *testing.B) {
	h, err := HashPIN("358026")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, err := VerifyPIN(h, "358026"); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
