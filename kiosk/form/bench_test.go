package form_test

import (
	"os"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/catalog"
	"github.com/govkiosk/govkiosk/kiosk/form"
	"github.com/govkiosk/govkiosk/kiosk/identity"
)

// BenchmarkValidateBirthBundle validates the largest shipped form, filled in, as the
// review step does on every "next".
func BenchmarkValidateBirthBundle(b *testing.B) {
	c, err := catalog.Load(os.DirFS("../../assets/catalog"), "default.json")
	if err != nil {
		b.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) }
	f := form.New(c.Bundle("birth-bundle").MergedForm(), now)
	first := "99010119850607124"
	check, _ := identity.CheckDigit(first)
	other := "99010119840203135"
	check2, _ := identity.CheckDigit(other)
	f.Prefill(&identity.Identity{Name: "测试甲", IDNumber: first + string(check)})
	vals := map[string]string{
		"applicant_relation": "mother", "baby_name": "样例丙", "baby_gender": "1",
		"baby_birth_date": "2026-02-20", "birth_hospital": "样例市妇幼保健院",
		"other_parent_name": "样例乙", "other_parent_id": other + string(check2),
		"phone": "13912345678", "hukou_with": "mother", "card_bank": "icbc", "card_delivery": "mail",
	}
	for k, v := range vals {
		if err := f.Set(k, v); err != nil {
			b.Fatal(k, err)
		}
	}
	if err := f.Validate(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := f.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}
