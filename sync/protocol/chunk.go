package protocol

import (
	"encoding/binary"
	"fmt"
)

// ChunkKind is the first byte of every binary frame in protocol version 1. Other values
// are reserved.
const ChunkKind byte = 0x01

// Chunk is one piece of an attachment, sent as a binary websocket frame:
//
//	offset  size  field
//	0       1     kind, ChunkKind (0x01)
//	1       1     n, length of the submission id (1..64)
//	2       n     submission id, ASCII (see ValidID)
//	2+n     2     attachment index, big-endian uint16 (0..MaxAttachments-1)
//	4+n     8     offset of the first data byte in the attachment, big-endian uint64
//	12+n    rest  data, 1..MaxChunkData bytes
type Chunk struct {
	ID     string
	Index  int
	Offset int64
	// Data aliases the frame it was parsed from.
	Data []byte
}

// HeaderLen is the length of this chunk's header.
func (c Chunk) HeaderLen() int { return 12 + len(c.ID) }

// AppendChunk appends the frame for c to dst. It checks the same rules as ParseChunk, so
// a sender cannot produce a frame its peer must reject.
func AppendChunk(dst []byte, c Chunk) ([]byte, error) {
	if err := c.validate(); err != nil {
		return dst, err
	}
	dst = append(dst, ChunkKind, byte(len(c.ID)))
	dst = append(dst, c.ID...)
	dst = binary.BigEndian.AppendUint16(dst, uint16(c.Index))
	dst = binary.BigEndian.AppendUint64(dst, uint64(c.Offset))
	return append(dst, c.Data...), nil
}

// ParseChunk parses a binary frame. Errors wrap ErrTooLarge, ErrMalformed or
// ErrInvalidField.
func ParseChunk(frame []byte) (Chunk, error) {
	if len(frame) > MaxChunkFrame {
		return Chunk{}, fmt.Errorf("%w: chunk frame of %d bytes", ErrTooLarge, len(frame))
	}
	if len(frame) < 2 {
		return Chunk{}, fmt.Errorf("%w: chunk frame too short", ErrMalformed)
	}
	if frame[0] != ChunkKind {
		return Chunk{}, fmt.Errorf("%w: unknown binary frame kind 0x%02x", ErrMalformed, frame[0])
	}
	n := int(frame[1])
	if len(frame) < 12+n {
		return Chunk{}, fmt.Errorf("%w: chunk header truncated", ErrMalformed)
	}
	c := Chunk{
		ID:    string(frame[2 : 2+n]),
		Index: int(binary.BigEndian.Uint16(frame[2+n:])),
		Data:  frame[12+n:],
	}
	off := binary.BigEndian.Uint64(frame[4+n:])
	if off > MaxAttachmentSize {
		return Chunk{}, fmt.Errorf("%w: chunk offset out of range", ErrInvalidField)
	}
	c.Offset = int64(off)
	if err := c.validate(); err != nil {
		return Chunk{}, err
	}
	return c, nil
}

func (c Chunk) validate() error {
	switch {
	case !ValidID(c.ID):
		return fmt.Errorf("%w: chunk id", ErrInvalidField)
	case c.Index < 0 || c.Index >= MaxAttachments:
		return fmt.Errorf("%w: chunk index out of range", ErrInvalidField)
	case c.Offset < 0 || c.Offset > MaxAttachmentSize:
		return fmt.Errorf("%w: chunk offset out of range", ErrInvalidField)
	case len(c.Data) == 0:
		return fmt.Errorf("%w: empty chunk", ErrInvalidField)
	case len(c.Data) > MaxChunkData:
		return fmt.Errorf("%w: chunk data of %d bytes", ErrTooLarge, len(c.Data))
	case c.Offset+int64(len(c.Data)) > MaxAttachmentSize:
		return fmt.Errorf("%w: chunk ends past the largest attachment", ErrInvalidField)
	}
	return nil
}
