package idcard

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// Frame format, both directions (SAM protocol manual, "数据传输格式"; the same bytes are
// built by HslCommunication's PackToSAMCommand and libsamv's samv_build_cmd_*):
//
//	AA AA AA 96 69 | LEN1 LEN2 | CMD PARA [data] CHK      host → reader
//	AA AA AA 96 69 | LEN1 LEN2 | SW1 SW2 SW3 [data] CHK   reader → host
//
// LEN is big-endian and counts everything after itself, checksum included. CHK is the XOR
// of every byte from LEN1 through the last data byte. Published examples: find card is
// AA AA AA 96 69 00 03 20 01 22 and its success answer AA AA AA 96 69 00 08 00 00 9F 00
// 00 00 00 97.

// preamble starts every frame: three sync bytes and the two-byte start mark.
var preamble = [5]byte{0xAA, 0xAA, 0xAA, 0x96, 0x69}

const (
	// headerLen is the preamble plus the length field.
	headerLen = len(preamble) + 2
	// MaxLength is the largest length field the decoder accepts. The longest frame the
	// protocol defines is the answer to read-with-fingerprint: 3 status bytes, 6 bytes of
	// block lengths, 256 of text, 1024 of photo, 1024 of fingerprint and the checksum,
	// 2314 bytes (frame total 2321, the figure vendor manuals give). Anything much longer is
	// line noise that happened to contain a preamble.
	MaxLength = 2560
	// minCommandLength is CMD PARA CHK.
	minCommandLength = 3
	// minResponseLength is SW1 SW2 SW3 CHK.
	minResponseLength = 4
)

var (
	// ErrChecksum means a frame's checksum did not match its bytes.
	ErrChecksum = errors.New("idcard: frame checksum mismatch")
	// ErrLength means a frame's length field was impossible (shorter than the fixed
	// fields, or longer than MaxLength), or a frame to encode would be too long.
	ErrLength = errors.New("idcard: bad frame length")
	// ErrIncomplete means the bytes so far hold no complete frame: read more.
	ErrIncomplete = errors.New("idcard: incomplete frame")
)

// Op is a command code and its parameter byte, CMD<<8 | PARA.
type Op uint16

// The commands of the SAM protocol (manual, table "CMD 和 Para"; the same codes are in
// libsamv's command enum).
const (
	// OpResetSAM restarts the security module (10 FF).
	OpResetSAM Op = 0x10FF
	// OpSAMStatus asks the security module for its self-test status (11 FF). It is
	// harmless, so device discovery probes with it.
	OpSAMStatus Op = 0x11FF
	// OpSAMID reads the security module's management number (12 FF).
	OpSAMID Op = 0x12FF
	// OpFindCard looks for a card in the field (20 01); success is SW3 9F.
	OpFindCard Op = 0x2001
	// OpSelectCard selects the card found (20 02).
	OpSelectCard Op = 0x2002
	// OpReadText reads the 256-byte text block and the 1024-byte photo (30 01).
	OpReadText Op = 0x3001
	// OpReadAddress reads the latest additional address endorsement (30 03); SW3 91 when
	// the card has none.
	OpReadAddress Op = 0x3003
	// OpReadCardID reads the card body's management number (30 05).
	OpReadCardID Op = 0x3005
	// OpReadFingerprint reads text, photo and fingerprint data (30 10).
	OpReadFingerprint Op = 0x3010
	// OpSetBaud is the set-line-speed command (60 xx); the parameter selects the speed,
	// see SetBaudCommand.
	OpSetBaud Op = 0x6000
)

// Cmd is the command byte.
func (o Op) Cmd() byte { return byte(o >> 8) }

// Para is the parameter byte.
func (o Op) Para() byte { return byte(o) }

// Command returns the command frame contents for o, without data.
func (o Op) Command() Command { return Command{Cmd: o.Cmd(), Para: o.Para()} }

var opNames = map[Op]string{
	OpResetSAM:        "reset SAM",
	OpSAMStatus:       "SAM status",
	OpSAMID:           "read SAM id",
	OpFindCard:        "find card",
	OpSelectCard:      "select card",
	OpReadText:        "read card",
	OpReadAddress:     "read additional address",
	OpReadCardID:      "read card id",
	OpReadFingerprint: "read card with fingerprint",
}

// String names the command for messages, e.g. "find card" or "cmd 7a 01".
func (o Op) String() string {
	if n, ok := opNames[o]; ok {
		return n
	}
	if o.Cmd() == OpSetBaud.Cmd() {
		if b, ok := BaudOf(o.Para()); ok {
			return fmt.Sprintf("set baud %d", b)
		}
	}
	return fmt.Sprintf("cmd %02x %02x", o.Cmd(), o.Para())
}

// baudCodes are the parameter values of the set-baud command (manual: 60 00 = 115200,
// 01 = 57600, 02 = 38400, 03 = 19200, 04 = 9600; 115200 is the power-on default).
var baudCodes = [...]int{115200, 57600, 38400, 19200, 9600}

// DefaultBaud is the reader's line speed after power-on.
const DefaultBaud = 115200

// BaudOf returns the line speed a set-baud parameter selects.
func BaudOf(para byte) (int, bool) {
	if int(para) < len(baudCodes) {
		return baudCodes[para], true
	}
	return 0, false
}

// SetBaudCommand returns the command that switches the reader to the given line speed,
// one of 115200, 57600, 38400, 19200, 9600. The reader answers at the old speed.
func SetBaudCommand(baud int) (Command, error) {
	for i, b := range baudCodes {
		if b == baud {
			return Command{Cmd: OpSetBaud.Cmd(), Para: byte(i)}, nil
		}
	}
	return Command{}, fmt.Errorf("idcard: baud %d not supported (want 115200, 57600, 38400, 19200 or 9600)", baud)
}

// Command is a host-to-reader frame.
type Command struct {
	Cmd, Para byte
	Data      []byte
}

// Op returns the command's code and parameter.
func (c Command) Op() Op { return Op(c.Cmd)<<8 | Op(c.Para) }

// AppendBinary appends the command's frame to b.
func (c Command) AppendBinary(b []byte) ([]byte, error) {
	return appendFrame(b, [3]byte{c.Cmd, c.Para}, 2, c.Data)
}

// MarshalBinary returns the command's frame.
func (c Command) MarshalBinary() ([]byte, error) { return c.AppendBinary(nil) }

// Response is a reader-to-host frame. SW1 and SW2 are the card's own status words passed
// through; Status (SW3) is the reader's.
type Response struct {
	SW1, SW2 byte
	Status   Status
	Data     []byte
}

// AppendBinary appends the response's frame to b.
func (r Response) AppendBinary(b []byte) ([]byte, error) {
	return appendFrame(b, [3]byte{r.SW1, r.SW2, byte(r.Status)}, 3, r.Data)
}

// MarshalBinary returns the response's frame.
func (r Response) MarshalBinary() ([]byte, error) { return r.AppendBinary(nil) }

// FrameLen is the length on the wire of a frame with n bytes of data: preamble, length,
// the fixed fields (2 for a command, 3 for a response), data, checksum.
func FrameLen(fixed, n int) int { return headerLen + fixed + n + 1 }

func appendFrame(b []byte, head [3]byte, nhead int, data []byte) ([]byte, error) {
	n := nhead + len(data) + 1
	if n > MaxLength {
		return b, fmt.Errorf("%w: %d bytes of data do not fit in one frame", ErrLength, len(data))
	}
	start := len(b)
	b = append(b, preamble[:]...)
	b = append(b, byte(n>>8), byte(n))
	b = append(b, head[:nhead]...)
	b = append(b, data...)
	return append(b, xor(b[start+len(preamble):])), nil
}

// xor folds b with XOR, eight bytes at a time: it runs over every byte received, and a
// read answer is 1295 bytes.
func xor(b []byte) byte {
	var w uint64
	for len(b) >= 8 {
		w ^= binary.LittleEndian.Uint64(b)
		b = b[8:]
	}
	w ^= w >> 32
	w ^= w >> 16
	w ^= w >> 8
	s := byte(w)
	for _, c := range b {
		s ^= c
	}
	return s
}

// Decoder finds frames in a byte stream as it arrives: in pieces of any size, after
// noise, followed by more bytes. A frame with a bad length or checksum is reported and
// skipped, and decoding resumes at the next preamble.
//
// Frames returned by NextCommand and NextResponse share the decoder's buffer: their Data
// is valid until the next call to Feed or Reset. Feed and Reset overwrite the bytes they
// drop, so card data does not linger in the buffer. The zero value is ready to use.
type Decoder struct {
	buf   []byte
	start int // bytes of buf already consumed
	noise int
}

// Feed adds bytes read from the line.
func (d *Decoder) Feed(p []byte) {
	if d.start > 0 {
		n := copy(d.buf, d.buf[d.start:])
		clear(d.buf[n:])
		d.buf = d.buf[:n]
		d.start = 0
	}
	d.buf = append(d.buf, p...)
}

// Reset drops and overwrites everything buffered and zeroes the noise count.
func (d *Decoder) Reset() {
	clear(d.buf[:cap(d.buf)])
	d.buf = d.buf[:0]
	d.start = 0
	d.noise = 0
}

// Buffered is the number of bytes received but not yet part of a returned frame.
func (d *Decoder) Buffered() int { return len(d.buf) - d.start }

// Noise is the number of bytes skipped since the last Reset because they were not part of
// any frame.
func (d *Decoder) Noise() int { return d.noise }

// NextCommand returns the next command frame, ErrIncomplete if more bytes are needed, or
// an error wrapping ErrLength or ErrChecksum for a damaged frame (already skipped).
func (d *Decoder) NextCommand() (Command, error) {
	body, err := d.next(minCommandLength)
	if err != nil {
		return Command{}, err
	}
	return Command{Cmd: body[0], Para: body[1], Data: body[2:len(body):len(body)]}, nil
}

// NextResponse returns the next response frame, ErrIncomplete if more bytes are needed,
// or an error wrapping ErrLength or ErrChecksum for a damaged frame (already skipped).
func (d *Decoder) NextResponse() (Response, error) {
	body, err := d.next(minResponseLength)
	if err != nil {
		return Response{}, err
	}
	return Response{SW1: body[0], SW2: body[1], Status: Status(body[2]), Data: body[3:len(body):len(body)]}, nil
}

// next returns the body of the next frame (the bytes between the length field and the
// checksum). min is the smallest valid length field for the direction decoded.
func (d *Decoder) next(min int) ([]byte, error) {
	buf := d.buf[d.start:]
	i := bytes.Index(buf, preamble[:])
	if i < 0 {
		// Keep a tail that may be the start of a preamble split across reads.
		drop := len(buf) - partialPreamble(buf)
		d.noise += drop
		d.start += drop
		return nil, ErrIncomplete
	}
	d.noise += i
	d.start += i
	buf = buf[i:]
	if len(buf) < headerLen {
		return nil, ErrIncomplete
	}
	n := int(buf[5])<<8 | int(buf[6])
	if n < min || n > MaxLength {
		d.start++ // skip this preamble; resynchronise on the next one
		d.noise++
		return nil, fmt.Errorf("%w: length field %d, want %d to %d", ErrLength, n, min, MaxLength)
	}
	if len(buf) < headerLen+n {
		return nil, ErrIncomplete
	}
	sum := xor(buf[len(preamble) : headerLen+n-1])
	if got := buf[headerLen+n-1]; got != sum {
		d.start++
		d.noise++
		return nil, fmt.Errorf("%w: frame of %d bytes has %02x, its bytes give %02x", ErrChecksum, headerLen+n, got, sum)
	}
	d.start += headerLen + n
	return buf[headerLen : headerLen+n-1], nil
}

// partialPreamble returns how many bytes at the end of b are a proper prefix of the
// preamble.
func partialPreamble(b []byte) int {
	for k := min(len(preamble)-1, len(b)); k > 0; k-- {
		if bytes.Equal(b[len(b)-k:], preamble[:k]) {
			return k
		}
	}
	return 0
}

// DecodeResponse decodes the first response frame in b, skipping noise before it and
// ignoring bytes after it. The Data of the result is a copy owned by the caller.
func DecodeResponse(b []byte) (Response, error) {
	var d Decoder
	d.Feed(b)
	r, err := d.NextResponse()
	if err != nil {
		return Response{}, err
	}
	r.Data = bytes.Clone(r.Data)
	d.Reset()
	return r, nil
}

// DecodeCommand decodes the first command frame in b, skipping noise before it and
// ignoring bytes after it. The Data of the result is a copy owned by the caller.
func DecodeCommand(b []byte) (Command, error) {
	var d Decoder
	d.Feed(b)
	c, err := d.NextCommand()
	if err != nil {
		return Command{}, err
	}
	c.Data = bytes.Clone(c.Data)
	d.Reset()
	return c, nil
}
