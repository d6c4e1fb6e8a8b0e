package idcard

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// seedReads returns read-answer data for the sample cards with the photo cut to a few
// bytes: the parser handles any photo length, and small seeds keep the fuzzer's
// minimisation of new inputs quick.
func seedReads(f *testing.F) [][]byte {
	var out [][]byte
	for _, c := range testCards(f) {
		id, err := c.Identity()
		if err != nil {
			f.Fatal(err)
		}
		id.Photo, id.Fingerprint = id.Photo[:8], id.Photo[8:12]
		for _, fp := range []bool{false, true} {
			data, err := AppendRead(nil, id, fp)
			if err != nil {
				f.Fatal(err)
			}
			out = append(out, data)
		}
	}
	return out
}

// seedFrames returns short frames of the kinds a reader sends.
func seedFrames(f *testing.F) [][]byte {
	return [][]byte{
		frameOf(f, Response{Status: StatusCardFound, Data: make([]byte, 4)}),
		frameOf(f, Response{Status: StatusOK, Data: make([]byte, 8)}),
		frameOf(f, Response{Status: StatusNoCard}),
		frameOf(f, Response{Status: StatusOK, Data: append(preamble[:], 0x00, 0x10, 0x55)}),
		frameOf(f, Response{Status: StatusOK, Data: simSAMID[:]}),
	}
}

// The decoder never panics, never reports more than it was fed, and every frame it
// returns encodes back to bytes that decode to the same frame.
func FuzzDecoder(f *testing.F) {
	for _, fr := range seedFrames(f) {
		f.Add(fr, uint8(1))
		f.Add(append([]byte{0x13, 0xAA}, fr...), uint8(7))
		f.Add(append(bytes.Clone(fr[:len(fr)/2]), fr...), uint8(200))
	}
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		var d Decoder
		step := int(split)%64 + 1
		frames := 0
		for off := 0; off < len(data); off += step {
			d.Feed(data[off:min(off+step, len(data))])
			for {
				r, err := d.NextResponse()
				if errors.Is(err, ErrIncomplete) {
					break
				}
				if err != nil {
					if !errors.Is(err, ErrChecksum) && !errors.Is(err, ErrLength) {
						t.Fatalf("unexpected error %v", err)
					}
					continue
				}
				frames++
				enc, err := r.MarshalBinary()
				if err != nil {
					t.Fatalf("a decoded frame does not encode: %v", err)
				}
				if !bytes.Contains(data, enc) {
					t.Fatalf("frame % X is not in the input", enc)
				}
				again, err := DecodeResponse(enc)
				if err != nil || again.Status != r.Status || again.SW1 != r.SW1 || again.SW2 != r.SW2 || !bytes.Equal(again.Data, r.Data) {
					t.Fatalf("round trip: %v", err)
				}
			}
			if d.Buffered() > len(data) || d.Noise() > len(data) {
				t.Fatalf("buffered %d noise %d of %d bytes", d.Buffered(), d.Noise(), len(data))
			}
		}
		if frames*(headerLen+minResponseLength) > len(data) {
			t.Fatalf("%d frames from %d bytes", frames, len(data))
		}
	})
}

// The text parser never panics on any 256 bytes, and what it reads encodes back to a text
// that reads the same (unless the value cannot be encoded, which it says).
func FuzzParseText(f *testing.F) {
	for _, c := range testCards(f) {
		id, err := c.Identity()
		if err != nil {
			f.Fatal(err)
		}
		text, err := EncodeText(id)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(text)
	}
	f.Add(handText(' ', residentFields))
	f.Add(make([]byte, TextLen))
	f.Fuzz(func(t *testing.T, text []byte) {
		id, err := ParseText(text)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnknownCardType) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		enc, err := EncodeText(id)
		if err != nil {
			if !errors.Is(err, ErrEncode) {
				t.Fatalf("unexpected encode error %v", err)
			}
			return
		}
		again, err := ParseText(enc)
		if err != nil {
			t.Fatalf("re-encoded text does not parse: %v", err)
		}
		if !reflect.DeepEqual(again, id) {
			t.Fatal(diffIdentity(again, id))
		}
	})
}

// A read answer's data never panics the parser, and the identity never shares memory with
// the frame (which the driver wipes).
func FuzzParseRead(f *testing.F) {
	for _, data := range seedReads(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		data := bytes.Clone(input)
		id, err := ParseRead(data)
		if err != nil {
			return
		}
		photo, fp := bytes.Clone(id.Photo), bytes.Clone(id.Fingerprint)
		for i := range data {
			data[i] ^= 0xFF
		}
		if !bytes.Equal(photo, id.Photo) || !bytes.Equal(fp, id.Fingerprint) {
			t.Fatal("identity shares memory with the answer")
		}
	})
}
