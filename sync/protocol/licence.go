package protocol

import "time"

// E-licence queries (version 2): after a resident is identified, a terminal asks the hub
// which e-licences (电子证照) of some types the platform holds for them, so the resident
// may use one instead of scanning the paper. The query carries the least needed: the
// keyed IDHash of the ID number (never the number) and the licence types. The hub
// rate-limits the queries per terminal and audits each.
const (
	TypeLicenceQuery Type = "licence_query" // terminal: which licences of these types the resident holds
	TypeLicences     Type = "licences"      // hub: the answer to a licence query
)

// CodeUnknownLicenceType says a licence query named a type the platform does not know. The
// query changed nothing; the terminal asks again without it (its catalog is newer or
// older than the hub's list).
const CodeUnknownLicenceType Code = "unknown_licence_type"

// MaxLicenceTypes is the most types one query may name, and MaxLicences the most
// licences one answer may list.
const (
	MaxLicenceTypes = 16
	MaxLicences     = 32
)

func init() {
	registry[TypeLicenceQuery] = entry{Terminal, func() Message { return new(LicenceQuery) }}
	registry[TypeLicences] = entry{Hub, func() Message { return new(Licences) }}
}

// LicenceQuery asks for a resident's licences of the given types.
type LicenceQuery struct {
	// ID is the terminal's request id, repeated in the answer.
	ID string `json:"id"`
	// IDHash is IDHash(the key the hub gave at enrollment, the ID number).
	IDHash string `json:"id_hash"`
	// Types are licence types (lower-case words such as "household_register").
	Types []string `json:"types"`
}

// Licences answers a LicenceQuery with the licences found (none is an empty list).
type Licences struct {
	ID    string    `json:"id"`
	Items []Licence `json:"items"`
}

// Licence is one e-licence as a terminal shows it to its holder: enough to recognise
// it, and the reference a submission carries instead of a copy.
type Licence struct {
	Type string `json:"type"`
	// Ref is the platform's reference to the licence.
	Ref string `json:"ref"`
	// Number is the licence's number, masked by the hub.
	Number  string    `json:"number,omitempty"`
	TitleZh string    `json:"title_zh,omitempty"`
	TitleEn string    `json:"title_en,omitempty"`
	Issuer  string    `json:"issuer,omitempty"`
	Issued  time.Time `json:"issued,omitzero"`
	Expires time.Time `json:"expires,omitzero"`
}

// MessageType implements Message.
func (*LicenceQuery) MessageType() Type { return TypeLicenceQuery }

// MessageType implements Message.
func (*Licences) MessageType() Type { return TypeLicences }

// Validate implements Message.
func (m *LicenceQuery) Validate() error {
	const t = TypeLicenceQuery
	if err := checkID(t, "id", m.ID); err != nil {
		return err
	}
	if m.IDHash == "" {
		return missing(t, "id_hash")
	}
	if !validHash(m.IDHash) {
		return invalid(t, "id_hash", "want 64 lower-case hex digits")
	}
	if len(m.Types) == 0 {
		return missing(t, "types")
	}
	if len(m.Types) > MaxLicenceTypes {
		return invalid(t, "types", "too many")
	}
	for _, ty := range m.Types {
		if !validWord(ty, 64) {
			return invalid(t, "types", "want 1-64 of a-z 0-9 _")
		}
	}
	return nil
}

// Validate implements Message.
func (m *Licences) Validate() error {
	const t = TypeLicences
	if err := checkID(t, "id", m.ID); err != nil {
		return err
	}
	if len(m.Items) > MaxLicences {
		return invalid(t, "items", "too many")
	}
	for _, it := range m.Items {
		if !validWord(it.Type, 64) {
			return invalid(t, "items.type", "want 1-64 of a-z 0-9 _")
		}
		if !ValidID(it.Ref) {
			return invalid(t, "items.ref", "want 1-64 of A-Z a-z 0-9 . _ : -")
		}
		for _, f := range []struct{ name, v string }{{"number", it.Number}, {"title_zh", it.TitleZh}, {"title_en", it.TitleEn}, {"issuer", it.Issuer}} {
			if err := checkText(t, "items."+f.name, f.v, 256, false); err != nil {
				return err
			}
		}
	}
	return nil
}
