package catalog

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/identity"
)

// Eligibility says who may apply for an item or a bundle, as far as the kiosk can tell
// from the identity document alone: an age range and the kinds of card accepted. It is
// checked right after identification, so a resident who cannot apply learns it before
// filling anything in. The other conditions (residence, income) stay with the staff.
type Eligibility struct {
	// MinAge is the youngest age, in whole years on the day of the visit, that may
	// apply; 0 means no minimum.
	MinAge int `json:"min_age,omitempty"`
	// MaxAge is the oldest age that may apply; 0 means no maximum.
	MaxAge int `json:"max_age,omitempty"`
	// CardTypes are the identity documents accepted (identity.CardType values such as
	// "resident" or "qr"); empty means any.
	CardTypes []identity.CardType `json:"card_types,omitempty"`
	// Elsewhere tells a resident who may not apply where to go instead ("a family
	// member may apply at counter 5"). Empty gives a general word about the counters.
	Elsewhere Text `json:"elsewhere,omitzero"`
}

// Empty reports whether the rule restricts nothing.
func (e *Eligibility) Empty() bool {
	return e == nil || (e.MinAge == 0 && e.MaxAge == 0 && len(e.CardTypes) == 0)
}

// knownCardTypes are the card types a catalog may name.
var knownCardTypes = []identity.CardType{
	identity.Resident, identity.ForeignerPermanent2017, identity.ForeignerPermanent2023,
	identity.HKMacauTaiwan, identity.QRCode, identity.Manual,
}

func (k *checker) eligibility(p string, e *Eligibility) {
	if e == nil {
		return
	}
	p += ".eligibility"
	if e.MinAge < 0 || e.MinAge > 150 {
		k.add(p+".min_age", "%d: use 0 (none) to 150 years", e.MinAge)
	}
	if e.MaxAge < 0 || e.MaxAge > 150 {
		k.add(p+".max_age", "%d: use 0 (none) to 150 years", e.MaxAge)
	}
	if e.MaxAge > 0 && e.MinAge > e.MaxAge {
		k.add(p, "min_age %d is above max_age %d: nobody could apply", e.MinAge, e.MaxAge)
	}
	for i, ct := range e.CardTypes {
		if !slices.Contains(knownCardTypes, ct) {
			k.add(fmt.Sprintf("%s.card_types[%d]", p, i), "%q: use one of %v", ct, knownCardTypes)
		}
	}
	k.text(p+".elsewhere", e.Elsewhere, false)
}

// mergeEligibility combines rules that must all hold (a bundle's own rule and its items'):
// the highest minimum, the lowest maximum, the card types every rule accepts. The first
// rule's Elsewhere that is set wins (the bundle's own comes first). It returns nil when
// nothing is restricted. ok is false when no one could satisfy all of them.
func mergeEligibility(rules ...*Eligibility) (merged *Eligibility, ok bool) {
	out := &Eligibility{}
	anyCards := true
	for _, r := range rules {
		if r.Empty() {
			if r != nil && out.Elsewhere.Zh == "" {
				out.Elsewhere = r.Elsewhere
			}
			continue
		}
		out.MinAge = max(out.MinAge, r.MinAge)
		if r.MaxAge > 0 && (out.MaxAge == 0 || r.MaxAge < out.MaxAge) {
			out.MaxAge = r.MaxAge
		}
		if len(r.CardTypes) > 0 {
			if anyCards {
				out.CardTypes, anyCards = slices.Clone(r.CardTypes), false
			} else {
				out.CardTypes = slices.DeleteFunc(out.CardTypes, func(ct identity.CardType) bool { return !slices.Contains(r.CardTypes, ct) })
			}
		}
		if out.Elsewhere.Zh == "" {
			out.Elsewhere = r.Elsewhere
		}
	}
	ok = (out.MaxAge == 0 || out.MinAge <= out.MaxAge) && (anyCards || len(out.CardTypes) > 0)
	if out.Empty() {
		return nil, ok
	}
	return out, ok
}

// ErrIneligible is what an *IneligibleError matches with errors.Is.
var ErrIneligible = errors.New("catalog: the resident may not apply for this service")

// Why says which rule refused a resident.
type Why string

// Reasons for a refusal.
const (
	TooYoung   Why = "too_young"
	TooOld     Why = "too_old"
	AgeUnknown Why = "age_unknown" // the document gives no birth date and the rule needs one
	WrongCard  Why = "card_type"
)

// IneligibleError says why a resident may not apply and where to go instead. It holds
// the resident's age in years but no identifying data, so it may be logged.
type IneligibleError struct {
	Service string
	Why     Why
	// Age is the resident's age on the visit day, or -1 when unknown.
	Age            int
	MinAge, MaxAge int
	CardType       identity.CardType
	Accepted       []identity.CardType
	// Elsewhere is where to go instead, from the catalog; it may be empty.
	Elsewhere Text
}

func (e *IneligibleError) Error() string {
	switch e.Why {
	case TooYoung:
		return fmt.Sprintf("catalog: %s is for people aged %d or over; the resident is %d", e.Service, e.MinAge, e.Age)
	case TooOld:
		return fmt.Sprintf("catalog: %s is for people aged %d or under; the resident is %d", e.Service, e.MaxAge, e.Age)
	case AgeUnknown:
		return fmt.Sprintf("catalog: %s has an age rule and the document gives no birth date", e.Service)
	}
	return fmt.Sprintf("catalog: %s does not accept %s cards (accepted: %v)", e.Service, e.CardType, e.Accepted)
}

// Is makes errors.Is(err, ErrIneligible) true.
func (e *IneligibleError) Is(target error) bool { return target == ErrIneligible }

// BirthOf returns the birth date that counts for age rules: the one encoded in an
// 18-character ID number (resident, permanent-residence and residence-permit numbers all
// carry it at characters 7–14) when the number is valid, else the document's own field.
func BirthOf(id *identity.Identity) (identity.Date, bool) {
	if id == nil {
		return identity.Date{}, false
	}
	if id.IDNumberValid {
		if d, ok := identity.BirthFromNumber(identity.NormalizeNumber(id.IDNumber)); ok {
			return d, true
		}
	}
	return id.Birth, !id.Birth.IsZero()
}

// Check reports whether the holder of id may apply for the service on the day of on
// (the visit's date by the trusted clock): nil, or an *IneligibleError. A service without
// rules accepts everyone, and a nil identity (identification skipped where it is
// optional) is not checked.
func (s *Service) Check(id *identity.Identity, on time.Time) error {
	e := s.Eligibility
	if e.Empty() || id == nil {
		return nil
	}
	ie := &IneligibleError{Service: s.ID, Age: -1, MinAge: e.MinAge, MaxAge: e.MaxAge,
		CardType: id.CardType, Accepted: e.CardTypes, Elsewhere: e.Elsewhere}
	if len(e.CardTypes) > 0 && !slices.Contains(e.CardTypes, id.CardType) {
		ie.Why = WrongCard
		return ie
	}
	if e.MinAge == 0 && e.MaxAge == 0 {
		return nil
	}
	birth, ok := BirthOf(id)
	if !ok {
		ie.Why = AgeUnknown
		return ie
	}
	ie.Age = ageOn(birth, on)
	switch {
	case e.MinAge > 0 && ie.Age < e.MinAge:
		ie.Why = TooYoung
	case e.MaxAge > 0 && ie.Age > e.MaxAge:
		ie.Why = TooOld
	default:
		return nil
	}
	return ie
}

// ageOn is the age in whole years on the calendar day of on. Someone born on 29 February
// comes of age on 1 March in common years.
func ageOn(birth identity.Date, on time.Time) int {
	age := on.Year() - birth.Year
	if on.Month() < birth.Month || (on.Month() == birth.Month && on.Day() < birth.Day) {
		age--
	}
	return age
}
