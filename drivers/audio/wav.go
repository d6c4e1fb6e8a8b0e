package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ErrNotWAV is returned by DecodeWAV for bytes that are not a PCM WAV file this package
// can read (RIFF/WAVE, format 1, mono, 16-bit).
var ErrNotWAV = errors.New("audio: not a 16-bit mono PCM WAV file")

// maxWAVSamples bounds what DecodeWAV allocates: ten minutes at 48 kHz is more than any
// prompt.
const maxWAVSamples = 48000 * 600

// EncodeWAV writes the clip as a canonical 44-byte-header PCM WAV file.
func EncodeWAV(w io.Writer, c Clip) error {
	data := uint32(len(c.Samples) * 2)
	h := make([]byte, 44, 44+len(c.Samples)*2)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], 36+data)
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1) // PCM
	binary.LittleEndian.PutUint16(h[22:], 1) // mono
	binary.LittleEndian.PutUint32(h[24:], uint32(c.Rate))
	binary.LittleEndian.PutUint32(h[28:], uint32(c.Rate*2))
	binary.LittleEndian.PutUint16(h[32:], 2)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], data)
	for _, s := range c.Samples {
		h = binary.LittleEndian.AppendUint16(h, uint16(s))
	}
	if _, err := w.Write(h); err != nil {
		return fmt.Errorf("audio: write wav: %w", err)
	}
	return nil
}

// DecodeWAV reads a PCM WAV file written by EncodeWAV or by another tool (chunks other
// than "fmt " and "data" are skipped). It refuses anything but 16-bit mono PCM.
func DecodeWAV(b []byte) (Clip, error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return Clip{}, ErrNotWAV
	}
	var (
		c      Clip
		gotFmt bool
	)
	p := b[12:]
	for len(p) >= 8 {
		id := string(p[0:4])
		size := binary.LittleEndian.Uint32(p[4:8])
		p = p[8:]
		if uint64(size) > uint64(len(p)) {
			if id != "data" {
				return Clip{}, fmt.Errorf("%w: chunk %q runs past the end", ErrNotWAV, id)
			}
			size = uint32(len(p)) // a stream cut short: keep what arrived
		}
		body := p[:size]
		switch id {
		case "fmt ":
			if size < 16 {
				return Clip{}, fmt.Errorf("%w: short fmt chunk", ErrNotWAV)
			}
			format := binary.LittleEndian.Uint16(body[0:])
			channels := binary.LittleEndian.Uint16(body[2:])
			rate := binary.LittleEndian.Uint32(body[4:])
			bits := binary.LittleEndian.Uint16(body[14:])
			if format != 1 || channels != 1 || bits != 16 || rate == 0 || rate > 384000 {
				return Clip{}, fmt.Errorf("%w: format %d, %d channels, %d bits, %d Hz", ErrNotWAV, format, channels, bits, rate)
			}
			c.Rate = int(rate)
			gotFmt = true
		case "data":
			if !gotFmt {
				return Clip{}, fmt.Errorf("%w: data before fmt", ErrNotWAV)
			}
			n := len(body) / 2
			if n > maxWAVSamples {
				return Clip{}, fmt.Errorf("%w: %d samples is too long", ErrNotWAV, n)
			}
			c.Samples = make([]int16, n)
			for i := range c.Samples {
				c.Samples[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
			}
			return c, nil
		}
		p = p[size:]
		if size%2 == 1 && len(p) > 0 { // chunks are padded to even sizes
			p = p[1:]
		}
	}
	return Clip{}, fmt.Errorf("%w: no data chunk", ErrNotWAV)
}
