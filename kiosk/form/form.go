package form

import (
	"errors"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/govkiosk/govkiosk/kiosk/identity"
)

// Errors a caller branches on.
var (
	// ErrUnknownField is returned for a field ID the form's schema does not have.
	ErrUnknownField = errors.New("form: no such field")
	// ErrLocked is returned when setting a field whose value came from the ID card.
	ErrLocked = errors.New("form: field is locked to the ID card's value")
	// ErrWiped is returned by a form used after Wipe.
	ErrWiped = errors.New("form: used after wipe")
	// ErrInvalid is what Validate's *InvalidError matches with errors.Is.
	ErrInvalid = errors.New("form: some fields need attention")
)

// InvalidError lists the fields whose values were refused, in the order they are shown,
// so the UI can take the resident to the first. The messages are on the form (Error).
type InvalidError struct {
	Fields []string
}

// Error names the refused fields (IDs only: never values).
func (e *InvalidError) Error() string {
	return "form: fields need attention: " + strings.Join(e.Fields, ", ")
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// Form is one resident's filling of a schema: the values, which came from the ID card and
// which are locked, and the message for each refused field. It is safe for use by the UI
// goroutine and a session timer at once.
//
// A Form holds personal data: Wipe it when the session ends.
type Form struct {
	mu        sync.Mutex
	fields    []Field
	now       func() time.Time
	values    map[string]string
	errs      map[string]*Message
	prefilled map[string]bool
	locked    map[string]bool
	dirty     bool
	wiped     bool
}

// New starts an empty form on schema s, with each field's Default. The schema's fields are
// shared, not copied: they must not change while the form lives (a loaded catalog's do
// not). now tells the day for relative date rules; nil means time.Now.
func New(s Schema, now func() time.Time) *Form {
	if now == nil {
		now = time.Now
	}
	f := &Form{
		fields:    s.Fields,
		now:       now,
		values:    make(map[string]string, len(s.Fields)),
		errs:      map[string]*Message{},
		prefilled: map[string]bool{},
		locked:    map[string]bool{},
	}
	for i := range s.Fields {
		if d := s.Fields[i].Default; d != "" {
			f.values[s.Fields[i].ID] = s.Fields[i].Normalize(d)
		}
	}
	return f
}

// Fields returns the form's fields in display order. They are shared: read them, do not
// change them.
func (f *Form) Fields() []Field { return f.fields }

// Len returns the number of fields.
func (f *Form) Len() int { return len(f.fields) }

// Field returns the field with the given id, or nil.
func (f *Form) Field(id string) *Field {
	for i := range f.fields {
		if f.fields[i].ID == id {
			return &f.fields[i]
		}
	}
	return nil
}

// Value returns a field's current value ("" when unset).
func (f *Form) Value(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.values[id]
}

// Values returns a copy of every non-empty value by field ID, for review and submission.
func (f *Form) Values() map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.values)
}

// Display returns a field's value as the resident should read it on the review screen:
// a choice's label rather than its stored value; other values as they are.
func (f *Form) Display(id string, lang Lang) string {
	fd := f.Field(id)
	v := f.Value(id)
	if fd != nil && fd.Type == TypeChoice {
		if o := fd.Option(v); o != nil {
			return o.Label.In(lang)
		}
	}
	return v
}

// Set records what the resident entered, normalized (see Field.Normalize). A field that
// showed a message is checked again at once, so the message goes away as soon as the value
// is right; other fields are checked by Check or Validate. Setting a locked field returns
// ErrLocked.
func (f *Form) Set(id, value string) error {
	fd := f.Field(id)
	if fd == nil {
		return ErrUnknownField
	}
	v := fd.Normalize(value)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.wiped {
		return ErrWiped
	}
	if f.locked[id] {
		return ErrLocked
	}
	if f.values[id] == v {
		return nil
	}
	if v == "" {
		delete(f.values, id)
	} else {
		f.values[id] = v
	}
	f.dirty = true
	f.prefilled[id] = false
	if f.errs[id] != nil {
		f.setErr(fd, fd.Validate(v, f.now()))
	}
	return nil
}

// Check validates one field now (when the resident leaves it) and returns its message,
// or nil when the value is acceptable.
func (f *Form) Check(id string) *Message {
	fd := f.Field(id)
	if fd == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	m := fd.Validate(f.values[id], f.now())
	f.setErr(fd, m)
	return m
}

func (f *Form) setErr(fd *Field, m *Message) {
	if m == nil {
		delete(f.errs, fd.ID)
	} else {
		f.errs[fd.ID] = m
	}
}

// Error returns the message a field shows, or nil.
func (f *Form) Error(id string) *Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.errs[id]
}

// Errors returns a copy of every field's message by field ID.
func (f *Form) Errors() map[string]*Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.errs)
}

// Validate checks every field and returns nil when the form can be submitted, or an
// *InvalidError naming the refused fields (each with its message, see Error).
func (f *Form) Validate() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.wiped {
		return ErrWiped
	}
	now := f.now()
	var bad []string
	for i := range f.fields {
		fd := &f.fields[i]
		m := fd.Validate(f.values[fd.ID], now)
		f.setErr(fd, m)
		if m != nil {
			bad = append(bad, fd.ID)
		}
	}
	if bad != nil {
		return &InvalidError{Fields: bad}
	}
	return nil
}

// Prefill fills every field that declares an identity attribute from id, and locks those
// that ask to be locked. Values from an earlier card are cleared first, so placing another
// card replaces them. An attribute the card does not have (a foreigner's nation) leaves
// the field empty and editable. It returns how many fields were filled.
func (f *Form) Prefill(id *identity.Identity) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.wiped || id == nil {
		return 0
	}
	n := 0
	for i := range f.fields {
		fd := &f.fields[i]
		if fd.Prefill == "" {
			continue
		}
		if f.prefilled[fd.ID] || f.locked[fd.ID] {
			delete(f.values, fd.ID)
		}
		f.prefilled[fd.ID], f.locked[fd.ID] = false, false
		v := fd.Normalize(attrValue(fd, id))
		if v == "" || fd.Validate(v, f.now()) != nil {
			// A value the field would refuse (a foreign permit number in a citizen-ID
			// field) is left for the resident rather than locked in wrong.
			continue
		}
		f.values[fd.ID] = v
		f.prefilled[fd.ID] = true
		f.locked[fd.ID] = fd.Locked
		delete(f.errs, fd.ID)
		n++
	}
	return n
}

// attrValue is the identity's value for the field's attribute, in the form the field
// stores: a choice gets the option whose value is the GB code or whose label is the name.
func attrValue(fd *Field, id *identity.Identity) string {
	var code, name string
	switch fd.Prefill {
	case AttrName:
		if id.Name != "" {
			return id.Name
		}
		return id.EnglishName
	case AttrBirth:
		return id.Birth.String()
	case AttrAddress:
		return id.Address
	case AttrIDNumber:
		return identity.NormalizeNumber(id.IDNumber)
	case AttrGender:
		code, name = id.Gender.Code, id.Gender.Name
	case AttrNation:
		code, name = id.Nation.Code, id.Nation.Name
	default:
		return ""
	}
	if fd.Type != TypeChoice {
		return name
	}
	for _, o := range fd.Options {
		if (code != "" && o.Value == code) || (name != "" && o.Label.Zh == name) {
			return o.Value
		}
	}
	return ""
}

// Prefilled reports whether a field's value came from the ID card and is unchanged.
func (f *Form) Prefilled(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.prefilled[id]
}

// Locked reports whether a field is locked to the ID card's value.
func (f *Form) Locked(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.locked[id]
}

// Dirty reports whether the resident has entered or changed anything by hand (values
// from defaults and the ID card do not count): leaving then loses their work.
func (f *Form) Dirty() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dirty
}

// Wipe drops every value and message and makes the form refuse further use. Go strings
// cannot be overwritten in place; dropping the only references is what releases them,
// which is why Values returns copies that callers must not keep past the session.
func (f *Form) Wipe() {
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.values)
	clear(f.errs)
	clear(f.prefilled)
	clear(f.locked)
	f.dirty = false
	f.wiped = true
}
