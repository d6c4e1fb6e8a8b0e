package ipp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Tag is a delimiter or value tag of the IPP encoding (RFC 8010 section 3.5).
type Tag byte

// Delimiter tags open an attribute group or end the attributes.
const (
	TagOperation   Tag = 0x01
	TagJob         Tag = 0x02
	TagEnd         Tag = 0x03
	TagPrinter     Tag = 0x04
	TagUnsupported Tag = 0x05
)

// Value tags.
const (
	TagUnsupportedValue Tag = 0x10
	TagUnknown          Tag = 0x12
	TagNoValue          Tag = 0x13
	TagInteger          Tag = 0x21
	TagBoolean          Tag = 0x22
	TagEnum             Tag = 0x23
	TagOctetString      Tag = 0x30
	TagDateTime         Tag = 0x31
	TagResolution       Tag = 0x32
	TagRange            Tag = 0x33
	TagBeginCollection  Tag = 0x34
	TagTextLang         Tag = 0x35
	TagNameLang         Tag = 0x36
	TagEndCollection    Tag = 0x37
	TagText             Tag = 0x41
	TagName             Tag = 0x42
	TagKeyword          Tag = 0x44
	TagURI              Tag = 0x45
	TagURIScheme        Tag = 0x46
	TagCharset          Tag = 0x47
	TagLanguage         Tag = 0x48
	TagMimeType         Tag = 0x49
	TagMemberName       Tag = 0x4A
	tagExtension        Tag = 0x7F
)

func (t Tag) isDelimiter() bool { return t < 0x10 }

// Operation codes used here (RFC 8011 section 5.4.15).
const (
	OpPrintJob             uint16 = 0x0002
	OpValidateJob          uint16 = 0x0004
	OpCancelJob            uint16 = 0x0008
	OpGetJobAttributes     uint16 = 0x0009
	OpGetPrinterAttributes uint16 = 0x000B
)

// Limits of a decoded message: a printer's full attribute set is some tens of KiB.
const (
	maxAttributes = 4096
	maxDepth      = 8
)

// ErrMalformed is returned for bytes that are not a well-formed IPP message.
var ErrMalformed = errors.New("ipp: malformed message")

// Value is one value of an attribute. Integers, enums and booleans are in Int (a boolean
// is 0 or 1); strings of every kind (text, name, keyword, uri, mimeMediaType...) in Str;
// other values (dateTime, resolution, rangeOfInteger, octetString) keep their raw bytes in
// Str; a collection's members are in Members.
type Value struct {
	Tag     Tag
	Int     int32
	Str     string
	Members []Attribute
}

// Attribute is a named attribute with one or more values.
type Attribute struct {
	Name   string
	Values []Value
}

// Group is an attribute group (operation, job, printer, unsupported).
type Group struct {
	Tag   Tag
	Attrs []Attribute
}

// Message is an IPP request or response. Code is the operation in a request and the
// status in a response.
type Message struct {
	Major, Minor byte
	Code         uint16
	RequestID    uint32
	Groups       []Group
}

// Get returns the first attribute of the name in a group of the tag (0: any group).
func (m *Message) Get(group Tag, name string) (Attribute, bool) {
	for _, g := range m.Groups {
		if group != 0 && g.Tag != group {
			continue
		}
		for _, a := range g.Attrs {
			if a.Name == name {
				return a, true
			}
		}
	}
	return Attribute{}, false
}

// Strings returns the string values of an attribute.
func (a Attribute) Strings() []string {
	out := make([]string, 0, len(a.Values))
	for _, v := range a.Values {
		out = append(out, v.Str)
	}
	return out
}

// Int returns the first value as an integer (0 when there is none).
func (a Attribute) Int() int {
	if len(a.Values) == 0 {
		return 0
	}
	return int(a.Values[0].Int)
}

// String returns the first value as a string ("" when there is none).
func (a Attribute) String() string {
	if len(a.Values) == 0 {
		return ""
	}
	return a.Values[0].Str
}

// Helpers to build attributes.
func attr(name string, vs ...Value) Attribute { return Attribute{Name: name, Values: vs} }
func str(tag Tag, s string) Value             { return Value{Tag: tag, Str: s} }
func integer(tag Tag, n int) Value            { return Value{Tag: tag, Int: int32(n)} }

func isIntTag(t Tag) bool { return t == TagInteger || t == TagEnum }

// Encode writes the message in the IPP encoding, without document data.
func (m *Message) Encode() ([]byte, error) {
	b := []byte{m.Major, m.Minor}
	b = binary.BigEndian.AppendUint16(b, m.Code)
	b = binary.BigEndian.AppendUint32(b, m.RequestID)
	for _, g := range m.Groups {
		if !g.Tag.isDelimiter() || g.Tag == TagEnd {
			return nil, fmt.Errorf("ipp: encode: group tag %#x", byte(g.Tag))
		}
		b = append(b, byte(g.Tag))
		for _, a := range g.Attrs {
			var err error
			if b, err = appendAttr(b, a); err != nil {
				return nil, err
			}
		}
	}
	return append(b, byte(TagEnd)), nil
}

func appendAttr(b []byte, a Attribute) ([]byte, error) {
	if a.Name == "" || len(a.Name) > 0xFFFF || len(a.Values) == 0 {
		return nil, fmt.Errorf("ipp: encode: attribute %q with %d values", a.Name, len(a.Values))
	}
	for i, v := range a.Values {
		name := a.Name
		if i > 0 {
			name = ""
		}
		var err error
		if b, err = appendValue(b, name, v); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func appendValue(b []byte, name string, v Value) ([]byte, error) {
	b = append(b, byte(v.Tag))
	b = binary.BigEndian.AppendUint16(b, uint16(len(name)))
	b = append(b, name...)
	switch {
	case isIntTag(v.Tag):
		b = binary.BigEndian.AppendUint16(b, 4)
		return binary.BigEndian.AppendUint32(b, uint32(v.Int)), nil
	case v.Tag == TagBoolean:
		b = binary.BigEndian.AppendUint16(b, 1)
		if v.Int != 0 {
			return append(b, 1), nil
		}
		return append(b, 0), nil
	case v.Tag == TagBeginCollection:
		b = binary.BigEndian.AppendUint16(b, 0)
		for _, m := range v.Members {
			b = append(b, byte(TagMemberName), 0, 0)
			b = binary.BigEndian.AppendUint16(b, uint16(len(m.Name)))
			b = append(b, m.Name...)
			for _, mv := range m.Values {
				var err error
				if b, err = appendValue(b, "", mv); err != nil {
					return nil, err
				}
			}
		}
		return append(b, byte(TagEndCollection), 0, 0, 0, 0), nil
	case v.Tag.isDelimiter() || v.Tag == tagExtension || v.Tag == TagEndCollection || v.Tag == TagMemberName:
		return nil, fmt.Errorf("ipp: encode: value tag %#x", byte(v.Tag))
	}
	if len(v.Str) > 0xFFFF {
		return nil, fmt.Errorf("ipp: encode: value of %d bytes", len(v.Str))
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(v.Str)))
	return append(b, v.Str...), nil
}

// decoder reads a message from a byte slice.
type decoder struct {
	b     []byte
	off   int
	count int
}

func (d *decoder) fail(format string, args ...any) error {
	return fmt.Errorf("%w: at byte %d: %s", ErrMalformed, d.off, fmt.Sprintf(format, args...))
}

func (d *decoder) take(n int) ([]byte, error) {
	if n < 0 || len(d.b)-d.off < n {
		return nil, d.fail("need %d bytes, have %d", n, len(d.b)-d.off)
	}
	p := d.b[d.off : d.off+n]
	d.off += n
	return p, nil
}

func (d *decoder) u16() (int, error) {
	p, err := d.take(2)
	if err != nil {
		return 0, err
	}
	return int(binary.BigEndian.Uint16(p)), nil
}

// raw is one encoded attribute-with-one-value: tag, name, value bytes.
type raw struct {
	tag   Tag
	name  string
	value []byte
}

func (d *decoder) next() (raw, error) {
	t, err := d.take(1)
	if err != nil {
		return raw{}, err
	}
	r := raw{tag: Tag(t[0])}
	if r.tag.isDelimiter() {
		return r, nil
	}
	if r.tag == tagExtension {
		return raw{}, d.fail("extension tag not supported")
	}
	n, err := d.u16()
	if err != nil {
		return raw{}, err
	}
	name, err := d.take(n)
	if err != nil {
		return raw{}, err
	}
	r.name = string(name)
	n, err = d.u16()
	if err != nil {
		return raw{}, err
	}
	if r.value, err = d.take(n); err != nil {
		return raw{}, err
	}
	d.count++
	if d.count > maxAttributes {
		return raw{}, d.fail("more than %d values", maxAttributes)
	}
	return r, nil
}

// value decodes one value whose header was read as r; a collection reads its members.
func (d *decoder) value(r raw, depth int) (Value, error) {
	v := Value{Tag: r.tag}
	switch {
	case isIntTag(r.tag):
		if len(r.value) != 4 {
			return v, d.fail("%s: integer of %d bytes", r.name, len(r.value))
		}
		v.Int = int32(binary.BigEndian.Uint32(r.value))
	case r.tag == TagBoolean:
		if len(r.value) != 1 || r.value[0] > 1 {
			return v, d.fail("%s: bad boolean", r.name)
		}
		v.Int = int32(r.value[0])
	case r.tag == TagBeginCollection:
		if depth >= maxDepth {
			return v, d.fail("collections nested deeper than %d", maxDepth)
		}
		members, err := d.collection(depth + 1)
		if err != nil {
			return v, err
		}
		v.Members = members
	case r.tag == TagEndCollection || r.tag == TagMemberName:
		return v, d.fail("tag %#x outside a collection", byte(r.tag))
	default:
		v.Str = string(r.value)
	}
	return v, nil
}

// collection reads member attributes up to the endCollection tag.
func (d *decoder) collection(depth int) ([]Attribute, error) {
	var out []Attribute
	for {
		r, err := d.next()
		if err != nil {
			return nil, err
		}
		switch {
		case r.tag == TagEndCollection:
			return out, nil
		case r.tag == TagMemberName:
			if r.name != "" || len(r.value) == 0 {
				return nil, d.fail("bad member name")
			}
			out = append(out, Attribute{Name: string(r.value)})
		case r.tag.isDelimiter():
			return nil, d.fail("collection not closed")
		default:
			if len(out) == 0 || r.name != "" {
				return nil, d.fail("collection value without a member name")
			}
			v, err := d.value(r, depth)
			if err != nil {
				return nil, err
			}
			last := &out[len(out)-1]
			last.Values = append(last.Values, v)
		}
	}
}

// Decode reads a message; the bytes after the end-of-attributes tag (a request's document)
// are returned as data.
func Decode(b []byte) (m *Message, data []byte, err error) {
	d := &decoder{b: b}
	hdr, err := d.take(8)
	if err != nil {
		return nil, nil, err
	}
	m = &Message{Major: hdr[0], Minor: hdr[1], Code: binary.BigEndian.Uint16(hdr[2:4]),
		RequestID: binary.BigEndian.Uint32(hdr[4:8])}
	var g *Group
	for {
		r, err := d.next()
		if err != nil {
			return nil, nil, err
		}
		if r.tag == TagEnd {
			return m, d.b[d.off:], nil
		}
		if r.tag.isDelimiter() {
			m.Groups = append(m.Groups, Group{Tag: r.tag})
			g = &m.Groups[len(m.Groups)-1]
			continue
		}
		if g == nil {
			return nil, nil, d.fail("attribute before any group")
		}
		v, err := d.value(r, 0)
		if err != nil {
			return nil, nil, err
		}
		if r.name == "" {
			if len(g.Attrs) == 0 {
				return nil, nil, d.fail("additional value without an attribute")
			}
			last := &g.Attrs[len(g.Attrs)-1]
			last.Values = append(last.Values, v)
			continue
		}
		g.Attrs = append(g.Attrs, Attribute{Name: r.name, Values: []Value{v}})
	}
}

// ReadMessage reads at most limit bytes from r and decodes them.
func ReadMessage(r io.Reader, limit int64) (*Message, []byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, nil, fmt.Errorf("ipp: read: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, nil, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, limit)
	}
	return Decode(b)
}

// baseReason strips the severity suffix of a printer-state-reasons keyword
// ("media-empty-error" → "media-empty").
func baseReason(k string) string {
	for _, s := range []string{"-error", "-warning", "-report"} {
		if strings.HasSuffix(k, s) {
			return strings.TrimSuffix(k, s)
		}
	}
	return k
}
