package receipt

import (
	"errors"
	"fmt"
	"image"

	"github.com/govkiosk/govkiosk/kiosk/identity"
)

// Align is the horizontal placement of a line on the paper.
type Align uint8

const (
	// Left is the default alignment.
	Left Align = iota
	// Center centres the line.
	Center
	// Right aligns the line to the right margin.
	Right
)

// Size is a character magnification. Printers magnify by whole multiples of the normal
// cell, so a wide character takes two columns of the normal grid.
type Size uint8

const (
	// Normal is the printer's normal cell (12×24 dots for ASCII, 24×24 for Chinese).
	Normal Size = iota
	// Wide doubles the width only.
	Wide
	// Tall doubles the height only.
	Tall
	// Large doubles width and height.
	Large
)

// Scale returns the width and height multipliers of the size.
func (s Size) Scale() (w, h int) {
	switch s {
	case Wide:
		return 2, 1
	case Tall:
		return 1, 2
	case Large:
		return 2, 2
	}
	return 1, 1
}

// Style is how a line of text is printed.
type Style struct {
	Bold      bool
	Underline bool
	Size      Size
	Align     Align
}

// Block is one part of a Document. The set of blocks is closed: the types in this
// package are all there are, so every renderer can handle every block.
type Block interface{ isBlock() }

// Title is the receipt's heading: centred, bold, large.
type Title struct{ Text string }

// Text is free text in a given style; a newline starts a new line.
type Text struct {
	Text  string
	Style Style
}

// Field is a key-value row, printed "Key：Value". Consecutive fields align their values.
type Field struct{ Key, Value string }

// Separator is a line drawn across the paper with Char ('-' when zero).
type Separator struct{ Char rune }

// QR is a QR code of Payload, sized to the paper, with an optional caption under it.
type QR struct {
	Payload string
	Caption string
}

// TrackingCode is the code a resident uses to follow the case, printed prominently
// under its label.
type TrackingCode struct {
	Label string
	Code  string
}

// IDNumber is a key-value row holding a masked identity-document number. Build it with
// MaskID: the document cannot hold the full number. An empty Label prints as "证件号码".
type IDNumber struct {
	Label  string
	Number Masked
}

// Image is a picture (a logo), printed in black and white at its own size in dots,
// scaled down to the paper width if wider.
type Image struct {
	Image image.Image
	Align Align
}

// Footer is small print at the end of the receipt (opening hours, a hotline), centred.
type Footer struct{ Text string }

// Feed advances the paper by Lines empty lines.
type Feed struct{ Lines int }

// Cut ends one receipt: the printer feeds the paper past its cutter and cuts. A Partial
// cut leaves a tab holding the receipt so it does not fall.
type Cut struct{ Partial bool }

func (Title) isBlock()        {}
func (Text) isBlock()         {}
func (Field) isBlock()        {}
func (Separator) isBlock()    {}
func (QR) isBlock()           {}
func (TrackingCode) isBlock() {}
func (IDNumber) isBlock()     {}
func (Image) isBlock()        {}
func (Footer) isBlock()       {}
func (Feed) isBlock()         {}
func (Cut) isBlock()          {}

// Masked is an identity-document number that has been masked ("9901**********123X").
// Its only constructor is MaskID, so a Masked never holds a full number.
type Masked struct{ s string }

// MaskID masks an identity-document number with identity.MaskNumber, keeping the first
// and last four characters.
func MaskID(number string) Masked {
	return Masked{s: identity.MaskNumber(identity.NormalizeNumber(number))}
}

// String returns the masked number.
func (m Masked) String() string { return m.s }

// Document is one receipt: blocks printed top to bottom. The zero value is an empty
// document; the methods below append blocks and return the document for chaining.
type Document struct {
	Blocks []Block
}

// New returns an empty document.
func New() *Document { return &Document{} }

// Add appends blocks.
func (d *Document) Add(b ...Block) *Document {
	d.Blocks = append(d.Blocks, b...)
	return d
}

// Title appends a title.
func (d *Document) Title(s string) *Document { return d.Add(Title{Text: s}) }

// Text appends plain text.
func (d *Document) Text(s string) *Document { return d.Add(Text{Text: s}) }

// Styled appends text in a style.
func (d *Document) Styled(s string, st Style) *Document { return d.Add(Text{Text: s, Style: st}) }

// Field appends a key-value row.
func (d *Document) Field(key, value string) *Document {
	return d.Add(Field{Key: key, Value: value})
}

// Separator appends a line of '-' across the paper.
func (d *Document) Separator() *Document { return d.Add(Separator{}) }

// QR appends a QR code with a caption (which may be empty).
func (d *Document) QR(payload, caption string) *Document {
	return d.Add(QR{Payload: payload, Caption: caption})
}

// Tracking appends a tracking code under its label.
func (d *Document) Tracking(label, code string) *Document {
	return d.Add(TrackingCode{Label: label, Code: code})
}

// ID appends a key-value row with the masked form of an identity-document number.
func (d *Document) ID(label, number string) *Document {
	return d.Add(IDNumber{Label: label, Number: MaskID(number)})
}

// Footer appends small print.
func (d *Document) Footer(s string) *Document { return d.Add(Footer{Text: s}) }

// Feed appends n empty lines.
func (d *Document) Feed(n int) *Document { return d.Add(Feed{Lines: n}) }

// Cut appends a cut; partial leaves a tab.
func (d *Document) Cut(partial bool) *Document { return d.Add(Cut{Partial: partial}) }

// Errors from Validate.
var (
	// ErrUnmaskedID means some text of the document carries a full identity-document
	// number; put it on the receipt with MaskID instead.
	ErrUnmaskedID = errors.New("receipt: text holds an unmasked ID number")
	// ErrEmptyQR means a QR block has no payload.
	ErrEmptyQR = errors.New("receipt: QR code without payload")
	// ErrQRTooLong means a QR payload is longer than a QR code holds (MaxQRPayload).
	ErrQRTooLong = errors.New("receipt: QR payload too long")
)

// MaxQRPayload is the most bytes a receipt's QR code holds: version 40 at error
// correction level M (which receipts use, so a creased code still scans), byte mode.
const MaxQRPayload = 2331

// Validate checks the document before it is printed or shown: no unmasked ID number in
// any text, QR payloads that fit a QR code. The error names the block by its index.
func (d *Document) Validate() error {
	var errs []error
	for i, b := range d.Blocks {
		for _, s := range blockTexts(b) {
			if ContainsIDNumber(s) {
				errs = append(errs, fmt.Errorf("block %d: %w", i, ErrUnmaskedID))
				break
			}
		}
		if q, ok := b.(QR); ok {
			switch {
			case q.Payload == "":
				errs = append(errs, fmt.Errorf("block %d: %w", i, ErrEmptyQR))
			case len(q.Payload) > MaxQRPayload:
				errs = append(errs, fmt.Errorf("block %d: %w (%d bytes)", i, ErrQRTooLong, len(q.Payload)))
			}
		}
	}
	return errors.Join(errs...)
}

// blockTexts returns every string of a block that ends up on paper.
func blockTexts(b Block) []string {
	switch b := b.(type) {
	case Title:
		return []string{b.Text}
	case Text:
		return []string{b.Text}
	case Field:
		return []string{b.Key, b.Value}
	case QR:
		return []string{b.Payload, b.Caption}
	case TrackingCode:
		return []string{b.Label, b.Code}
	case IDNumber:
		return []string{b.Label}
	case Footer:
		return []string{b.Text}
	}
	return nil
}

// ContainsIDNumber reports whether s contains 18 consecutive characters that form a valid
// GB 11643 number (17 digits and a correct check character), not part of a longer run of
// digits.
func ContainsIDNumber(s string) bool {
	for i := 0; i+18 <= len(s); i++ {
		if i > 0 && isDigit(s[i-1]) {
			continue // inside a run of digits, not at its start
		}
		j := i
		for j < i+17 && isDigit(s[j]) {
			j++
		}
		if j < i+17 {
			i = j // no 17 digits here; go on after the non-digit
			continue
		}
		if i+18 < len(s) && (isDigit(s[i+18]) || s[i+18] == 'X' || s[i+18] == 'x') {
			continue // a longer run
		}
		last := s[i+17]
		if last == 'x' {
			last = 'X'
		}
		if want, ok := identity.CheckDigit(s[i : i+17]); ok && last == want {
			return true
		}
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
