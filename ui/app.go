package ui

import (
	"context"
	"image"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"

	i18nfiles "github.com/govkiosk/govkiosk/assets/i18n"
	"github.com/govkiosk/govkiosk/kiosk/access"
	"github.com/govkiosk/govkiosk/kiosk/form"
	"github.com/govkiosk/govkiosk/kiosk/session"
	"github.com/govkiosk/govkiosk/ui/kiosktheme"
	"github.com/govkiosk/govkiosk/ui/locale"
)

// MapEnv names the environment variable that turns on the automation map.
const MapEnv = "GOVKIOSK_UI_MAP"

// tickEvery is how often the session's idle clock is checked.
const tickEvery = 250 * time.Millisecond

// App is the kiosk's user interface: one window showing one screen per session state,
// with the "still there?" and "leave?" dialogs over it and the technician screens beside.
// Build it with New, put it in a window with Show, stop it with Close.
//
// Everything but New, Show and Close runs on the UI goroutine: device and network
// goroutines hand their results over with Deps.Do.
type App struct {
	deps  Deps
	log   *slog.Logger
	tr    *locale.Translator
	theme *kiosktheme.Theme
	sess  *session.Session
	clock session.Clock
	// do runs a function on the UI goroutine and lays the window out again after it;
	// post only runs it (for callbacks that change nothing on screen).
	do   func(func())
	post func(func())

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	win      fyne.Window
	root     *fyne.Container // the screen and, above it, the dialog
	layer    *fyne.Container
	over     *fyne.Container
	cur      screen
	curState session.State
	dialog   screen

	sync     SyncState
	bulletin Bulletin
	// updating holds the start screen while a software update is installed
	// (HoldForUpdate).
	updating bool

	gesture *access.Gesture
	tech    bool

	// reasons are the rate screen's chosen reasons, sent with the rating.
	reasons []string
	// printErr is why the last print failed, for the receipt screen's words.
	printErr error
	// cert is how printing the visit's issued document went ("" when the service issues
	// none), for the receipt and its screen.
	cert CertificateOutcome
	// printTries counts the tries to print printCode's receipt, so the receipt screen can
	// say that a reprint failed too (it otherwise came back word for word).
	printTries int
	printCode  string
	// thumbs are the previews of the visit's scanned pages by material: personal data,
	// dropped with the visit.
	thumbs map[string][]image.Image
	// calendar is the appointment calendar the platform gave last, for the visit; nil
	// until it answered. heldBooking is a place booked for the visit's submission and not
	// yet submitted: given back if the visit ends without a submission.
	calendar    *calendarState
	heldBooking string

	// layoutPending is set while a relayout is queued; relayingOut while one runs.
	layoutPending bool
	relayingOut   bool

	// spoken is the screen whose prompt was last spoken, so a screen that redraws itself
	// in place is not announced again.
	spoken *screenBase

	// firstFrame is closed once the window has painted a frame (see FirstFrame).
	firstFrame chan struct{}
	painted    sync.Once

	mapPath    string
	mapGen     int        // UI goroutine: bumped on every change
	mapMu      sync.Mutex // serialises map file writes
	mapWritten int        // under mapMu: the newest generation written
}

// New builds the UI. It does no I/O besides reading translations from deps.Translations.
func New(deps Deps) *App {
	a := &App{deps: deps, log: deps.Log, clock: deps.Session.Clock}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	post := deps.Do
	if post == nil {
		post = fyne.Do
	}
	a.post = post
	// Whatever a callback changed is laid out again before the next frame (see relayout).
	a.do = func(f func()) {
		post(func() {
			f()
			a.relayout()
		})
	}
	if a.clock == nil {
		a.clock = systemClock{}
	}
	if a.deps.PaperColumns == 0 {
		a.deps.PaperColumns = 48
	}
	if a.deps.PrintTimeout <= 0 {
		a.deps.PrintTimeout = 30 * time.Second
	}
	a.mapPath = deps.MapPath
	if a.mapPath == "" {
		a.mapPath = os.Getenv(MapEnv)
	}
	a.tr = loadTranslations(deps.Translations, a.log)
	a.theme = kiosktheme.New(deps.Fonts)
	opts := deps.Session
	opts.Clock = a.clock
	opts.Log = a.log
	hook := opts.OnUpdate
	opts.OnUpdate = func(u session.Update) {
		a.do(func() { a.onUpdate(u) })
		if hook != nil {
			hook(u)
		}
	}
	a.sess = session.New(opts)
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.layer = container.NewStack()
	a.over = container.NewStack()
	a.firstFrame = make(chan struct{})
	a.root = container.New(&rootLayout{a: a}, a.layer, a.over, a.paintProbe())
	a.gesture = access.NewGesture(1920, 1080)
	if deps.Sync != nil {
		a.sync = deps.Sync.Current()
	}
	if deps.Bulletins != nil {
		a.bulletin = deps.Bulletins.Current()
	}
	return a
}

// paintProbe is a transparent pixel in the window's corner whose image is made only when
// a frame that shows it is painted: the first call closes firstFrame.
func (a *App) paintProbe() fyne.CanvasObject {
	px := canvas.NewRaster(func(w, h int) image.Image {
		a.painted.Do(func() { close(a.firstFrame) })
		return image.NewNRGBA(image.Rect(0, 0, w, h)) // transparent
	})
	px.Resize(fyne.NewSquareSize(1))
	return container.NewWithoutLayout(px)
}

// FirstFrame is closed once the window has painted its first frame: the moment a
// resident could first see the kiosk. Fyne's test driver paints only on Capture.
func (a *App) FirstFrame() <-chan struct{} { return a.firstFrame }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// loadTranslations reads the given translations, falling back to the embedded ones, and
// adds the package's own texts where they lack a key.
func loadTranslations(fsys fs.FS, log *slog.Logger) *locale.Translator {
	var tr *locale.Translator
	if fsys != nil {
		var err error
		if tr, err = locale.Load(fsys, locale.Chinese); err != nil {
			log.Error("translations unusable, using built-in ones", "err", err)
			tr = nil
		}
	}
	if tr == nil {
		var err error
		if tr, err = locale.Load(i18nfiles.Files, locale.Chinese); err != nil {
			panic("ui: embedded translations: " + err.Error()) // a build defect, caught by tests
		}
	}
	return tr
}

// Show puts the UI in w (full screen unless Deps.Windowed) and starts watching the
// devices, the sync state and the idle clock. Call it on the UI goroutine.
func (a *App) Show(w fyne.Window) {
	a.win = w
	fyne.CurrentApp().Settings().SetTheme(a.theme)
	w.SetPadded(false)
	if !a.deps.Windowed {
		w.SetFullScreen(true)
	}
	w.SetContent(a.root)
	a.applyVisit()
	a.showState(a.sess.State())
	if a.deps.SafeMode {
		a.log.Warn("safe mode: started for a technician after repeated crashes")
		if a.deps.Access != nil {
			a.openPIN()
		}
	}
	goWatch(a, a.deps.Sync, a.setSync)
	goWatch(a, a.deps.Bulletins, func(b Bulletin) { a.bulletin = b; a.refreshStatus() })
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.sess.Run(a.ctx, tickEvery)
	}()
}

// goWatch follows a feed until the app closes, handing each value to fn on the UI
// goroutine.
func goWatch[T any](a *App, f Feed[T], fn func(T)) {
	if f == nil {
		return
	}
	ch, stop := f.Subscribe()
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer stop()
		for {
			select {
			case <-a.ctx.Done():
				return
			case v, ok := <-ch:
				if !ok {
					return
				}
				a.do(func() { fn(v) })
			}
		}
	}()
}

// Close stops every goroutine the UI started, waits for them and wipes the session. The
// goroutines end with their contexts (device and network calls must honour them) and
// never wait on the UI goroutine, so Close may be called from any goroutine.
func (a *App) Close() {
	a.cancel()
	if a.cur != nil {
		a.cur.leave()
	}
	if a.dialog != nil {
		a.dialog.leave()
	}
	a.wg.Wait()
	_ = a.sess.Reset()
}

// Session returns the resident session the UI drives, for the wiring (health reports)
// and tests. Its personal data must not be copied out.
func (a *App) Session() *session.Session { return a.sess }

// Translator returns the UI's translator.
func (a *App) Translator() *locale.Translator { return a.tr }

// Theme returns the UI's theme.
func (a *App) Theme() *kiosktheme.Theme { return a.theme }

// T translates a message key in the current language.
func (a *App) T(key string, data ...map[string]any) string { return a.tr.T(key, data...) }

// formLang is the current language as kiosk/form names it.
func (a *App) formLang() form.Lang {
	if a.tr.Language() == locale.English {
		return form.En
	}
	return form.Zh
}

// text picks a catalog or form text in the current language.
func (a *App) text(t form.Text) string { return t.In(a.formLang()) }

// touch records activity (any tap or key) so the idle timeout starts over, and asks for
// the layout to be redone once the tap's handler has changed what it changes.
func (a *App) touch() {
	a.sess.Touch()
	if !a.layoutPending {
		a.layoutPending = true
		a.do(func() {})
	}
}

// relayout lays the whole window out again. Screens change their contents in place (a
// message appears, a list is refilled); Fyne's window driver re-lays the parents of
// objects whose minimum size changed at its next frame, but its test canvas does not,
// and a partial re-layout can leave a child with a negative size. Shrinking the root by
// a pixel and restoring it makes every container lay out again, the same way in the kiosk
// and in tests, and costs about a millisecond.
func (a *App) relayout() {
	a.layoutPending = false
	s := a.root.Size()
	if s.Width < 2 || s.Height < 2 {
		return
	}
	a.relayingOut = true
	a.root.Resize(s.SubtractWidthHeight(1, 1))
	a.root.Resize(s)
	a.relayingOut = false
	a.scheduleMap()
}

// act wraps a tap handler: it restarts the idle timeout first.
func (a *App) act(f func()) func() {
	return func() {
		a.touch()
		f()
	}
}

// applyVisit makes language and elder mode what the session says (a visit's choices end
// with it).
func (a *App) applyVisit() {
	lang := locale.Chinese
	if a.sess.Lang() == form.En {
		lang = locale.English
	}
	_ = a.tr.SetLanguage(lang)
	a.theme.SetElder(a.sess.Elder())
	if a.deps.Voice != nil {
		a.deps.Voice.NewVisit()
	}
	a.applyVoice()
}

// toggleLanguage switches between Chinese and English and redraws the screen.
func (a *App) toggleLanguage() {
	next := a.tr.Next()
	_ = a.tr.SetLanguage(next)
	if next == locale.English {
		a.sess.SetLang(form.En)
	} else {
		a.sess.SetLang(form.Zh)
	}
	a.speakAgain()
	a.rebuild()
}

// toggleElder switches elder mode and redraws the screen.
func (a *App) toggleElder() {
	on := !a.theme.Elder()
	a.sess.SetElder(on)
	a.theme.SetElder(on)
	a.applyVoice()
	a.speakAgain()
	a.rebuild()
}

// Redraw draws the current screen again: for the wiring after something the screens show
// has changed under them (the hall's name, a catalog push). Call it on the UI goroutine.
func (a *App) Redraw() { a.rebuild() }

// rebuild draws the current screen again (after a language or size change).
func (a *App) rebuild() {
	if a.cur != nil && a.cur.base().rebuild != nil {
		a.showScreen(a.cur.base().rebuild())
		return
	}
	a.curState = ""
	a.showState(a.sess.State())
}
