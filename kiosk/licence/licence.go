// Package licence names the electronic licences (电子证照) a catalog material may be
// taken from instead of a scan, and describes one licence as the resident is shown it.
// It is pure data: asking the platform which licences a resident holds is the sync
// client's job, and deciding which material a licence stands for is the session's.
//
// It must never hold an ID number: a licence is found by a keyed hash of the number,
// and what the kiosk keeps of it is its type, its reference and what the resident reads.
package licence

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/form"
)

// Type is a kind of e-licence, as the catalog and the protocol name it.
type Type string

// The licence types the platform knows. A catalog or a query naming another is refused
// (ErrUnknownType): a misspelt type would otherwise ask every resident to scan.
const (
	HouseholdRegister   Type = "household_register"   // 居民户口簿
	BusinessLicence     Type = "business_licence"     // 营业执照
	MarriageCertificate Type = "marriage_certificate" // 结婚证
	PropertyCertificate Type = "property_certificate" // 不动产权证书
	DrivingLicence      Type = "driving_licence"      // 机动车驾驶证
)

// ErrUnknownType is a licence type the platform does not know.
var ErrUnknownType = errors.New("licence: unknown licence type")

var names = map[Type]form.Text{
	HouseholdRegister:   {Zh: "居民户口簿", En: "Household register"},
	BusinessLicence:     {Zh: "营业执照", En: "Business licence"},
	MarriageCertificate: {Zh: "结婚证", En: "Marriage certificate"},
	PropertyCertificate: {Zh: "不动产权证书", En: "Real estate title certificate"},
	DrivingLicence:      {Zh: "机动车驾驶证", En: "Driving licence"},
}

// Types returns every known type, sorted.
func Types() []Type {
	out := make([]Type, 0, len(names))
	for t := range names {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// Known reports whether t is a licence type the platform knows.
func Known(t Type) bool { _, ok := names[t]; return ok }

// Check returns an error wrapping ErrUnknownType for a type the platform does not know.
func Check(t Type) error {
	if !Known(t) {
		return fmt.Errorf("%w: %q (known: %v)", ErrUnknownType, string(t), Types())
	}
	return nil
}

// Name is the type's name in both languages; an unknown type's name is the type itself.
func Name(t Type) form.Text {
	if n, ok := names[t]; ok {
		return n
	}
	return form.Text{Zh: string(t), En: string(t)}
}

// Licence is one e-licence the platform holds for a resident: what the resident is shown
// before agreeing to use it, and the reference the submission carries instead of a copy.
type Licence struct {
	Type Type
	// Ref is the platform's reference to the licence (opaque to the kiosk): the clerk's
	// system fetches the licence itself by it.
	Ref string
	// Number is the licence's own number, masked by the platform (e.g. "9901********0021").
	Number string
	// Title names it as printed ("居民户口簿（户主页及本人页）"); empty means the type's name.
	Title form.Text
	// Issuer is the authority that issued it.
	Issuer form.Text
	// Issued and Expires are its dates; zero when unknown or without end.
	Issued, Expires time.Time
}

// Label is what the licence is called on screen.
func (l Licence) Label() form.Text {
	if l.Title.Zh != "" {
		return l.Title
	}
	return Name(l.Type)
}

// Valid reports whether the licence can stand in for a material on day: known type, a
// reference, and not expired.
func (l Licence) Valid(day time.Time) bool {
	return Known(l.Type) && l.Ref != "" && (l.Expires.IsZero() || !day.After(l.Expires))
}

// Use is a licence a resident agreed to use for one material: what a submission carries.
type Use struct {
	MaterialID string
	Type       Type
	Ref        string
}
