package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// A control frame is one JSON object with exactly two keys:
//
//	{"type":"submit","body":{...}}
//
// The body's keys are those of the Go struct for the type; unknown keys are an error, so
// adding a field means a new protocol version.

// Encode validates m and returns its control frame.
func Encode(m Message) ([]byte, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil message", ErrMalformed)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	body, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("protocol: encode %s: %w", m.MessageType(), err)
	}
	t := m.MessageType()
	out := make([]byte, 0, len(body)+len(t)+20)
	out = append(out, `{"type":"`...)
	out = append(out, t...)
	out = append(out, `","body":`...)
	out = append(out, body...)
	out = append(out, '}')
	return out, nil
}

// MaxText returns the largest control frame a receiver accepts from the given side.
func maxTextFrom(from Side) int {
	if from == Hub {
		return MaxHubText
	}
	return MaxClientText
}

// Decode parses a control frame sent by the given side. It is strict: a frame over the
// size limit, anything but one object with "type" and "body", an unknown type, a type the
// sender may not send, an unknown body key, trailing data or a message that fails
// Validate is an error wrapping ErrTooLarge, ErrMalformed, ErrUnknownType,
// ErrWrongSender, ErrMissingField or ErrInvalidField. Error texts never quote values.
func Decode(frame []byte, from Side) (Message, error) {
	if limit := maxTextFrom(from); len(frame) > limit {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(frame), limit)
	}
	typ, body, err := splitEnvelope(frame)
	if err != nil {
		return nil, err
	}
	e, ok := registry[Type(typ)]
	if !ok {
		if len(typ) > 32 || !validWord(typ, 32) {
			return nil, fmt.Errorf("%w", ErrUnknownType)
		}
		return nil, fmt.Errorf("%w: %q", ErrUnknownType, typ)
	}
	if e.from&from == 0 {
		return nil, fmt.Errorf("%w: %s from %s", ErrWrongSender, typ, from)
	}
	m := e.make()
	if err := decodeStrict(body, m); err != nil {
		return nil, fmt.Errorf("%w: %s: %s", ErrMalformed, typ, err)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// PeekType returns the type named in a frame's envelope, or "" when the frame has none.
// It is for error replies; Decode is what checks the frame.
func PeekType(frame []byte) Type {
	typ, _, err := splitEnvelope(frame)
	if err != nil {
		return ""
	}
	if _, ok := registry[Type(typ)]; !ok {
		return ""
	}
	return Type(typ)
}

// splitEnvelope walks the top level by hand so that duplicate, differently-cased or
// extra keys are errors (encoding/json would quietly accept all three).
func splitEnvelope(frame []byte) (string, json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(frame))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return "", nil, fmt.Errorf("%w: %s", ErrMalformed, jsonProblem(err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return "", nil, fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	var typ string
	var body json.RawMessage
	var haveType, haveBody bool
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", nil, fmt.Errorf("%w: %s", ErrMalformed, jsonProblem(err))
		}
		key, _ := tok.(string)
		switch key {
		case "type":
			if haveType {
				return "", nil, fmt.Errorf("%w: duplicate key \"type\"", ErrMalformed)
			}
			haveType = true
			if err := dec.Decode(&typ); err != nil {
				return "", nil, fmt.Errorf("%w: \"type\" is not a string", ErrMalformed)
			}
		case "body":
			if haveBody {
				return "", nil, fmt.Errorf("%w: duplicate key \"body\"", ErrMalformed)
			}
			haveBody = true
			if err := dec.Decode(&body); err != nil {
				return "", nil, fmt.Errorf("%w: body: %s", ErrMalformed, jsonProblem(err))
			}
		default:
			return "", nil, fmt.Errorf("%w: unexpected envelope key", ErrMalformed)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return "", nil, fmt.Errorf("%w: %s", ErrMalformed, jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", nil, fmt.Errorf("%w: data after the message", ErrMalformed)
	}
	switch {
	case !haveType || typ == "":
		return "", nil, fmt.Errorf("%w: no \"type\"", ErrMalformed)
	case !haveBody:
		return typ, nil, fmt.Errorf("%w: no \"body\"", ErrMalformed)
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return typ, nil, fmt.Errorf("%w: body is not a JSON object", ErrMalformed)
	}
	return typ, body, nil
}

func decodeStrict(body []byte, m Message) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(m); err != nil {
		return errors.New(jsonProblem(err))
	}
	return nil
}

// jsonProblem describes a JSON error without quoting the input: syntax errors from
// encoding/json include the offending character, which may be part of personal data.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "syntax error at byte " + strconv.FormatInt(se.Offset, 10)
	case errors.As(err, &te):
		if te.Field != "" {
			return "field " + strconv.Quote(te.Field) + " has the wrong JSON type"
		}
		return "wrong JSON type"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown " + strings.TrimPrefix(err.Error(), "json: unknown ")
	default:
		return "invalid JSON"
	}
}
