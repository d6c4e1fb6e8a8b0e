package ipp

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func sampleMessage() *Message {
	return &Message{Major: 2, Minor: 0, Code: 0x0000, RequestID: 7, Groups: []Group{
		{Tag: TagOperation, Attrs: []Attribute{
			attr("attributes-charset", str(TagCharset, "utf-8")),
			attr("status-message", str(TagText, "successful-ok")),
		}},
		{Tag: TagPrinter, Attrs: []Attribute{
			attr("printer-state", integer(TagEnum, PrinterStopped)),
			attr("printer-state-reasons", str(TagKeyword, "media-empty-error"), str(TagKeyword, "toner-low-report")),
			attr("printer-is-accepting-jobs", Value{Tag: TagBoolean, Int: 1}),
			attr("media-col-default", Value{Tag: TagBeginCollection, Members: []Attribute{
				attr("media-size", Value{Tag: TagBeginCollection, Members: []Attribute{
					attr("x-dimension", integer(TagInteger, 21000)),
					attr("y-dimension", integer(TagInteger, 29700)),
				}}),
				attr("media-type", str(TagKeyword, "stationery")),
			}}),
			attr("printer-resolution-default", str(TagResolution, "\x00\x00\x02\x58\x00\x00\x02\x58\x03")),
		}},
	}}
}

// TestCodecRoundTrip: what Encode writes, Decode reads back the same, collections and
// multi-valued attributes included, with the document bytes after the attributes.
func TestCodecRoundTrip(t *testing.T) {
	m := sampleMessage()
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, data, err := Decode(append(b, "%PDF-1.4"...))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, m)
	}
	if string(data) != "%PDF-1.4" {
		t.Errorf("data %q", data)
	}
	a, _ := got.Get(TagPrinter, "printer-state-reasons")
	if r := reasons(a); !reflect.DeepEqual(r, []string{"media-empty", "toner-low"}) {
		t.Errorf("reasons %v", r)
	}
}

// TestCodecKnownBytes: a Get-Printer-Attributes request is encoded byte for byte as RFC
// 8010 section 3 lays it out.
func TestCodecKnownBytes(t *testing.T) {
	m := &Message{Major: 1, Minor: 1, Code: OpGetPrinterAttributes, RequestID: 1, Groups: []Group{
		{Tag: TagOperation, Attrs: []Attribute{attr("attributes-charset", str(TagCharset, "utf-8"))}},
	}}
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{1, 1, 0, 0x0B, 0, 0, 0, 1, 0x01, 0x47, 0, 18}
	want = append(want, "attributes-charset"...)
	want = append(want, 0, 5)
	want = append(want, "utf-8"...)
	want = append(want, 0x03)
	if !bytes.Equal(b, want) {
		t.Errorf("encoded\n% x\nwant\n% x", b, want)
	}
}

// TestDecodeRefusesMalformed: every kind of broken message is an ErrMalformed, never a
// panic or a partial message.
func TestDecodeRefusesMalformed(t *testing.T) {
	good, _ := sampleMessage().Encode()
	deep := []byte{2, 0, 0, 0, 0, 0, 0, 1, 0x04}
	for range maxDepth + 2 {
		deep = append(deep, byte(TagBeginCollection), 0, 1, 'c', 0, 0, byte(TagMemberName), 0, 0, 0, 1, 'm')
	}
	cases := map[string][]byte{
		"empty":                  {},
		"short header":           {2, 0, 0},
		"no end tag":             good[:len(good)-1],
		"truncated value":        good[:40],
		"attribute before group": {2, 0, 0, 0, 0, 0, 0, 1, 0x44, 0, 1, 'a', 0, 1, 'b', 0x03},
		"extra value first":      {2, 0, 0, 0, 0, 0, 0, 1, 0x04, 0x44, 0, 0, 0, 1, 'b', 0x03},
		"integer of 3 bytes":     {2, 0, 0, 0, 0, 0, 0, 1, 0x04, 0x21, 0, 1, 'a', 0, 3, 1, 2, 3, 0x03},
		"boolean 2":              {2, 0, 0, 0, 0, 0, 0, 1, 0x04, 0x22, 0, 1, 'a', 0, 1, 2, 0x03},
		"extension tag":          {2, 0, 0, 0, 0, 0, 0, 1, 0x04, 0x7F, 0, 0, 0, 4, 0, 0, 0, 1, 0x03},
		"end collection alone":   {2, 0, 0, 0, 0, 0, 0, 1, 0x04, 0x37, 0, 0, 0, 0, 0x03},
		"unclosed collection":    {2, 0, 0, 0, 0, 0, 0, 1, 0x04, 0x34, 0, 1, 'c', 0, 0, 0x03},
		"member value no name":   {2, 0, 0, 0, 0, 0, 0, 1, 0x04, 0x34, 0, 1, 'c', 0, 0, 0x21, 0, 0, 0, 4, 0, 0, 0, 1, 0x37, 0, 0, 0, 0, 0x03},
		"too deep":               deep,
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			m, _, err := Decode(b)
			if !errors.Is(err, ErrMalformed) || m != nil {
				t.Errorf("Decode = %v, %v; want ErrMalformed", m, err)
			}
		})
	}
}

// TestDecodeBoundsValueCount: a message of endless tiny values stops at maxAttributes.
func TestDecodeBoundsValueCount(t *testing.T) {
	b := []byte{2, 0, 0, 0, 0, 0, 0, 1, 0x04, 0x44, 0, 1, 'a', 0, 0}
	for range maxAttributes + 1 {
		b = append(b, 0x44, 0, 0, 0, 0)
	}
	b = append(b, 0x03)
	if _, _, err := Decode(b); !errors.Is(err, ErrMalformed) {
		t.Errorf("Decode of %d values: %v", maxAttributes+2, err)
	}
}

// FuzzDecode: Decode never panics, and what it accepts encodes and decodes to the same.
func FuzzDecode(f *testing.F) {
	good, _ := sampleMessage().Encode()
	f.Add(good)
	f.Add([]byte{2, 0, 0, 0, 0, 0, 0, 1, 0x03})
	f.Add([]byte{1, 1, 0x04, 0x0A, 0, 0, 0, 9, 0x01, 0x47, 0, 1, 'c', 0, 5, 'u', 't', 'f', '-', '8', 0x03})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, _, err := Decode(b)
		if err != nil {
			return
		}
		// Empty groups and valueless members cannot be re-encoded; skip those.
		for _, g := range m.Groups {
			if g.Tag == TagEnd {
				t.Fatalf("end tag as a group")
			}
			for _, a := range g.Attrs {
				if !encodable(a) {
					return
				}
			}
		}
		enc, err := m.Encode()
		if err != nil {
			t.Fatalf("re-encode of a decoded message: %v", err)
		}
		m2, _, err := Decode(enc)
		if err != nil {
			t.Fatalf("decode of re-encoded: %v", err)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("re-encoded message differs:\n%+v\n%+v", m, m2)
		}
	})
}

func encodable(a Attribute) bool {
	if a.Name == "" || len(a.Values) == 0 {
		return false
	}
	for _, v := range a.Values {
		if v.Tag == TagBeginCollection {
			if v.Str != "" {
				return false
			}
			for _, m := range v.Members {
				if !encodable(m) {
					return false
				}
			}
		} else if v.Members != nil {
			return false
		}
		if (isIntTag(v.Tag) || v.Tag == TagBoolean) && v.Str != "" {
			return false
		}
	}
	return true
}
