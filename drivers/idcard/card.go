package idcard

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/govkiosk/govkiosk/assets"
	"github.com/govkiosk/govkiosk/kiosk/identity"
)

// Card is a synthetic card for the simulator, as kept in a JSON file. Codes and dates
// are written as the card holds them: gender "1", nation "01", dates "20200101", valid_to
// "长期" for a card without expiry.
//
// Only synthetic data is accepted (see Identity): an 18-character number must use a
// region code from 990000 to 999999, which GB/T 2260 leaves unassigned, and a 2017
// foreigner card's number must start with a country code from the ranges ISO 3166-1
// reserves for user assignment.
type Card struct {
	CardType    identity.CardType `json:"card_type"`
	Name        string            `json:"name"`
	EnglishName string            `json:"english_name,omitempty"`
	Gender      string            `json:"gender"`
	Nation      string            `json:"nation,omitempty"`
	Nationality string            `json:"nationality,omitempty"`
	Birth       string            `json:"birth"`
	Address     string            `json:"address,omitempty"`
	IDNumber    string            `json:"id_number"`
	Authority   string            `json:"authority,omitempty"`
	ValidFrom   string            `json:"valid_from"`
	ValidTo     string            `json:"valid_to"`
	PassNumber  string            `json:"pass_number,omitempty"`
	IssueCount  int               `json:"issue_count,omitempty"`
	CardVersion string            `json:"card_version,omitempty"`
	// AdditionalAddress is the card's address endorsement, answered to 30 03.
	AdditionalAddress string `json:"additional_address,omitempty"`
	// Photo is the photo's bytes in base64; empty means 1024 synthetic bytes derived from
	// the ID number.
	Photo string `json:"photo,omitempty"`
	// Fingerprint gives the card 1024 bytes of synthetic fingerprint data.
	Fingerprint bool `json:"fingerprint,omitempty"`
}

// ErrNotSynthetic means a card's number could belong to a real person.
var ErrNotSynthetic = errors.New("idcard: card data is not synthetic")

// Identity returns the card's identity as a reader would read it (without the additional
// address), after checking that the card is synthetic and fits its layout.
func (c Card) Identity() (*identity.Identity, error) {
	if err := c.synthetic(); err != nil {
		return nil, err
	}
	id := &identity.Identity{
		CardType:      c.CardType,
		Name:          c.Name,
		EnglishName:   c.EnglishName,
		Gender:        identity.GenderByCode(c.Gender),
		Nationality:   c.Nationality,
		Address:       c.Address,
		IDNumber:      c.IDNumber,
		IDNumberValid: identity.ValidNumber(c.IDNumber),
		Authority:     c.Authority,
		PassNumber:    c.PassNumber,
		IssueCount:    c.IssueCount,
		CardVersion:   c.CardVersion,
	}
	if c.Nation != "" {
		id.Nation, _ = identity.NationByCode(c.Nation)
	}
	var err error
	if id.Birth, err = cardDate("birth", c.Birth); err != nil {
		return nil, err
	}
	if id.ValidFrom, err = cardDate("valid_from", c.ValidFrom); err != nil {
		return nil, err
	}
	if c.ValidTo == longTerm {
		id.LongTerm = true
	} else if id.ValidTo, err = cardDate("valid_to", c.ValidTo); err != nil {
		return nil, err
	}
	if c.Photo != "" {
		if id.Photo, err = base64.StdEncoding.DecodeString(c.Photo); err != nil {
			return nil, fmt.Errorf("idcard: card photo: %w", err)
		}
	} else {
		id.Photo = syntheticBytes("photo", c.IDNumber, PhotoLen)
	}
	if c.Fingerprint {
		id.Fingerprint = syntheticBytes("fingerprint", c.IDNumber, FingerprintLen)
	}
	// Whatever the layout cannot hold is an error now, not on the wire.
	if _, err := AppendRead(nil, id, true); err != nil {
		return nil, err
	}
	if _, err := EncodeAddress(c.AdditionalAddress); err != nil {
		return nil, err
	}
	return id, nil
}

func cardDate(name, s string) (identity.Date, error) {
	if s == "" {
		return identity.Date{}, nil
	}
	d, ok := identity.ParseDate(s)
	if !ok {
		return d, fmt.Errorf("idcard: card %s is not a YYYYMMDD date", name)
	}
	return d, nil
}

func (c Card) synthetic() error {
	n := c.IDNumber
	switch {
	case len(n) == 18 && strings.HasPrefix(n, "99"):
		return nil
	case len(n) == 15 && userAssignedCountry(n[:3]):
		return nil
	}
	return fmt.Errorf("%w: the number must be 18 characters with region 99xxxx, or 15 with a user-assigned country code", ErrNotSynthetic)
}

// userAssignedCountry reports whether s is in the alpha-3 ranges ISO 3166-1 reserves for
// user assignment (AAA–AAZ, QMA–QZZ, XAA–XZZ, ZZA–ZZZ): no country has them.
func userAssignedCountry(s string) bool {
	if len(s) != 3 || strings.ToUpper(s) != s || strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return false
	}
	switch {
	case s[:2] == "AA", s[:2] == "ZZ", s[0] == 'X':
		return true
	case s[0] == 'Q':
		return s[1] >= 'M'
	}
	return false
}

// syntheticBytes makes n bytes that stand in for a photo or fingerprint: derived from the
// card number so each card has its own, and obviously not an image.
func syntheticBytes(kind, seed string, n int) []byte {
	out := make([]byte, 0, n+sha256.Size)
	h := sha256.Sum256([]byte("synthetic " + kind + " " + seed))
	for len(out) < n {
		out = append(out, h[:]...)
		h = sha256.Sum256(h[:])
	}
	return out[:n]
}

// LoadCards reads every *.json file in dir of fsys as a Card, keyed by file name without
// the extension ("resident.json" is "resident"). Unknown keys and non-synthetic cards are
// errors.
func LoadCards(fsys fs.FS, dir string) (map[string]Card, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("idcard: cards in %s: %w", dir, err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("idcard: no card files (*.json) in %s", dir)
	}
	sort.Strings(names)
	cards := make(map[string]Card, len(names))
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("idcard: %w", err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		var c Card
		if err := dec.Decode(&c); err != nil {
			return nil, fmt.Errorf("idcard: card %s: %w", path.Base(name), err)
		}
		if _, err := c.Identity(); err != nil {
			return nil, fmt.Errorf("card %s: %w", path.Base(name), err)
		}
		cards[strings.TrimSuffix(path.Base(name), ".json")] = c
	}
	return cards, nil
}

// SampleCards returns the synthetic sample cards every binary carries (the files of
// assets/cards), keyed by name.
func SampleCards() (map[string]Card, error) { return LoadCards(assets.Cards(), ".") }
