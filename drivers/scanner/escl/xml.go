package escl

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The two XML namespaces of eSCL.
const (
	NSScan = "http://schemas.hp.com/imaging/escl/2011/05/03"
	NSPWG  = "http://www.pwg.org/schemas/2010/12/sm"
)

// InputSource is where the paper is: the glass or the document feeder.
type InputSource string

const (
	Platen InputSource = "Platen"
	Feeder InputSource = "Feeder"
)

// ColorMode is an eSCL colour mode.
type ColorMode string

const (
	RGB24          ColorMode = "RGB24"
	Grayscale8     ColorMode = "Grayscale8"
	BlackAndWhite1 ColorMode = "BlackAndWhite1"
)

// Document formats a kiosk asks for.
const (
	FormatJPEG = "image/jpeg"
	FormatPDF  = "application/pdf"
)

// Region is a scan area in three-hundredths of an inch (eSCL's
// escl:ThreeHundredthsOfInches).
type Region struct {
	Width, Height, XOffset, YOffset int
}

// A4 is 210 × 297 mm: 8.268 × 11.693 in, i.e. 2480 × 3508 three-hundredths of an inch
// (which is also its size in pixels at 300 dpi).
var A4 = Region{Width: 2480, Height: 3508}

// Pixels is the region's size in pixels at dpi.
func (r Region) Pixels(dpi int) (w, h int) {
	return r.Width * dpi / 300, r.Height * dpi / 300
}

// Settings is one scan request.
type Settings struct {
	// Source is Platen (default) or Feeder.
	Source InputSource
	// DPI is the resolution in both directions; 0 means 300.
	DPI int
	// ColorMode; "" means RGB24.
	ColorMode ColorMode
	// Format is FormatJPEG (default) or FormatPDF.
	Format string
	// Region; the zero value means A4.
	Region Region
	// Intent is "Document" (default), "Photo", "TextAndGraphic", ...
	Intent string
	// Duplex scans both sides (feeder only).
	Duplex bool
}

// withDefaults fills the zero fields.
func (s Settings) withDefaults() Settings {
	if s.Source == "" {
		s.Source = Platen
	}
	if s.DPI == 0 {
		s.DPI = 300
	}
	if s.ColorMode == "" {
		s.ColorMode = RGB24
	}
	if s.Format == "" {
		s.Format = FormatJPEG
	}
	if s.Region == (Region{}) {
		s.Region = A4
	}
	if s.Intent == "" {
		s.Intent = "Document"
	}
	return s
}

// ErrBadSettings is a scan request that cannot be sent.
var ErrBadSettings = errors.New("escl: bad scan settings")

// validate checks settings after defaults.
func (s Settings) validate() error {
	switch {
	case s.Source != Platen && s.Source != Feeder:
		return fmt.Errorf("%w: input source %q", ErrBadSettings, s.Source)
	case s.DPI < 50 || s.DPI > 1200:
		return fmt.Errorf("%w: resolution %d dpi", ErrBadSettings, s.DPI)
	case s.Region.Width <= 0 || s.Region.Height <= 0 || s.Region.XOffset < 0 || s.Region.YOffset < 0:
		return fmt.Errorf("%w: region %+v", ErrBadSettings, s.Region)
	case s.Region.Width > 30000 || s.Region.Height > 30000:
		return fmt.Errorf("%w: region %+v larger than 100 inches", ErrBadSettings, s.Region)
	case s.Format == "" || strings.ContainsAny(s.Format, "<>&"):
		return fmt.Errorf("%w: format %q", ErrBadSettings, s.Format)
	}
	return nil
}

// scanSettingsOut is the request body with the prefixes scanners expect verbatim: some
// firmware matches "scan:" and "pwg:" literally instead of resolving namespaces.
type scanSettingsOut struct {
	XMLName   xml.Name    `xml:"scan:ScanSettings"`
	NSScan    string      `xml:"xmlns:scan,attr"`
	NSPWG     string      `xml:"xmlns:pwg,attr"`
	Version   string      `xml:"pwg:Version"`
	Intent    string      `xml:"scan:Intent"`
	Regions   []regionOut `xml:"pwg:ScanRegions>pwg:ScanRegion"`
	Source    string      `xml:"pwg:InputSource"`
	ColorMode string      `xml:"scan:ColorMode"`
	XRes      int         `xml:"scan:XResolution"`
	YRes      int         `xml:"scan:YResolution"`
	Format    string      `xml:"pwg:DocumentFormat"`
	FormatExt string      `xml:"scan:DocumentFormatExt"`
	Duplex    *bool       `xml:"scan:Duplex,omitempty"`
}

type regionOut struct {
	Units   string `xml:"pwg:ContentRegionUnits"`
	XOffset int    `xml:"pwg:XOffset"`
	YOffset int    `xml:"pwg:YOffset"`
	Width   int    `xml:"pwg:Width"`
	Height  int    `xml:"pwg:Height"`
}

// EncodeSettings is the XML body of POST ScanJobs for s (defaults filled in).
func EncodeSettings(s Settings) ([]byte, error) {
	s = s.withDefaults()
	if err := s.validate(); err != nil {
		return nil, err
	}
	out := scanSettingsOut{
		NSScan: NSScan, NSPWG: NSPWG, Version: "2.6", Intent: s.Intent,
		Regions: []regionOut{{Units: "escl:ThreeHundredthsOfInches", XOffset: s.Region.XOffset,
			YOffset: s.Region.YOffset, Width: s.Region.Width, Height: s.Region.Height}},
		Source: string(s.Source), ColorMode: string(s.ColorMode), XRes: s.DPI, YRes: s.DPI,
		Format: s.Format, FormatExt: s.Format,
	}
	if s.Source == Feeder {
		out.Duplex = &s.Duplex
	}
	return marshal(out)
}

func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("escl: encode XML: %w", err)
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// Parsing is strict about the root element's namespace, so an HTML error page or another
// protocol's XML is told apart, and lenient about children: devices disagree on whether
// e.g. DocumentFormat is in "pwg" or "scan", and encoding/xml matches local names when a
// field names no namespace.

// ErrXML is a document that is not the expected eSCL XML.
var ErrXML = errors.New("escl: malformed XML")

// maxXML bounds an XML document read from a device.
const maxXML = 1 << 20

func unmarshal(b []byte, v any, what string) error {
	if len(b) > maxXML {
		return fmt.Errorf("%w: %s of %d bytes", ErrXML, what, len(b))
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrXML, what, err)
	}
	return nil
}

// settingsIn decodes ScanSettings (the simulator's side).
type settingsIn struct {
	XMLName xml.Name `xml:"http://schemas.hp.com/imaging/escl/2011/05/03 ScanSettings"`
	Intent  string   `xml:"Intent"`
	Regions []struct {
		Units   string `xml:"ContentRegionUnits"`
		XOffset int    `xml:"XOffset"`
		YOffset int    `xml:"YOffset"`
		Width   int    `xml:"Width"`
		Height  int    `xml:"Height"`
	} `xml:"ScanRegions>ScanRegion"`
	Source    string `xml:"InputSource"`
	ColorMode string `xml:"ColorMode"`
	XRes      int    `xml:"XResolution"`
	YRes      int    `xml:"YResolution"`
	Format    string `xml:"DocumentFormat"`
	FormatExt string `xml:"DocumentFormatExt"`
	Duplex    bool   `xml:"Duplex"`
}

// ParseSettings reads a ScanSettings document, as a scanner does.
func ParseSettings(b []byte) (Settings, error) {
	var in settingsIn
	if err := unmarshal(b, &in, "ScanSettings"); err != nil {
		return Settings{}, err
	}
	s := Settings{Source: InputSource(in.Source), DPI: in.XRes, ColorMode: ColorMode(in.ColorMode),
		Format: in.FormatExt, Intent: in.Intent, Duplex: in.Duplex}
	if s.Format == "" {
		s.Format = in.Format
	}
	if in.YRes != 0 && in.YRes != in.XRes {
		return Settings{}, fmt.Errorf("%w: X resolution %d differs from Y %d", ErrBadSettings, in.XRes, in.YRes)
	}
	if len(in.Regions) > 0 {
		r := in.Regions[0]
		if r.Units != "" && !strings.HasSuffix(r.Units, "ThreeHundredthsOfInches") {
			return Settings{}, fmt.Errorf("%w: region units %q", ErrBadSettings, r.Units)
		}
		s.Region = Region{Width: r.Width, Height: r.Height, XOffset: r.XOffset, YOffset: r.YOffset}
	}
	s = s.withDefaults()
	if err := s.validate(); err != nil {
		return Settings{}, err
	}
	return s, nil
}

// InputCaps is what one input source can do.
type InputCaps struct {
	MinWidth, MaxWidth, MinHeight, MaxHeight int
	ColorModes                               []ColorMode
	Formats                                  []string
	Resolutions                              []int
	Intents                                  []string
}

// Supports reports whether s is within these capabilities (size, resolution, format,
// colour mode); an empty list in the capabilities allows anything.
func (c *InputCaps) Supports(s Settings) error {
	s = s.withDefaults()
	switch {
	case c.MaxWidth > 0 && s.Region.Width+s.Region.XOffset > c.MaxWidth,
		c.MaxHeight > 0 && s.Region.Height+s.Region.YOffset > c.MaxHeight:
		return fmt.Errorf("%w: region %+v exceeds %d×%d", ErrBadSettings, s.Region, c.MaxWidth, c.MaxHeight)
	case len(c.Resolutions) > 0 && !slices.Contains(c.Resolutions, s.DPI):
		return fmt.Errorf("%w: %d dpi not among %v", ErrBadSettings, s.DPI, c.Resolutions)
	case len(c.Formats) > 0 && !slices.Contains(c.Formats, s.Format):
		return fmt.Errorf("%w: format %s not among %v", ErrBadSettings, s.Format, c.Formats)
	case len(c.ColorModes) > 0 && !slices.Contains(c.ColorModes, s.ColorMode):
		return fmt.Errorf("%w: colour mode %s not among %v", ErrBadSettings, s.ColorMode, c.ColorModes)
	}
	return nil
}

// Capabilities is a scanner's ScannerCapabilities.
type Capabilities struct {
	Version, MakeAndModel, SerialNumber, UUID string
	// Platen and Feeder are nil when the scanner has no such input.
	Platen, Feeder *InputCaps
	// FeederCapacity is the number of sheets the feeder holds, if said.
	FeederCapacity int
}

// Source returns the capabilities of one input source, or nil.
func (c *Capabilities) Source(s InputSource) *InputCaps {
	if s == Feeder {
		return c.Feeder
	}
	return c.Platen
}

type inputCapsIn struct {
	MinWidth  int `xml:"MinWidth"`
	MaxWidth  int `xml:"MaxWidth"`
	MinHeight int `xml:"MinHeight"`
	MaxHeight int `xml:"MaxHeight"`
	Profiles  []struct {
		ColorModes  []string `xml:"ColorModes>ColorMode"`
		Formats     []string `xml:"DocumentFormats>DocumentFormat"`
		FormatsExt  []string `xml:"DocumentFormats>DocumentFormatExt"`
		Resolutions []struct {
			X int `xml:"XResolution"`
			Y int `xml:"YResolution"`
		} `xml:"SupportedResolutions>DiscreteResolutions>DiscreteResolution"`
	} `xml:"SettingProfiles>SettingProfile"`
	Intents []string `xml:"SupportedIntents>Intent"`
}

func (in *inputCapsIn) caps() *InputCaps {
	if in == nil {
		return nil
	}
	c := &InputCaps{MinWidth: in.MinWidth, MaxWidth: in.MaxWidth, MinHeight: in.MinHeight,
		MaxHeight: in.MaxHeight, Intents: in.Intents}
	for _, p := range in.Profiles {
		for _, m := range p.ColorModes {
			c.ColorModes = appendNew(c.ColorModes, ColorMode(strings.TrimSpace(m)))
		}
		for _, f := range append(p.Formats, p.FormatsExt...) {
			c.Formats = appendNew(c.Formats, strings.TrimSpace(f))
		}
		for _, r := range p.Resolutions {
			if r.X == r.Y || r.Y == 0 {
				c.Resolutions = appendNew(c.Resolutions, r.X)
			}
		}
	}
	slices.Sort(c.Resolutions)
	return c
}

func appendNew[T comparable](s []T, v T) []T {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

type capsIn struct {
	XMLName      xml.Name `xml:"http://schemas.hp.com/imaging/escl/2011/05/03 ScannerCapabilities"`
	Version      string   `xml:"Version"`
	MakeAndModel string   `xml:"MakeAndModel"`
	SerialNumber string   `xml:"SerialNumber"`
	UUID         string   `xml:"UUID"`
	Platen       *struct {
		Caps *inputCapsIn `xml:"PlatenInputCaps"`
	} `xml:"Platen"`
	Adf *struct {
		Simplex  *inputCapsIn `xml:"AdfSimplexInputCaps"`
		Capacity int          `xml:"FeederCapacity"`
	} `xml:"Adf"`
}

// ParseCapabilities reads a ScannerCapabilities document.
func ParseCapabilities(b []byte) (*Capabilities, error) {
	var in capsIn
	if err := unmarshal(b, &in, "ScannerCapabilities"); err != nil {
		return nil, err
	}
	c := &Capabilities{Version: in.Version, MakeAndModel: in.MakeAndModel,
		SerialNumber: in.SerialNumber, UUID: in.UUID}
	if in.Platen != nil {
		c.Platen = in.Platen.Caps.caps()
	}
	if in.Adf != nil {
		c.Feeder = in.Adf.Simplex.caps()
		c.FeederCapacity = in.Adf.Capacity
	}
	if c.Platen == nil && c.Feeder == nil {
		return nil, fmt.Errorf("%w: ScannerCapabilities lists neither platen nor feeder", ErrXML)
	}
	return c, nil
}

// Scanner states (pwg:State) and feeder states (scan:AdfState).
const (
	StateIdle       = "Idle"
	StateProcessing = "Processing"
	StateTesting    = "Testing"
	StateStopped    = "Stopped"
	StateDown       = "Down"

	AdfProcessing = "ScannerAdfProcessing"
	AdfEmpty      = "ScannerAdfEmpty"
	AdfJam        = "ScannerAdfJam"
	AdfLoaded     = "ScannerAdfLoaded"
	AdfMispick    = "ScannerAdfMispick"
	AdfHatchOpen  = "ScannerAdfHatchOpen"
	AdfMultipick  = "ScannerAdfMultipickDetected"
)

// JobInfo is one job in ScannerStatus.
type JobInfo struct {
	URI, UUID, State                  string
	ImagesCompleted, ImagesToTransfer int
	Reasons                           []string
}

// Status is a scanner's ScannerStatus.
type Status struct {
	Version string
	// State is Idle, Processing, Testing, Stopped or Down.
	State string
	// AdfState is the feeder's state ("ScannerAdfLoaded", "ScannerAdfJam", ...), "" when
	// there is no feeder.
	AdfState string
	Jobs     []JobInfo
}

type statusIn struct {
	XMLName  xml.Name `xml:"http://schemas.hp.com/imaging/escl/2011/05/03 ScannerStatus"`
	Version  string   `xml:"Version"`
	State    string   `xml:"State"`
	AdfState string   `xml:"AdfState"`
	Jobs     []struct {
		URI              string   `xml:"JobUri"`
		UUID             string   `xml:"JobUuid"`
		ImagesCompleted  int      `xml:"ImagesCompleted"`
		ImagesToTransfer int      `xml:"ImagesToTransfer"`
		State            string   `xml:"JobState"`
		Reasons          []string `xml:"JobStateReasons>JobStateReason"`
	} `xml:"Jobs>JobInfo"`
}

// ParseStatus reads a ScannerStatus document.
func ParseStatus(b []byte) (*Status, error) {
	var in statusIn
	if err := unmarshal(b, &in, "ScannerStatus"); err != nil {
		return nil, err
	}
	st := &Status{Version: in.Version, State: strings.TrimSpace(in.State), AdfState: strings.TrimSpace(in.AdfState)}
	if st.State == "" {
		return nil, fmt.Errorf("%w: ScannerStatus without State", ErrXML)
	}
	for _, j := range in.Jobs {
		st.Jobs = append(st.Jobs, JobInfo{URI: j.URI, UUID: j.UUID, State: j.State,
			ImagesCompleted: j.ImagesCompleted, ImagesToTransfer: j.ImagesToTransfer, Reasons: j.Reasons})
	}
	return st, nil
}
