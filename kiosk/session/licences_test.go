package session

import (
	"errors"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/licence"
)

var register = licence.Licence{Type: licence.HouseholdRegister, Ref: "EL-HR-0001", Number: "9901******0021"}

func TestLicenceStandsInForAScan(t *testing.T) {
	s, _, _ := driveTo(t, StateMaterials)
	if got := s.LicenceTypes(); len(got) != 1 || got[0] != licence.HouseholdRegister {
		t.Fatalf("LicenceTypes = %v", got)
	}
	if !s.OfferLicences(s.Identity(), []licence.Licence{register, {Type: licence.MarriageCertificate, Ref: "EL-MC-1"}}) {
		t.Fatal("offer for the identified resident dropped")
	}
	offers := s.LicenceOffers()
	if len(offers) != 1 || offers[0].Material.ID != "register" || offers[0].Used {
		t.Fatalf("offers = %+v; want the register only (no material takes a marriage certificate)", offers)
	}
	// A page scanned before agreeing is dropped: the licence replaces it.
	must(t, s.AddScan("register", []byte("page-1")))
	must(t, s.UseLicence("register"))
	if s.PageCount("register") != 0 || !s.UsesLicence("register") {
		t.Fatal("using the licence should drop the scan and mark the material")
	}
	must(t, s.MaterialsDone())
	must(t, s.Confirm())
	d, err := s.Draft()
	must(t, err)
	if len(d.Scans) != 0 || len(d.Licences) != 1 || d.Licences[0] != (licence.Use{MaterialID: "register", Type: licence.HouseholdRegister, Ref: "EL-HR-0001"}) {
		t.Fatalf("draft scans %d, licences %+v", len(d.Scans), d.Licences)
	}
}

func TestLicenceNotFoundMeansScan(t *testing.T) {
	s, _, _ := driveTo(t, StateMaterials)
	s.OfferLicences(s.Identity(), nil)
	if err := s.UseLicence("register"); !errors.Is(err, ErrNoLicence) {
		t.Fatalf("UseLicence without an offer = %v, want ErrNoLicence", err)
	}
	var miss *MissingError
	if err := s.MaterialsDone(); !errors.As(err, &miss) || len(miss.Materials) != 1 {
		t.Fatalf("MaterialsDone = %v, want the register missing", err)
	}
}

func TestLicenceScanInstead(t *testing.T) {
	s, _, _ := driveTo(t, StateMaterials)
	s.OfferLicences(s.Identity(), []licence.Licence{register})
	must(t, s.UseLicence("register"))
	must(t, s.ScanInstead("register"))
	if s.UsesLicence("register") {
		t.Fatal("still uses the licence")
	}
	var miss *MissingError
	if err := s.MaterialsDone(); !errors.As(err, &miss) {
		t.Fatalf("MaterialsDone = %v, want the register missing again", err)
	}
}

func TestLicenceOfferForSomeoneElseDropped(t *testing.T) {
	s, _, _ := driveTo(t, StateForm)
	first := s.Identity()
	// A second card replaces the first before the platform answered for the first.
	must(t, s.Back())
	must(t, s.Identify(synthIdentity(t)))
	if s.OfferLicences(first, []licence.Licence{register}) {
		t.Fatal("an answer for the previous card was taken")
	}
	if len(s.LicenceOffers()) != 0 {
		t.Fatal("offers from the previous card remain")
	}
}

func TestLicenceExpiredNotOffered(t *testing.T) {
	s, clk, _ := driveTo(t, StateMaterials)
	old := register
	old.Expires = clk.Now().Add(-24 * time.Hour)
	s.OfferLicences(s.Identity(), []licence.Licence{old})
	if len(s.LicenceOffers()) != 0 {
		t.Fatal("an expired licence was offered")
	}
}

func TestLicencesWipedWithTheVisit(t *testing.T) {
	s, _, _ := driveTo(t, StateMaterials)
	s.OfferLicences(s.Identity(), []licence.Licence{register})
	must(t, s.UseLicence("register"))
	must(t, s.Home())
	must(t, s.ConfirmHome())
	if len(s.LicenceOffers()) != 0 || s.UsesLicence("register") {
		t.Fatal("licences survived the end of the visit")
	}
}
