package licence

import (
	"errors"
	"testing"
	"time"
)

func TestCheckRefusesUnknownTypes(t *testing.T) {
	for _, tc := range []struct {
		t  Type
		ok bool
	}{
		{HouseholdRegister, true}, {BusinessLicence, true}, {MarriageCertificate, true},
		{PropertyCertificate, true}, {DrivingLicence, true},
		{"", false}, {"passport", false}, {"户口簿", false}, {"Household_Register", false},
	} {
		err := Check(tc.t)
		if (err == nil) != tc.ok || !tc.ok && !errors.Is(err, ErrUnknownType) {
			t.Errorf("Check(%q) = %v, want ok=%v", tc.t, err, tc.ok)
		}
	}
}

func TestLicenceValid(t *testing.T) {
	day := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	l := Licence{Type: HouseholdRegister, Ref: "EL-1"}
	if !l.Valid(day) {
		t.Error("a licence without end should be valid")
	}
	l.Expires = day.AddDate(0, 0, -1)
	if l.Valid(day) {
		t.Error("an expired licence should not be valid")
	}
	if (Licence{Type: "x", Ref: "r"}).Valid(day) || (Licence{Type: HouseholdRegister}).Valid(day) {
		t.Error("an unknown type or no reference should not be valid")
	}
	if got := (Licence{Type: MarriageCertificate}).Label().Zh; got != "结婚证" {
		t.Errorf("label = %q", got)
	}
}
