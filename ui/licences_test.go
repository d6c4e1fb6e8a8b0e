package ui_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/licence"
	"github.com/govkiosk/govkiosk/ui/uitest"
)

func registerLicence() licence.Licence {
	return licence.Licence{Type: licence.HouseholdRegister, Ref: "EL-HR-0001", Number: "HR99********0021",
		Title: licence.Name(licence.HouseholdRegister), Issuer: licence.Name(licence.HouseholdRegister),
		Issued: time.Date(2020, 5, 1, 0, 0, 0, 0, time.UTC)}
}

func withLicence(k *uitest.Kiosk) {
	l := registerLicence()
	l.Issuer.Zh, l.Issuer.En = "示例市公安局样例分局", "Sample City Public Security Bureau"
	k.Licences.Hold(uitest.Resident().IDNumber, l)
}

// TestLicenceInsteadOfScan: the platform holds the resident's household register; the
// materials screen says what it is, one tap uses it, nothing needs scanning, and the
// submission carries the licence's reference and no page.
func TestLicenceInsteadOfScan(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	withLicence(k)
	toMaterials(t, k)
	if k.Licences.Asked() != 1 {
		t.Fatalf("asked the platform %d times, want once after identification", k.Licences.Asked())
	}
	for _, want := range []string{"平台已有您的电子证照：居民户口簿", "示例市公安局样例分局", "HR99********0021", "2020-05-01"} {
		if !k.Shows(want) {
			t.Errorf("the offer does not show %q; texts %q", want, strings.Join(k.Texts(), " | "))
		}
	}
	k.Tap("materials.licence.household-register")
	if !k.Shows("已使用电子证照") {
		t.Errorf("no word that the licence is used; texts %q", strings.Join(k.Texts(), " | "))
	}
	if o := k.App.Element("materials.scan.household-register"); o != nil && o.Visible() {
		t.Error("a material taken from the e-licence still offers a scan")
	}
	k.Tap("materials.next")
	k.WaitScreen("review")
	k.Tap("review.confirm")
	k.WaitScreen("receipt")
	subs := k.Submitter.Submissions()
	if len(subs) != 1 || subs[0].Pages != 0 || len(subs[0].Licences) != 1 ||
		subs[0].Licences[0] != (licence.Use{MaterialID: "household-register", Type: licence.HouseholdRegister, Ref: "EL-HR-0001"}) {
		t.Fatalf("submissions %+v; want one with the licence reference and no page", subs)
	}
}

// TestLicenceScanInstead: the resident may change their mind and scan the paper.
func TestLicenceScanInstead(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	withLicence(k)
	toMaterials(t, k)
	k.Tap("materials.licence.household-register")
	k.Tap("materials.licence.scan.household-register")
	k.Tap("materials.next")
	if name := k.App.ScreenName(); name != "materials" {
		t.Fatalf("went on to %s without the register", name)
	}
	scanAll(t, k)
	k.Tap("materials.next")
	k.WaitScreen("review")
}

// TestLicenceOfflineMeansScan: the platform cannot be asked; the materials screen is the
// same as ever and the register is scanned.
func TestLicenceOfflineMeansScan(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	withLicence(k)
	k.Licences.FailWith(errors.New("client: not connected"))
	toMaterials(t, k)
	if o := k.App.Element("materials.licence.household-register"); o != nil && o.Visible() {
		t.Fatal("an offer is shown while the platform cannot be asked")
	}
	if k.Shows("电子证照") {
		t.Errorf("the screen speaks of e-licences offline; texts %q", strings.Join(k.Texts(), " | "))
	}
	scanAll(t, k)
	k.Tap("materials.next")
	k.WaitScreen("review")
}

// TestLicenceOfferAccessible: the offer and the used licence pass the accessibility walk
// in every mode and display.
func TestLicenceOfferAccessible(t *testing.T) {
	for _, size := range a11ySizes {
		for _, m := range a11yModes {
			t.Run(fmt.Sprintf("%s_%.0fx%.0f", m.name, size.Width, size.Height), func(t *testing.T) {
				k := uitest.Start(t, uitest.Options{Fonts: true, Voice: true, Size: size})
				withLicence(k)
				a := &auditor{t: t, k: k, seen: map[string]bool{}}
				if m.elder {
					k.Tap("home.elder")
				}
				if m.en {
					k.Tap("home.lang")
				}
				toMaterials(t, k)
				a.check("licence offered")
				k.Tap("materials.licence.household-register")
				a.check("licence used")
				if len(a.found) > 0 {
					t.Errorf("%d findings:\n%s", len(a.found), strings.Join(a.found, "\n"))
				}
			})
		}
	}
}
