package barcode

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// Scan is one decoded barcode or QR code.
type Scan struct {
	// Data is the decoded content, without terminator, configured prefix/suffix or AIM
	// identifier. It may be personal data: never log it.
	Data string `json:"data"`
	// Symbology names the code type when the scanner said it ("qr", "code128",
	// "datamatrix", ...; see SymbologyName); "" when unknown.
	Symbology string `json:"symbology,omitempty"`
	// AIM is the raw AIM identifier ("]Q1") when the scanner sent one.
	AIM string    `json:"aim,omitempty"`
	At  time.Time `json:"at"`
}

var (
	// ErrLineTooLong is a line longer than the configured maximum; it was dropped whole.
	ErrLineTooLong = errors.New("barcode: line too long")
	// ErrGarbage is a line that is not text: control bytes, broken encoding. Line noise
	// from a hot-plug or a baud-rate mismatch looks like this.
	ErrGarbage = errors.New("barcode: garbage on the line")
)

// LineError is a line the framer rejected. It never holds the line's content.
type LineError struct {
	// Err is ErrLineTooLong or ErrGarbage.
	Err error
	// Len is the length of the rejected line in bytes.
	Len int
}

// Error says what was wrong with the line and its length, never its content.
func (e *LineError) Error() string { return fmt.Sprintf("%v (%d bytes)", e.Err, e.Len) }

// Unwrap lets errors.Is see ErrLineTooLong or ErrGarbage.
func (e *LineError) Unwrap() error { return e.Err }

// Terminator is how a serial scanner ends a scan.
type Terminator string

const (
	// TermAny ends a line at CR or LF; CRLF counts once and empty lines are skipped. It
	// suits any scanner whose codes hold no line breaks.
	TermAny Terminator = "any"
	// TermCR ends a line at CR only (the factory setting of many scanners).
	TermCR Terminator = "cr"
	// TermLF ends a line at LF only.
	TermLF Terminator = "lf"
	// TermCRLF ends a line at CR LF only, so a QR code may hold lone CRs and LFs.
	TermCRLF Terminator = "crlf"
)

// ParseTerminator reads "any", "cr", "lf" or "crlf" (any case); "" means TermAny.
func ParseTerminator(s string) (Terminator, error) {
	switch t := Terminator(strings.ToLower(s)); t {
	case "":
		return TermAny, nil
	case TermAny, TermCR, TermLF, TermCRLF:
		return t, nil
	}
	return "", fmt.Errorf("barcode: terminator %q: want cr, lf, crlf or any", s)
}

// Bytes is what a scanner sends at the end of a line: CR, LF, or CR LF (also for TermAny).
func (t Terminator) Bytes() []byte {
	switch t {
	case TermCR:
		return []byte{'\r'}
	case TermLF:
		return []byte{'\n'}
	}
	return []byte{'\r', '\n'}
}

// DefaultMaxLine bounds a line when FrameConfig.MaxLine is zero. A full QR code (version
// 40, byte mode) holds 2953 bytes; 4 KiB leaves room for prefixes.
const DefaultMaxLine = 4096

// FrameConfig says how a scanner frames its lines.
type FrameConfig struct {
	Terminator Terminator
	// MaxLine is the longest accepted line in bytes; 0 means DefaultMaxLine.
	MaxLine int
	// Prefix and Suffix are stripped when a line starts or ends with them (scanners can be
	// set to add e.g. STX and ETX, or a fixed tag).
	Prefix, Suffix []byte
	// AIM: the scanner puts an AIM symbology identifier ("]Q1") before each scan.
	AIM bool
	// Charset is how the scanner encodes text: "utf-8" (default) or "gb18030" (Chinese
	// scanners set to output GBK/GB18030).
	Charset string
}

// Framer cuts a scanner's byte stream into scans. It keeps no more than one line; a line
// longer than the maximum is dropped as it arrives and reported once when it ends. It is
// not safe for concurrent use.
type Framer struct {
	cfg      FrameConfig
	buf      []byte
	over     int // bytes dropped from the current over-long line, 0 if none
	cr       bool
	gb18030  bool
	checkCfg error
}

// NewFramer makes a framer. An unknown terminator or charset is reported by Check.
func NewFramer(cfg FrameConfig) *Framer {
	f := &Framer{cfg: cfg}
	if f.cfg.MaxLine <= 0 {
		f.cfg.MaxLine = DefaultMaxLine
	}
	if f.cfg.Terminator == "" {
		f.cfg.Terminator = TermAny
	}
	if _, err := ParseTerminator(string(f.cfg.Terminator)); err != nil {
		f.checkCfg = err
	}
	switch strings.ToLower(cfg.Charset) {
	case "", "utf-8", "utf8":
	case "gb18030", "gbk":
		f.gb18030 = true
	default:
		f.checkCfg = errors.Join(f.checkCfg, fmt.Errorf("barcode: charset %q: want utf-8 or gb18030", cfg.Charset))
	}
	return f
}

// Check reports a configuration the framer cannot follow.
func (f *Framer) Check() error { return f.checkCfg }

// Reset drops a partly received line, e.g. after the scanner was unplugged mid-line.
func (f *Framer) Reset() {
	f.buf = f.buf[:0]
	f.over = 0
	f.cr = false
}

// Feed consumes bytes received at time at and calls emit once for every line they
// complete: with a Scan, or with a *LineError for a rejected line.
func (f *Framer) Feed(p []byte, at time.Time, emit func(Scan, error)) {
	for _, c := range p {
		switch f.cfg.Terminator {
		case TermCR:
			if c == '\r' {
				f.end(at, emit)
				continue
			}
		case TermLF:
			if c == '\n' {
				f.end(at, emit)
				continue
			}
		case TermCRLF:
			if f.cr {
				f.cr = false
				if c == '\n' {
					f.end(at, emit)
					continue
				}
				f.add('\r')
			}
			if c == '\r' {
				f.cr = true
				continue
			}
		default:
			if c == '\r' || c == '\n' {
				f.end(at, emit)
				continue
			}
		}
		f.add(c)
	}
}

func (f *Framer) add(c byte) {
	if f.over > 0 || len(f.buf) >= f.cfg.MaxLine {
		f.over++
		return
	}
	f.buf = append(f.buf, c)
}

func (f *Framer) end(at time.Time, emit func(Scan, error)) {
	line, over := f.buf, f.over
	f.buf, f.over = f.buf[:0], 0
	if over > 0 {
		emit(Scan{}, &LineError{Err: ErrLineTooLong, Len: len(line) + over})
		return
	}
	if len(line) == 0 {
		return
	}
	s, err := f.decode(line)
	if err != nil {
		emit(Scan{}, &LineError{Err: err, Len: len(line)})
		return
	}
	if s.Data == "" && s.AIM == "" {
		return
	}
	s.At = at
	emit(s, nil)
}

// decode turns one complete line into a Scan.
func (f *Framer) decode(line []byte) (Scan, error) {
	if len(f.cfg.Prefix) > 0 {
		line = bytes.TrimPrefix(line, f.cfg.Prefix)
	}
	if len(f.cfg.Suffix) > 0 {
		line = bytes.TrimSuffix(line, f.cfg.Suffix)
	}
	var s Scan
	if f.cfg.AIM {
		if aim, rest, ok := ParseAIM(line); ok {
			s.AIM, s.Symbology, line = aim, SymbologyName(aim), rest
		}
	}
	text, err := decodeText(line, f.gb18030)
	if err != nil {
		return Scan{}, err
	}
	s.Data = text
	return s, nil
}

// decodeText checks that b is text in the scanner's charset and returns it as UTF-8.
func decodeText(b []byte, gb18030 bool) (string, error) {
	if gb18030 {
		// The decoder turns invalid sequences into U+FFFD, caught below.
		out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
		if err != nil {
			return "", ErrGarbage
		}
		b = out
	}
	if !utf8.Valid(b) {
		return "", ErrGarbage
	}
	for _, r := range string(b) {
		if r == utf8.RuneError || r < 0x20 && !allowedControl(r) || r == 0x7f {
			return "", ErrGarbage
		}
	}
	return string(b), nil
}

// allowedControl: the C0 controls a code legitimately holds. TAB, CR and LF appear in
// multi-line QR codes; EOT, FS, GS, RS and US are the separators of ISO/IEC 15434 and GS1
// element strings (GS stands for FNC1). Anything else (NUL, SYN, ESC...) is line noise.
func allowedControl(r rune) bool {
	switch r {
	case '\t', '\n', '\r', 0x04, 0x1c, 0x1d, 0x1e, 0x1f:
		return true
	}
	return false
}
