package uitest

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"image"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/govkiosk/govkiosk/kiosk/access"
	"github.com/govkiosk/govkiosk/kiosk/form"
	"github.com/govkiosk/govkiosk/kiosk/identity"
	"github.com/govkiosk/govkiosk/kiosk/session"
	"github.com/govkiosk/govkiosk/ui"
	"github.com/govkiosk/govkiosk/ui/fonts"
)

// Landscape and Portrait are the kiosk's usual screens.
var (
	Landscape = fyne.NewSize(1920, 1080)
	Portrait  = fyne.NewSize(1080, 1920)
)

// StartTime is half past ten on a Wednesday morning, the fake clock's start.
var StartTime = time.Date(2026, time.March, 18, 10, 30, 0, 0, time.FixedZone("CST", 8*3600))

// TestPIN is the technician PIN of the harness's access guard.
const TestPIN = "246810"

var (
	fontOnce sync.Once
	fontSet  *fonts.Set
	fontErr  error
	pinOnce  sync.Once
	pinHash  string
)

// Fonts loads the system CJK typeface once per test binary. Tests that compare pixels
// need it; it fails the test with the package to install when it is missing.
func Fonts(t testing.TB) *fonts.Set {
	t.Helper()
	fontOnce.Do(func() { fontSet, fontErr = fonts.Load(fonts.DefaultPaths) })
	if fontErr != nil {
		t.Fatalf("golden images need the CJK typeface: %v", fontErr)
	}
	return fontSet
}

// testHash stores pin in the format access.HashPIN documents, with the fewest iterations
// access accepts: the real count takes seconds under the race detector, and these tests
// are about the screens, not the hash.
func testHash(pin string) string {
	salt := []byte("uitest-fixed-salt")
	key, err := pbkdf2.Key(sha256.New, pin, salt, access.MinIterations, 32)
	if err != nil {
		panic(err)
	}
	enc := base64.RawStdEncoding
	return fmt.Sprintf("pbkdf2-sha256$%d$%s$%s", access.MinIterations, enc.EncodeToString(salt), enc.EncodeToString(key))
}

// Options change what Start builds.
type Options struct {
	// Fonts draws with the real CJK typeface (needed for golden images).
	Fonts bool
	// Size is the window size; zero means Landscape.
	Size fyne.Size
	// MapPath turns the automation map on.
	MapPath string
	// Voice gives the UI the fake voice (k.Voice), and with it the sound buttons.
	Voice bool
	// Appointments gives the UI the fake calendar (k.Appointments, 2 places a half-day).
	Appointments bool
	// Deps, when set, adjusts the dependencies before the UI is built.
	Deps func(*ui.Deps)
}

// Kiosk is a UI under test with its fakes.
type Kiosk struct {
	t         testing.TB
	App       *ui.App
	Window    fyne.Window
	Loop      *Loop
	Clock     *Clock
	Reader    *Reader
	Barcode   *Barcode
	QR        *QR
	Scanner   *Scanner
	Printer   *Printer
	Submitter *Submitter
	Sync      *Feed[ui.SyncState]
	Bulletins *Feed[ui.Bulletin]
	Tech      *Technician
	Guard     *access.Guard
	Voice     *Voice
	Licences  *Licences
	// Appointments is the fake calendar; wired only with Options.Appointments.
	Appointments *Appointments
}

// Start builds the UI with fakes in a test window and shows the start screen. Everything
// it starts is stopped by t.Cleanup.
func Start(t testing.TB, o Options) *Kiosk {
	t.Helper()
	test.NewTempApp(t)
	pinOnce.Do(func() { pinHash = testHash(TestPIN) })
	k := &Kiosk{t: t, Loop: &Loop{}, Clock: NewClock(StartTime), Reader: NewReader(), Barcode: NewBarcode(),
		QR: &QR{Codes: map[string]*identity.Identity{}}, Scanner: NewScanner(), Printer: NewPrinter(),
		Submitter: NewSubmitter(), Sync: NewFeed(ui.SyncState{Online: true}), Bulletins: NewFeed(ui.Bulletin{}),
		Tech: NewTechnician(), Voice: NewVoice(), Licences: NewLicences()}
	k.Guard = access.NewGuard(pinHash, access.State{}, k.Clock.Now)
	deps := ui.Deps{
		Catalog:    StaticCatalog{C: Catalog()},
		Identity:   k.Reader,
		QR:         k.QR,
		Barcode:    k.Barcode,
		Scanner:    k.Scanner,
		Printer:    k.Printer,
		Submitter:  k.Submitter,
		Sync:       k.Sync,
		Bulletins:  k.Bulletins,
		Access:     k.Guard,
		Technician: k.Tech,
		Licences:   k.Licences,
		Hall:       form.Text{Zh: "示例市政务服务中心", En: "Sample City Government Service Centre"},
		Session: session.Options{
			Clock:       k.Clock,
			IdleTimeout: 90 * time.Second,
			WarningTime: 20 * time.Second,
			ThanksTime:  5 * time.Second,
		},
		Do:       k.Loop.Do,
		MapPath:  o.MapPath,
		Windowed: true,
	}
	if o.Fonts {
		deps.Fonts = Fonts(t)
	}
	if o.Voice {
		deps.Voice = k.Voice
	}
	k.Appointments = NewAppointments(k.Clock.Now, 2)
	if o.Appointments {
		deps.Appointments = k.Appointments
	}
	if o.Deps != nil {
		o.Deps(&deps)
	}
	k.App = ui.New(deps)
	k.Window = test.NewTempWindow(t, nil)
	size := o.Size
	if size.IsZero() {
		size = Landscape
	}
	k.App.Show(k.Window)
	k.Window.Resize(size)
	t.Cleanup(func() {
		k.App.Close()
		k.Loop.Drain()
	})
	k.Loop.Drain()
	return k
}

// Drain runs what the UI queued.
func (k *Kiosk) Drain() { k.Loop.Drain() }

// Tap taps the element with automation id on the current screen and runs what it queued.
func (k *Kiosk) Tap(id string) {
	k.t.Helper()
	k.Loop.Drain()
	o := k.App.Element(id)
	if o == nil {
		k.t.Fatalf("screen %q has no element %q; it has %v", k.App.ScreenName(), id, k.IDs())
	}
	tp, ok := o.(fyne.Tappable)
	if !ok {
		k.t.Fatalf("element %q (%T) is not tappable", id, o)
	}
	test.Tap(tp)
	k.Loop.Drain()
}

// TapAt taps the window at a position, as a finger on an empty area would.
func (k *Kiosk) TapAt(pos fyne.Position) {
	test.TapCanvas(k.Window.Canvas(), pos)
	k.Loop.Drain()
}

// Type taps the keypad or keyboard keys for s ("keypad." or "keyboard." ids).
func (k *Kiosk) Type(prefix, s string) {
	k.t.Helper()
	for _, r := range s {
		id := strings.ToLower(string(r))
		switch r {
		case '-':
			id = "dash"
		case '.':
			id = "dot"
		case ' ':
			id = "space"
		case '#':
			id = "hash"
		case '/':
			id = "slash"
		}
		k.Tap(prefix + "." + id)
	}
}

// IDs lists the ids of the elements on screen.
func (k *Kiosk) IDs() []string {
	var out []string
	for _, e := range k.App.Elements() {
		out = append(out, e.ID)
	}
	return out
}

// Has reports whether the screen has an element.
func (k *Kiosk) Has(id string) bool { return k.App.Element(id) != nil }

// WaitScreen waits until the named screen (or dialog) is shown.
func (k *Kiosk) WaitScreen(name string) {
	k.t.Helper()
	k.Loop.WaitFor(k.t, "screen "+name+" (now "+k.App.ScreenName()+")", func() bool { return k.App.ScreenName() == name })
}

// Capture renders the window.
func (k *Kiosk) Capture() image.Image { return k.Window.Canvas().Capture() }

// Texts returns every string the window holds, shown or hidden: canvas texts and the
// text of widgets, walked through containers and widget renderers.
func (k *Kiosk) Texts() []string {
	var out []string
	seen := map[fyne.CanvasObject]bool{}
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || seen[o] {
			return
		}
		seen[o] = true
		switch v := o.(type) {
		case *canvas.Text:
			out = append(out, v.Text)
		case *widget.Label:
			out = append(out, v.Text)
		case *widget.RichText:
			out = append(out, v.String())
		case *widget.Entry:
			out = append(out, v.Text)
		}
		switch v := o.(type) {
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(v).Objects() {
				walk(c)
			}
		}
	}
	walk(k.Window.Canvas().Content())
	for _, o := range k.Window.Canvas().Overlays().List() {
		walk(o)
	}
	return out
}

// Shows reports whether some text in the window contains s.
func (k *Kiosk) Shows(s string) bool {
	for _, t := range k.Texts() {
		if strings.Contains(t, s) {
			return true
		}
	}
	return false
}
