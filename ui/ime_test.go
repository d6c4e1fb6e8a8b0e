package ui_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"github.com/govkiosk/govkiosk/ime/handwriting"
	"github.com/govkiosk/govkiosk/ime/pinyin"
	"github.com/govkiosk/govkiosk/ui"
	"github.com/govkiosk/govkiosk/ui/touch"
	"github.com/govkiosk/govkiosk/ui/uitest"
)

// A free-text field takes Chinese from the pinyin keyboard, and the visit's learning is
// gone after the visit.
func TestFormPinyinInput(t *testing.T) {
	d, err := pinyin.Load(filepath.Join("..", "ime", "pinyin", "testdata", "mini.dict.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sess := pinyin.NewSession(d)
	k := uitest.Start(t, uitest.Options{Deps: func(deps *ui.Deps) { deps.IME = touch.IME{Pinyin: sess} }})
	toForm(t, k)
	k.Tap("form.field.address")
	k.Tap("keyboard.clear")
	for _, r := range "riyongbaihuolingshou" {
		k.Tap("keyboard." + string(r))
	}
	// The composition shows in the field, where the text will go, but is not written yet.
	field := k.App.Element("form.field.address").(*touch.Field)
	if field.Value != "ri'yong'bai'huo'ling'shou" || k.App.Session().Form().Value("address") != "" {
		t.Fatalf("while composing the field shows %q and holds %q", field.Value, k.App.Session().Form().Value("address"))
	}
	k.Tap("ime.cand.0")
	k.Tap("keyboard.punct.0") // ，
	for _, r := range "jingying" {
		k.Tap("keyboard." + string(r))
	}
	k.Tap("ime.cand.1") // 精英, learned for this visit
	if got := k.App.Session().Form().Value("address"); got != "日用百货零售，精英" {
		t.Fatalf("address %q", got)
	}
	if c := sess.Candidates("jingying", 1); c[0].Text != "精英" {
		t.Fatalf("the choice was not learned within the visit: %v", c[0].Text)
	}
	if !k.Has("ime.mode.handwriting") {
		t.Error("the mode keys are not in the automation map")
	}
	k.Tap("nav.home")
	k.WaitScreen("confirm_home")
	k.Tap("confirm_home.leave")
	k.WaitScreen("home")
	k.Loop.WaitFor(t, "wipe", func() bool { return sess.Candidates("jingying", 1)[0].Text == "经营" })
}

// TestGoldenChineseKeyboard draws the Chinese keyboard in a form's free-text field: pinyin
// with its candidates, the same in elder mode (larger keys and candidates), and the writing
// pad with a handwritten character and what the recognizer made of it.
func TestGoldenChineseKeyboard(t *testing.T) {
	d, err := pinyin.Load(filepath.Join("..", "ime", "pinyin", "testdata", "mini.dict.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	z, err := handwriting.OpenZinnia(handwriting.DefaultModelPath)
	if err != nil {
		t.Fatalf("the handwriting model (scripts/install-deps test installs it): %v", err)
	}
	t.Cleanup(func() { _ = z.Close() })
	for _, elder := range []bool{false, true} {
		name := map[bool]string{false: "zh", true: "elder"}[elder]
		t.Run(name, func(t *testing.T) {
			ime := touch.IME{Pinyin: pinyin.NewSession(d), Handwriting: z}
			k := uitest.Start(t, uitest.Options{Fonts: true, Deps: func(deps *ui.Deps) { deps.IME = ime }})
			if elder {
				k.Tap("home.elder")
			}
			toForm(t, k)
			k.Tap("form.field.address")
			for _, r := range "riyongbaihuolingshou" {
				k.Tap("keyboard." + string(r))
			}
			k.Drain()
			uitest.AssertImage(t, "ime_pinyin_"+name, k.Capture())
			if elder {
				return
			}
			k.Tap("ime.cand.0")
			k.Tap("ime.mode.handwriting")
			drawMedians(t, k, filepath.Join("..", "ime", "handwriting", "testdata", "fu-medians.json"))
			k.Drain()
			uitest.AssertImage(t, "ime_handwriting_"+name, k.Capture())
		})
	}
}

// drawMedians writes a character on the keyboard's pad from hanzi-writer-data stroke
// medians (1024-unit box, y up, baseline at 900), a drag every few pixels as a finger's
// touches arrive.
func drawMedians(t *testing.T, k *uitest.Kiosk, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var data struct {
		Medians [][][2]float32 `json:"medians"`
	}
	if err := json.Unmarshal(b, &data); err != nil {
		t.Fatal(err)
	}
	pad, ok := k.App.Element("ime.pad").(*touch.Pad)
	if !ok {
		t.Fatalf("no writing pad on screen: %v", k.IDs())
	}
	s := pad.Size()
	side := 0.8 * min(s.Width, s.Height)
	scale := side / 1024
	at := func(p [2]float32) fyne.Position {
		return fyne.NewPos((s.Width-side)/2+p[0]*scale, (s.Height-side)/2+(900-p[1])*scale)
	}
	for _, m := range data.Medians {
		last := at(m[0])
		for i := 1; i < len(m); i++ {
			for f := float32(0.25); f <= 1; f += 0.25 {
				p := at([2]float32{m[i-1][0] + (m[i][0]-m[i-1][0])*f, m[i-1][1] + (m[i][1]-m[i-1][1])*f})
				pad.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: p}, Dragged: fyne.NewDelta(p.X-last.X, p.Y-last.Y)})
				last = p
			}
		}
		pad.DragEnd()
		k.Drain()
	}
}

// TestChineseKeyboardFitsBesideTheForm: on the kiosk's display, in Chinese and in elder
// mode, every key of the Chinese keyboard is wholly in view beside the form while a
// long phrase is offered (before, the candidates' width pushed the form into one column
// in elder mode and the keyboard's lower rows below the screen's edge).
func TestChineseKeyboardFitsBesideTheForm(t *testing.T) {
	d, err := pinyin.Load(filepath.Join("..", "ime", "pinyin", "testdata", "mini.dict.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	candHeight := map[bool]float32{}
	for _, elder := range []bool{false, true} {
		t.Run(map[bool]string{false: "zh", true: "elder"}[elder], func(t *testing.T) {
			k := uitest.Start(t, uitest.Options{Fonts: true, Deps: func(deps *ui.Deps) {
				deps.IME = touch.IME{Pinyin: pinyin.NewSession(d)}
			}})
			if elder {
				k.Tap("home.elder")
			}
			toForm(t, k)
			k.Tap("form.field.address")
			for _, r := range "riyongbaihuolingshou" {
				k.Tap("keyboard." + string(r))
			}
			k.Drain()
			shown := map[string]ui.MapElement{}
			for _, e := range k.App.AutomationMap().Elements {
				shown[e.ID] = e
			}
			keys := 0
			for _, id := range k.IDs() {
				if !strings.HasPrefix(id, "keyboard.") && !strings.HasPrefix(id, "ime.") {
					continue
				}
				o := k.App.Element(id)
				if !o.Visible() {
					continue
				}
				keys++
				e, ok := shown[id]
				if !ok || float32(e.W) < o.Size().Width-1 || float32(e.H) < o.Size().Height-1 {
					t.Errorf("%s is not wholly in view: %+v of %v", id, e, o.Size())
				}
			}
			if keys < 40 {
				t.Errorf("only %d keys on screen: %v", keys, k.IDs())
			}
			if m := k.App.AutomationMap(); m.Width != 1920 {
				t.Errorf("window %dx%d", m.Width, m.Height)
			}
			if !k.Has("form.field.mobile") {
				t.Error("the form's fields went out of view")
			}
			candHeight[elder] = k.App.Element("ime.cand.0").Size().Height
		})
	}
	// Elder mode's candidates are larger targets, as its keys are.
	if candHeight[true] < 1.3*candHeight[false] {
		t.Errorf("candidates are %.0f px tall in elder mode, %.0f otherwise", candHeight[true], candHeight[false])
	}
}

// TestTechnicianWritesHallNameInChinese: the hall's Chinese name is written with the
// Chinese keyboard in the technician's settings, the composition shown in the field, and
// saved; what the technician chose is not learned for the next resident.
func TestTechnicianWritesHallNameInChinese(t *testing.T) {
	d, err := pinyin.Load(filepath.Join("..", "ime", "pinyin", "testdata", "mini.dict.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sess := pinyin.NewSession(d)
	k := uitest.Start(t, uitest.Options{Fonts: true, Deps: func(deps *ui.Deps) { deps.IME = touch.IME{Pinyin: sess} }})
	corners(k)
	signIn(t, k)
	k.Tap("tech.section.terminal")
	k.Tap("tech.hall.zh")
	k.Tap("keyboard.clear")
	for _, r := range "xian" {
		k.Tap("keyboard." + string(r))
	}
	field := k.App.Element("tech.hall.zh").(*touch.Field)
	if field.Value != "xian" {
		t.Errorf("while composing the field shows %q", field.Value)
	}
	k.Drain()
	uitest.AssertImage(t, "tech_hall_zh", k.Capture())
	k.Tap("ime.cand.1") // 现
	k.Tap("keyboard.clear")
	for _, r := range "jiuyefuwu" {
		k.Tap("keyboard." + string(r))
	}
	k.Tap("ime.cand.0") // 就业服务
	if field.Value != "就业服务" {
		t.Fatalf("the field shows %q", field.Value)
	}
	k.Tap("tech.save")
	k.Loop.WaitFor(t, "saved", func() bool { return k.Shows("已保存") || k.Shows("设置有误") || k.Shows("失败") })
	if got := k.Tech.Saved().Hall.NameZh; got != "就业服务" {
		t.Fatalf("saved hall name %q: %v", got, k.Texts())
	}
	if c := sess.Candidates("xian", 2); c[0].Text != "现" {
		t.Fatalf("the choice was not learned while the settings were open: %v", c)
	}
	k.Tap("tech.exit")
	k.WaitScreen("home")
	if c := sess.Candidates("xian", 2); c[0].Text == "现" {
		t.Errorf("the technician's choice outlived the settings: %v", c)
	}
}

// TestFormTellsTheIMEWhatTheFieldAsks: when a free-text field takes focus the form gives
// the pinyin session the field's kind (an address field: address words first); the end
// of the visit clears it with the rest of the session.
func TestFormTellsTheIMEWhatTheFieldAsks(t *testing.T) {
	d, err := pinyin.Load(filepath.Join("..", "ime", "pinyin", "testdata", "mini.dict.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sess := pinyin.NewSession(d)
	k := uitest.Start(t, uitest.Options{Deps: func(deps *ui.Deps) { deps.IME = touch.IME{Pinyin: sess} }})
	toForm(t, k)
	k.Tap("form.field.address")
	if got := sess.Kind(); got != pinyin.KindAddress {
		t.Fatalf("in the address field the session's kind is %q", got)
	}
	k.Tap("nav.home") // nothing written yet: no confirmation
	k.WaitScreen("home")
	k.Loop.WaitFor(t, "the kind cleared", func() bool { return sess.Kind() == pinyin.KindText })
}
