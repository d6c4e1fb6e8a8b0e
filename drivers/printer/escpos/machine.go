package escpos

import (
	"fmt"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Style is the character style a run of text was printed in.
type Style struct {
	Bold bool
	// Underline is the underline thickness in dots, 0 for none.
	Underline int
	// Width and Height are the magnifications, 1..8.
	Width, Height int
	// FontB is the smaller font (9×17 dots) selected with ESC M 1 or ESC ! bit 0.
	FontB bool
	// Reverse is white on black (GS B).
	Reverse bool
	// DoubleByte marks characters from the double-byte (Chinese) font, 24 dots a cell
	// before magnification; others print from the single-byte font.
	DoubleByte bool
}

// Cell is the width and height in dots of one character cell in this style.
func (s Style) Cell() (w, h int) {
	w, h = fontAWidth, fontAHeight
	switch {
	case s.DoubleByte:
		w, h = cjkWidth, cjkHeight
	case s.FontB:
		w, h = fontBWidth, fontBHeight
	}
	return w * max(s.Width, 1), h * max(s.Height, 1)
}

// Run is text printed in one style.
type Run struct {
	Text  string
	Style Style
}

// QRCode is a QR code as a printer was asked to print it.
type QRCode struct {
	Data   []byte
	Model  int // 1 or 2
	Module int // dots per module
	Level  QRLevel
}

// Line is one printed line: text runs, or a QR code, or a raster image, or nothing (an
// empty line). Dots is how far the paper moved for it.
type Line struct {
	Align Align
	Runs  []Run
	QR    *QRCode
	Image *Bitmap
	// ImageMode is the m of GS v 0 (0 normal, 1 double width, 2 double height, 3 both).
	ImageMode byte
	// Dots is the paper advance of this line in dots (text height or line spacing,
	// image or symbol height, or the feed of ESC J / ESC d).
	Dots int
}

// Text is the line's text without styles.
func (l Line) Text() string {
	if len(l.Runs) == 1 {
		return l.Runs[0].Text
	}
	var n int
	for _, r := range l.Runs {
		n += len(r.Text)
	}
	b := make([]byte, 0, n)
	for _, r := range l.Runs {
		b = append(b, r.Text...)
	}
	return string(b)
}

// Problem is something in the byte stream a printer would not understand: an unknown
// command, a truncated one, a bad parameter. Offset counts bytes from the start of the
// stream.
type Problem struct {
	Offset int64
	Msg    string
}

func (p Problem) String() string { return fmt.Sprintf("offset %d: %s", p.Offset, p.Msg) }

// Character cells in dots, after the Epson reference for 203 dpi heads (Font A 12×24,
// Font B 9×17) and Chinese-model printers (24×24 double-byte characters).
const (
	fontAWidth    = 12
	fontAHeight   = 24
	fontBWidth    = 9
	fontBHeight   = 17
	cjkWidth      = 24
	cjkHeight     = 24
	defaultPitch  = 30 // default line spacing: 3.75 mm at 8 dots/mm
	defaultDots   = 576
	maxBuffered   = 4 << 20 // the largest command kept whole; larger data is skipped
	defaultModule = 3
)

// Machine reads an ESC/POS byte stream as a printer does and reports what it would do
// through its callbacks: lines printed, cuts, status requests. Feed it with Write as the
// bytes arrive, in any pieces; call Flush at the end of a stream. It never panics and
// never fails: what it does not understand it reports through OnProblem and skips.
//
// Like a real printer, it answers DLE EOT wherever the three bytes appear, even inside
// the data of another command (the reference warns of exactly this), and it holds text
// until LF or a command that prints the line.
type Machine struct {
	// Dots is the printable width; text wider than it wraps, as on paper. 0 means 576.
	Dots int
	// OnRealtime is called for each DLE EOT n (1 ≤ n ≤ 4).
	OnRealtime func(n StatusKind)
	// OnRecover is called for each DLE ENQ n (n = 1 or 2), found like DLE EOT.
	OnRecover func(n byte)
	// OnTransmit is called for GS r n when the machine reaches it in order.
	OnTransmit func(n byte)
	// OnLine is called for each printed line.
	OnLine func(Line)
	// OnCut is called for a cut; feed is the extra feed in dots asked for with it.
	OnCut func(partial bool, feed int)
	// OnProblem is called for what the machine could not understand.
	OnProblem func(Problem)

	pend    []byte
	off     int64 // stream offset of pend[0]
	skip    int   // bytes of an oversized command still to drop
	rt      [2]byte
	started bool

	st      mstate
	line    []Run
	run     []byte // text of the run being built, in runSt
	runSt   Style
	inRun   bool
	lineW   int
	lineH   int
	lineAl  Align
	gb      *encoding.Decoder
	cp437   *encoding.Decoder
	tmp     [16]byte
	hasLine bool
}

// mstate is everything ESC @ resets.
type mstate struct {
	chinese    bool
	bold       bool
	ulASCII    int
	ulCJK      int
	w, h       int
	escW, escH bool // ESC ! double width/height
	fsW, fsH   bool // FS ! double width/height
	fontB      bool
	reverse    bool
	align      Align
	pitch      int
	qr         QRCode
}

func (m *Machine) reset() {
	m.st = mstate{chinese: true, w: 1, h: 1, pitch: defaultPitch,
		qr: QRCode{Model: 2, Module: defaultModule, Level: QRLevelL}}
	m.line, m.lineW, m.lineH, m.hasLine = nil, 0, 0, false
	m.run, m.inRun = m.run[:0], false
}

func (m *Machine) dots() int {
	if m.Dots <= 0 {
		return defaultDots
	}
	return m.Dots
}

func (m *Machine) problem(off int64, format string, a ...any) {
	if m.OnProblem != nil {
		m.OnProblem(Problem{Offset: off, Msg: fmt.Sprintf(format, a...)})
	}
}

// Write interprets p. It always consumes all of p and returns len(p), nil.
func (m *Machine) Write(p []byte) (int, error) {
	total := len(p)
	if !m.started {
		m.started = true
		m.reset()
	}
	m.realtime(p)
	if m.skip > 0 {
		n := min(m.skip, len(p))
		m.skip -= n
		m.off += int64(n)
		p = p[n:]
	}
	m.pend = append(m.pend, p...)
	i := 0
	for i < len(m.pend) {
		n := m.step(m.pend[i:], m.off+int64(i))
		if n == 0 {
			break
		}
		if n > len(m.pend)-i {
			// An oversized command: drop the rest of it as it arrives.
			m.skip = n - (len(m.pend) - i)
			i = len(m.pend)
			break
		}
		i += n
	}
	m.off += int64(i)
	m.pend = append(m.pend[:0], m.pend[i:]...)
	return total, nil
}

// realtime finds DLE EOT n and DLE ENQ n in the raw stream, across Write calls, before any parsing.
func (m *Machine) realtime(p []byte) {
	a, b := m.rt[0], m.rt[1]
	for _, c := range p {
		if a == DLE && b == EOT && c >= 1 && c <= 4 && m.OnRealtime != nil {
			m.OnRealtime(StatusKind(c))
		}
		if a == DLE && b == ENQ && (c == 1 || c == 2) && m.OnRecover != nil {
			m.OnRecover(c)
		}
		a, b = b, c
	}
	m.rt = [2]byte{a, b}
}

// Flush ends the stream: a command cut short is reported, and text still waiting for
// LF is printed (a printer would hold it; a decoder wants to see it).
func (m *Machine) Flush() {
	if !m.started {
		m.reset()
		m.started = true
	}
	if len(m.pend) > 0 {
		m.problem(m.off, "truncated command % x", head(m.pend, 8))
		m.off += int64(len(m.pend))
		m.pend = m.pend[:0]
	}
	if m.skip > 0 {
		m.problem(m.off, "stream ended %d bytes into an oversized command", m.skip)
		m.skip = 0
	}
	if m.hasLine {
		m.problem(m.off, "text not ended by LF")
		m.printLine()
	}
}

func head(b []byte, n int) []byte { return b[:min(n, len(b))] }

// need says the command at b is n bytes long: 0 (wait for more) if b is shorter.
func need(b []byte, n int) int {
	if len(b) < n {
		return 0
	}
	return n
}

// step interprets the command or character at the start of b and returns how many bytes
// it took, or 0 if b holds only part of it. A return larger than len(b) asks the caller
// to skip that many bytes in all.
func (m *Machine) step(b []byte, off int64) int {
	c := b[0]
	switch {
	case c == LF:
		m.printLine()
		return 1
	case c == ESC:
		return m.esc(b, off)
	case c == GS:
		return m.gs(b, off)
	case c == FS:
		return m.fs(b, off)
	case c == DLE:
		return m.dle(b, off)
	case c == '\t':
		// Default tab stops every 8 characters of Font A.
		stop := 8 * fontAWidth
		n := (stop - m.lineW%stop) / fontAWidth
		for range n {
			m.char(' ', fontAWidth, false)
		}
		return 1
	case c == '\r', c == 0, c == 0x0c, c == 0x18:
		// CR: ignored on serial printers with auto line feed off. NUL, FF (standard
		// mode) and CAN (page mode only) do nothing here.
		return 1
	case c < 0x20 || c == 0x7f:
		m.problem(off, "unknown control byte %#02x", c)
		return 1
	case c < 0x80:
		m.char(rune(c), fontAWidth, false)
		return 1
	}
	return m.multibyte(b, off)
}

// multibyte handles a byte ≥ 0x80: a GB18030 character in Chinese mode, a code page 437
// character otherwise.
func (m *Machine) multibyte(b []byte, off int64) int {
	if !m.st.chinese {
		if m.cp437 == nil {
			m.cp437 = charmap.CodePage437.NewDecoder()
		}
		r := decodeOne(m.cp437, b[:1], m.tmp[:])
		m.char(r, fontAWidth, false)
		return 1
	}
	c := b[0]
	if c == 0x80 || c == 0xff {
		m.problem(off, "byte %#02x is no GB18030 lead byte", c)
		m.char('?', fontAWidth, false)
		return 1
	}
	if len(b) < 2 {
		return 0
	}
	n := 2
	if b[1] >= 0x30 && b[1] <= 0x39 {
		n = 4
	}
	if len(b) < n {
		return 0
	}
	if m.gb == nil {
		m.gb = simplifiedchinese.GB18030.NewDecoder()
	}
	r := decodeOne(m.gb, b[:n], m.tmp[:])
	if r == utf8.RuneError {
		m.problem(off, "invalid GB18030 sequence % x", b[:n])
	}
	m.char(r, cjkWidth, true)
	return n
}

// decodeOne decodes one character, or returns RuneError.
func decodeOne(d *encoding.Decoder, src, tmp []byte) rune {
	d.Reset()
	n, _, err := d.Transform(tmp, src, true)
	if err != nil || n == 0 {
		return utf8.RuneError
	}
	r, _ := utf8.DecodeRune(tmp[:n])
	return r
}

// style is the style a character is printed in now.
func (m *Machine) style(cjk bool) Style {
	s := Style{Bold: m.st.bold, Width: m.st.w, Height: m.st.h, FontB: m.st.fontB && !cjk,
		Reverse: m.st.reverse, Underline: m.st.ulASCII, DoubleByte: cjk}
	if cjk {
		s.Underline = m.st.ulCJK
		if m.st.fsW && s.Width == 1 {
			s.Width = 2
		}
		if m.st.fsH && s.Height == 1 {
			s.Height = 2
		}
	} else {
		if m.st.escW && s.Width == 1 {
			s.Width = 2
		}
		if m.st.escH && s.Height == 1 {
			s.Height = 2
		}
	}
	return s
}

// char puts one character on the line, printing the line first if it would overflow the
// paper, as a printer does.
func (m *Machine) char(r rune, cell int, cjk bool) {
	st := m.style(cjk)
	h := fontAHeight
	if cjk {
		h = cjkHeight
	}
	if st.FontB {
		cell, h = fontBWidth, fontBHeight
	}
	w := cell * st.Width
	if st.DoubleByte {
		w = cjkWidth * st.Width
	}
	if m.lineW+w > m.dots() && m.hasLine {
		m.printLine()
	}
	if !m.hasLine {
		m.lineAl = m.st.align
		m.hasLine = true
	}
	m.lineW += w
	m.lineH = max(m.lineH, h*st.Height)
	if m.inRun && m.runSt != st {
		m.endRun()
	}
	m.runSt, m.inRun = st, true
	m.run = utf8.AppendRune(m.run, r)
}

// endRun moves the run being built onto the line.
func (m *Machine) endRun() {
	if m.inRun {
		m.line = append(m.line, Run{Text: string(m.run), Style: m.runSt})
		m.run, m.inRun = m.run[:0], false
	}
}

// printLine prints the buffer (an empty line if it is empty) and feeds.
func (m *Machine) printLine() {
	m.endRun()
	l := Line{Align: m.st.align, Dots: max(m.st.pitch, m.lineH)}
	if m.hasLine {
		l.Align = m.lineAl
		l.Runs = m.line
	}
	m.line, m.lineW, m.lineH, m.hasLine = nil, 0, 0, false
	m.emit(l)
}

// flushLine prints pending text, if any, before a command that prints on a line of its
// own (a QR code, an image, a cut).
func (m *Machine) flushLine() {
	if m.hasLine {
		m.printLine()
	}
}

func (m *Machine) emit(l Line) {
	if m.OnLine != nil {
		m.OnLine(l)
	}
}

// escArgs is how many parameter bytes each fixed-length ESC command takes.
var escArgs = map[byte]int{
	'@': 0, '!': 1, 'E': 1, 'G': 1, '-': 1, 'a': 1, 'd': 1, 'J': 1, '2': 0, '3': 1,
	'M': 1, 't': 1, 'R': 1, ' ': 1, '{': 1, 'V': 1, '=': 1, 'c': 2, 'p': 3, '$': 2,
	'\\': 2, 'S': 0, 'L': 0, 'T': 1, 'W': 8, 'i': 0, 'm': 0, 'U': 1, 'e': 1, 'r': 1,
	'%': 1, '?': 1,
}

func (m *Machine) esc(b []byte, off int64) int {
	if len(b) < 2 {
		return 0
	}
	cmd := b[1]
	switch cmd {
	case '*':
		// ESC * m nL nH d1…dk: column bit image, k = nL+nH×256 columns of 1 (m 0, 1) or 3
		// (m 32, 33) bytes. Not drawn, only skipped.
		if len(b) < 5 {
			return 0
		}
		k := int(b[3]) | int(b[4])<<8
		if b[2] == 32 || b[2] == 33 {
			k *= 3
		}
		m.problem(off, "ESC * column bit image is not drawn")
		return 5 + k
	case 'D':
		// ESC D n1…nk NUL: tab positions.
		for i := 2; i < len(b) && i < 2+33; i++ {
			if b[i] == 0 {
				return i + 1
			}
		}
		if len(b) >= 2+33 {
			m.problem(off, "ESC D without NUL")
			return 2
		}
		return 0
	}
	nargs, ok := escArgs[cmd]
	if !ok {
		m.problem(off, "unknown command ESC %#02x", cmd)
		return 2
	}
	n := need(b, 2+nargs)
	if n == 0 {
		return 0
	}
	var a byte
	if nargs > 0 {
		a = b[2]
	}
	switch cmd {
	case '@':
		m.reset()
	case '!':
		m.st.fontB = a&0x01 != 0
		m.st.bold = a&0x08 != 0
		m.st.escH = a&0x10 != 0
		m.st.escW = a&0x20 != 0
		if a&0x80 != 0 {
			m.st.ulASCII = 1
		} else {
			m.st.ulASCII = 0
		}
	case 'E', 'G':
		m.st.bold = a&1 != 0
	case '-':
		m.st.ulASCII = underline(a)
	case 'a':
		switch a {
		case 0, 48:
			m.st.align = AlignLeft
		case 1, 49:
			m.st.align = AlignCenter
		case 2, 50:
			m.st.align = AlignRight
		default:
			m.problem(off, "ESC a %d: no such alignment", a)
		}
	case 'd':
		m.flushLine()
		if a > 0 {
			m.emit(Line{Align: m.st.align, Dots: int(a) * m.st.pitch})
		}
	case 'J':
		m.flushLine()
		if a > 0 {
			m.emit(Line{Align: m.st.align, Dots: int(a)})
		}
	case '2':
		m.st.pitch = defaultPitch
	case '3':
		m.st.pitch = int(a)
	case 'M':
		m.st.fontB = a == 1 || a == 49
	case 'i', 'm':
		// Obsolete partial cut commands, still answered by most printers.
		m.cut(true, 0)
	}
	return n
}

func underline(a byte) int {
	switch a {
	case 1, 49:
		return 1
	case 2, 50:
		return 2
	}
	return 0
}

// gsArgs is how many parameter bytes each fixed-length GS command takes.
var gsArgs = map[byte]int{
	'!': 1, 'r': 1, 'a': 1, 'B': 1, 'H': 1, 'h': 1, 'w': 1, 'f': 1, 'L': 2, 'W': 2,
	'P': 2, 'I': 1, 'b': 1, '$': 2, '\\': 2, '/': 1, 'E': 1, ':': 0, '^': 3, 'g': 2,
}

func (m *Machine) gs(b []byte, off int64) int {
	if len(b) < 2 {
		return 0
	}
	cmd := b[1]
	switch cmd {
	case 'V':
		return m.gsCut(b, off)
	case 'v':
		return m.raster(b, off)
	case '(':
		// GS ( X pL pH …: every function of this family says its length.
		if len(b) < 5 {
			return 0
		}
		l := int(b[3]) | int(b[4])<<8
		if b[2] == 'k' {
			if l > maxBuffered {
				m.problem(off, "GS ( k of %d bytes is too long", l)
				return 5 + l
			}
			if len(b) < 5+l {
				return 0
			}
			m.symbol(b[5:5+l], off)
			return 5 + l
		}
		return 5 + l
	case '8':
		// GS 8 L p1 p2 p3 p4 …: graphics with a 32-bit length. Skipped.
		if len(b) < 7 {
			return 0
		}
		l := int(b[3]) | int(b[4])<<8 | int(b[5])<<16 | int(b[6]&0x7f)<<24
		m.problem(off, "GS 8 graphics are not drawn")
		return 7 + l
	case 'k':
		return m.barcode(b, off)
	case '*':
		// GS * x y d1…d(x×y×8): define a downloaded bit image.
		if len(b) < 4 {
			return 0
		}
		return 4 + int(b[2])*int(b[3])*8
	}
	nargs, ok := gsArgs[cmd]
	if !ok {
		m.problem(off, "unknown command GS %#02x", cmd)
		return 2
	}
	n := need(b, 2+nargs)
	if n == 0 {
		return 0
	}
	switch cmd {
	case '!':
		a := b[2]
		m.st.w = int(a>>4&0x07) + 1
		m.st.h = int(a&0x07) + 1
	case 'B':
		m.st.reverse = b[2]&1 != 0
	case 'r':
		if m.OnTransmit != nil {
			m.OnTransmit(b[2])
		}
	}
	return n
}

// gsCut is GS V m [n]: function A (m = 0, 48 full; 1, 49 partial) has no n; functions
// B (65, 66), C (97, 98) and D (103, 104) take n.
func (m *Machine) gsCut(b []byte, off int64) int {
	if len(b) < 3 {
		return 0
	}
	switch mode := b[2]; mode {
	case 0, 48, 1, 49:
		m.cut(mode == 1 || mode == 49, 0)
		return 3
	case 65, 66, 97, 98, 103, 104:
		if len(b) < 4 {
			return 0
		}
		m.cut(mode%2 == 0, int(b[3]))
		return 4
	default:
		m.problem(off, "GS V %d: no such cut", mode)
		return 3
	}
}

func (m *Machine) cut(partial bool, feed int) {
	m.flushLine()
	if m.OnCut != nil {
		m.OnCut(partial, feed)
	}
}

// raster is GS v 0 m xL xH yL yH d1…dk.
func (m *Machine) raster(b []byte, off int64) int {
	if len(b) < 8 {
		return 0
	}
	if b[2] != '0' {
		m.problem(off, "unknown command GS v %#02x", b[2])
		return 3
	}
	mode := b[3]
	if mode >= 48 {
		mode -= 48
	}
	wb := int(b[4]) | int(b[5])<<8
	h := int(b[6]) | int(b[7])<<8
	k := wb * h
	if mode > 3 {
		m.problem(off, "GS v 0 mode %d", b[3])
		mode = 0
	}
	if k == 0 {
		m.problem(off, "GS v 0 with an empty image")
		return 8
	}
	if k > maxBuffered {
		m.problem(off, "GS v 0 image of %d bytes is too large to keep", k)
		return 8 + k
	}
	if len(b) < 8+k {
		return 0
	}
	m.flushLine()
	data := append([]byte(nil), b[8:8+k]...)
	bm := &Bitmap{WidthBytes: wb, Height: h, Data: data}
	dots := h
	if mode&2 != 0 {
		dots *= 2
	}
	m.emit(Line{Align: m.st.align, Image: bm, ImageMode: mode, Dots: dots})
	return 8 + k
}

// symbol interprets the body of GS ( k: cn fn [parameters].
func (m *Machine) symbol(p []byte, off int64) {
	if len(p) < 2 {
		m.problem(off, "GS ( k too short")
		return
	}
	cn, fn := p[0], p[1]
	if cn != 49 {
		m.problem(off, "GS ( k symbol cn=%d is not drawn (only QR Code, cn=49)", cn)
		return
	}
	arg := func(i int) (byte, bool) {
		if 2+i < len(p) {
			return p[2+i], true
		}
		m.problem(off, "GS ( k fn=%d: missing parameter", fn)
		return 0, false
	}
	switch fn {
	case 65: // select the model: n1 = 49 model 1, 50 model 2, 51 micro QR
		if n, ok := arg(0); ok {
			switch n {
			case 49, 50:
				m.st.qr.Model = int(n - 48)
			default:
				m.problem(off, "QR model %d not supported", n)
			}
		}
	case 67: // module size, 1..16 dots
		if n, ok := arg(0); ok {
			if n < 1 || n > 16 {
				m.problem(off, "QR module size %d out of range", n)
			} else {
				m.st.qr.Module = int(n)
			}
		}
	case 69: // error correction, 48..51
		if n, ok := arg(0); ok {
			if n < 48 || n > 51 {
				m.problem(off, "QR error correction %d out of range", n)
			} else {
				m.st.qr.Level = QRLevel(n)
			}
		}
	case 80: // store: m = 48, then the data
		if n, ok := arg(0); ok {
			if n != 48 {
				m.problem(off, "QR store with m=%d", n)
			}
			m.st.qr.Data = append([]byte(nil), p[3:]...)
		}
	case 81: // print the stored symbol
		if len(m.st.qr.Data) == 0 {
			m.problem(off, "QR print with no data stored")
			return
		}
		m.flushLine()
		q := m.st.qr
		q.Data = append([]byte(nil), q.Data...)
		m.emit(Line{Align: m.st.align, QR: &q})
	case 82: // transmit size information: needs an answer the simulator does not give
		m.problem(off, "QR size information request not answered")
	default:
		m.problem(off, "GS ( k QR function %d unknown", fn)
	}
}

// barcode is GS k m …: m 0–6 NUL-terminated data, m 65–79 a length byte. Barcodes are
// not drawn; the command is skipped whole.
func (m *Machine) barcode(b []byte, off int64) int {
	if len(b) < 3 {
		return 0
	}
	if b[2] <= 6 {
		for i := 3; i < len(b); i++ {
			if b[i] == 0 {
				m.problem(off, "barcode (GS k) is not drawn")
				return i + 1
			}
		}
		if len(b) > 3+255 {
			m.problem(off, "GS k without NUL")
			return 3
		}
		return 0
	}
	if len(b) < 4 {
		return 0
	}
	m.problem(off, "barcode (GS k) is not drawn")
	return 4 + int(b[3])
}

var fsArgs = map[byte]int{'&': 0, '.': 0, '!': 1, '-': 1, 'C': 1, 'W': 1, 'S': 2, 'p': 2}

func (m *Machine) fs(b []byte, off int64) int {
	if len(b) < 2 {
		return 0
	}
	cmd := b[1]
	if cmd == '2' {
		// FS 2 c1 c2 d1…d72: define a user Chinese character.
		return need(b, 4+72)
	}
	nargs, ok := fsArgs[cmd]
	if !ok {
		m.problem(off, "unknown command FS %#02x", cmd)
		return 2
	}
	n := need(b, 2+nargs)
	if n == 0 {
		return 0
	}
	switch cmd {
	case '&':
		m.st.chinese = true
	case '.':
		m.st.chinese = false
	case '!':
		m.st.fsW = b[2]&0x04 != 0
		m.st.fsH = b[2]&0x08 != 0
		if b[2]&0x80 != 0 {
			m.st.ulCJK = 1
		} else {
			m.st.ulCJK = 0
		}
	case '-':
		m.st.ulCJK = underline(b[2])
	case 'W':
		m.st.fsW = b[2]&1 != 0
		m.st.fsH = b[2]&1 != 0
	}
	return n
}

// dle handles the real-time commands. DLE EOT was already answered by the raw scan; it
// and DLE ENQ are consumed here. DLE DC4 fn 1 and 2 take five bytes.
func (m *Machine) dle(b []byte, off int64) int {
	if len(b) < 2 {
		return 0
	}
	switch b[1] {
	case EOT, ENQ:
		if len(b) < 3 {
			return 0
		}
		return 3
	case 0x14:
		if len(b) < 3 {
			return 0
		}
		if b[2] == 1 || b[2] == 2 {
			return need(b, 5)
		}
		m.problem(off, "DLE DC4 fn=%d unknown", b[2])
		return 3
	}
	m.problem(off, "unknown command DLE %#02x", b[1])
	return 1
}
