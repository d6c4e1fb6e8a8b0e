package idcard

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/govkiosk/govkiosk/drivers/transport"
	"github.com/govkiosk/govkiosk/kiosk/identity"
)

var (
	// ErrNoResponse means the reader did not answer within the time its answer takes on
	// the wire plus its processing allowance.
	ErrNoResponse = errors.New("idcard: no answer from the reader")
	// ErrNoise means bytes came back that were not a frame (wrong device on the port,
	// wrong baud rate, a damaged line). It comes together with ErrNoResponse.
	ErrNoise = errors.New("idcard: line noise instead of a frame")
)

// DefaultProcessing is how long the reader may take for its own work on top of the wire
// time of command and answer. Reading a card over RF and checking it with the security
// module takes a real reader a good part of a second.
const DefaultProcessing = time.Second

// maxAnswer is the longest answer each command can get: its frame on the wire.
var maxAnswer = map[Op]int{
	OpResetSAM:        FrameLen(3, 0),
	OpSAMStatus:       FrameLen(3, 0),
	OpSAMID:           FrameLen(3, SAMIDLen),
	OpFindCard:        FrameLen(3, 4),
	OpSelectCard:      FrameLen(3, 8),
	OpReadText:        FrameLen(3, 4+TextLen+PhotoLen),
	OpReadAddress:     FrameLen(3, AddressLen),
	OpReadCardID:      FrameLen(3, 8),
	OpReadFingerprint: FrameLen(3, 6+TextLen+PhotoLen+FingerprintLen),
}

// Conn sends commands to a reader over a port and waits for the answers. It is not safe
// for concurrent use: the protocol has one command in flight at a time.
//
// Answers hold card data only until the next command or Wipe; the identities Conn returns
// are copies owned by the caller.
type Conn struct {
	port       transport.Port
	baud       int
	processing time.Duration
	dec        Decoder
	rbuf       []byte
	wbuf       []byte
	lost       bool // an answer went missing: resynchronise before the next command
}

// NewConn returns a Conn on p. baud is the line speed p was opened at, used to size
// timeouts from wire time; 0 means DefaultBaud.
func NewConn(p transport.Port, baud int) *Conn {
	if baud <= 0 {
		baud = DefaultBaud
	}
	return &Conn{port: p, baud: baud, processing: DefaultProcessing, rbuf: make([]byte, 512)}
}

// SetProcessing sets the allowance for the reader's own work on top of wire time
// (default DefaultProcessing).
func (c *Conn) SetProcessing(d time.Duration) { c.processing = d }

// Timeout is how long Conn waits for the answer to op: the wire time of the command and
// of the longest answer op can get, plus the processing allowance.
func (c *Conn) Timeout(op Op) time.Duration {
	n, ok := maxAnswer[op]
	if !ok {
		n = headerLen + MaxLength
	}
	return transport.WireTime(FrameLen(2, 0)+n, c.baud) + c.processing
}

// Do sends cmd and returns the reader's answer. A status other than success comes back
// as a *StatusError along with the response. The response's Data is valid until the next
// call or Wipe. Cancelling ctx abandons the wait.
//
// The protocol does not tie an answer to its command, so an answer that comes after its
// deadline could be taken for the next command's. Two things prevent that: an answer whose
// status or size cannot belong to the command waiting is skipped as stale, and after an
// answer went missing Conn first resynchronises with a SAM status request, whose answer
// (90 without data) no card command shares, before sending the next command.
func (c *Conn) Do(ctx context.Context, cmd Command) (Response, error) {
	op := cmd.Op()
	if c.lost && op != OpSAMStatus {
		if _, err := c.exchange(ctx, OpSAMStatus.Command()); err != nil {
			return Response{}, fmt.Errorf("idcard: %v: resynchronising after a lost answer: %w", op, err)
		}
	}
	return c.exchange(ctx, cmd)
}

// exchange sends cmd and waits for a fitting answer.
func (c *Conn) exchange(ctx context.Context, cmd Command) (Response, error) {
	op := cmd.Op()
	if err := ctx.Err(); err != nil {
		return Response{}, err
	}
	c.dec.Reset()
	var err error
	if c.wbuf, err = cmd.AppendBinary(c.wbuf[:0]); err != nil {
		return Response{}, err
	}
	start := time.Now()
	if err := c.port.SetWriteDeadline(start.Add(transport.WireTime(len(c.wbuf), c.baud) + time.Second)); err != nil {
		return Response{}, fmt.Errorf("idcard: %v: %w", op, err)
	}
	if _, err := c.port.Write(c.wbuf); err != nil {
		c.lost = true
		return Response{}, fmt.Errorf("idcard: %v: send: %w", op, err)
	}
	deadline := start.Add(c.Timeout(op))
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := c.port.SetReadDeadline(deadline); err != nil {
		return Response{}, fmt.Errorf("idcard: %v: %w", op, err)
	}
	// A deadline in the past makes a pending Read return at once: that is how ctx
	// cancels the wait.
	stop := context.AfterFunc(ctx, func() { _ = c.port.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	stale := 0
	for {
		r, err := c.dec.NextResponse()
		switch {
		case err == nil && !fits(op, r):
			stale++
			continue
		case err == nil:
			c.lost = false
			return r, r.Err(op)
		case !errors.Is(err, ErrIncomplete):
			c.lost = true
			return Response{}, fmt.Errorf("idcard: %v: %w", op, err)
		}
		n, err := c.port.Read(c.rbuf)
		c.dec.Feed(c.rbuf[:n])
		if err == nil {
			continue
		}
		c.lost = true
		if ctx.Err() != nil {
			return Response{}, ctx.Err()
		}
		if transport.IsTimeout(err) {
			waited := time.Since(start).Round(time.Millisecond)
			if junk := c.dec.Noise() + c.dec.Buffered(); junk > 0 {
				return Response{}, fmt.Errorf("idcard: %v: %w after %v: %w: %d bytes that are no frame",
					op, ErrNoResponse, waited, ErrNoise, junk)
			}
			if stale > 0 {
				return Response{}, fmt.Errorf("idcard: %v: %w after %v (%d late answers to earlier commands skipped)",
					op, ErrNoResponse, waited, stale)
			}
			return Response{}, fmt.Errorf("idcard: %v: %w after %v", op, ErrNoResponse, waited)
		}
		return Response{}, fmt.Errorf("idcard: %v: %w", op, err)
	}
}

// fits reports whether r can be the answer to op. Statuses that any command can get (a
// faulty SAM, a rejected command) fit every command; the others belong to particular
// commands, and a success answer's data has a size fixed by its command.
func fits(op Op, r Response) bool {
	read := op.Cmd() == OpReadText.Cmd()
	switch r.Status {
	case StatusCardFound, StatusNoCard:
		return op == OpFindCard
	case StatusSelectFailed:
		return op == OpSelectCard
	case StatusReadFailed, StatusNoContent:
		return read
	case StatusOK:
	default:
		return true
	}
	n := len(r.Data)
	switch op {
	case OpFindCard:
		return false
	case OpSAMStatus, OpResetSAM:
		return n == 0
	case OpSAMID:
		return n == SAMIDLen
	case OpSelectCard, OpReadCardID:
		return n <= 16
	case OpReadText, OpReadFingerprint:
		return n >= 4+TextLen
	case OpReadAddress:
		return n > 16 && n <= TextLen
	}
	if op.Cmd() == OpSetBaud.Cmd() {
		return n == 0
	}
	return true
}

// Wipe overwrites the buffered answer bytes.
func (c *Conn) Wipe() {
	c.dec.Reset()
	clear(c.rbuf)
}

// simple sends op without data and expects no data back beyond the status.
func (c *Conn) simple(ctx context.Context, op Op) error {
	_, err := c.Do(ctx, op.Command())
	return err
}

// SAMStatus asks the security module whether it is working.
func (c *Conn) SAMStatus(ctx context.Context) error { return c.simple(ctx, OpSAMStatus) }

// ResetSAM restarts the security module.
func (c *Conn) ResetSAM(ctx context.Context) error { return c.simple(ctx, OpResetSAM) }

// SAMID reads the security module's management number (see ParseSAMID).
func (c *Conn) SAMID(ctx context.Context) (string, error) {
	r, err := c.Do(ctx, OpSAMID.Command())
	if err != nil {
		return "", err
	}
	return ParseSAMID(r.Data)
}

// FindCard looks for a card; it returns an error matching ErrNoCard when there is none.
func (c *Conn) FindCard(ctx context.Context) error { return c.simple(ctx, OpFindCard) }

// SelectCard selects the card FindCard found.
func (c *Conn) SelectCard(ctx context.Context) error { return c.simple(ctx, OpSelectCard) }

// ReadCard reads the selected card's text and photo, and its fingerprint data too if
// fingerprint is set. The receive buffer is wiped before it returns; the identity is the
// caller's, to Wipe when done.
func (c *Conn) ReadCard(ctx context.Context, fingerprint bool) (*identity.Identity, error) {
	op := OpReadText
	if fingerprint {
		op = OpReadFingerprint
	}
	defer c.Wipe()
	r, err := c.Do(ctx, op.Command())
	if err != nil {
		return nil, err
	}
	id, err := ParseRead(r.Data)
	if err != nil {
		return nil, fmt.Errorf("idcard: %v: %w", op, err)
	}
	return id, nil
}

// ReadAdditionalAddress reads the card's latest address endorsement; it returns "" and
// no error when the card has none.
func (c *Conn) ReadAdditionalAddress(ctx context.Context) (string, error) {
	defer c.Wipe()
	r, err := c.Do(ctx, OpReadAddress.Command())
	if errors.Is(err, ErrNoContent) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	a, err := ParseAddress(r.Data)
	if err != nil {
		return "", fmt.Errorf("idcard: %v: %w", OpReadAddress, err)
	}
	return a, nil
}

// ReadOptions say what ReadIdentity reads besides text and photo.
type ReadOptions struct {
	// Fingerprint reads fingerprint data too (command 30 10 instead of 30 01).
	Fingerprint bool
	// AdditionalAddress reads the latest address endorsement (30 03) after the card.
	AdditionalAddress bool
}

// ReadIdentity selects the card FindCard found and reads it. The identity is the
// caller's, to Wipe when done.
func (c *Conn) ReadIdentity(ctx context.Context, o ReadOptions) (*identity.Identity, error) {
	if err := c.SelectCard(ctx); err != nil {
		return nil, err
	}
	id, err := c.ReadCard(ctx, o.Fingerprint)
	if err != nil {
		return nil, err
	}
	if o.AdditionalAddress {
		a, err := c.ReadAdditionalAddress(ctx)
		if err != nil {
			id.Wipe()
			return nil, err
		}
		id.AdditionalAddress = a
	}
	return id, nil
}

// SetBaud switches the reader to another line speed. The reader answers at the old
// speed and listens at the new one afterwards, so the caller must reopen the port at baud;
// Conn's timeouts follow the new speed from now on.
func (c *Conn) SetBaud(ctx context.Context, baud int) error {
	cmd, err := SetBaudCommand(baud)
	if err != nil {
		return err
	}
	if _, err := c.Do(ctx, cmd); err != nil {
		return err
	}
	c.baud = baud
	return nil
}

// probeBaud sizes Probe's timeouts for the slowest line speed a reader is set to, since
// discovery does not know which one the port was opened at.
const probeBaud = 9600

// probeProcessing is Probe's allowance for the security module to answer a status
// request, which needs no card.
const probeProcessing = 500 * time.Millisecond

// Probe asks whatever is on p for the security module's status, as device discovery
// does on each serial port. It reports "SAM ok" and the module's number, or an error:
// ErrNoResponse (nothing answered), ErrNoise (something else answered), a *StatusError
// (a reader whose module is faulty, ErrSAMFault).
func Probe(ctx context.Context, p transport.Port) (string, error) {
	c := NewConn(p, probeBaud)
	c.SetProcessing(probeProcessing)
	defer c.Wipe()
	if err := c.SAMStatus(ctx); err != nil {
		return "", err
	}
	id, err := c.SAMID(ctx)
	if err != nil {
		return "SAM ok", nil
	}
	return "SAM ok, id " + id, nil
}
