package ui_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/govkiosk/govkiosk/drivers/health"
	"github.com/govkiosk/govkiosk/kiosk/form"
	"github.com/govkiosk/govkiosk/kiosk/identity"
	"github.com/govkiosk/govkiosk/kiosk/session"
	"github.com/govkiosk/govkiosk/ui"
	"github.com/govkiosk/govkiosk/ui/touch"
	"github.com/govkiosk/govkiosk/ui/uitest"
)

// path taps through to a screen of the household certificate.
var path = map[string]func(t *testing.T, k *uitest.Kiosk){
	"catalog": func(t *testing.T, k *uitest.Kiosk) { k.Tap("home.apply") },
	"guide": func(t *testing.T, k *uitest.Kiosk) {
		k.Tap("home.apply")
		k.Tap("catalog.service.hukou-proof")
	},
	"identify": func(t *testing.T, k *uitest.Kiosk) {
		k.Tap("home.apply")
		k.Tap("catalog.service.hukou-proof")
		k.Tap("guide.begin")
	},
	"form": toForm,
	"materials": func(t *testing.T, k *uitest.Kiosk) {
		toForm(t, k)
		fillForm(t, k)
		k.Tap("form.next")
	},
	"review": func(t *testing.T, k *uitest.Kiosk) {
		toForm(t, k)
		fillForm(t, k)
		k.Tap("form.next")
		scanAll(t, k)
		k.Tap("materials.next")
	},
	"query":   func(t *testing.T, k *uitest.Kiosk) { k.Tap("home.track") },
	"notices": func(t *testing.T, k *uitest.Kiosk) { k.Tap("home.notices") },
	"rate":    func(t *testing.T, k *uitest.Kiosk) { k.Tap("home.rate") },
}

func TestBackAndHome(t *testing.T) {
	tests := []struct {
		screen string
		back   string // screen after "back"; "" when the screen has none
		home   string // screen or dialog after "home"
	}{
		{"catalog", "home", "home"},
		{"guide", "catalog", "home"},
		{"identify", "guide", "home"},
		{"form", "identify", "home"}, // nothing typed yet: nothing to lose
		{"materials", "form", "confirm_home"},
		{"review", "materials", "confirm_home"},
		{"query", "home", "home"},
		{"notices", "home", "home"},
		{"rate", "home", "home"},
	}
	for _, tt := range tests {
		t.Run(tt.screen, func(t *testing.T) {
			for _, nav := range []string{"nav.back", "nav.home"} {
				want := tt.back
				if nav == "nav.home" {
					want = tt.home
				}
				k := uitest.Start(t, uitest.Options{})
				path[tt.screen](t, k)
				k.WaitScreen(tt.screen)
				k.Tap(nav)
				k.WaitScreen(want)
				if want == "confirm_home" {
					k.Tap("confirm_home.stay")
					k.WaitScreen(tt.screen)
					k.Tap("nav.home")
					k.Tap("confirm_home.leave")
					k.WaitScreen("home")
				}
				if want == "home" && k.App.Session().Identity() != nil {
					t.Errorf("%s from %s: the identity outlived the visit", nav, tt.screen)
				}
			}
		})
	}
}

func TestBackKeepsForm(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	toForm(t, k)
	fillForm(t, k)
	k.Tap("form.next")
	k.WaitScreen("materials")
	k.Tap("nav.back")
	k.WaitScreen("form")
	if !k.Shows("13912345678") {
		t.Error("going back to the form lost the typed mobile number")
	}
}

func TestTimeoutWipe(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	resident := uitest.Resident()
	toForm(t, k)
	fillForm(t, k)
	k.Tap("form.next")
	k.WaitScreen("materials")
	scanAll(t, k)
	k.Tap("materials.next")
	k.WaitScreen("review")
	if !k.Shows(resident.Name) {
		t.Fatal("review does not show the name: the walk below would prove nothing")
	}
	k.Clock.Advance(91 * time.Second)
	k.WaitScreen("still_there")
	if !k.Shows("20 秒") {
		t.Errorf("the dialog does not count down from 20 s: %v", k.Texts())
	}
	k.Clock.Advance(21 * time.Second)
	k.WaitScreen("home")
	assertNothingPersonal(t, k, append(uitest.PersonalStrings(resident), "13912345678"))
	if id := k.App.Session().Identity(); id != nil {
		t.Error("the session kept the identity after the timeout")
	}
	if n := k.App.Session().PageCount("household-register"); n != 0 {
		t.Errorf("%d scanned pages kept after the timeout", n)
	}
	if len(k.Submitter.Submissions()) != 0 {
		t.Error("a timed-out visit was submitted")
	}
}

func TestStillThereContinues(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	toForm(t, k)
	k.Tap("form.field.mobile")
	k.Type("keypad", "139")
	k.Clock.Advance(91 * time.Second)
	k.WaitScreen("still_there")
	k.Tap("still_there.continue")
	k.WaitScreen("form")
	if !k.Shows("139") {
		t.Error("continuing after \"still there?\" lost what was typed")
	}
}

func TestPrinterOutWayOut(t *testing.T) {
	for _, tt := range []struct {
		fault ui.PrinterFault
		words string
	}{
		{ui.FaultPaperOut, "缺纸"},
		{ui.FaultCoverOpen, "盖板"},
		{ui.FaultOffline, "暂时无法使用"},
	} {
		t.Run(string(tt.fault), func(t *testing.T) {
			k := uitest.Start(t, uitest.Options{})
			path["review"](t, k)
			k.Printer.FailWith(&ui.PrinterError{Fault: tt.fault, Err: errors.New("status 0x0c")})
			k.Tap("review.confirm")
			k.WaitScreen("receipt")
			code := k.App.Session().TrackingCode()
			if code == "" || !k.Shows(code) || !k.Shows(tt.words) || !k.Shows("拍下办理编号") {
				t.Fatalf("no way out shown: code %q, texts %v", code, k.Texts())
			}
			// Leaving now would lose the only copy of the code: home asks first and says so.
			k.Tap("nav.home")
			k.WaitScreen("confirm_home")
			if !k.Shows(code) {
				t.Error("the leave dialog does not repeat the unprinted code")
			}
			k.Tap("confirm_home.stay")
			k.WaitScreen("receipt")
			// Staff refill the paper; the resident prints again.
			k.Printer.FailWith(nil)
			k.Tap("receipt.reprint")
			k.WaitScreen("receipt")
			k.Loop.WaitFor(t, "receipt printed", func() bool { return len(k.Printer.Printed()) == 1 })
			k.Loop.WaitFor(t, "printed screen", func() bool { return k.Shows("请取走回执") })
		})
	}
}

func TestReaderOfflineWayOut(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	k.Reader.Tracker.Set(health.Offline, "no answer", nil)
	path["identify"](t, k)
	k.WaitScreen("identify")
	if !k.Shows("读卡器暂时无法使用") {
		t.Fatalf("offline reader not explained: %v", k.Texts())
	}
	k.Tap("identify.staff")
	if !k.Shows("工作人员会帮您核验身份") {
		t.Error("ask staff gives no instructions")
	}
	k.Tap("identify.qr")
	if !k.Shows("二维码对准扫码口") {
		t.Error("QR identification gives no instructions")
	}
	byQR := uitest.Resident()
	byQR.CardType = identity.QRCode
	k.QR.Codes["EID:0001"] = byQR
	k.QR.Spent = map[string]bool{"EID:0000": true}
	k.Barcode.Scan("EID:9999")
	k.Loop.WaitFor(t, "unknown code refused", func() bool { return k.Shows("无法识别这个二维码") })
	k.Barcode.Scan("EID:0000")
	k.Loop.WaitFor(t, "spent code: fetch a new one", func() bool { return k.Shows("请在手机上刷新后重新扫码") })
	k.Barcode.Scan("EID:0001")
	k.WaitScreen("form")
	if !k.Shows(uitest.Resident().Name) {
		t.Error("the form was not pre-filled from the QR identity")
	}
	if !k.Shows("已从扫码核验读取") || k.Shows("已从身份证读取") {
		t.Error("fields filled from a QR code claim to come from the ID card")
	}
	// The reader comes back: the status follows.
	k.Tap("nav.back")
	k.WaitScreen("identify")
	k.Reader.Tracker.Set(health.Online, "", nil)
	k.Loop.WaitFor(t, "reader ready shown", func() bool { return k.Shows("读卡器已就绪") })
}

func TestCardErrors(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	path["identify"](t, k)
	k.WaitScreen("identify")
	k.Reader.Place(uitest.Expired())
	k.Loop.WaitFor(t, "expired card refused", func() bool { return k.Shows("证件已过期") })
	k.Reader.Fail(errors.New("checksum"))
	k.Loop.WaitFor(t, "bad read explained", func() bool { return k.Shows("没有读到证件") })
	if k.App.ScreenName() != "identify" {
		t.Errorf("screen %s after refused cards, want identify", k.App.ScreenName())
	}
	bad := uitest.Resident()
	bad.IDNumberValid = false
	k.Reader.Place(bad)
	k.Loop.WaitFor(t, "invalid card refused", func() bool { return k.Shows("无法核验这张证件") })
}

func TestFormValidation(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	toForm(t, k)
	k.Tap("form.field.mobile")
	k.Type("keypad", "1234")
	k.Tap("form.field.purpose") // leaving the field checks it
	if !k.Shows("手机") {
		t.Fatalf("no message for a short mobile number: %v", k.Texts())
	}
	k.Tap("form.next")
	k.WaitScreen("form")
	if !k.Shows("项需要修改") {
		t.Errorf("no summary of the fields to fix: %v", k.Texts())
	}
	// The first field needing attention is made active: its keypad is shown.
	if k.App.Element("keypad.1") == nil {
		t.Error("next did not take the resident to the mobile number")
	}
	k.Tap("keypad.clear")
	k.Type("keypad", "13912345678901") // longer than a mobile number: the rest is ignored
	k.Tap("form.field.purpose")
	k.Tap("form.choice.school")
	k.Tap("form.next")
	k.WaitScreen("materials")
	if got := k.App.Session().Form().Value("mobile"); got != "13912345678" {
		t.Errorf("mobile %q, want the first 11 digits", got)
	}
}

func TestLockedFieldsStayLocked(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	toForm(t, k)
	f := k.App.Element("form.field.name").(*touch.Field)
	if !f.Locked {
		t.Fatal("the name from the card is not locked")
	}
	k.Tap("form.field.name")
	if k.App.Element("keyboard.a") != nil {
		t.Error("tapping a locked field opened the keyboard")
	}
	idf := k.App.Element("form.field.id_number").(*touch.Field)
	if strings.Contains(idf.Value, uitest.Resident().IDNumber) || !strings.Contains(idf.Value, "*") {
		t.Errorf("the ID number field shows %q, want it masked", idf.Value)
	}
}

func TestMaterialsRetakeAndMissing(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	path["materials"](t, k)
	k.WaitScreen("materials")
	k.Tap("materials.next")
	if !k.Shows("还缺少：户口簿") {
		t.Fatalf("missing material not named: %v", k.Texts())
	}
	scanAll(t, k)
	k.Tap("materials.retake.household-register")
	if n := k.App.Session().PageCount("household-register"); n != 0 {
		t.Fatalf("%d pages after retake, want 0", n)
	}
	k.Scanner.FailWith(errors.New("paper jam"))
	k.Tap("materials.scan.household-register")
	k.Loop.WaitFor(t, "scan error explained", func() bool { return k.Shows("没有扫描成功") })
	k.Scanner.FailWith(nil)
	scanAll(t, k)
	k.Tap("materials.next")
	k.WaitScreen("review")
}

func TestScannerOfflineWayOut(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	k.Scanner.Tracker.Set(health.Offline, "", nil)
	path["materials"](t, k)
	k.WaitScreen("materials")
	if !k.Shows("扫描仪暂时无法使用") || !k.Shows("窗口工作人员") {
		t.Fatalf("offline scanner not explained: %v", k.Texts())
	}
	scan := k.App.Element("materials.scan.household-register").(*touch.Button)
	if !scan.Disabled() {
		t.Error("scan is offered on an offline scanner")
	}
}

func TestSubmitFailed(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	path["review"](t, k)
	k.WaitScreen("review")
	k.Submitter.FailWith(ui.ErrStorageFull)
	k.Tap("review.confirm")
	k.WaitScreen("submit_failed")
	if !k.Shows("存储空间已满") {
		t.Errorf("full storage not explained: %v", k.Texts())
	}
	k.Submitter.FailWith(nil)
	k.Tap("submit_failed.retry")
	k.WaitScreen("receipt")
	if len(k.Submitter.Submissions()) != 1 {
		t.Errorf("%d submissions after retry, want 1", len(k.Submitter.Submissions()))
	}
}

func TestSubmittingShowsProgress(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	path["review"](t, k)
	k.Submitter.Hold()
	k.Printer.Hold()
	k.Tap("review.confirm")
	k.WaitScreen("submitting")
	if !k.Shows("正在保存") {
		t.Error("submitting screen says nothing")
	}
	k.Submitter.Release()
	k.WaitScreen("printing")
	if !k.Shows("正在打印") {
		t.Error("printing screen says nothing")
	}
	k.Printer.Release()
	k.WaitScreen("receipt")
}

func TestBundleAndAnonymous(t *testing.T) {
	t.Run("bundle", func(t *testing.T) {
		k := uitest.Start(t, uitest.Options{})
		k.Tap("home.apply")
		k.Tap("catalog.category.bundles")
		k.Tap("catalog.service.newborn")
		k.WaitScreen("guide")
		if !k.Shows("社保卡补领") || !k.Shows("户籍证明开具") {
			t.Error("the bundle guide does not list its items")
		}
		k.Tap("guide.begin")
		k.Reader.Place(uitest.Resident())
		k.WaitScreen("form")
		fillForm(t, k)
		k.Tap("form.next")
		k.WaitScreen("materials")
		if !k.Has("materials.scan.photo") || !k.Has("materials.scan.household-register") {
			t.Errorf("bundle materials missing: %v", k.IDs())
		}
	})
	t.Run("anonymous", func(t *testing.T) {
		k := uitest.Start(t, uitest.Options{})
		k.Tap("home.apply")
		k.Tap("catalog.category.advice")
		k.Tap("catalog.service.advice")
		k.Tap("guide.begin")
		k.WaitScreen("identify")
		k.Tap("identify.skip")
		k.WaitScreen("form")
		k.Tap("form.next")
		k.WaitScreen("review")
		if !k.Shows("未登记身份") {
			t.Error("review does not say the resident is not identified")
		}
	})
	t.Run("counter only", func(t *testing.T) {
		k := uitest.Start(t, uitest.Options{})
		k.Tap("home.apply")
		k.Tap("catalog.service.passport")
		k.WaitScreen("guide")
		if k.Has("guide.begin") || !k.Shows("需到窗口办理") {
			t.Errorf("a counter-only service offers to start here: %v", k.IDs())
		}
	})
}

func TestCatalogSearchAndPages(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	k.Tap("home.apply")
	k.Tap("catalog.search")
	k.Type("keyboard", "SBK")
	if !k.Has("catalog.service.social-card") || k.Has("catalog.service.hukou-proof") {
		t.Errorf("search SBK found %v", k.IDs())
	}
	k.Tap("catalog.search.clear")
	k.Type("keyboard", "ZZZZ")
	if !k.Shows("没有找到") {
		t.Error("an empty search says nothing")
	}
	k.Tap("catalog.search.clear")
	k.Tap("catalog.search") // hide the keyboard: six to a page
	if got := countPrefix(k.IDs(), "catalog.service."); got != 5 {
		t.Errorf("%d services on the first page, want all 5", got)
	}
	if !k.App.Element("catalog.page.next").(*touch.Button).Disabled() {
		t.Error("next page offered with everything on one page")
	}
}

func TestCatalogPagesInElderMode(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	k.Tap("home.elder")
	k.Tap("home.apply")
	if got := countPrefix(k.IDs(), "catalog.service."); got != 4 {
		t.Fatalf("%d services on an elder page, want 4", got)
	}
	k.Tap("catalog.page.next")
	if got := countPrefix(k.IDs(), "catalog.service."); got != 1 || !k.Shows("第 2 / 2 页") {
		t.Errorf("second page: %d services, texts %v", got, k.Texts())
	}
	if !k.App.Element("catalog.page.next").(*touch.Button).Disabled() {
		t.Error("next page offered on the last page")
	}
	k.Tap("catalog.page.prev")
	if got := countPrefix(k.IDs(), "catalog.service."); got != 4 {
		t.Errorf("back on the first page: %d services", got)
	}
}

func countPrefix(ids []string, p string) int {
	n := 0
	for _, id := range ids {
		if strings.HasPrefix(id, p) {
			n++
		}
	}
	return n
}

func TestElderModeAndLanguage(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	normal := k.App.Element("home.apply").MinSize()
	k.Tap("home.elder")
	if !k.App.Theme().Elder() || !k.App.Session().Elder() {
		t.Fatal("elder mode did not switch on")
	}
	big := k.App.Element("home.apply").MinSize()
	if r := big.Height / normal.Height; r < 1.35 || r > 1.45 {
		t.Errorf("elder tile is %.2f times as tall (%v vs %v), want about 1.4", r, big.Height, normal.Height)
	}
	k.Tap("home.lang")
	if !k.Shows("Apply") || k.Shows("我要办事") {
		t.Fatalf("English not shown: %v", k.Texts())
	}
	k.Tap("home.apply")
	k.WaitScreen("catalog")
	if !k.Shows("Household registration certificate") {
		t.Error("catalog titles are not in English")
	}
	// The next visit starts in Chinese at normal size.
	k.Tap("nav.home")
	k.WaitScreen("home")
	if k.App.Translator().Language() != "zh-CN" || k.App.Theme().Elder() {
		t.Errorf("after the visit: language %s, elder %v; want zh-CN, false", k.App.Translator().Language(), k.App.Theme().Elder())
	}
	if !k.Shows("我要办事") {
		t.Error("the start screen is not in Chinese again")
	}
}

func TestQuery(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	code := trackingCode(7)
	k.Submitter.Progress[code] = []ui.Progress{{Code: code, Service: form.Text{Zh: "户籍证明开具"}, Status: ui.StatusProcessing, Updated: uitest.StartTime}}
	k.Submitter.Progress[uitest.Resident().IDNumber] = []ui.Progress{{Code: code, Service: form.Text{Zh: "户籍证明开具"}, Status: ui.StatusDone}}

	k.Tap("home.track")
	typed := strings.ReplaceAll(code, "-", "")
	wrong := typed[:len(typed)-1] + string("0123456789ABCDEFGHJKMNPQRSTVWXYZ"[(strings.IndexByte("0123456789ABCDEFGHJKMNPQRSTVWXYZ", typed[len(typed)-1])+1)%32])
	k.Type("keyboard", wrong) // one wrong character: refused, not looked up
	k.Tap("query.lookup")
	if !k.Shows("编号不对") {
		t.Fatalf("a mistyped code was not refused: %v", k.Texts())
	}
	k.Tap("keyboard.clear")
	k.Type("keyboard", typed)
	k.Tap("query.lookup")
	k.WaitScreen("query_result")
	k.Loop.WaitFor(t, "result", func() bool { return k.Shows("办理中") })

	k.Tap("nav.back")
	k.WaitScreen("query")
	k.Barcode.Scan(code)
	k.WaitScreen("query_result")
	k.Loop.WaitFor(t, "result by QR", func() bool { return k.Shows("办理中") })

	k.Tap("nav.back")
	k.WaitScreen("query")
	k.Reader.Place(uitest.Resident())
	k.WaitScreen("query_result")
	k.Loop.WaitFor(t, "result by card", func() bool { return k.Shows("已办结") })
	if !k.Has("query.result." + code) {
		t.Errorf("the result row is not in the automation map: %v", k.App.AutomationMap().Elements)
	}
	k.Tap("nav.home")
	k.WaitScreen("home")
	if _, ok := k.App.Session().Query(); ok {
		t.Error("the query key outlived the visit")
	}

	k.Tap("home.track")
	k.Barcode.Scan(trackingCode(1)) // valid code, nothing submitted under it
	k.WaitScreen("query_result")
	k.Loop.WaitFor(t, "nothing found", func() bool { return k.Shows("没有查到") })
	if !k.Shows("请核对办理编号") {
		t.Error("a code that finds nothing does not ask to check the code")
	}

	// A card that finds nothing: the advice is where else to ask, not to check a code;
	// the platform searched every terminal, and the screen says so.
	k.Tap("nav.home")
	k.WaitScreen("home")
	k.Tap("home.track")
	k.Reader.Place(uitest.Expired())
	k.WaitScreen("query_result")
	k.Loop.WaitFor(t, "nothing found by card", func() bool { return k.Shows("没有查到") })
	if k.Shows("请核对办理编号") || !k.Shows("已查询全市各终端") || k.Shows("只显示本机") {
		t.Errorf("a card that finds nothing at the platform gets the wrong advice: %v", k.Texts())
	}

	// The same without the platform: only this terminal's records, and the screen says so.
	k.Submitter.SetLocal(ui.LocalOffline)
	k.Tap("nav.home")
	k.WaitScreen("home")
	k.Tap("home.track")
	k.Reader.Place(uitest.Expired())
	k.WaitScreen("query_result")
	k.Loop.WaitFor(t, "nothing found here", func() bool { return k.Shows("没有查到") })
	if !k.Shows("只显示本机的办理记录") || !k.Shows("暂时连不上政务服务平台") || !k.Shows("本机只能查到") || k.Shows("已查询全市各终端") {
		t.Errorf("an offline card lookup does not say it saw only this terminal's records: %v", k.Texts())
	}
}

// TestQueryFromAnyTerminal: a card finds applications made at other terminals with the
// platform's status and note, their codes masked (rows still told apart); when the
// platform asks to wait, this terminal's own receipts are listed and the screen says so.
func TestQueryFromAnyTerminal(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	own := trackingCode(3)
	masked := "K7Q2-*****-*"
	k.Submitter.SetProgress(uitest.Resident().IDNumber,
		ui.Progress{Code: masked, Service: form.Text{Zh: "户籍证明开具"}, Status: ui.StatusCorrection,
			Note: form.Text{Zh: "请补充户口簿原件，到3号窗口办理"}, Updated: uitest.StartTime},
		ui.Progress{Code: masked, Service: form.Text{Zh: "公积金提取"}, Status: ui.StatusNotTaken, Updated: uitest.StartTime},
		ui.Progress{Code: own, Service: form.Text{Zh: "户籍证明开具"}, Status: ui.StatusAccepted, Updated: uitest.StartTime})
	k.Tap("home.track")
	k.Reader.Place(uitest.Resident())
	k.WaitScreen("query_result")
	k.Loop.WaitFor(t, "result by card", func() bool { return k.Has("query.result." + own) })
	for _, want := range []string{"需补正材料", "请补充户口簿原件，到3号窗口办理", "不予受理", "已受理"} {
		if !k.Shows(want) {
			t.Errorf("%q not shown: %v", want, k.Texts())
		}
	}
	if k.Shows("只显示本机") {
		t.Error("the platform's answer is labelled as this terminal's own")
	}
	if !k.Has("query.result."+masked) || !k.Has("query.result."+masked+".1") {
		t.Errorf("rows with the same masked code are not told apart: %v", k.IDs())
	}

	k.Submitter.SetLocal(ui.LocalBusy)
	k.Submitter.SetProgress(uitest.Resident().IDNumber,
		ui.Progress{Code: own, Service: form.Text{Zh: "户籍证明开具"}, Status: ui.StatusQueued, Updated: uitest.StartTime})
	k.Tap("nav.back")
	k.WaitScreen("query")
	k.Reader.Place(uitest.Resident())
	k.WaitScreen("query_result")
	k.Loop.WaitFor(t, "own receipts", func() bool { return k.Has("query.result." + own) })
	if !k.Shows("只显示本机的办理记录") || !k.Shows("查询繁忙") || k.Shows("需补正材料") {
		t.Errorf("a busy platform's fallback does not say it lists only this terminal's records: %v", k.Texts())
	}
}

func TestNotices(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	k.Tap("home.notices")
	if !k.Shows("暂无公告") {
		t.Error("an empty board says nothing")
	}
	k.Bulletins.Set(bulletin())
	k.Loop.WaitFor(t, "notices listed", func() bool { return k.Has("notices.item.n2") })
	k.Tap("notices.item.n2")
	if !k.Shows("无需再提供单位证明") {
		t.Error("tapping a notice does not show it")
	}
}

func TestSyncIndicatorNeverAlarms(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	k.Sync.Set(ui.SyncState{Online: false, Queued: 12})
	k.Loop.WaitFor(t, "offline shown", func() bool { return k.Shows("12 件已安全保存") })
	for _, s := range k.Texts() {
		for _, bad := range []string{"错误", "失败", "故障"} {
			if strings.Contains(s, bad) {
				t.Errorf("the start screen alarms residents: %q", s)
			}
		}
	}
}

func TestAutomationMap(t *testing.T) {
	mapPath := filepath.Join(t.TempDir(), "ui.json")
	k := uitest.Start(t, uitest.Options{MapPath: mapPath})
	read := func() ui.UIMap {
		var m ui.UIMap
		b, err := os.ReadFile(mapPath)
		if err == nil {
			err = json.Unmarshal(b, &m)
		}
		if err != nil {
			return ui.UIMap{}
		}
		return m
	}
	k.Loop.WaitFor(t, "map of home", func() bool { return read().Screen == "home" })
	m := read()
	if m.Width != 1920 || m.Height != 1080 {
		t.Errorf("map window %dx%d, want 1920x1080", m.Width, m.Height)
	}
	var ids []string
	for _, e := range m.Elements {
		ids = append(ids, e.ID)
		if e.W < 60 || e.H < 60 || e.X < 0 || e.Y < 0 || e.X+e.W > m.Width || e.Y+e.H > m.Height {
			t.Errorf("element %+v is smaller than a touch target or outside the window", e)
		}
	}
	for _, want := range []string{"home.apply", "home.track", "home.rate", "home.notices", "home.elder", "home.lang"} {
		if !slices.Contains(ids, want) {
			t.Errorf("map lacks %s: %v", want, ids)
		}
	}
	apply := m.Elements[slices.Index(ids, "home.apply")]
	if apply.Label != "我要办事" {
		t.Errorf("home.apply label %q", apply.Label)
	}
	// Tapping at the map's coordinates hits the element it names.
	k.TapAt(fyne.NewPos(float32(apply.X+apply.W/2), float32(apply.Y+apply.H/2)))
	k.WaitScreen("catalog")
	k.Loop.WaitFor(t, "map of catalog", func() bool { return read().Screen == "catalog" })

	k.Tap("catalog.service.hukou-proof")
	k.Tap("guide.begin")
	k.Reader.Place(uitest.Resident())
	k.WaitScreen("form")
	k.Clock.Advance(91 * time.Second)
	k.WaitScreen("still_there")
	k.Loop.WaitFor(t, "map of the dialog", func() bool { return read().Screen == "still_there" })
	m = read()
	if m.Under != "form" || len(m.Elements) != 2 {
		t.Errorf("dialog map: under %q, %d elements; want form and 2", m.Under, len(m.Elements))
	}
	if files, _ := filepath.Glob(filepath.Join(filepath.Dir(mapPath), ".uimap-*")); len(files) != 0 {
		t.Errorf("temporary map files left behind: %v", files)
	}
}

func TestTechnician(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	corners := func() {
		for _, p := range []fyne.Position{{X: 20, Y: 20}, {X: 1900, Y: 20}, {X: 1900, Y: 1060}, {X: 20, Y: 1060}} {
			k.TapAt(p)
		}
	}
	k.TapAt(fyne.NewPos(1900, 20)) // out of order: nothing
	if k.App.ScreenName() != "home" {
		t.Fatal("a stray corner tap opened something")
	}
	corners()
	k.WaitScreen("tech_pin")
	for i := 1; i <= 5; i++ {
		k.Type("keypad", "111111")
		k.Tap("tech_pin.ok")
		k.Loop.WaitFor(t, "PIN checked", func() bool { return k.Shows("密码错误") || k.Shows("已锁定") })
		if i < 5 && !k.Shows("再错") {
			t.Errorf("try %d: remaining tries not shown: %v", i, k.Texts())
		}
	}
	if !k.Shows("已锁定") || !k.Shows(uitest.StartTime.Add(time.Minute).Format("15:04")) {
		t.Fatalf("lockout not shown with its end: %v", k.Texts())
	}
	if k.Tech.Access.Failures != 5 {
		t.Errorf("lockout state saved with %d failures, want 5", k.Tech.Access.Failures)
	}
	k.Type("keypad", "246810") // keys are disabled while locked
	if ok := k.App.Element("tech_pin.ok").(*touch.Button); !ok.Disabled() {
		t.Error("OK is enabled while locked")
	}
	k.Tap("tech_pin.cancel")
	k.WaitScreen("home")

	k.Clock.Advance(2 * time.Minute)
	corners()
	k.WaitScreen("tech_pin")
	k.Type("keypad", uitest.TestPIN)
	k.Tap("tech_pin.ok")
	k.WaitScreen("tech_settings")
	k.Tap("tech.test_print")
	k.Loop.WaitFor(t, "test print", func() bool { return slices.Contains(k.Tech.Called(), "test_print") })
	k.Tap("tech.section.terminal")
	k.Tap("tech.idle.plus")
	k.Tap("tech.save")
	k.Loop.WaitFor(t, "saved", func() bool { return k.Shows("已保存") || k.Shows("设置有误") || k.Shows("失败") })
	if !k.Shows("已保存") {
		t.Fatalf("not saved: %v", k.Texts())
	}
	if got := k.Tech.Saved().Session.IdleTimeout.Duration; got != k.Tech.Config().Session.IdleTimeout.Duration || !slices.Contains(k.Tech.Called(), "apply") {
		t.Errorf("configuration not applied (idle %v)", got)
	}
	k.Tap("tech.section.platform")
	k.Tap("tech.platform.url")
	k.Tap("keyboard.clear")
	k.Type("keyboard", "ftp")
	applied := countCalls(k.Tech.Called(), "apply")
	k.Tap("tech.save")
	if !k.Shows("设置有误") {
		t.Errorf("an invalid platform address gave no message: %v", k.Texts())
	}
	k.Drain()
	if n := countCalls(k.Tech.Called(), "apply"); n != applied {
		t.Errorf("an invalid configuration was applied (%d applies, want %d)", n, applied)
	}
	k.Tap("tech.exit")
	k.WaitScreen("tech_unsaved") // the invalid edit was not saved
	k.Tap("tech_unsaved.discard")
	k.WaitScreen("home")
	if st := k.App.Session().State(); st != session.StateIdle {
		t.Errorf("session %s after the technician left", st)
	}
}

func countCalls(calls []string, name string) int {
	n := 0
	for _, c := range calls {
		if c == name {
			n++
		}
	}
	return n
}

func TestPortraitLayout(t *testing.T) {
	k := uitest.Start(t, uitest.Options{Size: uitest.Portrait})
	toForm(t, k)
	for _, e := range k.App.Elements() {
		s := e.Obj.Size()
		if s.Width < 0 || s.Height < 0 {
			t.Errorf("%s has size %v in portrait", e.ID, s)
		}
	}
	kp := k.App.Element("keypad.5")
	if kp == nil || kp.Size().Height < 60 {
		t.Errorf("keypad keys too small in portrait: %v", kp)
	}
}

func TestTechnicianIdleCloses(t *testing.T) {
	k := uitest.Start(t, uitest.Options{})
	for _, p := range []fyne.Position{{X: 20, Y: 20}, {X: 1900, Y: 20}, {X: 1900, Y: 1060}, {X: 20, Y: 1060}} {
		k.TapAt(p)
	}
	k.WaitScreen("tech_pin")
	k.Clock.Advance(61 * time.Second)
	k.WaitScreen("home")
}
