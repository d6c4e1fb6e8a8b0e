package catalog

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/identity"
)

// synthetic returns an identity of the given card type whose valid synthetic number
// (region 99xxxx) encodes birth (YYYYMMDD).
func synthetic(t *testing.T, ct identity.CardType, birth string) *identity.Identity {
	t.Helper()
	first := "990101" + birth + "001"
	c, ok := identity.CheckDigit(first)
	if !ok {
		t.Fatalf("no check digit for %s", first)
	}
	n := first + string(c)
	return &identity.Identity{CardType: ct, IDNumber: n, IDNumberValid: identity.ValidNumber(n)}
}

func day(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02", s, time.Local)
	if err != nil {
		panic(err)
	}
	return t.Add(15 * time.Hour)
}

func TestServiceCheck(t *testing.T) {
	over80 := &Service{ID: "s", Eligibility: &Eligibility{MinAge: 80, CardTypes: []identity.CardType{identity.Resident, identity.QRCode}}}
	teen := &Service{ID: "s", Eligibility: &Eligibility{MinAge: 14, MaxAge: 17}}
	anyone := &Service{ID: "s"}
	noBirth := &identity.Identity{CardType: identity.Resident, IDNumber: "not a number"}
	birthField := &identity.Identity{CardType: identity.HKMacauTaiwan, Birth: identity.Date{Year: 1940, Month: 5, Day: 1}}
	cases := []struct {
		name string
		svc  *Service
		id   *identity.Identity
		on   string
		want Why // "" means eligible
		age  int
	}{
		{"born 1990 is refused the 80+ rule", over80, synthetic(t, identity.Resident, "19900101"), "2026-12-03", TooYoung, 36},
		{"80 on the very day", over80, synthetic(t, identity.Resident, "19461203"), "2026-12-03", "", 0},
		{"80 tomorrow", over80, synthetic(t, identity.Resident, "19461204"), "2026-12-03", TooYoung, 79},
		{"age from the QR code's number", over80, synthetic(t, identity.QRCode, "19400101"), "2026-12-03", "", 0},
		{"old enough but the wrong card", over80, synthetic(t, identity.ForeignerPermanent2023, "19400101"), "2026-12-03", WrongCard, 0},
		{"no birth date for an age rule", over80, noBirth, "2026-12-03", AgeUnknown, -1},
		{"too old for a maximum", teen, synthetic(t, identity.Resident, "20080101"), "2026-12-03", TooOld, 18},
		{"inside the range", teen, synthetic(t, identity.Resident, "20100101"), "2026-12-03", "", 0},
		{"too young for the range", teen, synthetic(t, identity.Resident, "20130101"), "2026-12-03", TooYoung, 13},
		{"leap-day birth comes of age on 1 March", teen, synthetic(t, identity.Resident, "20080229"), "2026-02-28", "", 0},
		{"leap-day birth, 1 March", teen, synthetic(t, identity.Resident, "20080229"), "2026-03-01", TooOld, 18},
		{"birth field when the number carries none", &Service{ID: "s", Eligibility: &Eligibility{MinAge: 80}}, birthField, "2026-12-03", "", 0},
		{"no rule accepts anyone", anyone, synthetic(t, identity.Manual, "20200101"), "2026-12-03", "", 0},
		{"identity skipped is not checked", over80, nil, "2026-12-03", "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.svc.Check(c.id, day(c.on))
			if c.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ie *IneligibleError
			if !errors.As(err, &ie) || !errors.Is(err, ErrIneligible) {
				t.Fatalf("got %v; want an *IneligibleError (%s)", err, c.want)
			}
			if ie.Why != c.want {
				t.Errorf("why = %s; want %s (%v)", ie.Why, c.want, err)
			}
			if c.want != WrongCard && ie.Age != c.age {
				t.Errorf("age = %d; want %d", ie.Age, c.age)
			}
			if c.id != nil && c.id.IDNumber != "" && strings.Contains(err.Error(), c.id.IDNumber) {
				t.Errorf("the error names the ID number: %v", err)
			}
		})
	}
}

func TestMergeEligibility(t *testing.T) {
	r := func(minAge, maxAge int, cards ...identity.CardType) *Eligibility {
		return &Eligibility{MinAge: minAge, MaxAge: maxAge, CardTypes: cards}
	}
	cases := []struct {
		name  string
		rules []*Eligibility
		want  *Eligibility
		ok    bool
	}{
		{"none", []*Eligibility{nil, nil}, nil, true},
		{"highest minimum, lowest maximum", []*Eligibility{r(60, 0), r(80, 100), nil, r(0, 90)}, r(80, 90), true},
		{"card types every rule accepts", []*Eligibility{r(0, 0, identity.Resident, identity.QRCode), r(0, 0, identity.QRCode, identity.Manual)}, r(0, 0, identity.QRCode), true},
		{"ages that exclude everyone", []*Eligibility{r(60, 0), r(0, 17)}, r(60, 17), false},
		{"cards that exclude everyone", []*Eligibility{r(0, 0, identity.Resident), r(0, 0, identity.HKMacauTaiwan)}, r(0, 0), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := mergeEligibility(c.rules...)
			if ok != c.ok {
				t.Fatalf("ok = %v; want %v", ok, c.ok)
			}
			if !c.ok {
				return
			}
			if (got == nil) != (c.want == nil) || got != nil && (got.MinAge != c.want.MinAge || got.MaxAge != c.want.MaxAge || strings.Join(cardNames(got.CardTypes), ",") != strings.Join(cardNames(c.want.CardTypes), ",")) {
				t.Errorf("got %+v; want %+v", got, c.want)
			}
		})
	}
}

func cardNames(cs []identity.CardType) []string {
	var out []string
	for _, c := range cs {
		out = append(out, string(c))
	}
	return out
}

func TestEligibilityProblems(t *testing.T) {
	cases := []struct {
		name string
		f    func(m map[string]any)
		path string
	}{
		{"negative age", func(m map[string]any) { itemN(m, 0)["eligibility"] = map[string]any{"min_age": -1} }, "items[0].eligibility.min_age"},
		{"minimum above maximum", func(m map[string]any) {
			itemN(m, 0)["eligibility"] = map[string]any{"min_age": 60, "max_age": 18}
		}, "items[0].eligibility"},
		{"unknown card type", func(m map[string]any) {
			itemN(m, 0)["eligibility"] = map[string]any{"card_types": []any{"passport"}}
		}, "items[0].eligibility.card_types[0]"},
		{"a bundle nobody may apply for", func(m map[string]any) {
			itemN(m, 0)["eligibility"] = map[string]any{"min_age": 60}
			itemN(m, 1)["eligibility"] = map[string]any{"max_age": 17}
		}, "bundles[0].eligibility"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(mutate(t, c.f))
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("got %v; want a *ValidationError", err)
			}
			for _, p := range ve.Problems {
				if p.Path == c.path {
					return
				}
			}
			t.Errorf("no problem at %s in %v", c.path, err)
		})
	}
}

// TestDefaultEligibility: the shipped catalog carries the age rules its conditions state,
// and a bundle takes on its items' rules.
func TestDefaultEligibility(t *testing.T) {
	c := loadDefault(t)
	on := day("2026-12-03")
	young := synthetic(t, identity.Resident, "19900101")
	old := synthetic(t, identity.Resident, "19400101")
	cases := []struct {
		service   string
		youngOK   bool
		minAge    int
		elsewhere bool
	}{
		{"senior-bundle", false, 80, true},
		{"elderly-allowance", false, 80, true},
		{"senior-card", false, 60, true},
		{"gtgsh-setup", true, 18, true},
		{"hukou-cert", true, 0, false},
	}
	for _, tc := range cases {
		s := c.Service(tc.service)
		if s == nil {
			t.Fatalf("no service %s", tc.service)
		}
		if got := s.Check(young, on) == nil; got != tc.youngOK {
			t.Errorf("%s: born 1990 eligible = %v; want %v", tc.service, got, tc.youngOK)
		}
		if err := s.Check(old, on); err != nil {
			t.Errorf("%s: born 1940 refused: %v", tc.service, err)
		}
		if tc.minAge == 0 {
			continue
		}
		if s.Eligibility == nil || s.Eligibility.MinAge != tc.minAge {
			t.Errorf("%s: eligibility %+v; want min_age %d", tc.service, s.Eligibility, tc.minAge)
			continue
		}
		if tc.elsewhere && (s.Eligibility.Elsewhere.Zh == "" || s.Eligibility.Elsewhere.En == "") {
			t.Errorf("%s: no word in zh and en on where to go instead", tc.service)
		}
	}
}
