package barcode

import (
	"bytes"
	"errors"
	"fmt"
	"time"
)

// HID-POS: a USB barcode scanner in "HID POS" mode is a HID device whose report
// descriptor uses usage page 0x8C (Bar Code Scanner, USB HID Point of Sale Usage Tables
// 1.02, section 3). Each scan arrives as one or more fixed-size input reports of the
// Scanned Data Report (usage 0x12): a byte count, the Symbology Identifier 1-3 usages
// (0xFB-0xFD, the AIM identifier), the Decoded Data (0xFE, 56 bytes per report) and the
// Decode Data Continued flag (0xFF) that says another report carries the rest.
//
// The usage tables fix the fields, not their order; vendors differ. HIDLayout says where a
// scanner puts them. The two in use:
//
//   - LayoutHIDPOS: report ID 2, byte count, 3 AIM bytes, 56 data bytes, 2 vendor bytes,
//     flags byte with Decode Data Continued in bit 0 (64 bytes). This is the order of the
//     report descriptor in Honeywell scanner firmware, and the documented "HID input
//     report" of Access-IS barcode readers (ATR110/LSR116 product manuals, appendix A),
//     whose example is a 60-byte code sent as 56 + 4 bytes with bit 0 of byte 63 set in
//     the first report.
//   - LayoutDataFirst: report ID 2, byte count, 56 data bytes at 2-57, reserved 58-61, a
//     one-byte vendor symbology code at 62, continued flag in bit 0 of byte 63 (the "HID
//     POS" input report of Newland-based engines, as in the ID TECH 2DScan and Quio
//     QU-R-302 manuals).

// HIDLayout says where the fields of a scanner's HID-POS input report are.
type HIDLayout struct {
	// Name is for messages ("hidpos", "data-first").
	Name string
	// ReportID is the id of the scanned-data input report (first byte).
	ReportID byte
	// Size is the whole report, report ID included.
	Size int
	// LenAt is the offset of the byte count of decoded data in this report.
	LenAt int
	// DataAt and DataMax are the offset and capacity of the decoded data.
	DataAt, DataMax int
	// SymAt and SymLen locate the symbology identifier; SymLen 3 is an AIM identifier
	// ("]Q1"), 1 a vendor code, 0 none.
	SymAt, SymLen int
	// ContAt and ContMask locate the Decode Data Continued flag.
	ContAt   int
	ContMask byte
}

var (
	// LayoutHIDPOS is the Honeywell / Access-IS order: ID, count, AIM[3], data[56],
	// vendor[2], flags.
	LayoutHIDPOS = HIDLayout{Name: "hidpos", ReportID: 0x02, Size: 64, LenAt: 1,
		DataAt: 5, DataMax: 56, SymAt: 2, SymLen: 3, ContAt: 63, ContMask: 0x01}
	// LayoutDataFirst is the Newland-engine order: ID, count, data[56], reserved[4],
	// vendor symbology code, flags.
	LayoutDataFirst = HIDLayout{Name: "data-first", ReportID: 0x02, Size: 64, LenAt: 1,
		DataAt: 2, DataMax: 56, SymAt: 62, SymLen: 1, ContAt: 63, ContMask: 0x01}
)

// HIDLayoutByName returns LayoutHIDPOS for "hidpos" (or "") and LayoutDataFirst for
// "data-first".
func HIDLayoutByName(name string) (HIDLayout, error) {
	switch name {
	case "", LayoutHIDPOS.Name:
		return LayoutHIDPOS, nil
	case LayoutDataFirst.Name:
		return LayoutDataFirst, nil
	}
	return HIDLayout{}, fmt.Errorf("barcode: HID-POS layout %q: want hidpos or data-first", name)
}

// valid reports whether every field lies inside the report.
func (l HIDLayout) valid() bool {
	in := func(at, n int) bool { return at >= 1 && n >= 0 && at+n <= l.Size }
	return l.Size >= 3 && in(l.LenAt, 1) && in(l.DataAt, l.DataMax) && l.DataMax > 0 &&
		in(l.SymAt, l.SymLen) && in(l.ContAt, 1)
}

var (
	// ErrReportID is an input report that is not the scanned-data report.
	ErrReportID = errors.New("barcode: not a scanned-data report")
	// ErrReportSize is a report of the wrong length or a byte count past its data field.
	ErrReportSize = errors.New("barcode: malformed HID-POS report")
)

// HIDReport is one parsed scanned-data input report.
type HIDReport struct {
	// Data is this report's part of the decoded data (it aliases the input).
	Data []byte
	// Symbology is the raw symbology identifier bytes, NULs trimmed.
	Symbology []byte
	// Continued says the next report carries more of the same scan.
	Continued bool
}

// ParseHIDReport parses one input report laid out as l.
func ParseHIDReport(b []byte, l HIDLayout) (HIDReport, error) {
	if !l.valid() {
		return HIDReport{}, fmt.Errorf("barcode: HID-POS layout %q does not fit its report size", l.Name)
	}
	if len(b) != l.Size {
		return HIDReport{}, fmt.Errorf("%w: %d bytes, want %d", ErrReportSize, len(b), l.Size)
	}
	if b[0] != l.ReportID {
		return HIDReport{}, fmt.Errorf("%w: report id %#02x", ErrReportID, b[0])
	}
	n := int(b[l.LenAt])
	if n > l.DataMax {
		return HIDReport{}, fmt.Errorf("%w: byte count %d exceeds %d", ErrReportSize, n, l.DataMax)
	}
	r := HIDReport{
		Data:      b[l.DataAt : l.DataAt+n],
		Continued: b[l.ContAt]&l.ContMask != 0,
	}
	if l.SymLen > 0 {
		r.Symbology = bytes.TrimRight(b[l.SymAt:l.SymAt+l.SymLen], "\x00")
	}
	return r, nil
}

// HIDAssembler joins the reports of one scan, and cuts fixed-size reports from a byte
// stream (a transport.Port over an interrupt IN endpoint hands over whole reports, but a
// stream is what it promises). It is not safe for concurrent use.
type HIDAssembler struct {
	layout HIDLayout
	maxLen int
	gb     bool
	pend   []byte // bytes of an incomplete report
	data   []byte // decoded data of a scan in progress
	sym    []byte
	over   int
	skip   int // bytes skipped since the last good report
}

// NewHIDAssembler makes an assembler for reports laid out as l. A scan longer than maxLen
// bytes (0: DefaultMaxLine) is rejected with ErrLineTooLong. charset is as in
// FrameConfig.
func NewHIDAssembler(l HIDLayout, maxLen int, charset string) (*HIDAssembler, error) {
	if !l.valid() {
		return nil, fmt.Errorf("barcode: HID-POS layout %q does not fit its report size", l.Name)
	}
	if maxLen <= 0 {
		maxLen = DefaultMaxLine
	}
	f := NewFramer(FrameConfig{Charset: charset})
	if err := f.Check(); err != nil {
		return nil, err
	}
	return &HIDAssembler{layout: l, maxLen: maxLen, gb: f.gb18030}, nil
}

// Reset drops partial reports and scans.
func (a *HIDAssembler) Reset() {
	a.pend, a.data, a.sym, a.over, a.skip = a.pend[:0], a.data[:0], a.sym[:0], 0, 0
}

// Feed consumes stream bytes and calls emit for each complete scan or rejected report.
// Bytes that cannot start a report (a wrong report ID) are skipped one at a time, so the
// assembler finds the next report after line noise; each run of skipped bytes is reported
// once as ErrGarbage when the next good report arrives.
func (a *HIDAssembler) Feed(p []byte, at time.Time, emit func(Scan, error)) {
	a.pend = append(a.pend, p...)
	off := 0
	for off < len(a.pend) {
		rest := a.pend[off:]
		if rest[0] != a.layout.ReportID {
			off++
			a.skip++
			continue
		}
		if len(rest) < a.layout.Size {
			break
		}
		rep, err := ParseHIDReport(rest[:a.layout.Size], a.layout)
		if err != nil {
			// The report ID matched but the rest did not make sense: resynchronise.
			off++
			a.skip++
			continue
		}
		if a.skip > 0 {
			emit(Scan{}, &LineError{Err: ErrGarbage, Len: a.skip})
			a.skip = 0
		}
		a.Report(rep, at, emit)
		off += a.layout.Size
	}
	// Move the unconsumed tail to the front, so the buffer never grows past a report.
	a.pend = a.pend[:copy(a.pend, a.pend[off:])]
}

// Report adds one parsed report and calls emit when it completes a scan.
func (a *HIDAssembler) Report(r HIDReport, at time.Time, emit func(Scan, error)) {
	if len(a.sym) == 0 {
		a.sym = append(a.sym, r.Symbology...)
	}
	if a.over > 0 || len(a.data)+len(r.Data) > a.maxLen {
		a.over += len(r.Data)
	} else {
		a.data = append(a.data, r.Data...)
	}
	if r.Continued {
		return
	}
	data, sym, over := a.data, a.sym, a.over
	a.data, a.sym, a.over = a.data[:0], a.sym[:0], 0
	if over > 0 {
		emit(Scan{}, &LineError{Err: ErrLineTooLong, Len: len(data) + over})
		return
	}
	var s Scan
	if len(sym) == 3 {
		if aim, _, ok := ParseAIM(sym); ok {
			s.AIM, s.Symbology = aim, SymbologyName(aim)
		}
	}
	text, err := decodeText(data, a.gb)
	if err != nil {
		emit(Scan{}, &LineError{Err: err, Len: len(data)})
		return
	}
	if text == "" {
		return
	}
	s.Data, s.At = text, at
	emit(s, nil)
}

// EncodeHIDReports builds the input reports a scanner laid out as l sends for data with
// the given symbology identifier bytes: the inverse of HIDAssembler, for simulators and
// tests.
func EncodeHIDReports(l HIDLayout, sym, data []byte) [][]byte {
	var out [][]byte
	for first := true; first || len(data) > 0; first = false {
		n := min(len(data), l.DataMax)
		r := make([]byte, l.Size)
		r[0] = l.ReportID
		r[l.LenAt] = byte(n)
		copy(r[l.DataAt:l.DataAt+n], data[:n])
		copy(r[l.SymAt:l.SymAt+l.SymLen], sym)
		data = data[n:]
		if len(data) > 0 {
			r[l.ContAt] |= l.ContMask
		}
		out = append(out, r)
	}
	return out
}
