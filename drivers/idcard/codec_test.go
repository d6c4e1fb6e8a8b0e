package idcard

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// Command frames as published in reader documentation and integration write-ups (find,
// select and the two reads appear verbatim in a published C# integration of a serial
// reader; SAM status is the discovery probe quoted in vendor manuals).
func TestCommandFramesMatchPublishedBytes(t *testing.T) {
	cases := []struct {
		op   Op
		want string
	}{
		{OpSAMStatus, "AA AA AA 96 69 00 03 11 FF ED"},
		{OpFindCard, "AA AA AA 96 69 00 03 20 01 22"},
		{OpSelectCard, "AA AA AA 96 69 00 03 20 02 21"},
		{OpReadText, "AA AA AA 96 69 00 03 30 01 32"},
		{OpReadFingerprint, "AA AA AA 96 69 00 03 30 10 23"},
	}
	for _, c := range cases {
		t.Run(c.op.String(), func(t *testing.T) {
			got, err := c.op.Command().MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if want := unhex(t, c.want); !bytes.Equal(got, want) {
				t.Fatalf("frame % X, want % X", got, want)
			}
		})
	}
}

// Answers as published: find card succeeded (9F and four bytes), select card succeeded
// (90 and eight bytes).
func TestResponseFramesMatchPublishedBytes(t *testing.T) {
	cases := []struct {
		name   string
		frame  string
		status Status
		data   int
	}{
		{"find", "AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97", StatusCardFound, 4},
		{"select", "AA AA AA 96 69 00 0C 00 00 90 00 00 00 00 00 00 00 00 9C", StatusOK, 8},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			frame := unhex(t, c.frame)
			r, err := DecodeResponse(frame)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != c.status || len(r.Data) != c.data {
				t.Fatalf("status %v with %d bytes, want %v with %d", r.Status, len(r.Data), c.status, c.data)
			}
			again, err := r.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, frame) {
				t.Fatalf("re-encoded % X, want % X", again, frame)
			}
		})
	}
}

func TestEveryOpRoundTrips(t *testing.T) {
	ops := []Op{OpResetSAM, OpSAMStatus, OpSAMID, OpFindCard, OpSelectCard, OpReadText,
		OpReadAddress, OpReadCardID, OpReadFingerprint, OpSetBaud}
	for _, op := range ops {
		b, err := op.Command().MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		c, err := DecodeCommand(b)
		if err != nil {
			t.Fatalf("%v: %v", op, err)
		}
		if c.Op() != op || len(c.Data) != 0 {
			t.Fatalf("%v decoded as %v with %d bytes", op, c.Op(), len(c.Data))
		}
		if strings.HasPrefix(op.String(), "cmd ") {
			t.Errorf("%04x has no name", uint16(op))
		}
	}
}

func TestSetBaudCommand(t *testing.T) {
	cases := []struct {
		baud int
		para byte
		ok   bool
	}{
		{115200, 0, true}, {57600, 1, true}, {38400, 2, true}, {19200, 3, true}, {9600, 4, true},
		{4800, 0, false}, {0, 0, false},
	}
	for _, c := range cases {
		cmd, err := SetBaudCommand(c.baud)
		if (err == nil) != c.ok {
			t.Fatalf("%d: err %v", c.baud, err)
		}
		if !c.ok {
			continue
		}
		if cmd.Cmd != 0x60 || cmd.Para != c.para {
			t.Fatalf("%d: got %02x %02x", c.baud, cmd.Cmd, cmd.Para)
		}
		if b, ok := BaudOf(cmd.Para); !ok || b != c.baud {
			t.Fatalf("BaudOf(%d) = %d", cmd.Para, b)
		}
		if want := fmt.Sprintf("set baud %d", c.baud); cmd.Op().String() != want {
			t.Fatalf("name %q, want %q", cmd.Op().String(), want)
		}
	}
}

func frameOf(t testing.TB, r Response) []byte {
	t.Helper()
	b, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// feedAll feeds chunks one after another and describes every outcome: "ok <status>
// <len>" per frame, "checksum" or "length" per damaged one.
func feedAll(d *Decoder, chunks [][]byte) []string {
	var got []string
	for _, c := range chunks {
		d.Feed(c)
		for {
			r, err := d.NextResponse()
			switch {
			case errors.Is(err, ErrIncomplete):
			case errors.Is(err, ErrChecksum):
				got = append(got, "checksum")
				continue
			case errors.Is(err, ErrLength):
				got = append(got, "length")
				continue
			case err != nil:
				got = append(got, "error "+err.Error())
				continue
			default:
				got = append(got, fmt.Sprintf("ok %02x %d", byte(r.Status), len(r.Data)))
				continue
			}
			break
		}
	}
	return got
}

func bytewise(b []byte) [][]byte {
	out := make([][]byte, len(b))
	for i := range b {
		out[i] = b[i : i+1]
	}
	return out
}

func TestDecoderStream(t *testing.T) {
	ok := frameOf(t, Response{Status: StatusOK, Data: []byte{1, 2, 3}})
	found := frameOf(t, Response{Status: StatusCardFound, Data: make([]byte, 4)})
	// A payload that holds the preamble itself: the length field, not a search, ends it.
	tricky := frameOf(t, Response{Status: StatusOK, Data: append(preamble[:], 0x00, 0x07)})
	badSum := bytes.Clone(ok)
	badSum[len(badSum)-1] ^= 0xFF
	short := []byte{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x02, 0x90, 0x92}
	long := []byte{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0xFF, 0xFF, 0x00}
	noise := []byte{0x00, 0xFF, 0x13, 0xAA, 0xAA, 0x96}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

	cases := []struct {
		name     string
		chunks   [][]byte
		want     []string
		noise    int
		buffered int
	}{
		{"whole", [][]byte{ok}, []string{"ok 90 3"}, 0, 0},
		{"one byte at a time", bytewise(ok), []string{"ok 90 3"}, 0, 0},
		{"leading noise", [][]byte{cat(noise, ok)}, []string{"ok 90 3"}, len(noise), 0},
		{"noise byte by byte", bytewise(cat(noise, ok)), []string{"ok 90 3"}, len(noise), 0},
		{"trailing bytes", [][]byte{cat(ok, []byte{1, 2, 3})}, []string{"ok 90 3"}, 3, 0},
		{"two frames", [][]byte{cat(ok, found)}, []string{"ok 90 3", "ok 9f 4"}, 0, 0},
		{"extra sync byte", [][]byte{cat([]byte{0xAA}, ok)}, []string{"ok 90 3"}, 1, 0},
		{"preamble in payload", bytewise(tricky), []string{"ok 90 7"}, 0, 0},
		{"bad checksum then good", [][]byte{cat(badSum, ok)}, []string{"checksum", "ok 90 3"}, len(badSum), 0},
		{"too short then good", [][]byte{short, ok}, []string{"length", "ok 90 3"}, len(short), 0},
		{"too long then good", [][]byte{long, ok}, []string{"length", "ok 90 3"}, len(long), 0},
		{"only noise", [][]byte{{1, 2, 3, 4, 5}}, nil, 5, 0},
		{"noise ending in a partial preamble", [][]byte{{1, 2, 0xAA, 0xAA, 0xAA, 0x96}}, nil, 2, 4},
		{"split header", [][]byte{ok[:6], ok[6:8], ok[8:]}, []string{"ok 90 3"}, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var d Decoder
			got := feedAll(&d, c.chunks)
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Fatalf("got %q, want %q", got, c.want)
			}
			if d.Noise() != c.noise || d.Buffered() != c.buffered {
				t.Fatalf("noise %d buffered %d, want %d and %d", d.Noise(), d.Buffered(), c.noise, c.buffered)
			}
		})
	}
}

func TestDecoderCommandDirection(t *testing.T) {
	// Three is the shortest command (CMD PARA CHK) but too short for an answer.
	frame, err := OpFindCard.Command().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var d Decoder
	d.Feed(frame)
	if _, err := d.NextResponse(); !errors.Is(err, ErrLength) {
		t.Fatalf("a command read as an answer: %v", err)
	}
	d.Reset()
	d.Feed(frame)
	c, err := d.NextCommand()
	if err != nil || c.Op() != OpFindCard {
		t.Fatalf("got %v, %v", c.Op(), err)
	}
}

func TestDecoderResetWipes(t *testing.T) {
	secret := []byte("测试甲 990101199001010019")
	frame := frameOf(t, Response{Status: StatusOK, Data: secret})
	var d Decoder
	d.Feed(frame)
	if _, err := d.NextResponse(); err != nil {
		t.Fatal(err)
	}
	buf := d.buf[:cap(d.buf)]
	d.Feed([]byte{0x01}) // compaction overwrites what it drops
	if bytes.Contains(buf, secret) {
		t.Fatal("consumed frame still in the buffer after Feed")
	}
	d.Feed(frame)
	d.Reset()
	if bytes.Contains(d.buf[:cap(d.buf)], secret) {
		t.Fatal("frame still in the buffer after Reset")
	}
}

func TestEncodeTooLong(t *testing.T) {
	_, err := Response{Status: StatusOK, Data: make([]byte, MaxLength)}.MarshalBinary()
	if !errors.Is(err, ErrLength) {
		t.Fatalf("got %v, want ErrLength", err)
	}
	// The longest real answer, read with fingerprint, fits.
	if _, err := (Response{Status: StatusOK, Data: make([]byte, 6+TextLen+PhotoLen+FingerprintLen)}).MarshalBinary(); err != nil {
		t.Fatal(err)
	}
	if n := FrameLen(3, 6+TextLen+PhotoLen+FingerprintLen); n != 2321 {
		t.Fatalf("read with fingerprint is %d bytes on the wire, manuals say 2321", n)
	}
	if n := FrameLen(3, 4+TextLen+PhotoLen); n != 1295 {
		t.Fatalf("read is %d bytes on the wire, manuals say 1295", n)
	}
}

// The answer to read card for each sample card, pinned byte for byte.
func TestReadFramesGolden(t *testing.T) {
	for name, c := range testCards(t) {
		t.Run(name, func(t *testing.T) {
			id, err := c.Identity()
			if err != nil {
				t.Fatal(err)
			}
			data, err := AppendRead(nil, id, false)
			if err != nil {
				t.Fatal(err)
			}
			frame := frameOf(t, Response{Status: StatusOK, Data: data})
			if len(frame) != 1295 {
				t.Fatalf("frame of %d bytes, want 1295", len(frame))
			}
			golden(t, name+".read.hex", hexLines(frame))
		})
	}
}

func TestXorMatchesBytewise(t *testing.T) {
	b := noise(300)
	for n := 0; n <= len(b); n++ {
		var want byte
		for _, c := range b[:n] {
			want ^= c
		}
		if got := xor(b[:n]); got != want {
			t.Fatalf("%d bytes: %02x, want %02x", n, got, want)
		}
	}
}
