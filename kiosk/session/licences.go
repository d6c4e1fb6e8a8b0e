package session

import (
	"errors"
	"fmt"

	"github.com/govkiosk/govkiosk/kiosk/catalog"
	"github.com/govkiosk/govkiosk/kiosk/identity"
	"github.com/govkiosk/govkiosk/kiosk/licence"
)

// E-licences: after identification the UI asks the platform which licences the resident
// holds for the service's materials and hands the answer to OfferLicences. Each material
// a licence can stand for is then offered; one the resident agrees to (UseLicence) needs
// no scan, and the submission carries the licence's reference (Draft.Licences). An
// offline platform or no licence leaves the visit as it was: everything is scanned.

// ErrNoLicence is UseLicence for a material no licence was offered for.
var ErrNoLicence = errors.New("session: no e-licence offered for this material")

// LicenceOffer is one material a licence the resident holds can stand in for.
type LicenceOffer struct {
	Material catalog.Material
	Licence  licence.Licence
	// Used is set once the resident agreed to use the licence for the material.
	Used bool
}

// LicenceTypes returns the licence types the service's materials accept, in material
// order without repeats: what to ask the platform about. Empty when the service has none.
func (s *Session) LicenceTypes() []licence.Type {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.svc == nil {
		return nil
	}
	var out []licence.Type
	seen := map[licence.Type]bool{}
	for _, m := range s.svc.Materials {
		if m.Licence != "" && !seen[m.Licence] {
			seen[m.Licence] = true
			out = append(out, m.Licence)
		}
	}
	return out
}

// OfferLicences records what the platform found for the resident identified as id. An
// answer for anyone but the resident identified now (a second card was placed meanwhile,
// or the visit ended) is dropped and reported false. Licences of a type no material
// accepts, or expired ones, are not offered.
func (s *Session) OfferLicences(id *identity.Identity, found []licence.Licence) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == nil || s.id != id || s.svc == nil {
		return false
	}
	s.offers = s.offers[:0]
	for _, l := range found {
		if !l.Valid(s.today()) || s.offerFor(l.Type) != nil {
			continue
		}
		for _, m := range s.svc.Materials {
			if m.Licence == l.Type {
				s.offers = append(s.offers, l)
				break
			}
		}
	}
	return true
}

func (s *Session) offerFor(t licence.Type) *licence.Licence {
	for i := range s.offers {
		if s.offers[i].Type == t {
			return &s.offers[i]
		}
	}
	return nil
}

// LicenceOffers lists, in material order, each material an offered licence can stand in
// for and whether the resident agreed.
func (s *Session) LicenceOffers() []LicenceOffer {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.svc == nil {
		return nil
	}
	var out []LicenceOffer
	for _, m := range s.svc.Materials {
		if m.Licence == "" {
			continue
		}
		if l := s.offerFor(m.Licence); l != nil {
			_, used := s.licences[m.ID]
			out = append(out, LicenceOffer{Material: m, Licence: *l, Used: used})
		}
	}
	return out
}

// UseLicence records the resident's agreement to use the offered licence instead of
// scanning the material, at StateMaterials; pages already scanned of it are dropped.
func (s *Session) UseLicence(materialID string) error {
	return s.do(func() error {
		if err := s.accept(EventScan); err != nil {
			return err
		}
		m := s.svc.Material(materialID)
		if m == nil {
			return ErrUnknownMaterial
		}
		l := s.offerFor(m.Licence)
		if m.Licence == "" || l == nil {
			return fmt.Errorf("%w: %q", ErrNoLicence, materialID)
		}
		for _, p := range s.scans[materialID] {
			clear(p)
		}
		delete(s.scans, materialID)
		if s.licences == nil {
			s.licences = map[string]licence.Licence{}
		}
		s.licences[materialID] = *l
		s.lastActivity = s.now()
		return nil
	})
}

// ScanInstead withdraws the agreement to use a licence for the material: it is scanned.
func (s *Session) ScanInstead(materialID string) error {
	return s.do(func() error {
		if err := s.accept(EventScan); err != nil {
			return err
		}
		delete(s.licences, materialID)
		s.lastActivity = s.now()
		return nil
	})
}

// UsesLicence reports whether the resident agreed to use a licence for the material.
func (s *Session) UsesLicence(materialID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.licences[materialID]
	return ok
}

func (s *Session) dropLicences() {
	s.offers, s.licences = nil, nil
}
