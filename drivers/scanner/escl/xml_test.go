package escl

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/govkiosk/govkiosk/internal/golden"
)

func TestA4Region(t *testing.T) {
	// 210 mm = 8.2677 in → 2480.3; 297 mm = 11.6929 in → 3507.9 three-hundredths.
	if A4.Width != 2480 || A4.Height != 3508 {
		t.Fatalf("A4 = %+v", A4)
	}
	for _, c := range []struct{ dpi, w, h int }{{300, 2480, 3508}, {200, 1653, 2338}, {100, 826, 1169}} {
		if w, h := A4.Pixels(c.dpi); w != c.w || h != c.h {
			t.Errorf("A4 at %d dpi = %d×%d, want %d×%d", c.dpi, w, h, c.w, c.h)
		}
	}
}

func TestEncodeSettingsGolden(t *testing.T) {
	b, err := EncodeSettings(Settings{DPI: 300})
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "scansettings_platen_a4_300.xml", b)
	b, err = EncodeSettings(Settings{Source: Feeder, DPI: 200, ColorMode: Grayscale8, Format: FormatPDF})
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "scansettings_feeder_200_pdf.xml", b)
}

func TestSettingsRoundTrip(t *testing.T) {
	cases := []Settings{
		{},
		{Source: Feeder, DPI: 200, ColorMode: Grayscale8, Format: FormatPDF, Duplex: true},
		{DPI: 300, Region: Region{Width: 1000, Height: 1500, XOffset: 10, YOffset: 20}, Intent: "Photo"},
	}
	for _, in := range cases {
		b, err := EncodeSettings(in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseSettings(b)
		if err != nil {
			t.Fatal(err)
		}
		if want := in.withDefaults(); !reflect.DeepEqual(got, want) {
			t.Errorf("round trip of %+v gave %+v", want, got)
		}
	}
}

func TestBadSettings(t *testing.T) {
	for _, s := range []Settings{
		{Source: "Camera"}, {DPI: 20}, {Region: Region{Width: -1, Height: 5}},
		{Format: "image/<x>"}, {Region: Region{Width: 40000, Height: 10}},
	} {
		if _, err := EncodeSettings(s); !errors.Is(err, ErrBadSettings) {
			t.Errorf("%+v: err %v", s, err)
		}
	}
}

func TestParseSettingsRejects(t *testing.T) {
	cases := map[string]string{
		"wrong namespace": `<ScanSettings xmlns="urn:other"><XResolution>300</XResolution></ScanSettings>`,
		"other units": `<scan:ScanSettings xmlns:scan="` + NSScan + `" xmlns:pwg="` + NSPWG + `"><pwg:ScanRegions><pwg:ScanRegion>` +
			`<pwg:ContentRegionUnits>escl:Millimeters</pwg:ContentRegionUnits><pwg:Width>210</pwg:Width><pwg:Height>297</pwg:Height>` +
			`</pwg:ScanRegion></pwg:ScanRegions></scan:ScanSettings>`,
		"anisotropic": `<scan:ScanSettings xmlns:scan="` + NSScan + `"><scan:XResolution>300</scan:XResolution><scan:YResolution>600</scan:YResolution></scan:ScanSettings>`,
		"not xml":     `%PDF-1.4`,
	}
	for name, doc := range cases {
		if _, err := ParseSettings([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestParseCapabilities(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "capabilities_mixed.xml"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseCapabilities(b)
	if err != nil {
		t.Fatal(err)
	}
	want := &Capabilities{
		Version: "2.63", MakeAndModel: "Example Office Scanner 100", SerialNumber: "EX0000000001",
		UUID: "00000000-0000-1000-8000-000000000001",
		Platen: &InputCaps{MinWidth: 1, MaxWidth: 2550, MinHeight: 1, MaxHeight: 3507,
			ColorModes:  []ColorMode{BlackAndWhite1, Grayscale8, RGB24},
			Formats:     []string{FormatJPEG, FormatPDF},
			Resolutions: []int{100, 200, 300},
			Intents:     []string{"Document", "Photo"}},
		Feeder: &InputCaps{MinWidth: 591, MaxWidth: 2550, MinHeight: 591, MaxHeight: 4200,
			ColorModes: []ColorMode{Grayscale8}, Formats: []string{FormatPDF}, Resolutions: []int{200}},
		FeederCapacity: 35,
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got %+v %+v %+v\nwant %+v %+v %+v", c, c.Platen, c.Feeder, want, want.Platen, want.Feeder)
	}
	// A4 at 300 dpi is one row taller than this platen: a real-world off-by-one that
	// Supports must catch rather than the scanner rejecting the job.
	if err := c.Platen.Supports(Settings{DPI: 300}); !errors.Is(err, ErrBadSettings) {
		t.Errorf("A4 on a 3507-high platen: %v", err)
	}
	if err := c.Platen.Supports(Settings{DPI: 200, Region: Region{Width: 2480, Height: 3500}}); err != nil {
		t.Errorf("supported settings refused: %v", err)
	}
	if err := c.Source(Feeder).Supports(Settings{Source: Feeder, DPI: 300, Format: FormatPDF, ColorMode: Grayscale8, Region: Region{Width: 2000, Height: 3000}}); !errors.Is(err, ErrBadSettings) {
		t.Errorf("300 dpi on a 200-only feeder: %v", err)
	}
}

func TestParseCapabilitiesRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"html error page": `<html><body>404</body></html>`,
		"no inputs":       `<scan:ScannerCapabilities xmlns:scan="` + NSScan + `"><pwg:Version xmlns:pwg="` + NSPWG + `">2.0</pwg:Version></scan:ScannerCapabilities>`,
		"truncated":       `<scan:ScannerCapabilities xmlns:scan="` + NSScan + `"><scan:Platen>`,
		"no namespace":    `<ScannerCapabilities><Platen><PlatenInputCaps/></Platen></ScannerCapabilities>`,
	} {
		if _, err := ParseCapabilities([]byte(doc)); !errors.Is(err, ErrXML) {
			t.Errorf("%s: err %v", name, err)
		}
	}
}

func TestParseStatus(t *testing.T) {
	doc := func(inner string) []byte {
		return []byte(`<?xml version="1.0"?><scan:ScannerStatus xmlns:scan="` + NSScan + `" xmlns:pwg="` + NSPWG + `">` + inner + `</scan:ScannerStatus>`)
	}
	cases := []struct {
		name    string
		in      []byte
		want    *Status
		wantErr error // of StatusError
	}{
		{"idle without feeder", doc(`<pwg:Version>2.6</pwg:Version><pwg:State>Idle</pwg:State>`),
			&Status{Version: "2.6", State: StateIdle}, nil},
		{"processing with a job", doc(`<pwg:State>Processing</pwg:State><scan:AdfState>ScannerAdfLoaded</scan:AdfState>` +
			`<scan:Jobs><scan:JobInfo><pwg:JobUri>/eSCL/ScanJobs/j1</pwg:JobUri><pwg:JobUuid>j1</pwg:JobUuid>` +
			`<pwg:ImagesCompleted>1</pwg:ImagesCompleted><pwg:ImagesToTransfer>2</pwg:ImagesToTransfer>` +
			`<pwg:JobState>Processing</pwg:JobState><pwg:JobStateReasons><pwg:JobStateReason>JobScanning</pwg:JobStateReason></pwg:JobStateReasons>` +
			`</scan:JobInfo></scan:Jobs>`),
			&Status{State: StateProcessing, AdfState: AdfLoaded, Jobs: []JobInfo{{URI: "/eSCL/ScanJobs/j1", UUID: "j1",
				State: "Processing", ImagesCompleted: 1, ImagesToTransfer: 2, Reasons: []string{"JobScanning"}}}}, nil},
		{"jam", doc(`<pwg:State>Stopped</pwg:State><scan:AdfState>ScannerAdfJam</scan:AdfState>`),
			&Status{State: StateStopped, AdfState: AdfJam}, ErrJammed},
		{"hatch open", doc(`<pwg:State>Idle</pwg:State><scan:AdfState>ScannerAdfHatchOpen</scan:AdfState>`),
			&Status{State: StateIdle, AdfState: AdfHatchOpen}, ErrCoverOpen},
		{"down", doc(`<pwg:State>Down</pwg:State>`), &Status{State: StateDown}, ErrStopped},
		{"empty feeder is no fault by itself", doc(`<pwg:State>Idle</pwg:State><scan:AdfState>ScannerAdfEmpty</scan:AdfState>`),
			&Status{State: StateIdle, AdfState: AdfEmpty}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := ParseStatus(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(st, c.want) {
				t.Fatalf("got %+v, want %+v", st, c.want)
			}
			if err := StatusError(st); !errors.Is(err, c.wantErr) || (err == nil) != (c.wantErr == nil) {
				t.Fatalf("StatusError = %v, want %v", err, c.wantErr)
			}
		})
	}
	if _, err := ParseStatus(doc(`<pwg:Version>2.6</pwg:Version>`)); !errors.Is(err, ErrXML) {
		t.Errorf("status without a state: %v", err)
	}
}

func FuzzParseCapabilities(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "capabilities_mixed.xml")); err == nil {
		f.Add(b)
	}
	if b, err := marshal(simCaps()); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`<scan:ScannerCapabilities xmlns:scan="` + NSScan + `"><scan:Adf/></scan:ScannerCapabilities>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCapabilities(b)
		if err == nil && c.Platen == nil && c.Feeder == nil {
			t.Fatal("capabilities without an input accepted")
		}
	})
}

func FuzzParseStatus(f *testing.F) {
	f.Add([]byte(`<scan:ScannerStatus xmlns:scan="` + NSScan + `" xmlns:pwg="` + NSPWG + `"><pwg:State>Idle</pwg:State></scan:ScannerStatus>`))
	f.Add([]byte(`<scan:ScannerStatus xmlns:scan="` + NSScan + `"><scan:Jobs><scan:JobInfo/></scan:Jobs></scan:ScannerStatus>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := ParseStatus(b)
		if err == nil {
			_ = StatusError(st)
			if st.State == "" {
				t.Fatal("status without a state accepted")
			}
		}
	})
}

func FuzzParseSettings(f *testing.F) {
	for _, s := range []Settings{{}, {Source: Feeder, Format: FormatPDF, DPI: 200}} {
		b, _ := EncodeSettings(s)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSettings(b)
		if err != nil {
			return
		}
		// Whatever a scanner accepts must be encodable again, and stable.
		out, err := EncodeSettings(s)
		if err != nil {
			t.Fatalf("accepted %+v but cannot encode it: %v", s, err)
		}
		s2, err := ParseSettings(out)
		if err != nil || !reflect.DeepEqual(s, s2) {
			t.Fatalf("not stable: %+v → %+v (%v)", s, s2, err)
		}
	})
}

func BenchmarkParseCapabilities(b *testing.B) {
	doc, err := os.ReadFile(filepath.Join("testdata", "capabilities_mixed.xml"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseCapabilities(doc); err != nil {
			b.Fatal(err)
		}
	}
}
