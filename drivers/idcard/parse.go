package idcard

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/govkiosk/govkiosk/kiosk/identity"
)

var (
	// ErrMalformed means card data did not have the shape the protocol gives it (block
	// lengths that do not add up, a text block that is not 256 bytes, an odd byte count
	// in UCS-2 text).
	ErrMalformed = errors.New("idcard: malformed card data")
	// ErrUnknownCardType means the card-type character of the text block names none of
	// the four known layouts.
	ErrUnknownCardType = errors.New("idcard: unknown card type")
	// ErrEncode means a value does not fit the field the card layout has for it.
	ErrEncode = errors.New("idcard: value does not fit the card layout")
	// ErrNoDecoder is what the default PhotoDecoder returns: turning WLT into pixels needs
	// a licensed vendor library, so the kiosk shows a placeholder instead.
	ErrNoDecoder = errors.New("idcard: no WLT photo decoder installed")
)

// ParseText reads a card's 256-byte text block into an Identity, choosing the layout by
// the card-type character at byte 248. Text is trimmed of padding; gender and nation
// keep codes that have no name; a date that is not a calendar date is left zero; the ID
// number's check digit is reported in IDNumberValid and never rejected. Invalid UTF-16
// (a lone surrogate) becomes U+FFFD.
//
// Per layout: a 2017 foreigner card's number has 15 characters and no check digit, so
// IDNumberValid is false for it; its authority is the 4-character code of the office that
// took the application. The 2023 foreigner card's renewal count goes to IssueCount, as
// the residence permit's issue count does; its link to the holder's former card number is
// not kept.
func ParseText(text []byte) (*identity.Identity, error) {
	if len(text) != TextLen {
		return nil, fmt.Errorf("%w: text block is %d bytes, want %d", ErrMalformed, len(text), TextLen)
	}
	m := rune(binary.LittleEndian.Uint16(text[markerOffset:]))
	l, ok := layoutByMarker(m)
	if !ok {
		return nil, fmt.Errorf("%w: type character U+%04X", ErrUnknownCardType, m)
	}
	id := &identity.Identity{CardType: l.card}
	for _, f := range l.fields {
		if f.set != nil {
			f.set(id, decodeUCS2(text[f.off:f.off+f.size]))
		}
	}
	return id, nil
}

// EncodeText writes id as a 256-byte text block in the layout of its card type. It is the
// inverse of ParseText and is what the simulator puts on the wire.
func EncodeText(id *identity.Identity) ([]byte, error) {
	return appendText(make([]byte, 0, TextLen), id)
}

func appendText(dst []byte, id *identity.Identity) ([]byte, error) {
	l, ok := layoutByCard(id.CardType)
	if !ok {
		return dst, fmt.Errorf("%w: card type %q has no text layout", ErrEncode, id.CardType)
	}
	start := len(dst)
	dst = append(dst, make([]byte, TextLen)...)
	text := dst[start:]
	for _, f := range l.fields {
		v := ""
		if f.get != nil {
			var err error
			if v, err = f.get(id); err != nil {
				return dst[:start], err
			}
		}
		if err := encodeUCS2(text[f.off:f.off+f.size], v); err != nil {
			return dst[:start], fmt.Errorf("%w: %s: %v", ErrEncode, f.name, err)
		}
	}
	return dst, nil
}

// decodeUCS2 turns little-endian UTF-16 into a string. A lone surrogate becomes U+FFFD; an
// odd last byte is ignored.
func decodeUCS2(b []byte) string {
	var stack [3 * 128]byte // a 120-byte field is 60 units, at most 3 UTF-8 bytes each
	out := stack[:0]
	for i := 0; i+1 < len(b); i += 2 {
		u := rune(binary.LittleEndian.Uint16(b[i:]))
		if utf16.IsSurrogate(u) {
			if u < 0xDC00 && i+3 < len(b) {
				if r := utf16.DecodeRune(u, rune(binary.LittleEndian.Uint16(b[i+2:]))); r != utf8.RuneError {
					out = utf8.AppendRune(out, r)
					i += 2
					continue
				}
			}
			u = utf8.RuneError
		}
		out = utf8.AppendRune(out, u)
	}
	return string(out)
}

// encodeUCS2 fills dst with s as little-endian UTF-16, padded with spaces.
func encodeUCS2(dst []byte, s string) error {
	n := 0
	for _, r := range s {
		var u [2]uint16
		k := 1
		if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
			u[0], u[1], k = uint16(r1), uint16(r2), 2
		} else {
			u[0] = uint16(r)
			if r > 0xFFFF || utf16.IsSurrogate(r) {
				u[0] = uint16(utf8.RuneError)
			}
		}
		if n+2*k > len(dst) {
			return fmt.Errorf("needs more than its %d bytes", len(dst))
		}
		for j := range k {
			binary.LittleEndian.PutUint16(dst[n:], u[j])
			n += 2
		}
	}
	for ; n+1 < len(dst); n += 2 {
		dst[n], dst[n+1] = ' ', 0
	}
	return nil
}

// ParseRead reads the data of a successful answer to read card (30 01: text and photo) or
// read card with fingerprint (30 10: text, photo and fingerprint). The data starts with
// the big-endian length of each block (two for 30 01, three for 30 10) and the blocks
// follow; which form it is follows from the lengths adding up. Photo and fingerprint are
// copied, so the result does not share memory with data.
func ParseRead(data []byte) (*identity.Identity, error) {
	text, photo, fp, err := splitRead(data)
	if err != nil {
		return nil, err
	}
	id, err := ParseText(text)
	if err != nil {
		return nil, err
	}
	id.Photo, id.Fingerprint = own(photo), own(fp)
	return id, nil
}

// own returns a copy of b, or nil for no bytes.
func own(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return bytes.Clone(b)
}

func splitRead(data []byte) (text, photo, fp []byte, err error) {
	if len(data) < 4 {
		return nil, nil, nil, fmt.Errorf("%w: card data of %d bytes has no block lengths", ErrMalformed, len(data))
	}
	t := int(binary.BigEndian.Uint16(data))
	p := int(binary.BigEndian.Uint16(data[2:]))
	switch {
	case 4+t+p == len(data):
		text, photo = data[4:4+t], data[4+t:]
	case len(data) >= 6 && 6+t+p+int(binary.BigEndian.Uint16(data[4:])) == len(data):
		text, photo, fp = data[6:6+t], data[6+t:6+t+p], data[6+t+p:]
	default:
		return nil, nil, nil, fmt.Errorf("%w: block lengths %d and %d do not add up to %d bytes", ErrMalformed, t, p, len(data))
	}
	if len(text) != TextLen {
		return nil, nil, nil, fmt.Errorf("%w: text block is %d bytes, want %d", ErrMalformed, len(text), TextLen)
	}
	return text, photo, fp, nil
}

// AppendRead appends id in the form of a read-card answer's data: 30 01 (text and photo)
// or, with fingerprint set, 30 10 (text, photo and fingerprint).
func AppendRead(dst []byte, id *identity.Identity, fingerprint bool) ([]byte, error) {
	if len(id.Photo) > PhotoLen || len(id.Fingerprint) > FingerprintLen {
		return dst, fmt.Errorf("%w: photo of %d or fingerprint of %d bytes", ErrEncode, len(id.Photo), len(id.Fingerprint))
	}
	start := len(dst)
	dst = binary.BigEndian.AppendUint16(dst, TextLen)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(id.Photo)))
	if fingerprint {
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(id.Fingerprint)))
	}
	dst, err := appendText(dst, id)
	if err != nil {
		return dst[:start], err
	}
	dst = append(dst, id.Photo...)
	if fingerprint {
		dst = append(dst, id.Fingerprint...)
	}
	return dst, nil
}

// AddressLen is the size of the additional-address answer's data (35 UCS-2 characters,
// the same size as the address field of the text block).
const AddressLen = 70

// ParseAddress reads the data of a successful answer to read additional address (30 03).
func ParseAddress(data []byte) (string, error) {
	if len(data)%2 != 0 || len(data) > TextLen {
		return "", fmt.Errorf("%w: additional address of %d bytes", ErrMalformed, len(data))
	}
	return trim(decodeUCS2(data)), nil
}

// EncodeAddress writes an additional address as the reader sends it.
func EncodeAddress(addr string) ([]byte, error) {
	b := make([]byte, AddressLen)
	if err := encodeUCS2(b, addr); err != nil {
		return nil, fmt.Errorf("%w: additional address: %v", ErrEncode, err)
	}
	return b, nil
}

// SAMIDLen is the size of the answer to read SAM id.
const SAMIDLen = 16

// ParseSAMID formats the security module's management number as vendor tools print it,
// "05.01-20200101-000012345-123456789": two one-byte version fields (bytes 0 and 2), then
// three little-endian 32-bit numbers (bytes 4, 8 and 12), the last two zero-padded to 9
// digits. (The layout follows HslCommunication's reading of the 12 FF answer.)
func ParseSAMID(data []byte) (string, error) {
	if len(data) != SAMIDLen {
		return "", fmt.Errorf("%w: SAM id of %d bytes, want %d", ErrMalformed, len(data), SAMIDLen)
	}
	le := binary.LittleEndian
	return fmt.Sprintf("%02d.%02d-%d-%09d-%09d", data[0], data[2],
		le.Uint32(data[4:]), le.Uint32(data[8:]), le.Uint32(data[12:])), nil
}

// PhotoDecoder turns the card's WLT-compressed photo into an image. WLT is a proprietary
// format; decoders come from licensed vendor libraries and are plugged in here.
type PhotoDecoder interface {
	Decode(wlt []byte) (image.Image, error)
}

// NoPhotoDecoder is the PhotoDecoder used without a vendor library: it always returns
// ErrNoDecoder, and the UI shows a placeholder.
type NoPhotoDecoder struct{}

// Decode returns ErrNoDecoder.
func (NoPhotoDecoder) Decode([]byte) (image.Image, error) { return nil, ErrNoDecoder }
