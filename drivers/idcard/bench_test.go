package idcard

import (
	"testing"
	"time"

	"github.com/govkiosk/govkiosk/drivers/transport"
)

func residentFrame(b *testing.B) []byte {
	b.Helper()
	id, err := testCards(b)["resident"].Identity()
	if err != nil {
		b.Fatal(err)
	}
	data, err := AppendRead(nil, id, false)
	if err != nil {
		b.Fatal(err)
	}
	return frameOf(b, Response{Status: StatusOK, Data: data})
}

// Decoding a full read answer (1295 bytes) and parsing the identity in it. Target: well
// under 20 µs.
func BenchmarkDecodeParse(b *testing.B) {
	frame := residentFrame(b)
	var d Decoder
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		d.Reset()
		d.Feed(frame)
		r, err := d.NextResponse()
		if err != nil {
			b.Fatal(err)
		}
		id, err := ParseRead(r.Data)
		if err != nil {
			b.Fatal(err)
		}
		id.Wipe()
	}
}

// Decoding the same answer as it arrives from a serial port, in 64-byte pieces.
func BenchmarkDecodeStream(b *testing.B) {
	frame := residentFrame(b)
	var d Decoder
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		d.Reset()
		for off := 0; off < len(frame); off += 64 {
			d.Feed(frame[off:min(off+64, len(frame))])
		}
		if _, err := d.NextResponse(); err != nil {
			b.Fatal(err)
		}
	}
}

// A card read end to end (find, select, read) against the simulator over a real
// pseudo-terminal at 115200 baud: the simulator takes the wire time of every byte both
// ways, so what is left above the wire time ("overhead-ms/op") is the driver's and the
// serial port's. Target: under 20 ms.
func BenchmarkCardReadPTY(b *testing.B) {
	sim := startSim(b, SimConfig{Baud: 115200})
	if err := sim.Place("resident"); err != nil {
		b.Fatal(err)
	}
	c := openConn(b, sim)
	ctx := testContext(b)
	wire := transport.WireTime(FrameLen(2, 0)+FrameLen(3, 4)+ // find
		FrameLen(2, 0)+FrameLen(3, 8)+ // select
		FrameLen(2, 0)+FrameLen(3, 4+TextLen+PhotoLen), 115200) // read
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		if err := c.FindCard(ctx); err != nil {
			b.Fatal(err)
		}
		id, err := c.ReadIdentity(ctx, ReadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		id.Wipe()
	}
	per := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(float64(wire)/float64(time.Millisecond), "wire-ms/op")
	b.ReportMetric(float64(per-wire)/float64(time.Millisecond), "overhead-ms/op")
}
